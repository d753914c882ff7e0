"""Local emulators of the Mail.ru Platform and OK.ru REST APIs, for tests and demos.

Names are imported lazily (PEP 562), so ``import mailru_sync.testing`` -- and with it the pytest
plugin, which pytest loads in every run -- costs nothing until an emulator is actually used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
