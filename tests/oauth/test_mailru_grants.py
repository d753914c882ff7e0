"""Mail.ru OAuth sessions against the emulator: every class, every failure mode."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

import mailru_sync as mr
from mailru_sync.testing import MailruEmulator

from .conftest import MAILRU_BUILDERS
from .sites import Site, SiteRequest, redirect_reply


def api_calls(emu: MailruEmulator) -> list[Any]:
    return [r for r in emu.requests if r.path.startswith("/platform/api")]


# --- every class authorizes and signs ----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MAILRU_BUILDERS))
def test_every_session_class_authorizes_and_makes_a_signed_call(
    mailru_emulator: MailruEmulator, name: str
) -> None:
    emu = mailru_emulator
    build, circuit = MAILRU_BUILDERS[name]
    before = emu.counters["requests"]
    session = build(emu)
    assert type(session) is getattr(mr, name)
    assert emu.counters["requests"] == before, "construction must not do I/O"
    with session as s:
        assert s is session
        assert s.is_authorized
        assert s.circuit == circuit
        users = mr.API(s).users.getInfo()
        assert users[0]["uid"] == emu.user.uid
        assert s.uid == emu.user.uid or circuit == "server"
    sent = api_calls(emu)[-1].params
    assert sent["sig"]
    assert sent["app_id"] == str(emu.app.app_id)
    assert (sent.get("secure") == "1") == (circuit == "server")
    # The redirect URI is read from the Location header, never fetched.
    assert not [r for r in emu.requests if r.path == "/oauth/success.html"]


def test_grant_sessions_keep_what_the_platform_returned(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    session = mr.ImplicitSession(
        emu.app.app_id, emu.app.private_key, emu.app.secret_key, emu.user.email,
        emu.user.password, base_url=emu.url,
    )
    assert session.authorize() is session
    assert session.session_key == session.access_token != ""
    assert session.uid == emu.user.uid
    assert session.refresh_token
    assert session.expires_in == int(emu.token_ttl)
    assert session.expires_at is not None
    assert session.circuit == "client"


def test_authorize_is_idempotent_and_the_grant_runs_once(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    session = mr.CodeServerSession(emu.app.app_id, emu.app.secret_key, emu.issue_code(),
                                   base_url=emu.url)
    session.authorize()
    calls = emu.counters["requests"]
    token = session.access_token
    assert session.authorize() is session
    with session:  # entering again does not re-exchange the (single-use) code
        pass
    assert emu.counters["requests"] == calls
    assert session.access_token == token


def test_default_redirect_uri_follows_base_url(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    local = mr.CodeSession(emu.app.app_id, "", emu.app.secret_key, "abc", "", base_url=emu.url)
    assert local.redirect_uri == f"{emu.url}/oauth/success.html"
    real = mr.CodeSession(emu.app.app_id, "", emu.app.secret_key, "abc", None)
    assert real.redirect_uri == "https://connect.mail.ru/oauth/success.html"
    implicit = mr.ImplicitServerSession(emu.app.app_id, emu.app.secret_key, "a@mail.ru", "pw")
    assert implicit.scope == mr.full_scope()
    assert mr.ImplicitServerSession(1, "5e" * 16, "a@b.ru", "pw", "").scope == ""


@pytest.mark.parametrize(
    ("factory", "missing"),
    [
        (lambda: mr.CodeSession(1, "", "5e" * 16, "", None), "code"),
        (lambda: mr.ImplicitServerSession(1, "5e" * 16, "", "pw"), "email"),
        (lambda: mr.PasswordServerSession(1, "5e" * 16, "a@mail.ru", ""), "passwd"),
        (lambda: mr.RefreshServerSession(1, "5e" * 16, ""), "refresh_token"),
        (lambda: mr.CodeClientSession(1, "", "code", None), "private_key"),
        (lambda: mr.RefreshServerSession(1, "", "rt"), "secret_key"),
    ],
)
def test_missing_inputs_fail_at_construction(factory: Any, missing: str) -> None:
    with pytest.raises(mr.ConfigurationError, match=missing):
        factory()


# --- implicit flow details ---------------------------------------------------------------------


def test_implicit_login_fills_login_domain_password_and_agrees(
    mailru_emulator: MailruEmulator,
) -> None:
    emu = mailru_emulator
    user = emu.list_user  # an address on list.ru: Domain must come from the e-mail
    with mr.ImplicitServerSession(
        emu.app.app_id, emu.app.secret_key, user.email, user.password, base_url=emu.url
    ) as session:
        assert session.uid == user.uid
    login = [r for r in emu.requests if r.path == "/cgi-bin/auth"]
    assert len(login) == 1
    local, domain = user.email.split("@")
    assert login[0].params["Login"] == local
    assert login[0].params["Domain"] == domain
    assert login[0].params["Page"] and login[0].params["FailPage"]  # hidden fields kept
    consent = [r for r in emu.requests if r.path == "/oauth/authorize" and r.method == "POST"]
    assert len(consent) == 1
    assert consent[0].params["agree"] == "1"
    assert consent[0].params["sig"]


def test_second_login_reuses_the_cookie_and_the_consent(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    session = mr.ImplicitServerSession(
        emu.app.app_id, emu.app.secret_key, emu.user.email, emu.user.password, base_url=emu.url
    )
    first = session.login_implicit(emu.user.email, emu.user.password)
    emu.clear_log()
    second = session.login_implicit(emu.user.email, emu.user.password)
    assert second["access_token"] != first["access_token"]
    assert [f"{r.method} {r.path}" for r in emu.requests] == ["GET /oauth/authorize"]
    assert mr.API(session).users.isAppUser() == {"isAppUser": 1}


def test_implicit_state_is_sent_and_checked(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    session = mr.ImplicitServerSession(
        emu.app.app_id, emu.app.secret_key, emu.user.email, emu.user.password, base_url=emu.url
    )
    token = session.login_implicit(emu.user.email, emu.user.password, state="xyz-1")
    assert token["state"] == "xyz-1"


def test_tester_may_authorize_an_app_in_test_mode(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    emu.set_app_test_mode(True)
    user = emu.tester_user
    with mr.ImplicitServerSession(
        emu.app.app_id, emu.app.secret_key, user.email, user.password, base_url=emu.url
    ) as session:
        assert session.uid == user.uid


# --- failure modes -----------------------------------------------------------------------------


def implicit(emu: MailruEmulator, **kwargs: Any) -> mr.ImplicitSession:
    args: dict[str, Any] = {
        "app_id": emu.app.app_id,
        "private_key": emu.app.private_key,
        "secret_key": emu.app.secret_key,
        "email": emu.user.email,
        "passwd": emu.user.password,
        "base_url": emu.url,
    }
    args.update(kwargs)
    return mr.ImplicitSession(**args)


def test_implicit_unknown_app(mailru_emulator: MailruEmulator) -> None:
    with pytest.raises(mr.InvalidClientError, match="app_id=999"):
        implicit(mailru_emulator, app_id=999).authorize()


def test_implicit_unregistered_redirect_uri(mailru_emulator: MailruEmulator) -> None:
    session = implicit(mailru_emulator, redirect_uri="http://example.org/not/registered")
    with pytest.raises(mr.InvalidClientError, match="redirect_uri"):
        session.authorize()


def test_implicit_wrong_password(mailru_emulator: MailruEmulator) -> None:
    with pytest.raises(mr.InvalidCredentialsError) as caught:
        implicit(mailru_emulator, passwd="wrong-Password-1").authorize()
    assert "wrong-Password-1" not in str(caught.value)
    # The login shows masked: a shifted call may have put a password in that position.
    assert mailru_emulator.user.email not in str(caught.value)
    assert mailru_emulator.user.email[:4] + "…" in str(caught.value)


def test_implicit_unknown_user(mailru_emulator: MailruEmulator) -> None:
    with pytest.raises(mr.InvalidCredentialsError):
        implicit(mailru_emulator, email="nobody@bk.ru").authorize()


def test_implicit_app_in_test_mode(mailru_emulator: MailruEmulator) -> None:
    mailru_emulator.set_app_test_mode(True)
    with pytest.raises(mr.AppNotAvailableError, match="test mode"):
        implicit(mailru_emulator).authorize()


def test_implicit_blocked_user(mailru_emulator: MailruEmulator) -> None:
    user = mailru_emulator.blocked_user
    with pytest.raises(mr.BlockedUserError):
        implicit(mailru_emulator, email=user.email, passwd=user.password).authorize()


def test_implicit_unexpected_page_has_url_and_snippet(mailru_emulator: MailruEmulator) -> None:
    mailru_emulator.fail_next(1, "html", scope="oauth")
    with pytest.raises(mr.UnexpectedPageError) as caught:
        implicit(mailru_emulator).authorize()
    assert caught.value.url.startswith(f"{mailru_emulator.url}/oauth/authorize")
    assert "Что-то пошло не так" in caught.value.snippet
    assert not isinstance(caught.value, mr.UntrustedFormError)


def test_implicit_server_error_is_an_http_status_error(mailru_emulator: MailruEmulator) -> None:
    mailru_emulator.fail_next(1, "503", scope="oauth")
    with pytest.raises(mr.HTTPStatusError) as caught:
        implicit(mailru_emulator).authorize()
    assert caught.value.status == 503


def test_implicit_access_denied(mailru_emulator: MailruEmulator) -> None:
    """The user declined: the platform redirects with ?error=access_denied (deny link)."""
    emu = mailru_emulator

    def deny(request: SiteRequest) -> Any:
        return redirect_reply(f"{request.query['redirect_uri']}?error=access_denied")

    with Site({"/oauth/authorize": deny}, upstream=emu.url) as site:
        session = implicit(emu, base_url=site.url)
        with pytest.raises(mr.AccessDeniedError):
            session.authorize()


def test_code_reused_is_rejected(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    code = emu.issue_code()
    with mr.CodeServerSession(emu.app.app_id, emu.app.secret_key, code, base_url=emu.url):
        pass
    with pytest.raises(mr.InvalidCodeError, match="single-use"):
        mr.CodeServerSession(emu.app.app_id, emu.app.secret_key, code,
                             base_url=emu.url).authorize()


def test_code_expired(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    code = emu.issue_code()
    emu.advance_time(emu.code_ttl + 1)
    with pytest.raises(mr.InvalidCodeError, match="expired"):
        mr.CodeServerSession(emu.app.app_id, emu.app.secret_key, code,
                             base_url=emu.url).authorize()


def test_code_for_another_redirect_uri(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    code = emu.issue_code("http://localhost:5000/callback")
    with pytest.raises(mr.InvalidCodeError):
        mr.CodeServerSession(emu.app.app_id, emu.app.secret_key, code,
                             base_url=emu.url).authorize()


def test_code_with_wrong_client_secret(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    with pytest.raises(mr.InvalidClientError):
        mr.CodeServerSession(emu.app.app_id, "0" * 32, emu.issue_code(),
                             base_url=emu.url).authorize()


def test_password_grant_failures(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    app = emu.app

    def password(email: str, passwd: str) -> mr.PasswordServerSession:
        return mr.PasswordServerSession(app.app_id, app.secret_key, email, passwd,
                                        base_url=emu.url)

    with pytest.raises(mr.InvalidCredentialsError) as caught:
        password(emu.user.email, "not-the-Password").authorize()
    assert "not-the-Password" not in str(caught.value)
    with pytest.raises(mr.BlockedUserError):
        password(emu.blocked_user.email, emu.blocked_user.password).authorize()
    emu.set_app_test_mode(True)
    with pytest.raises(mr.AppNotAvailableError):
        password(emu.user.email, emu.user.password).authorize()


def test_invalid_refresh_token(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    with pytest.raises(mr.InvalidRefreshTokenError):
        mr.RefreshServerSession(emu.app.app_id, emu.app.secret_key, "f" * 32,
                                base_url=emu.url).authorize()


# --- refresh, token_updater, the missing uid ---------------------------------------------------


def test_refresh_and_automatic_refresh_on_expiry(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    seen: list[dict[str, Any]] = []
    with implicit(emu, token_updater=seen.append) as session:
        first = session.access_token
        assert len(seen) == 1
        assert seen[0]["access_token"] == first
        assert seen[0]["x_mailru_vid"] == emu.user.uid
        assert seen[0]["expires_at"] == session.expires_at
        session.refresh()
        assert session.access_token != first
        assert len(seen) == 2
        emu.expire_token(session.access_token)
        assert mr.API(session).users.isAppUser() == {"isAppUser": 1}
        assert session.refresh_count == 2
        assert len(seen) == 3


@pytest.mark.parametrize("name", ["CodeSession", "PasswordSession", "RefreshSession"])
def test_token_updater_receives_every_grant(mailru_emulator: MailruEmulator, name: str) -> None:
    emu = mailru_emulator
    seen: list[dict[str, Any]] = []
    app, user = emu.app, emu.user
    cls = getattr(mr, name)
    third = {
        "CodeSession": (emu.issue_code(), emu.redirect_uri),
        "PasswordSession": (user.email, user.password),
        "RefreshSession": (user.refresh_token,),
    }[name]
    with cls(app.app_id, app.private_key, app.secret_key, *third, base_url=emu.url,
             token_updater=seen.append) as session:
        assert [d["access_token"] for d in seen] == [session.access_token]
        assert seen[0]["refresh_token"] == session.refresh_token


def _strip_uid(request: SiteRequest, status: int, headers: Any, body: bytes) -> bytes:
    if request.path != "/oauth/token" or status != 200:
        return body
    token = json.loads(body)
    token.pop("x_mailru_vid", None)
    return json.dumps(token).encode()


def test_token_without_x_mailru_vid_still_works_server_server(
    mailru_emulator: MailruEmulator,
) -> None:
    emu = mailru_emulator
    app, user = emu.app, emu.user
    with Site(upstream=emu.url, rewrite=_strip_uid) as proxy:
        with mr.PasswordSession(app.app_id, app.private_key, app.secret_key, user.email,
                                user.password, base_url=proxy.url) as session:
            assert session.uid == ""
            assert session.circuit == "server"
            assert mr.API(session).users.isAppUser() == {"isAppUser": 1}
        callback = "http://localhost:5000/callback"
        code = emu.issue_code(callback)
        with mr.CodeSession(app.app_id, app.private_key, app.secret_key, code, callback,
                            base_url=proxy.url) as session:
            assert session.circuit == "server"
            assert mr.API(session).users.getInfo()[0]["uid"] == user.uid
        # A client-server session cannot sign without the uid and says so.
        client = mr.PasswordClientSession(app.app_id, app.private_key, user.email,
                                          user.password, base_url=proxy.url)
        with pytest.raises(mr.ConfigurationError, match="uid"):
            client.authorize()


# --- secrets stay secret -----------------------------------------------------------------------


def test_no_password_or_token_in_messages_logs_or_repr(
    mailru_emulator: MailruEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu = mailru_emulator
    caplog.set_level(logging.DEBUG)
    password = emu.user.password
    with pytest.raises(mr.InvalidCredentialsError) as caught:
        implicit(emu, passwd=password + "x").authorize()
    assert password not in str(caught.value)
    with implicit(emu) as session:
        token, refresh = session.access_token, session.refresh_token
        mr.API(session).users.getInfo()
        texts = [repr(session), str(session), caplog.text]
    for text in texts:
        for secret in (password, token, refresh, emu.app.secret_key, emu.app.private_key):
            assert secret not in text


def test_implicit_fragment_without_x_mailru_vid_signs_server_server(
    mailru_emulator: MailruEmulator,
) -> None:
    """The dialogs answer with a token but no uid: the session falls back to server-server."""
    emu = mailru_emulator

    def grant(request: SiteRequest) -> Any:
        fragment = f"access_token={emu.user.access_token}&expires_in=3600&token_type=bearer"
        return redirect_reply(f"{request.query['redirect_uri']}#{fragment}")

    with Site({"/oauth/authorize": grant}, upstream=emu.url) as site:
        with implicit(emu, base_url=site.url) as session:
            assert session.uid == ""
            assert session.circuit == "server"
            assert mr.API(session).users.getInfo()[0]["uid"] == emu.user.uid
        assert site.paths()[0] == "GET /oauth/authorize"
        assert "GET /oauth/success.html" not in site.paths()
