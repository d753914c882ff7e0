"""OK.ru (Odnoklassniki) sessions and API, mirroring ``aiookru``.

``from mailru_sync.ok import TokenSession, ClientSession, ServerSession, API``.

The session classes load on first use, as in :mod:`mailru_sync` (PEP 562, same reason).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports
from ..exceptions import (
    AccessDeniedError,
    APIError,
    AppNotAvailableError,
    BlockedUserError,
    ConfigurationError,
    Error,
    InvalidClientError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidRefreshTokenError,
    OAuthError,
    PagingError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    SessionError,
    SessionExpiredError,
    SignatureError,
    UnexpectedPageError,
    UntrustedFormError,
)

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads these
    from ..api import API, APIMethod
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

#: Public name -> the module defining it, loaded by :func:`__getattr__` on first access.
_LAZY: dict[str, str] = {
    "API": "mailru_sync.api",
    "APIMethod": "mailru_sync.api",
    **dict.fromkeys(
        (
            "CodeServerSession",
            "CodeSession",
            "ImplicitClientSession",
            "ImplicitServerSession",
            "ImplicitSession",
            "PasswordClientSession",
            "PasswordSession",
            "RefreshServerSession",
            "RefreshSession",
        ),
        "mailru_sync.ok.grants",
    ),
    **dict.fromkeys(
        ("ClientSession", "OkSession", "ServerSession", "TokenSession"),
        "mailru_sync.ok.token_sessions",
    ),
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "API",
    "APIError",
    "APIMethod",
    "AccessDeniedError",
    "AppNotAvailableError",
    "BlockedUserError",
    "ClientSession",
    "CodeServerSession",
    "CodeSession",
    "ConfigurationError",
    "Error",
    "ImplicitClientSession",
    "ImplicitServerSession",
    "ImplicitSession",
    "InvalidClientError",
    "InvalidCodeError",
    "InvalidCredentialsError",
    "InvalidRefreshTokenError",
    "OAuthError",
    "OkSession",
    "PagingError",
    "PasswordClientSession",
    "PasswordSession",
    "PermissionDeniedError",
    "RateLimitError",
    "RefreshServerSession",
    "RefreshSession",
    "ServerSession",
    "ServiceUnavailableError",
    "SessionError",
    "SessionExpiredError",
    "SignatureError",
    "TokenSession",
    "UnexpectedPageError",
    "UntrustedFormError",
]
