"""Sessions on the emulators' seeded primary users."""

from __future__ import annotations

import pytest

import mailru_sync
import mailru_sync.ok as ok
from mailru_sync.testing import MailruEmulator, OkEmulator


@pytest.fixture
def mailru(mailru_emulator: MailruEmulator) -> mailru_sync.ServerSession:
    emu = mailru_emulator
    return mailru_sync.ServerSession(
        emu.app.app_id, emu.app.secret_key, emu.user.access_token, base_url=emu.url
    )


@pytest.fixture
def okru(ok_emulator: OkEmulator) -> ok.ClientSession:
    emu = ok_emulator
    return ok.ClientSession(
        emu.app.app_id,
        emu.app.app_key,
        emu.user.access_token,
        emu.user.session_secret_key,
        base_url=emu.url,
    )
