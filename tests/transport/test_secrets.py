"""A scan of every captured log line, exception text and repr finds no secrets."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import mailru_sync
import mailru_sync.ok as ok
from mailru_sync import API, Error
from mailru_sync.testing import MailruEmulator, OkEmulator
from tests.adapters import Canned, CannedAdapter
from tests.transport.conftest import mailru_session, ok_session


def _texts_of(exc: BaseException) -> list[str]:
    texts = [str(exc), repr(exc), *(str(a) for a in exc.args)]
    texts += [str(v) for v in vars(exc).values() if not isinstance(v, (dict, list))]
    return texts


def test_no_secret_in_logs_messages_or_reprs(
    mailru_emulator: MailruEmulator, ok_emulator: OkEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, urllib3 included
    texts: list[str] = []
    sessions: list[Any] = []

    def attempt(fn: Any) -> None:
        try:
            fn()
        except Error as exc:
            texts.extend(_texts_of(exc))

    # Mail.ru: calls in both circuits, an expiry with refresh, bad keys, OAuth failures.
    mr = mailru_session(mailru_emulator)
    mr.refresh_token = mailru_emulator.user.refresh_token
    sessions.append(mr)
    API(mr).users.getInfo()
    API(mr).stream.post(text="secret-free post")
    mailru_emulator.expire_token(mr.access_token)
    API(mr).friends.get()
    server = mailru_sync.ServerSession(mailru_emulator.app.app_id, mailru_emulator.app.secret_key,
                                       mr.access_token, base_url=mailru_emulator.url)
    sessions.append(server)
    API(server).friends.get()
    wrong = mailru_sync.ServerSession(mailru_emulator.app.app_id, "f" * 32, mr.access_token,
                                      base_url=mailru_emulator.url)
    attempt(lambda: API(wrong).friends.get())
    attempt(lambda: mr.fetch_token_from_password(mailru_emulator.user.email, "wrong-Passw0rd!"))
    attempt(lambda: mr.fetch_token_from_code("0123456789abcdef0123456789abcdef"))
    attempt(lambda: mr.refresh_access_token("ffffffffffffffffffffffffffffffff"))
    mailru_emulator.fail_next(1, kind="html")
    attempt(lambda: mailru_session(mailru_emulator, max_retries=0).call("users.getInfo"))

    # OK: both circuits, refresh, flood, bad signature.
    okc = ok_session(ok_emulator)
    sessions.append(okc)
    API(okc).users.getCurrentUser()
    oks = ok.ServerSession(ok_emulator.app.app_id, ok_emulator.app.app_key,
                           ok_emulator.app.app_secret_key, ok_emulator.user.access_token,
                           base_url=ok_emulator.url)
    oks.refresh_token = ok_emulator.user.refresh_token
    sessions.append(oks)
    ok_emulator.expire_token(oks.access_token)
    API(oks).users.getCurrentUser()
    ok_emulator.flood_next(1)
    attempt(lambda: API(oks).users.getCurrentUser())
    bad = ok.ClientSession(ok_emulator.app.app_id, ok_emulator.app.app_key,
                           ok_emulator.user.access_token, "0" * 32, base_url=ok_emulator.url)
    attempt(lambda: API(bad).users.getCurrentUser())

    # A garbage body that echoes the token back must not carry it into the message.
    echo = mailru_sync.TokenSession(1, "0a" * 16, "", "echoed-token-" + "x" * 20, "7")
    echo.mount("https://", CannedAdapter([Canned(body=f"<html>{echo.access_token}</html>")]))
    attempt(lambda: echo.call("users.getInfo"))

    for session in sessions:
        texts += [repr(session), str(session), repr(API(session)), repr(API(session).a.b)]
    texts += [record.getMessage() for record in caplog.records]
    assert len(caplog.records) > 20  # DEBUG lines were really produced

    secrets = {
        mailru_emulator.app.private_key, mailru_emulator.app.secret_key,
        mailru_emulator.user.password, mailru_emulator.user.access_token,
        mailru_emulator.user.refresh_token, mr.access_token, ok_emulator.app.app_secret_key,
        ok_emulator.user.session_secret_key, ok_emulator.user.access_token,
        ok_emulator.user.refresh_token, oks.access_token, "wrong-Passw0rd!",
        "0123456789abcdef0123456789abcdef", "ffffffffffffffffffffffffffffffff",
        "f" * 32, "0" * 32, "echoed-token-" + "x" * 20, "0a" * 16,
    }
    leaks = [(secret, text) for text in texts for secret in secrets if secret in text]
    assert leaks == []


def test_debug_log_shows_method_redacted_params_status_and_time(
    mailru_emulator: MailruEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mailru_sync")
    session = mailru_session(mailru_emulator)
    session.call("users.getInfo", {"uids": mailru_emulator.user.uid})
    (line,) = [r.getMessage() for r in caplog.records if r.name == "mailru_sync"]
    assert line.startswith("GET users.getInfo {")
    assert "'session_key': 'be6e…'" in line and "'sig': '" in line
    assert "-> HTTP 200 in " in line and line.endswith(" ms")
