"""Issue 19 point 9: the redactor forgets secrets no longer in use.

The rule tested here (documented in ``docs/security.rst``): a value set through a rotating
slot (the access token, the refresh token, a session secret key, a grant's answer) stays
redacted while it is the slot's current value or the one before it; values given to ``add``
(keys, passwords, proxy userinfo) stay for the session's life.
"""

from __future__ import annotations

import logging

import pytest

import mailru_sync as mr
import mailru_sync.ok as ok
from mailru_sync._redact import REDACTED, Redactor, Rotating
from mailru_sync.testing import MailruEmulator, OkEmulator

REFRESHES = 300


def _held(redactor: Redactor) -> int:
    return int(repr(redactor).split()[2])  # "<Redactor of N secrets>"


def test_a_mailru_session_refreshed_300_times_holds_a_bounded_set(
    mailru_emulator: MailruEmulator,
) -> None:
    e = mailru_emulator
    session = mr.RefreshSession(
        e.app.app_id, e.app.private_key, e.app.secret_key, e.user.refresh_token, base_url=e.url
    )
    with session:
        tokens = []
        for _ in range(REFRESHES):
            session.refresh()
            tokens.append(session.access_token)
        redactor = session._redact
        assert len(set(tokens)) == REFRESHES
        assert _held(redactor) <= 8  # keys, refresh token, this token and the one before
        line = " ".join([*tokens[-2:], session.refresh_token, e.app.secret_key])
        assert redactor(line) == " ".join([REDACTED] * 4)
        assert redactor(tokens[0]) == tokens[0]  # long replaced: forgotten


def test_an_ok_session_forgets_old_session_secret_keys(ok_emulator: OkEmulator) -> None:
    e = ok_emulator
    session = ok.ClientSession(
        e.app.app_id, e.app.app_key, e.user.access_token, e.user.session_secret_key,
        base_url=e.url,
    )
    with session:
        seen = []
        for n in range(50):
            session.session_secret_key = f"{n:02d}" + "5e" * 15
            seen.append(session.session_secret_key)
        redactor = session._redact
        assert _held(redactor) <= 6
        assert redactor(seen[-1]) == REDACTED and redactor(seen[-2]) == REDACTED
        assert redactor(seen[0]) == seen[0]


def test_the_previous_value_of_a_slot_is_still_redacted_right_after_a_change() -> None:
    redactor = Redactor()
    redactor.add(Rotating("old-token-1111", "access"))
    redactor.add(Rotating("new-token-2222", "access"))
    echoed = "invalid token old-token-1111, use new-token-2222"
    assert redactor(echoed) == f"invalid token {REDACTED}, use {REDACTED}"
    redactor.hold("access", "third-token-3333")
    assert "old-token-1111" in redactor(echoed)  # two changes later: released


def test_added_secrets_stay_and_a_value_known_twice_outlives_its_slot() -> None:
    redactor = Redactor(["a-password-9999"])
    redactor.hold("access", "a-password-9999")
    for n in range(5):
        redactor.hold("access", f"token-{n}-abcdef")
    assert redactor("a-password-9999") == REDACTED


def test_log_lines_stay_cheap_after_many_refreshes(
    mailru_emulator: MailruEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    e = mailru_emulator
    session = mr.RefreshSession(
        e.app.app_id, e.app.private_key, e.app.secret_key, e.user.refresh_token, base_url=e.url
    )
    with session, caplog.at_level(logging.DEBUG, logger="mailru_sync"):
        for _ in range(REFRESHES):
            session.refresh()
        session.call("users.getInfo")
        # What a log line is scanned for does not grow with the refreshes.
        assert len(session._redact._ordered) < 50
    assert session.access_token not in caplog.text
