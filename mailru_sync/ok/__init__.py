"""OK.ru (Odnoklassniki) sessions and API, mirroring ``aiookru``.

``from mailru_sync.ok import TokenSession, ClientSession, ServerSession, API``.
"""

from __future__ import annotations

from ..api import API, APIMethod
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
from .sessions import ClientSession, OkSession, ServerSession, TokenSession

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
