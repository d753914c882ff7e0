"""``aiookru.utils`` under its upstream path: :class:`~mailru_sync.utils.SignatureCircuit`.

OK's circuits have the same two names as Mail.ru's (the session's ``circuit`` holds the value),
so the enum has one home, :mod:`mailru_sync.utils`, and this module re-exports it.
"""

from __future__ import annotations

from ..utils import SignatureCircuit

__all__ = ["SignatureCircuit"]
