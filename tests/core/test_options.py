"""Session options: seen by type checkers, checked at run time, validated on assignment too."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import mailru_sync
import mailru_sync.ok
from mailru_sync import ConfigurationError
from mailru_sync._options import KNOWN_OPTIONS

ROOT = Path(__file__).resolve().parents[2]
KEY = "a" * 32


def _mailru(**options: object) -> mailru_sync.TokenSession:
    extra: dict[str, object] = dict(options)
    return mailru_sync.TokenSession("123", KEY, "", "token", "1", **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("base_ulr", "base_url"), ("dead_line", "deadline"), ("retry_on_flod", "retry_on_flood"),
     ("max_retry", "max_retries"), ("tokenstore", "token"), ("rate_limiter", "rate_limit")],
)
def test_a_misspelled_option_names_the_closest_valid_one(typo: str, meant: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        _mailru(**{typo: 1})
    assert str(raised.value) == f"TokenSession: unknown option {typo!r}: did you mean {meant!r}?"


def test_an_option_like_nothing_lists_the_options() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown option 'zzz'; the options are: .*dead"):
        mailru_sync.ok.TokenSession("1", "KEY", "S" * 32, "tok", "", zzz=1)  # type: ignore[call-arg]


def test_the_runtime_names_are_the_typed_names() -> None:
    from mailru_sync.options import OkBaseSessionOptions

    assert OkBaseSessionOptions.__optional_keys__ == KNOWN_OPTIONS


def test_assigning_an_option_validates_it_like_the_constructor() -> None:
    session = _mailru(deadline=3)
    assert session.deadline == 3.0
    session.deadline = 7
    assert session.deadline == 7.0 and isinstance(session.deadline, float)
    with pytest.raises(ConfigurationError, match="deadline must be > 0 seconds"):
        session.deadline = 0
    assert session.deadline == 7.0  # a refused value changes nothing
    with pytest.raises(ConfigurationError, match="timeout=None would let a call hang forever"):
        session.timeout = None
    session.retry_on_flood = True
    assert session.retry_on_flood == 3
    other = _mailru()
    assert other.deadline == 20.0  # settings belong to one session


def test_mypy_sees_every_option_in_a_users_script(tmp_path: Path) -> None:
    """``base_ulr=`` and ``timeout='soon'`` are errors in the user's editor, not at run time."""
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent("""
        import mailru_sync
        import mailru_sync.ok

        good = mailru_sync.TokenSession("1", "k", "", "t", "1", deadline=5, base_url=None)
        ok_good = mailru_sync.ok.ServerSession("1", "K", "S", "t", timeout=(1.0, 2.0))
        bad = mailru_sync.TokenSession("1", "k", "", "t", "1", base_ulr="http://x")
        bad_timeout = mailru_sync.ServerSession("1", "s", "t", timeout="soon")
        bad_ok = mailru_sync.ok.TokenSession("1", "K", "S", "t", "", retry_on_flood="yes")
        bad_grant = mailru_sync.ok.PasswordSession("1", "K", "S", "me", "pw", dead_line=5)
    """), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir",
         os.devnull, str(script)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    out = result.stdout
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert len(errors) == 4, out
    assert '"base_ulr"' in out
    assert "user_script.py:8:" in out and "timeout" in out
    assert "user_script.py:9:" in out and "retry_on_flood" in out
    assert "user_script.py:10:" in out and '"dead_line"' in out  # grant sessions too
