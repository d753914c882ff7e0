"""``aiookru.sessions`` under its upstream path: every OK session class.

Each class keeps its home (:mod:`mailru_sync.ok.token_sessions` for the token sessions,
:mod:`mailru_sync.ok.grants` for the OAuth grant sessions); this module only re-exports them,
on first access (PEP 562), so ``from mailru_sync.ok.sessions import TokenSession`` loads no
grant or login machinery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .grants import (
        CodeServerSession,
        CodeSession,
        ImplicitClientSession,
        ImplicitServerSession,
        ImplicitSession,
        PasswordClientSession,
        PasswordSession,
        RefreshServerSession,
        RefreshSession,
    )
    from .token_sessions import ClientSession, OkSession, ServerSession, TokenSession

_TOKEN = ("ClientSession", "OkSession", "ServerSession", "TokenSession")
_GRANTS = (
    "CodeServerSession",
    "CodeSession",
    "ImplicitClientSession",
    "ImplicitServerSession",
    "ImplicitSession",
    "PasswordClientSession",
    "PasswordSession",
    "RefreshServerSession",
    "RefreshSession",
)

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        **dict.fromkeys(_TOKEN, "mailru_sync.ok.token_sessions"),
        **dict.fromkeys(_GRANTS, "mailru_sync.ok.grants"),
    },
)

__all__ = [
    "ClientSession",
    "CodeServerSession",
    "CodeSession",
    "ImplicitClientSession",
    "ImplicitServerSession",
    "ImplicitSession",
    "OkSession",
    "PasswordClientSession",
    "PasswordSession",
    "RefreshServerSession",
    "RefreshSession",
    "ServerSession",
    "TokenSession",
]
