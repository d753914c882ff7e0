"""mailru_sync: synchronous client for the Mail.ru Platform and OK.ru REST APIs.

The top level is the Mail.ru Platform (like ``aiomailru``); OK.ru lives in :mod:`mailru_sync.ok`
(like ``aiookru``). The emulator of both is :mod:`mailru_sync.testing`.

Why the classes load on first use (PEP 562): a cron job or a web worker that only calls the API
should not pay, at every start, for the OAuth grant sessions, token stores or paging tables it
never touches. ``from mailru_sync import TokenSession`` loads the session machinery and no more;
the exceptions load with the package, so ``except mailru_sync.APIError`` costs nothing extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from ._version import __version__
from .exceptions import (
    AccessDeniedError,
    APIError,
    AppNotAvailableError,
    BlockedUserError,
    ConfigurationError,
    ConnectionFailed,
    Error,
    HostNotFound,
    HTTPStatusError,
    InvalidApplicationError,
    InvalidClientError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidGrantError,
    InvalidParamError,
    InvalidRefreshTokenError,
    OAuthError,
    PagingError,
    ParameterError,
    PermissionDeniedError,
    ProxyAuthenticationError,
    RateLimitError,
    RequestTimeout,
    ResponseError,
    ResponseTooLarge,
    ServiceUnavailableError,
    SessionError,
    SessionExpiredError,
    SignatureError,
    StateMismatchError,
    TLSError,
    TransportError,
    UnexpectedPageError,
    UnknownMethodError,
    UntrustedFormError,
)

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads these
    from ._ratelimit import RateLimiter
    from ._retry import RetryPolicy
    from .api import API, APIMethod
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
    from .mailru.sessions import (
        PRIVILEGES,
        ClientSession,
        MailruSession,
        ServerSession,
        TokenSession,
        full_scope,
    )

#: Public name -> the module defining it, loaded by :func:`__getattr__` on first access.
_LAZY: dict[str, str] = {
    "RateLimiter": "._ratelimit",
    "RetryPolicy": "._retry",
    "API": ".api",
    "APIMethod": ".api",
    **dict.fromkeys(
        (
            "CodeClientSession",
            "CodeServerSession",
            "CodeSession",
            "ImplicitClientSession",
            "ImplicitServerSession",
            "ImplicitSession",
            "PasswordClientSession",
            "PasswordServerSession",
            "PasswordSession",
            "RefreshClientSession",
            "RefreshServerSession",
            "RefreshSession",
        ),
        ".mailru.grants",
    ),
    **dict.fromkeys(
        ("PRIVILEGES", "ClientSession", "MailruSession", "ServerSession", "TokenSession",
         "full_scope"),
        ".mailru.sessions",
    ),
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "API",
    "PRIVILEGES",
    "APIError",
    "APIMethod",
    "AccessDeniedError",
    "AppNotAvailableError",
    "BlockedUserError",
    "ClientSession",
    "CodeClientSession",
    "CodeServerSession",
    "CodeSession",
    "ConfigurationError",
    "ConnectionFailed",
    "Error",
    "HTTPStatusError",
    "HostNotFound",
    "ImplicitClientSession",
    "ImplicitServerSession",
    "ImplicitSession",
    "InvalidApplicationError",
    "InvalidClientError",
    "InvalidCodeError",
    "InvalidCredentialsError",
    "InvalidGrantError",
    "InvalidParamError",
    "InvalidRefreshTokenError",
    "MailruSession",
    "OAuthError",
    "PagingError",
    "ParameterError",
    "PasswordClientSession",
    "PasswordServerSession",
    "PasswordSession",
    "PermissionDeniedError",
    "ProxyAuthenticationError",
    "RateLimitError",
    "RateLimiter",
    "RefreshClientSession",
    "RefreshServerSession",
    "RefreshSession",
    "RequestTimeout",
    "ResponseError",
    "ResponseTooLarge",
    "RetryPolicy",
    "ServerSession",
    "ServiceUnavailableError",
    "SessionError",
    "SessionExpiredError",
    "SignatureError",
    "StateMismatchError",
    "TLSError",
    "TokenSession",
    "TransportError",
    "UnexpectedPageError",
    "UnknownMethodError",
    "UntrustedFormError",
    "__version__",
    "full_scope",
]
