"""pytest plugin: the ``mailru_emulator`` and ``ok_emulator`` fixtures.

Registered through the ``pytest11`` entry point, so it is loaded by every pytest run in an
environment where mailru_sync is installed: it imports nothing heavy at load time.  One server per
platform is started lazily, once per test session; every test gets it back in its seeded state
(``reset()``), on the same port.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mailru_sync.testing._mailru import MailruEmulator
    from mailru_sync.testing._ok import OkEmulator


@pytest.fixture(scope="session")
def _mailru_emulator_server() -> Iterator[MailruEmulator]:
    from mailru_sync.testing._mailru import MailruEmulator

    with MailruEmulator() as emulator:
        yield emulator


@pytest.fixture
def mailru_emulator(_mailru_emulator_server: MailruEmulator) -> MailruEmulator:
    """A running Mail.ru emulator in its seeded state (shared server, reset before each test)."""
    _mailru_emulator_server.reset()
    _mailru_emulator_server.drop_connections()  # pools are shared: start with none open
    return _mailru_emulator_server


@pytest.fixture(scope="session")
def _ok_emulator_server() -> Iterator[OkEmulator]:
    from mailru_sync.testing._ok import OkEmulator

    with OkEmulator() as emulator:
        yield emulator


@pytest.fixture
def ok_emulator(_ok_emulator_server: OkEmulator) -> OkEmulator:
    """A running OK.ru emulator in its seeded state (shared server, reset before each test)."""
    _ok_emulator_server.reset()
    _ok_emulator_server.drop_connections()
    return _ok_emulator_server
