"""The exception tree shared by both platforms.

One root, :class:`Error`, so ``except mailru_sync.Error`` catches everything this library raises
on purpose. Below it, four families: bad configuration (also a ``ValueError``), transport
failures (no usable HTTP response), malformed responses, platform API errors and OAuth errors.
Messages say what happened and what to do; they never contain keys, passwords or whole tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIError",
    "AccessDeniedError",
    "AppNotAvailableError",
    "BlockedUserError",
    "ConfigurationError",
    "ConnectionFailed",
    "Error",
    "HTTPStatusError",
    "HostNotFound",
    "InvalidApplicationError",
    "InvalidClientError",
    "InvalidCodeError",
    "InvalidCredentialsError",
    "InvalidGrantError",
    "InvalidParamError",
    "InvalidRefreshTokenError",
    "OAuthError",
    "PagingError",
    "ParameterError",
    "PermissionDeniedError",
    "ProxyAuthenticationError",
    "RateLimitError",
    "RequestTimeout",
    "ResponseError",
    "ResponseTooLarge",
    "ServiceUnavailableError",
    "SessionError",
    "SessionExpiredError",
    "SignatureError",
    "StateMismatchError",
    "TLSError",
    "TransportError",
    "UnexpectedPageError",
    "UnknownMethodError",
    "UntrustedFormError",
]


def _rebuild(cls: type[Error], args: tuple[Any, ...], state: dict[str, Any]) -> Error:
    """Unpickle without calling ``__init__`` (whose signature differs per class)."""
    error = cls.__new__(cls, *args)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class Error(Exception):
    """Root of every exception raised by mailru_sync, for both Mail.ru and OK.

    When raised out of a call, ``attempts`` (HTTP exchanges made) and ``elapsed`` (seconds the
    whole call took) tell how much of the session's ``deadline`` it spent; out of a batch,
    ``partial_results`` holds what the requests before the failing one returned.
    """

    attempts: int = 0
    elapsed: float = 0.0
    #: Raised out of a multi-request batch (``api.batch``): the results of the requests that
    #: succeeded before the failing one, in order (their writes happened); else None.
    partial_results: list[Any] | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Why: the default (cls, args) calls __init__ with the message only, which fails for
        # APIError(code, msg) and hangs a multiprocessing pool's result handler. Attributes
        # travel as state; they were already scrubbed of secrets when the error left a call.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class ConfigurationError(Error, ValueError, TypeError):
    """A session was built with missing, malformed or inconsistent keys or options.

    Also a ``ValueError`` and a ``TypeError``, so code written against the built-in exceptions
    (``except ValueError``) keeps working.
    """


class ParameterError(Error, ValueError, TypeError):
    """An API call's parameter cannot be sent: unsupported type, non-finite number, bad name.

    The message names the parameter. Also a ``ValueError`` and a ``TypeError``.
    """


class ProxyAuthenticationError(ConfigurationError):
    """The proxy in the path answered ``407 Proxy Authentication Required``. Not retried.

    Nothing reached the platform. Give the proxy's credentials in its URL
    (``session.proxies = {"https": "http://user:password@proxy:3128"}``, or ``HTTPS_PROXY`` in
    the environment); the password is redacted from messages and logs like any secret.
    """

    status = 407

    def __init__(self, message: str, *, method: str = "") -> None:
        super().__init__(message)
        self.method = method


# --- transport -------------------------------------------------------------------------------


class TransportError(Error):
    """No usable HTTP response: the connection failed, was reset, or timed out.

    ``may_have_reached`` tells whether the request may have been processed by the server
    (a write in that state is never resent automatically).
    """

    def __init__(self, message: str, *, method: str = "", may_have_reached: bool = True) -> None:
        super().__init__(message)
        self.method = method
        self.may_have_reached = may_have_reached


class ConnectionFailed(TransportError):
    """Could not connect, or the connection broke before a response arrived."""


class RequestTimeout(TransportError):
    """A timeout expired: connect, read (``timeout``) or the whole call's ``deadline``."""


class HostNotFound(ConnectionFailed):
    """The host name did not resolve (DNS). Not retried: a typo does not heal in seconds."""


class TLSError(TransportError):
    """The TLS handshake failed, e.g. the certificate did not verify. Not retried.

    For a server with a private CA, pass its bundle: ``session.verify = '/path/to/ca.pem'``.
    """


# --- responses --------------------------------------------------------------------------------


class ResponseError(Error):
    """The server answered, but not with the JSON the platform sends (HTML, empty, truncated...)."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        status: int | None = None,
        content_type: str = "",
        snippet: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.status = status
        self.content_type = content_type
        self.snippet = snippet
        self.retry_after = retry_after


class HTTPStatusError(ResponseError):
    """An HTTP error status (4xx/5xx) without a platform error body, or a redirect (3xx).

    The platform APIs and token endpoints never redirect, so a 3xx is not followed: following
    it would resend the signed request (token and signature) to wherever ``Location`` points.
    """


class ResponseTooLarge(ResponseError):
    """The body grew past the session's ``max_body_size`` and was abandoned. Not retried."""


