"""The API-coverage script of the docs (``docs/api_coverage.py``) counts what it should.

CI runs the script on the real build (``.ci/run``); these tests prove, without Sphinx, that the
script finds the public API (lazy exports, re-exports, inherited methods, options) and that a
missing object or option is reported, so a 100% from CI means something.
"""

from __future__ import annotations

import importlib.util
import sys
import zlib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_coverage", ROOT / "docs" / "api_coverage.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("api_coverage", module)
    spec.loader.exec_module(module)
    return module


coverage = _load()


def _inventory(path: Path, names: list[str]) -> Path:
    """A Sphinx version-2 inventory describing ``names`` (as the HTML builder writes it)."""
    body = "".join(f"{name} py:class 1 api.html#$ -\n" for name in names)
    header = b"# Sphinx inventory version 2\n# Project: x\n# Version: 0\n# zlib below\n"
    path.write_bytes(header + zlib.compress(body.encode()))
    return path


def test_public_objects_include_lazy_exports_inherited_members_and_fixtures() -> None:
    objects = list(coverage.public_objects())
    names = {name for name, _ in objects}
    # Inherited from the private base class: counted once, on the most basic public class.
    owners = [name for name, obj in objects if name.endswith(".call")]
    assert len(owners) == 1, owners
    for expected in (
        "mailru_sync.TokenSession",  # a lazy (PEP 562) export
        "mailru_sync.ok.OkSession",
        "mailru_sync.ok.OkSession.login_with_password",  # OK's own
        "mailru_sync.stores.RedisStore",
        "mailru_sync.testing.MailruEmulator.fail_next",
        "mailru_sync.testing.pytest_plugin.ok_emulator",
        "mailru_sync.APIError",
    ):
        assert expected in names
    assert "mailru_sync.ok.APIError" not in names  # the same object, counted once
    assert not any(name.endswith((".mount", ".get", ".post")) for name in names)  # requests'


def test_a_missing_object_is_reported_and_a_full_inventory_is_complete(tmp_path: Path) -> None:
    names = [name for name, _ in coverage.public_objects()]
    full = _inventory(tmp_path / "full.inv", names)
    missing, _, total, _ = coverage.coverage(full)
    assert missing == [] and total == len(names)

    dropped = next(n for n in names if n.endswith("MailruSession.upload_photo"))
    partial = _inventory(tmp_path / "partial.inv", [n for n in names if n != dropped])
    missing, _, _, _ = coverage.coverage(partial)
    assert missing == [dropped]


def test_an_object_documented_under_another_name_counts(tmp_path: Path) -> None:
    # The site documents ``call`` on MailruSession and OkSession; it is counted once.
    inventory = _inventory(tmp_path / "objects.inv", ["mailru_sync.MailruSession.call"])
    keys = coverage.documented_keys(coverage.read_inventory(inventory))
    (name, obj), = [(n, o) for n, o in coverage.public_objects() if n.endswith(".call")]
    assert coverage._key(name, obj) in keys


def test_every_session_option_is_in_the_options_table() -> None:
    options = coverage.session_options()
    assert {"deadline", "timeout", "store", "token", "max_body_size"} <= set(options)
    assert set(options) <= coverage.documented_options()


def test_an_option_missing_from_the_table_is_reported(tmp_path: Path) -> None:
    page = tmp_path / "options.rst"
    page.write_text("``timeout``   ``(5.0, 30.0)``   seconds\n", encoding="utf-8")
    assert coverage.documented_options(page) == {"timeout"}


def test_the_script_exits_2_without_a_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert coverage.main([str(tmp_path)]) == 2
    assert "build the HTML docs first" in capsys.readouterr().err
