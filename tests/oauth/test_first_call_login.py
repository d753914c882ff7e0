"""Issue 20: dropping ``await`` is the whole migration.

``session = ImplicitSession(...)`` (aiomailru/aiookru awaited it) builds a session without I/O;
its first API call logs in, once, even when many threads make that first call together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

import mailru_sync as mr
import mailru_sync.ok as ok
from mailru_sync.testing import MailruEmulator, OkEmulator

from .conftest import MAILRU_BUILDERS, OK_BUILDERS

_TOKEN_CLASSES = {"TokenSession", "ClientSession", "ServerSession"}


def _whoami(session: Any) -> Any:
    api = (ok.API if session.platform == "ok" else mr.API)(session)
    return api.users.getCurrentUser() if session.platform == "ok" else api.users.getInfo()


GRANT_CASES = [("mailru", name) for name in sorted(set(MAILRU_BUILDERS) - _TOKEN_CLASSES)] + [
    ("ok", name) for name in sorted(set(OK_BUILDERS) - _TOKEN_CLASSES)
]


@pytest.mark.parametrize(("platform", "name"), GRANT_CASES)
def test_every_grant_session_logs_in_on_its_first_call(
    request: pytest.FixtureRequest, platform: str, name: str
) -> None:
    emu = request.getfixturevalue(f"{platform}_emulator")
    builders: dict[str, Any] = MAILRU_BUILDERS if platform == "mailru" else OK_BUILDERS
    session = builders[name][0](emu)  # Refresh builders run a code grant to get their input
    assert not session.is_authorized
    before = len(emu.requests)
    me = _whoami(session)
    assert (me[0] if platform == "mailru" else me)["uid"] == emu.user.uid
    assert session.is_authorized
    assert len(emu.requests) > before + 1  # the grant's requests, then the call
    session.close()


def test_building_still_sends_nothing(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    mr.ImplicitSession(emu.app.app_id, emu.app.private_key, emu.app.secret_key, emu.user.email,
                       emu.user.password, mr.full_scope(), base_url=emu.url)
    assert emu.requests == []


def _at_once(n: int, work: Callable[[], Any]) -> list[Any]:
    """Run ``work`` in ``n`` threads released together; their results or exceptions."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_threads_on_a_fresh_mailru_implicit_session_make_one_login(
    mailru_emulator: MailruEmulator,
) -> None:
    emu = mailru_emulator
    session = mr.ImplicitSession(emu.app.app_id, emu.app.private_key, emu.app.secret_key,
                                 emu.user.email, emu.user.password, mr.full_scope(),
                                 base_url=emu.url)
    results = _at_once(8, lambda: _whoami(session))
    assert all(isinstance(r, list) and r[0]["uid"] == emu.user.uid for r in results), results
    assert len([r for r in emu.requests if r.path == "/cgi-bin/auth"]) == 1  # one login form
    assert len([r for r in emu.requests if emu.is_api_path(r.path)]) == 8


def test_threads_on_a_fresh_ok_implicit_session_make_one_login(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator
    session = ok.ImplicitSession(emu.app.app_id, emu.app.app_key, emu.app.app_secret_key,
                                 emu.user.login, emu.user.password, base_url=emu.url)
    results = _at_once(8, lambda: _whoami(session))
    assert all(isinstance(r, dict) and r["uid"] == emu.user.uid for r in results), results
    assert len([r for r in emu.requests if r.path == "/oauth/authorize"
                and r.method == "GET"]) == 1
    assert len([r for r in emu.requests if emu.is_api_path(r.path)]) == 8


def test_a_failed_first_login_raises_from_the_call_and_is_tried_again(
    ok_emulator: OkEmulator,
) -> None:
    emu = ok_emulator
    session = ok.ImplicitSession(emu.app.app_id, emu.app.app_key, emu.app.app_secret_key,
                                 emu.user.login, "Bad-Secret-77", base_url=emu.url)
    for attempt in (1, 2):
        with pytest.raises(ok.InvalidCredentialsError) as caught:
            _whoami(session)
        assert "Bad-Secret-77" not in str(caught.value)
        logins = [r for r in emu.requests if r.path == "/oauth/authorize" and r.method == "GET"]
        assert len(logins) == attempt
    assert not [r for r in emu.requests if emu.is_api_path(r.path)]


def test_explicit_authorize_and_with_still_work_and_login_once(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator
    session = ok.ImplicitSession(emu.app.app_id, emu.app.app_key, emu.app.app_secret_key,
                                 emu.user.login, emu.user.password, base_url=emu.url)
    with session.authorize() as same:
        _whoami(same)
        _whoami(same)
    assert len([r for r in emu.requests if r.path == "/oauth/authorize"
                and r.method == "GET"]) == 1


def test_aiookru_permissions_keyword_is_the_scope(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator
    session = ok.ImplicitClientSession(
        emu.app.app_id, emu.app.app_key, emu.user.login, emu.user.password,
        permissions="VALUABLE_ACCESS;PHOTO_CONTENT", base_url=emu.url,
    )
    assert session.scope == "VALUABLE_ACCESS;PHOTO_CONTENT"
    _whoami(session)
    assert session.permissions_granted == "VALUABLE_ACCESS;PHOTO_CONTENT"


def test_scope_and_permissions_together_is_a_configuration_error(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator
    with pytest.raises(ok.ConfigurationError, match="not both"):
        ok.ImplicitSession(emu.app.app_id, emu.app.app_key, emu.app.app_secret_key,
                           emu.user.login, emu.user.password, "VALUABLE_ACCESS",
                           permissions="PHOTO_CONTENT", base_url=emu.url)
