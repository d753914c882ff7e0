"""``aiomailru.sessions`` under its upstream path: every Mail.ru session class.

Each class keeps its home (:mod:`mailru_sync.mailru.sessions` for the token sessions,
:mod:`mailru_sync.mailru.grants` for the OAuth grant sessions); this module only re-exports
them, on first access (PEP 562), so ``from mailru_sync.sessions import TokenSession`` loads no
grant or login machinery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

if TYPE_CHECKING:
    from .mailru.grants import (
        CodeClientSession,
        CodeServerSession,
        CodeSession,
        ImplicitClientSession,
        ImplicitServerSession,
        ImplicitSession,
        PasswordClientSession,
        PasswordServerSession,
        PasswordSession,
        RefreshClientSession,
        RefreshServerSession,
        RefreshSession,
    )
    from .mailru.sessions import ClientSession, MailruSession, ServerSession, TokenSession

_TOKEN = ("ClientSession", "MailruSession", "ServerSession", "TokenSession")
_GRANTS = tuple(
    f"{grant}{circuit}Session"
    for grant in ("Code", "Implicit", "Password", "Refresh")
    for circuit in ("", "Client", "Server")
)

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        **dict.fromkeys(_TOKEN, "mailru_sync.mailru.sessions"),
        **dict.fromkeys(_GRANTS, "mailru_sync.mailru.grants"),
    },
)

__all__ = [
    "ClientSession",
    "CodeClientSession",
    "CodeServerSession",
    "CodeSession",
    "ImplicitClientSession",
    "ImplicitServerSession",
    "ImplicitSession",
    "MailruSession",
    "PasswordClientSession",
    "PasswordServerSession",
    "PasswordSession",
    "RefreshClientSession",
    "RefreshServerSession",
    "RefreshSession",
    "ServerSession",
    "TokenSession",
]
