"""Local emulators of the Mail.ru Platform and OK.ru REST APIs, for tests and demos.

Names are imported lazily (PEP 562), so ``import mailru_sync.testing`` -- and with it the pytest
plugin, which pytest loads in every run -- costs nothing until an emulator is actually used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from ._mailru import MailruEmulator
    from ._ok import OkEmulator
    from ._server import EmulatorRequest, EmulatorResponse, LoggedRequest

__all__ = [
    "EmulatorRequest",
    "EmulatorResponse",
    "LoggedRequest",
    "MailruEmulator",
    "OkEmulator",
]

_LAZY: dict[str, str] = {
    "MailruEmulator": "._mailru",
    "OkEmulator": "._ok",
    "EmulatorRequest": "._server",
    "EmulatorResponse": "._server",
    "LoggedRequest": "._server",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
