"""mailru_sync: synchronous client for the Mail.ru Platform and OK.ru REST APIs.

The top level is the Mail.ru Platform (like ``aiomailru``); OK.ru lives in :mod:`mailru_sync.ok`
(like ``aiookru``). The emulator of both is :mod:`mailru_sync.testing`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import API, APIMethod
from .exceptions import (
    AccessDeniedError,
    APIError,
    AppNotAvailableError,
    BlockedUserError,
    ConfigurationError,
    ConnectionFailed,
    Error,
    HTTPStatusError,
    InvalidApplicationError,
    InvalidClientError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidGrantError,
    InvalidParamError,
    InvalidRefreshTokenError,
    OAuthError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeout,
    ResponseError,
    ServiceUnavailableError,
    SessionError,
    SessionExpiredError,
    SignatureError,
    TransportError,
    UnexpectedPageError,
    UnknownMethodError,
    UntrustedFormError,
)
from .mailru.sessions import (
    PRIVILEGES,
    ClientSession,
    MailruSession,
    ServerSession,
    TokenSession,
    full_scope,
)

__all__ = [
    "API",
    "PRIVILEGES",
    "APIError",
    "APIMethod",
    "AccessDeniedError",
    "AppNotAvailableError",
    "BlockedUserError",
    "ClientSession",
    "ConfigurationError",
    "ConnectionFailed",
    "Error",
    "HTTPStatusError",
    "InvalidApplicationError",
    "InvalidClientError",
    "InvalidCodeError",
    "InvalidCredentialsError",
    "InvalidGrantError",
    "InvalidParamError",
    "InvalidRefreshTokenError",
    "MailruSession",
    "OAuthError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeout",
    "ResponseError",
    "ServerSession",
    "ServiceUnavailableError",
    "SessionError",
    "SessionExpiredError",
    "SignatureError",
    "TokenSession",
    "TransportError",
    "UnexpectedPageError",
    "UnknownMethodError",
    "UntrustedFormError",
    "__version__",
    "full_scope",
]
