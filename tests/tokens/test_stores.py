"""Issue 13 (part): tokens that live across requests and processes: restore/export, stores,
failing and re-entrant callbacks. Multi-process tests run real processes against the emulator."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest

import mailru_sync as mr
import mailru_sync.ok as ok
from mailru_sync.stores import FileStore, MemoryStore, StoreError
from mailru_sync.testing import MailruEmulator, OkEmulator


def mailru(emu: MailruEmulator, **options: Any) -> mr.TokenSession:
    return mr.TokenSession(emu.app.app_id, emu.app.private_key, emu.app.secret_key,
                           emu.user.access_token, emu.user.uid, base_url=emu.url, **options)


def token_requests(emu: Any) -> int:
    return sum(1 for r in emu.requests if r.path.endswith("/oauth/token"))


def test_a_restored_session_signs_exactly_like_the_original(
    mailru_emulator: MailruEmulator, ok_emulator: OkEmulator
) -> None:
    emu = mailru_emulator
    old = mr.ImplicitServerSession(emu.app.app_id, emu.app.secret_key, emu.user.email,
                                   emu.user.password, base_url=emu.url).authorize()
    restored = mr.ImplicitServerSession(emu.app.app_id, emu.app.secret_key, emu.user.email,
                                        "not-used-anymore", base_url=emu.url, token=old.token)
    assert restored.is_authorized and restored.token == old.token
    assert restored.prepare_call("friends.get").url == old.prepare_call("friends.get").url
    assert isinstance(mr.API(restored).friends.get(), list)

    app, user = ok_emulator.app, ok_emulator.user
    oks = ok.ClientSession(app.app_id, app.app_key, user.access_token,
                           user.session_secret_key, base_url=ok_emulator.url)
    again = ok.ClientSession(app.app_id, app.app_key, "x" * 8, "y" * 8,
                             base_url=ok_emulator.url, token=oks.token)
    assert again.prepare_call("users.getCurrentUser").url == oks.prepare_call(
        "users.getCurrentUser").url


def test_a_stale_restored_token_refreshes_before_the_first_call(
    mailru_emulator: MailruEmulator,
) -> None:
    saved = mailru(mailru_emulator).token | {
        "refresh_token": mailru_emulator.user.refresh_token, "expires_in": 86400,
        "expires_at": time.time() - 3600,
    }
    mailru_emulator.expire_token(saved["access_token"])
    session = mailru(mailru_emulator, token=saved)
    assert session.call("users.getInfo")
    assert session.refresh_count == 1 and token_requests(mailru_emulator) == 1


def test_no_refresh_token_is_a_session_expired_error_saying_what_to_do(
    mailru_emulator: MailruEmulator,
) -> None:
    saved = mailru(mailru_emulator).token | {"expires_at": time.time() - 3600}
    mailru_emulator.expire_token(saved["access_token"])
    with pytest.raises(mr.SessionExpiredError, match="authorize again"):
        mailru(mailru_emulator, token=saved).call("users.getInfo")


def test_file_store_is_private_atomic_and_refuses_foreign_files(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "sub" / "token.json")
    assert store.load() is None
    store.save({"access_token": "a" * 32, "expires_at": 1.5})
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert store.load() == {"access_token": "a" * 32, "expires_at": 1.5}
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["token.json"]
    store.path.write_text("{not json")
    with pytest.raises(StoreError, match="not valid JSON"):
        store.load()
    store.path.write_text(json.dumps({"access_token": "x"}))
    with pytest.raises(StoreError, match="not a mailru_sync token"):
        store.load()
    with pytest.raises(mr.ConfigurationError):
        store.save({"no": "token"})


def test_a_store_is_loaded_at_construction_and_saved_after_refresh(
    mailru_emulator: MailruEmulator,
) -> None:
    emu = mailru_emulator
    store = MemoryStore({"access_token": emu.user.access_token,
                         "refresh_token": emu.user.refresh_token})
    session = mailru(emu, store=store)
    assert session.refresh_token == emu.user.refresh_token
    emu.expire_token(session.access_token)
    assert session.call("users.getInfo")
    stored = store.load()
    assert stored is not None and stored["access_token"] == session.access_token
    assert stored["access_token"] != emu.user.access_token


def test_a_failing_updater_loses_neither_the_token_nor_the_call(
    mailru_emulator: MailruEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(token: dict[str, Any]) -> None:
        raise OSError("database is down")

    session = mailru(mailru_emulator, token_updater=broken)
    session.refresh_token = mailru_emulator.user.refresh_token
    mailru_emulator.expire_token(session.access_token)
    caplog.set_level(logging.INFO, logger="mailru_sync")
    assert session.call("users.getInfo")
    assert session.refresh_count == 1 and isinstance(session.last_persist_error, OSError)
    assert any("saving the new token failed" in r.getMessage() for r in caplog.records)
    assert any("access token refreshed" in r.getMessage() for r in caplog.records)


def test_an_updater_calling_the_api_works_and_never_hangs(
    mailru_emulator: MailruEmulator,
) -> None:
    seen: list[Any] = []
    holder: dict[str, mr.TokenSession] = {}

    def updater(token: dict[str, Any]) -> None:
        seen.append(holder["s"].call("users.getInfo"))  # the new token is already in place
        mailru_emulator.expire_token(token["access_token"])
        holder["s"].call("users.getInfo")  # needs a refresh inside the refresh: refused

    session = holder["s"] = mailru(mailru_emulator, token_updater=updater, deadline=30.0)
    session.refresh_token = mailru_emulator.user.refresh_token
    mailru_emulator.expire_token(session.access_token)
    started = time.monotonic()
    with pytest.raises(mr.Error):
        session.call("users.getInfo")  # the token it just got was expired by the updater
    # Refused at once; waiting for its own refresh lock would last the whole 30 s deadline.
    assert time.monotonic() - started < 10.0
    assert seen and isinstance(session.last_persist_error, mr.ConfigurationError)


def _worker(url: str, app: tuple[str, str, str], uid: str, path: str, barrier: Any) -> bool:
    session = mr.TokenSession(app[0], app[1], app[2], "unused-at-first", uid,
                              base_url=url, store=FileStore(path))
    stale = session.access_token  # every process starts with the expired token...
    barrier.wait(60)  # ...and calls at the same moment
    return bool(session.call("users.getInfo")) and session.access_token != stale


def test_eight_processes_on_one_file_store_refresh_once(
    mailru_emulator: MailruEmulator, tmp_path: Path
) -> None:
    emu = mailru_emulator
    store = FileStore(tmp_path / "token.json")
    store.save({"access_token": emu.user.access_token, "refresh_token": emu.user.refresh_token,
                "x_mailru_vid": emu.user.uid})
    emu.expire_token(emu.user.access_token)
    app = (str(emu.app.app_id), emu.app.private_key, emu.app.secret_key)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(8) as pool:
        barrier = manager.Barrier(8)
        results = pool.starmap(
            _worker, [(emu.url, app, emu.user.uid, str(store.path), barrier)] * 8
        )
    assert results == [True] * 8
    assert token_requests(emu) == 1
    final = store.load()
    assert final is not None and final["access_token"] != emu.user.access_token