class PagingError(ResponseError):
    """A paged listing stopped advancing: the platform sent the same cursor (or the same page)
    again. Raised instead of looping forever; ``method`` names the listing."""


# --- platform API errors ----------------------------------------------------------------------


class APIError(Error):
    """The platform returned an error object.

    ``code``, ``msg`` and ``data`` come from the body (Mail.ru ``{"error": {...}}``, OK top-level
    ``error_code``/``error_msg``/``error_data``); ``error`` is the raw error dict, unchanged;
    ``method`` is the API method called.
    """

    def __init__(
        self,
        code: int,
        msg: str,
        *,
        method: str = "",
        data: Any = None,
        error: Mapping[str, Any] | None = None,
        platform: str = "",
    ) -> None:
        self.code = code
        self.msg = msg
        self.method = method
        self.data = data
        self.error: dict[str, Any] = dict(error or {})
        self.platform = platform
        where = f"{method}: " if method else ""
        super().__init__(f"{where}error {code}: {msg}{self._hint()}")

    def _hint(self) -> str:
        return ""


class SignatureError(APIError):
    """Error 104: the signature did not verify. Check the keys the circuit signs with.

    Mail.ru signs with the ``private_key`` (client-server) or the ``secret_key``
    (server-server); OK with the ``session_secret_key`` (client-server) or the
    ``app_secret_key`` with the access token (server-server). The hint names the platform's.
    """

    def _hint(self) -> str:
        if self.platform == "ok":
            return (" (check app_key and the app secret key (server-server) or the session "
                    "secret key (client-server) the session was built with)")
        return (" (check app_id and the private key (client-server) or secret key "
                "(server-server) the session was built with)")


class InvalidApplicationError(APIError):
    """Mail.ru 103 / OK 101: the application id or key is not known to the platform."""


class SessionError(APIError):
    """The session (access token) is not valid (OK 103 PARAM_SESSION_KEY, 453)."""

    def _hint(self) -> str:
        return " (obtain a new access token)"


class SessionExpiredError(SessionError):
    """Error 102: the session key expired or is unknown. Refresh or re-authorize."""

    def _hint(self) -> str:
        return " (refresh the token or authorize again)"


class PermissionDeniedError(APIError):
    """Mail.ru 200/202, OK 10/200: the app or user lacks a permission (scope) for this call."""

    def _hint(self) -> str:
        return " (request the needed scope when authorizing)"


class RateLimitError(APIError):
    """OK 7/8/9/11/26: flood control or a call limit. Slow down; see ``retry_on_flood``."""

    def _hint(self) -> str:
        return (" (slow down: rate_limit=N calls a second, or let the session wait and retry "
                "with retry_on_flood=N)")


class ServiceUnavailableError(APIError):
    """Mail.ru 3 / OK 2: the platform is temporarily unavailable; reads are retried."""


class UnknownMethodError(APIError):
    """Mail.ru 2 / OK 3: the platform does not know this method name.

    The message suggests the closest documented method (``did you mean 'friends.get'?``).
    """

    def _hint(self) -> str:
        from ._methods import closest_method, methods_reference  # only when one is raised

        suggestion = closest_method(self.method, self.platform)
        if suggestion:
            return f" (did you mean {suggestion!r}?)"
        where = methods_reference(self.platform)
        return f" (check the method name{': see ' + where if where else ''})"


class InvalidParamError(APIError):
    """Error 100: a parameter is missing or invalid."""


# --- OAuth ------------------------------------------------------------------------------------


class OAuthError(Error):
    """Authorization failed. ``error`` and ``description`` are the platform's OAuth fields."""

    def __init__(
        self,
        message: str,
        *,
        error: str = "",
        description: str = "",
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.error = error
        self.description = description
        self.status = status


class InvalidClientError(OAuthError):
    """The app id (client_id), client secret or redirect URI is not accepted."""


class InvalidCredentialsError(OAuthError):
    """Wrong login/e-mail or password."""


class AppNotAvailableError(OAuthError):
    """The app is in test (development) mode and this user is not among its testers."""


class AccessDeniedError(OAuthError):
    """The user (or the platform) refused to grant the requested permissions."""


class BlockedUserError(OAuthError):
    """The account is blocked; the user must restore it on the platform's site."""


class StateMismatchError(OAuthError):
    """The callback's ``state`` is not the one this login started with: a forged or replayed
    callback (CSRF), or a callback of another login. Start the login again."""


class InvalidGrantError(OAuthError):
    """The token endpoint rejected the grant (code, password or refresh token)."""


class InvalidCodeError(InvalidGrantError):
    """The authorization code is wrong, expired, already used, or for another redirect URI."""


class InvalidRefreshTokenError(InvalidGrantError):
    """The refresh token is wrong or revoked; the user has to authorize again."""


class UnexpectedPageError(OAuthError):
    """The login flow met a page it does not recognise. ``url`` and ``snippet`` help debugging."""

    def __init__(self, message: str, *, url: str = "", snippet: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.url = url
        self.snippet = snippet


class UntrustedFormError(UnexpectedPageError):
    """A login form would post credentials outside the platform's own origin; refused."""
