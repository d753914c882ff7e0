"""A refresh answered without a new refresh token (OK's way) keeps the old one in the store.

Found by the CLI run against the emulator process: after one refresh the token file had lost
its refresh token, so the next cron run could only ask for a new login.
"""

from __future__ import annotations

import mailru_sync.ok as ok
from mailru_sync import API
from mailru_sync.stores import MemoryStore
from mailru_sync.testing import OkEmulator


def _session(emu: OkEmulator, store: MemoryStore, **options: object) -> ok.ServerSession:
    app = emu.app
    return ok.ServerSession(
        app.app_id,
        app.app_key,
        app.app_secret_key,
        base_url=emu.url,
        store=store,
        **options,
    )


def test_ok_refresh_keeps_the_refresh_token_in_the_store(ok_emulator: OkEmulator) -> None:
    emu = ok_emulator
    store = MemoryStore(
        {"access_token": emu.user.access_token, "refresh_token": emu.user.refresh_token}
    )
    updates: list[dict[str, object]] = []
    today = _session(emu, store, token_updater=updates.append)
    emu.expire_token(today.access_token)
    assert API(today).users.getCurrentUser()["uid"] == emu.user.uid
    assert today.refresh_count == 1
    assert [u.get("refresh_token") for u in updates] == [emu.user.refresh_token]

    tomorrow = _session(emu, store)  # the next run, from what was stored
    assert tomorrow.refresh_token == emu.user.refresh_token
    emu.expire_token(tomorrow.access_token)
    assert API(tomorrow).users.getCurrentUser()["uid"] == emu.user.uid
    assert tomorrow.refresh_count == 1
