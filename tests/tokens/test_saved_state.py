"""Sessions built from saved state need no placeholder token: ``token=``, then the store, then
the positional arguments, decided in one place."""

from __future__ import annotations

from pathlib import Path

import pytest

import mailru_sync as mr
import mailru_sync.ok as ok
from mailru_sync import ConfigurationError, SessionExpiredError
from mailru_sync.stores import FileStore, MemoryStore
from mailru_sync.testing import MailruEmulator, OkEmulator


def _mailru_saved(emu: MailruEmulator) -> dict[str, object]:
    live = mr.TokenSession(emu.app.app_id, emu.app.private_key, emu.app.secret_key,
                           emu.user.access_token, emu.user.uid, base_url=emu.url)
    return live.token


def test_mailru_server_session_from_a_store(
    mailru_emulator: MailruEmulator, tmp_path: Path
) -> None:
    emu = mailru_emulator
    store = FileStore(tmp_path / "token.json")
    store.save(_mailru_saved(emu))
    session = mr.ServerSession(emu.app.app_id, emu.app.secret_key, store=store, base_url=emu.url)
    assert session.circuit == "server"
    assert mr.API(session).users.getInfo()[0]["uid"] == emu.user.uid


def test_mailru_client_session_from_a_saved_token(mailru_emulator: MailruEmulator) -> None:
    emu = mailru_emulator
    session = mr.ClientSession(emu.app.app_id, emu.app.private_key,
                               token=_mailru_saved(emu), base_url=emu.url)
    assert session.circuit == "client" and session.uid == emu.user.uid  # uid from the token
    assert mr.API(session).users.getInfo()[0]["uid"] == emu.user.uid


def test_ok_server_session_from_a_store(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator
    store = MemoryStore({"access_token": emu.user.access_token})
    session = ok.ServerSession(emu.app.app_id, emu.app.app_key, emu.app.app_secret_key,
                               store=store, base_url=emu.url)
    assert ok.API(session).users.getCurrentUser()["uid"] == emu.user.uid


def test_ok_client_session_from_a_saved_token(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator
    saved = {"access_token": emu.user.access_token,
             "session_secret_key": emu.user.session_secret_key}
    session = ok.ClientSession(emu.app.app_id, emu.app.app_key, token=saved, base_url=emu.url)
    assert session.circuit == "client"
    assert ok.API(session).users.getCurrentUser()["uid"] == emu.user.uid


def test_an_empty_store_fails_the_first_call_before_any_request(
    mailru_emulator: MailruEmulator, ok_emulator: OkEmulator, tmp_path: Path
) -> None:
    store = FileStore(tmp_path / "nothing-yet.json")
    emu = mailru_emulator
    before = len(emu.requests)
    session = mr.ServerSession(emu.app.app_id, emu.app.secret_key, store=store, base_url=emu.url)
    with pytest.raises(SessionExpiredError) as raised:
        mr.API(session).users.getInfo()
    assert f"no token saved in {store!r}: authorize first" in str(raised.value)
    assert len(emu.requests) == before

    oks = ok.TokenSession(ok_emulator.app.app_id, ok_emulator.app.app_key,
                          ok_emulator.app.app_secret_key, store=MemoryStore(),
                          base_url=ok_emulator.url)
    with pytest.raises(SessionExpiredError, match="no token saved in <MemoryStore without"):
        oks.call("users.getCurrentUser")


def test_without_a_token_or_a_store_the_constructor_says_how_to_pass_one() -> None:
    with pytest.raises(ConfigurationError, match=r"pass one, or token= .* or store="):
        mr.ServerSession("123", "b" * 32)
    with pytest.raises(ConfigurationError, match="cannot choose a signature circuit"):
        ok.TokenSession("123", "KEY", "")


def test_token_wins_over_the_store_which_wins_over_the_positional_arguments(
    mailru_emulator: MailruEmulator,
) -> None:
    emu = mailru_emulator
    saved = _mailru_saved(emu)
    stored = MemoryStore(saved | {"access_token": "from-the-store-0001"})
    given = saved | {"access_token": "given-token-0001"}
    both = mr.ServerSession(emu.app.app_id, emu.app.secret_key, "positional-0001",
                            store=stored, token=given, base_url=emu.url)
    assert both.access_token == "given-token-0001"
    store_only = mr.ServerSession(emu.app.app_id, emu.app.secret_key, "positional-0001",
                                  store=stored, base_url=emu.url)
    assert store_only.access_token == "from-the-store-0001"
