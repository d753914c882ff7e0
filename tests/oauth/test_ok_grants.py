"""OK sessions against the emulator: every class, every failure mode."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import mailru_sync.ok as ok
from mailru_sync import HTTPStatusError, UnexpectedPageError, UntrustedFormError
from mailru_sync.testing import OkEmulator

from .conftest import OK_BUILDERS


def api_calls(emu: OkEmulator) -> list[Any]:
    return [r for r in emu.requests if r.path == "/fb.do"]


@pytest.mark.parametrize("name", sorted(OK_BUILDERS))
def test_every_session_class_authorizes_and_makes_a_signed_call(
    ok_emulator: OkEmulator, name: str
) -> None:
    emu = ok_emulator
    build, circuit = OK_BUILDERS[name]
    session = build(emu)  # Refresh builders run a code grant first, to get a refresh token
    before = emu.counters["requests"]
    assert type(session) is getattr(ok, name)
    with session as s:
        assert s is session
        assert s.is_authorized
        assert s.circuit == circuit
        me = ok.API(s).users.getCurrentUser()
        assert me["uid"] == emu.user.uid
    assert emu.counters["requests"] > before
    sent = api_calls(emu)[-1].params
    assert sent["sig"] and sent["application_key"] == emu.app.app_key
    assert not [r for r in emu.requests if r.path == "/blank.html"]


def test_construction_does_no_io(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator
    before = emu.counters["requests"]
    code = emu.issue_code()
    sessions = [
        ok.CodeSession(emu.app.app_id, emu.app.app_key, emu.app.app_secret_key, code,
                       base_url=emu.url),
        ok.ImplicitClientSession(emu.app.app_id, emu.app.app_key, "x", "y", base_url=emu.url),
        ok.PasswordClientSession(emu.app.app_id, emu.app.app_key, "x", "y", base_url=emu.url),
        ok.RefreshServerSession(emu.app.app_id, emu.app.app_key, emu.app.app_secret_key, "r",
                                base_url=emu.url),
    ]
    assert all(not s.is_authorized for s in sessions)
    assert emu.counters["requests"] == before


def test_implicit_keeps_what_the_platform_returned(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator
    session = ok.ImplicitClientSession(
        emu.app.app_id, emu.app.app_key, emu.user.login, emu.user.password,
        "VALUABLE_ACCESS;PHOTO_CONTENT", state="st-42", base_url=emu.url,
    )
    assert session.authorize() is session
    assert session.access_token and session.session_secret_key
    assert session.permissions_granted == "VALUABLE_ACCESS;PHOTO_CONTENT"
    assert session.state == "st-42"
    assert session.expires_in == int(emu.token_ttl)
    assert session.redirect_uri == f"{emu.url}/blank.html"
    login = [r for r in emu.requests if r.path == "/dk" and r.method == "POST"]
    assert login[0].params["fr.email"] == emu.user.login
    assert login[0].params["fr.posted"] == "set"  # hidden fields kept
    assert login[0].params["fr.remember"] == "on"
    assert "button_accept_request" in login[1].params
    assert login[1].params["fr.token"]


def test_implicit_accepts_phone_and_defaults_scope(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator
    with ok.ImplicitServerSession(
        emu.app.app_id, emu.app.app_key, emu.app.app_secret_key, emu.user.phone,
        emu.user.password, base_url=emu.url,
    ) as session:
        assert session.permissions_granted == "VALUABLE_ACCESS"
        assert ok.API(session).events.get() is not None


def test_code_session_keeps_refresh_token_and_refreshes(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator
    seen: list[dict[str, Any]] = []
    with ok.CodeSession(emu.app.app_id, emu.app.app_key, emu.app.app_secret_key,
                        emu.issue_code(), token_updater=seen.append,
                        base_url=emu.url) as session:
        first, refresh = session.access_token, session.refresh_token
        assert refresh and session.expires_in
        session.refresh()
        assert session.access_token != first
        assert session.refresh_token == refresh  # OK does not rotate it
        emu.expire_token(session.access_token)
        assert ok.API(session).users.getCurrentUser()["uid"] == emu.user.uid
        assert session.refresh_count == 2
    assert len(seen) == 3
    assert all(d["expires_at"] for d in seen)


@pytest.mark.parametrize("signed", [True, False])
def test_password_login_signed_with_app_secret_or_unsigned(
    ok_emulator: OkEmulator, signed: bool
) -> None:
    emu = ok_emulator
    seen: list[dict[str, Any]] = []
    if signed:
        session: ok.PasswordSession = ok.PasswordSession(
            emu.app.app_id, emu.app.app_key, emu.app.app_secret_key, emu.user.login,
            emu.user.password, base_url=emu.url, token_updater=seen.append,
        )
    else:
        session = ok.PasswordClientSession(
            emu.app.app_id, emu.app.app_key, emu.user.login, emu.user.password,
            base_url=emu.url, token_updater=seen.append,
        )
    with session:
        assert session.session_secret_key
        assert seen[0]["session_key"] == session.access_token
    login = [r for r in emu.requests if r.params.get("method") == "auth.login"]
    assert len(login) == 1
    assert login[0].method == "POST"  # the password never travels in a URL
    assert ("sig" in login[0].params) == signed


# --- failure modes -----------------------------------------------------------------------------


def implicit(emu: OkEmulator, **kwargs: Any) -> ok.ImplicitSession:
    args: dict[str, Any] = {
        "app_id": emu.app.app_id,
        "app_key": emu.app.app_key,
        "app_secret_key": emu.app.app_secret_key,
        "login": emu.user.login,
        "passwd": emu.user.password,
        "base_url": emu.url,
    }
    args.update(kwargs)
    return ok.ImplicitSession(**args)


def test_implicit_unknown_app(ok_emulator: OkEmulator) -> None:
    with pytest.raises(ok.InvalidClientError):
        implicit(ok_emulator, app_id=1).authorize()


def test_implicit_unregistered_redirect_uri(ok_emulator: OkEmulator) -> None:
    with pytest.raises(ok.InvalidClientError, match="redirect_uri"):
        implicit(ok_emulator, redirect_uri="http://example.org/cb").authorize()


def test_implicit_wrong_password(ok_emulator: OkEmulator) -> None:
    with pytest.raises(ok.InvalidCredentialsError) as caught:
        implicit(ok_emulator, passwd="Bad-Secret-77").authorize()
    assert "Bad-Secret-77" not in str(caught.value)


def test_implicit_blocked_user(ok_emulator: OkEmulator) -> None:
    user = ok_emulator.blocked_user
    with pytest.raises(ok.BlockedUserError):
        implicit(ok_emulator, login=user.login, passwd=user.password).authorize()


def test_implicit_app_in_test_mode(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator
    emu.set_app_test_mode(True)
    with pytest.raises(ok.AppNotAvailableError):
        implicit(emu).authorize()
    tester = emu.tester_user
    with implicit(emu, login=tester.login, passwd=tester.password) as session:
        assert session.is_authorized


def test_implicit_unknown_scope(ok_emulator: OkEmulator) -> None:
    with pytest.raises(ok.OAuthError, match="scope"):
        implicit(ok_emulator, scope="NO_SUCH_PERMISSION").authorize()


def test_implicit_unexpected_page(ok_emulator: OkEmulator) -> None:
    ok_emulator.fail_next(1, "html", scope="oauth")
    with pytest.raises(UnexpectedPageError) as caught:
        implicit(ok_emulator).authorize()
    assert not isinstance(caught.value, UntrustedFormError)
    assert caught.value.url and caught.value.snippet


def test_implicit_server_error(ok_emulator: OkEmulator) -> None:
    ok_emulator.fail_next(1, "502", scope="oauth")
    with pytest.raises(HTTPStatusError):
        implicit(ok_emulator).authorize()


def test_code_single_use_and_expiry(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator
    app = emu.app
    code = emu.issue_code()
    ok.CodeSession(app.app_id, app.app_key, app.app_secret_key, code, base_url=emu.url).authorize()
    with pytest.raises(ok.InvalidCodeError):
        ok.CodeSession(app.app_id, app.app_key, app.app_secret_key, code,
                       base_url=emu.url).authorize()
    stale = emu.issue_code()
    emu.advance_time(emu.code_ttl + 1)
    with pytest.raises(ok.InvalidCodeError, match="expired"):
        ok.CodeSession(app.app_id, app.app_key, app.app_secret_key, stale,
                       base_url=emu.url).authorize()


def test_code_with_wrong_secret(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator
    with pytest.raises(ok.InvalidClientError):
        ok.CodeServerSession(emu.app.app_id, emu.app.app_key, "WRONG", emu.issue_code(),
                             base_url=emu.url).authorize()


def test_invalid_refresh_token(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator
    with pytest.raises(ok.InvalidRefreshTokenError):
        ok.RefreshSession(emu.app.app_id, emu.app.app_key, emu.app.app_secret_key, "-r-nope",
                          base_url=emu.url).authorize()


def test_password_login_failures(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator

    def login(user: str, passwd: str, secret: str = "") -> ok.PasswordSession:
        return ok.PasswordSession(emu.app.app_id, emu.app.app_key, secret, user, passwd,
                                  base_url=emu.url)

    with pytest.raises(ok.InvalidCredentialsError) as caught:
        login(emu.user.login, "Wrong-Pass-5").authorize()
    assert "Wrong-Pass-5" not in str(caught.value)
    blocked = emu.blocked_user
    with pytest.raises(ok.BlockedUserError):
        login(blocked.login, blocked.password).authorize()
    with pytest.raises(ok.InvalidClientError):
        login(emu.user.login, emu.user.password, secret="NOT-THE-SECRET").authorize()
    emu.set_app_test_mode(True)
    with pytest.raises(ok.AppNotAvailableError):
        login(emu.user.login, emu.user.password).authorize()


def test_no_password_or_token_in_messages_logs_or_repr(
    ok_emulator: OkEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu = ok_emulator
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ok.InvalidCredentialsError):
        implicit(emu, passwd=emu.user.password + "!").authorize()
    with implicit(emu) as session:
        ok.API(session).users.getCurrentUser()
        secrets = (emu.user.password, session.access_token, session.session_secret_key,
                   emu.app.app_secret_key)
        texts = [repr(session), caplog.text]
    for text in texts:
        for secret in secrets:
            assert secret not in text
