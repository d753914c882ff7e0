"""What users write type-checks under ``mypy --strict``: the examples and a typed sample script
(sessions and their options, API chains, ``iter``, ``batch``, stores, exported tokens)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SAMPLE = '''
from __future__ import annotations

from pathlib import Path
from typing import Any

import mailru_sync
import mailru_sync.ok
from mailru_sync.stores import FileStore, MemoryStore, RedisStore, TokenStore


def mailru_calls(store: TokenStore) -> list[Any]:
    session = mailru_sync.ServerSession("1", "s" * 32, store=store, deadline=5.0,
                                        retry_on_flood=True, rate_limit=10)
    api = mailru_sync.API(session)
    friends: Any = api.friends.get()
    everything = list(api.stream.get.iter(max_items=10, page_size=5))
    token: dict[str, Any] = session.token
    session.deadline = 3.0
    return [friends, everything, token, session.refresh_count]


def ok_calls() -> list[Any]:
    session = mailru_sync.ok.ServerSession("1", "KEY", "S" * 32, "tok", timeout=(2.0, 5.0))
    api = mailru_sync.ok.API(session)
    results: list[Any] = api.batch([("users.getCurrentUser", {}), ("friends.get", {})])
    pages = [item for item in api.friends.get.iter(max_items=3)]
    return [results, pages, session.call("users.getCurrentUser", {"fields": "uid"})]


def stores(path: Path, client: Any) -> list[TokenStore]:
    return [FileStore(path), MemoryStore(), RedisStore(client, "token:1")]


with mailru_sync.ImplicitSession("1", "p" * 32, "s" * 32, "user@mail.ru", "pw") as implicit:
    print(implicit.access_token, implicit.uid)
'''


def _mypy(*targets: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull,
         # Django ships no type information; what is checked is our side of the calls.
         "--disable-error-code", "import-untyped", *targets],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )


def test_the_examples_type_check() -> None:
    result = _mypy("examples")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_typed_users_script_type_checks(tmp_path: Path) -> None:
    script = tmp_path / "typed_sample.py"
    script.write_text(textwrap.dedent(SAMPLE), encoding="utf-8")
    result = _mypy(str(script))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_documented_python_sample_type_checks(tmp_path: Path) -> None:
    """The README's and the docs' Python samples, each with the samples it continues, as a
    user's script: what the documentation shows type-checks under ``mypy --strict``."""
    from tests.test_readme import BLOCKS, _chain_of

    samples = [b for b in BLOCKS if b.kind == "python"]
    assert samples
    for number, block in enumerate(samples, 1):
        code = "\n\n".join(part.code for part in _chain_of(block))
        name = f"sample_{number:02d}_{block.path.stem.replace('-', '_')}_{block.line}.py"
        (tmp_path / name).write_text(code + "\n", encoding="utf-8")
    result = _mypy(str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
