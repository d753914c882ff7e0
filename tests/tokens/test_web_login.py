"""Issue 13 (part): the web login's first step needs no code, state is generated and checked."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

import mailru_sync as mr
import mailru_sync.ok as ok
from mailru_sync import AccessDeniedError, StateMismatchError
from mailru_sync.testing import MailruEmulator


def test_which_object_makes_the_authorization_url(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    # Mail.ru: the platform session with the app's keys; OK: OkSession likewise. No code yet.
    web = mr.MailruSession(emu.app.app_id, secret_key=emu.app.secret_key, base_url=emu.url)
    url = web.authorization_url(f"{emu.url}/oauth/success.html", "stream")
    query = parse_qs(urlsplit(url).query)
    assert query["state"] == [web.oauth_state] and len(web.oauth_state or "") >= 32
    other = mr.MailruSession(emu.app.app_id, secret_key=emu.app.secret_key)
    other.authorization_url()
    assert other.oauth_state != web.oauth_state
    okweb = ok.OkSession(512000, "CBAFOFNEBBABABABA", "AB" * 16)
    assert "state=" in okweb.authorization_url("https://site/cb")


def test_code_from_callback_checks_state_and_errors() -> None:
    web = mr.MailruSession(1, secret_key="5e" * 16)
    web.authorization_url("https://site/cb")
    state = web.oauth_state
    assert web.code_from_callback(f"https://site/cb?code=abc&state={state}") == "abc"
    assert web.code_from_callback(f"code=abc&state={state}") == "abc"
    with pytest.raises(StateMismatchError):
        web.code_from_callback("https://site/cb?code=abc&state=forged")
    with pytest.raises(StateMismatchError):
        web.code_from_callback("https://site/cb?code=abc")
    with pytest.raises(AccessDeniedError):
        web.code_from_callback(f"https://site/cb?error=access_denied&state={state}")
    with pytest.raises(mr.ConfigurationError, match="state"):
        mr.MailruSession(1, secret_key="5e" * 16).code_from_callback("code=abc")


def test_a_full_web_login_on_the_emulator(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    redirect = f"{emu.url}/oauth/success.html"
    first = mr.MailruSession(emu.app.app_id, secret_key=emu.app.secret_key, base_url=emu.url)
    url = first.authorization_url(redirect, "stream")
    state = first.oauth_state  # kept in the user's web session between the two requests
    code = emu.new_code(emu.user.uid, str(emu.app.app_id), redirect, ["stream"]).code
    callback = f"{redirect}?code={code}&state={state}"
    second = mr.MailruSession(emu.app.app_id, secret_key=emu.app.secret_key, base_url=emu.url)
    second.fetch_token_from_code(second.code_from_callback(callback, state), redirect)
    assert url and isinstance(mr.API(second).friends.get(), list)
