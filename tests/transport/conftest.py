"""Sessions wired to the emulators, with retry sleeps recorded instead of slept."""

from __future__ import annotations

from typing import Any

import pytest

import mailru_sync
import mailru_sync.ok as ok
from mailru_sync import RetryPolicy
from mailru_sync.testing import MailruEmulator, OkEmulator


class Sleeps(list[float]):
    """Records the waits a policy asked for (tests never sleep for real)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def fast_retries(sleeps: Sleeps) -> RetryPolicy:
    return RetryPolicy(total=3, backoff_factor=0.5, backoff_jitter=0.0, sleep=sleeps)


def mailru_session(emu: MailruEmulator, **options: Any) -> mailru_sync.TokenSession:
    return mailru_sync.TokenSession(
        emu.app.app_id, emu.app.private_key, emu.app.secret_key, emu.user.access_token,
        emu.user.uid, base_url=emu.url, **options,
    )


def ok_session(emu: OkEmulator, **options: Any) -> ok.TokenSession:
    return ok.TokenSession(
        emu.app.app_id, emu.app.app_key, "", emu.user.access_token,
        emu.user.session_secret_key, base_url=emu.url, **options,
    )
