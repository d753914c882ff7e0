"""Local emulators of the Mail.ru Platform and OK.ru REST APIs, for tests and demos.

Names are imported lazily (PEP 562), so ``import mailru_sync.testing`` -- and with it the pytest
plugin, which pytest loads in every run -- costs nothing until an emulator is actually used.

The two hooks are written out here rather than taken from the client's ``mailru_sync._lazy``:
the emulator imports nothing of the client it is meant to check (tests/emulator/test_layout.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._mailru import MailruEmulator
    from ._messages import EmulatorRequest, EmulatorResponse, LoggedRequest
    from ._ok import OkEmulator

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
    "EmulatorRequest": "._messages",
    "EmulatorResponse": "._messages",
    "LoggedRequest": "._messages",
}



def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(target, __name__), name)
    globals()[name] = value  # later lookups are plain globals
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
