"""``aiomailru.utils`` under its upstream path: ``full_scope``, ``SignatureCircuit``, ``parseaddr``.

Why a module of its own: aiomailru's users import these from ``aiomailru.utils``; migrating
should be a rename of the package, not a hunt for where each helper lives here. ``full_scope``
and ``PRIVILEGES`` keep their home in :mod:`mailru_sync.mailru.sessions` and load on first
access (PEP 562), so ``from mailru_sync.utils import parseaddr`` loads no session machinery;
``parseaddr`` lives in :mod:`mailru_sync.mailru.address`.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from .mailru.address import parseaddr

if TYPE_CHECKING:
    from .mailru.sessions import PRIVILEGES, full_scope

__all__ = ["PRIVILEGES", "SignatureCircuit", "full_scope", "parseaddr"]


class SignatureCircuit(str, enum.Enum):
    """The two ways a request is signed, as aiomailru and aiookru name them.

    The values are what ``session.circuit`` holds (``"client"``, ``"server"``), so
    ``session.circuit == SignatureCircuit.CLIENT_SERVER`` reads as it does upstream; a session
    that cannot sign yet has ``circuit is None`` (upstream's ``UNDEFINED``).
    """

    #: Client-server: Mail.ru signs with ``uid`` + params + ``private_key``; OK with the
    #: ``session_secret_key``.
    CLIENT_SERVER = "client"
    #: Server-server: Mail.ru signs with params (``secure=1``) + ``secret_key``; OK with
    #: ``md5(access_token + app_secret_key)``.
    SERVER_SERVER = "server"


__getattr__, __dir__ = lazy_exports(
    __name__, dict.fromkeys(("PRIVILEGES", "full_scope"), "mailru_sync.mailru.sessions")
)
