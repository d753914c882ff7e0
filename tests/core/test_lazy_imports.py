"""What an app loads before its first API call (the import cost of issue 10, kept honest).

The session classes load on first use (PEP 562) and so does everything a plain API call never
needs: OAuth grants and login pages, token stores, paging, batches, uploads, the rate limiter.
Each check runs in a fresh interpreter, so modules loaded by other tests do not count.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Loaded only by the features that need them; a plain API call must not pull any of these in.
ON_FIRST_USE = {
    "mailru_sync.mailru.grants",
    "mailru_sync.ok.grants",
    "mailru_sync.mailru.implicit",
    "mailru_sync.ok.implicit",
    "mailru_sync.ok.password",
    "mailru_sync._oauth",
    "mailru_sync._browser",
    "mailru_sync._forms",
    "mailru_sync.stores",
    "mailru_sync._paging",
    "mailru_sync.mailru.paging",
    "mailru_sync.ok.paging",
    "mailru_sync._batch",
    "mailru_sync._upload",
    "mailru_sync._ratelimit",
    "mailru_sync.testing",
    # standard modules requests does not load itself
    "html.parser",
    "dataclasses",
    "decimal",
    "numbers",
    "secrets",
}


def _loaded_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "code",
    [
        "from mailru_sync import TokenSession, API\n"
        "API(TokenSession(1, 'a' * 32, 'b' * 32, access_token='t', uid='1'))",
        "from mailru_sync.ok import TokenSession, API\n"
        "API(TokenSession(1, 'key', 'secret', 'token', 'session-secret'))",
    ],
    ids=["mailru", "ok"],
)
def test_an_api_session_loads_nothing_it_does_not_use(code: str) -> None:
    assert _loaded_after(code) & ON_FIRST_USE == set()


def test_the_package_alone_loads_no_session_machinery() -> None:
    loaded = _loaded_after("import mailru_sync")
    assert "mailru_sync._session" not in loaded
    assert "mailru_sync.exceptions" in loaded  # ``except mailru_sync.APIError`` needs no load


def test_features_load_what_they_need_on_first_use() -> None:
    loaded = _loaded_after(
        "import mailru_sync\n"
        "mailru_sync.CodeSession\n"
        "mailru_sync.TokenSession.PAGING['stream.get']\n"
        "mailru_sync.TokenSession(1, 'a' * 32, 'b' * 32, 'token', '1', rate_limit=5)"
    )
    assert {"mailru_sync.mailru.grants", "mailru_sync._paging", "mailru_sync._ratelimit"} <= loaded
