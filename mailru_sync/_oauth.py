"""Token-endpoint requests shared by both platforms' OAuth grants.

Why shared: both platforms speak plain OAuth 2 at their token endpoints (form POST in, JSON with
``access_token`` or ``error``/``error_description`` out); only URLs, field names and which
``error`` means what differ, and those are passed in. Grants are never retried automatically:
an authorization code is single-use and a replayed refresh may rotate tokens.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from ._redact import Rotating, mask
from ._response import decode_json
from ._transport import where
from .exceptions import (
    AccessDeniedError,
    AppNotAvailableError,
    BlockedUserError,
    ConfigurationError,
    InvalidClientError,
    InvalidCodeError,
    InvalidCredentialsError,
    InvalidGrantError,
    InvalidRefreshTokenError,
    OAuthError,
    ResponseError,
    StateMismatchError,
)

if TYPE_CHECKING:
    import requests

    from ._budget import Budget
    from ._redact import Redactor


class TokenClient(Protocol):
    """What a token request needs of a session: its bounded transport and budget."""

    def transport(
        self, verb: str, url: str, *, what: str, max_body: int | None = None, **kwargs: Any
    ) -> requests.Response: ...

    def budget_scope(self, what: str) -> AbstractContextManager[Budget]: ...


__all__ = ["oauth_error", "token_request"]

logger = logging.getLogger("mailru_sync")

_GRANT_ERRORS: dict[str, type[InvalidGrantError]] = {
    "authorization_code": InvalidCodeError,
    "refresh_token": InvalidRefreshTokenError,
}

_ADVICE = {
    "authorization_code": "codes are single-use and short-lived: send the user through the "
    "authorization URL again and exchange the new code promptly, with the same redirect_uri",
    "refresh_token": "the refresh token is no longer valid: authorize the user again",
    "password": "check the e-mail/login and password",
}


def oauth_error(
    error: str, description: str, *, grant: str, status: int | None = None
) -> OAuthError:
    """The :class:`OAuthError` subclass for an OAuth ``error`` value in the context of a grant."""
    text = f"{error}: {description}" if description else error
    lowered = description.lower()
    if "blocked" in lowered:
        return BlockedUserError(
            f"the account is blocked ({text}); the user must restore it on the platform's site",
            error=error, description=description, status=status,
        )
    if error == "invalid_client":
        return InvalidClientError(
            f"the platform rejected the application ({text}); check app_id, the client secret "
            "and that the redirect URI is registered for the app",
            error=error, description=description, status=status,
        )
    if error == "unauthorized_client":
        return AppNotAvailableError(
            f"the application is not available to this user ({text}); while an app is in test "
            "mode only its testers may authorize",
            error=error, description=description, status=status,
        )
    if error == "access_denied":
        return AccessDeniedError(
            f"access was denied ({text})", error=error, description=description, status=status
        )
    if error == "invalid_grant":
        advice = _ADVICE.get(grant, "")
        if grant == "password":
            return InvalidCredentialsError(
                f"login failed ({text}); {advice}",
                error=error, description=description, status=status,
            )
        cls = _GRANT_ERRORS.get(grant, InvalidGrantError)
        return cls(
            f"the {grant.replace('_', ' ')} was rejected ({text}); {advice}",
            error=error, description=description, status=status,
        )
    return OAuthError(
        f"authorization failed ({text})", error=error, description=description, status=status
    )


def token_request(
    session: TokenClient,
    redact: Redactor,
    url: str,
    data: Mapping[str, str],
    *,
    grant: str,
    required: tuple[str, ...] = ("access_token",),
) -> dict[str, Any]:
    """POST a grant to a token endpoint; return the token JSON or raise an :class:`OAuthError`."""
    what = f"token request ({grant})"
    # One scope for the exchange and the checks after it, so an OAuthError that quotes the
    # server (error_description may echo the refresh token or client secret) is scrubbed too.
    with session.budget_scope(what):
        return _token_exchange(
            session, redact, url, data, what=what, grant=grant, required=required
        )


def _token_exchange(
    session: TokenClient,
    redact: Redactor,
    url: str,
    data: Mapping[str, str],
    *,
    what: str,
    grant: str,
    required: tuple[str, ...],
) -> dict[str, Any]:
    logger.debug("%s: POST %s (grant %s)", what, where(url), grant)
    response = session.transport("POST", url, what=what, data=dict(data))
    body = decode_json(response, method=what, redact=redact)
    if isinstance(body, Mapping) and body.get("error"):
        raise oauth_error(
            str(body.get("error")),
            str(body.get("error_description") or ""),
            grant=grant,
            status=response.status_code,
        )
    if not isinstance(body, Mapping):
        raise ResponseError(
            f"{what}: expected a JSON object with an access token, got {type(body).__name__} "
            f"(HTTP {response.status_code})",
            method=what,
            status=response.status_code,
        )
    missing = [name for name in required if not body.get(name)]
    if missing:
        shown = {k: mask(v) for k, v in body.items()}
        raise ResponseError(
            f"{what}: the token response lacks {', '.join(missing)} "
            f"(HTTP {response.status_code}, fields {sorted(shown)})",
            method=what,
            status=response.status_code,
        )
    token = dict(body)
    # Slots, not kept for ever: the token state takes these over once the grant is applied.
    redact.add(
        *(Rotating(str(token[name]), ("grant", name))
          for name in ("access_token", "refresh_token") if token.get(name) is not None)
    )
    return token


def code_from_callback(callback: str, expected_state: str | None) -> str:
    """The ``code`` of an OAuth callback, after checking its ``state`` and error fields.

    ``callback`` is the full callback URL (``request.build_absolute_uri()``,
    ``request.url``) or just its query string. Raises :class:`AccessDeniedError` when the
    user refused, :class:`StateMismatchError` when ``state`` differs from ``expected_state``
    (compared in constant time), :class:`OAuthError` for other errors or a missing code.
    """
    if not isinstance(callback, str):
        raise ConfigurationError("callback must be the callback URL or its query string")
    if "?" in callback or "://" in callback or "#" in callback:
        parts = urlsplit(callback)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        params.update(parse_qsl(parts.fragment, keep_blank_values=True))
    else:
        params = dict(parse_qsl(callback.lstrip("?"), keep_blank_values=True))
    error = params.get("error")
    if error:
        raise oauth_error(error, params.get("error_description", ""), grant="authorization")
    if expected_state is not None and not hmac.compare_digest(
        params.get("state", "").encode(), expected_state.encode()
    ):
        raise StateMismatchError(
            "the callback's state does not match the login it should answer (a forged, "
            "replayed or foreign callback); start the login again",
            error="state_mismatch",
        )
    code = params.get("code")
    if not code:
        raise OAuthError(
            f"the callback has no code (parameters: {sorted(params)}); pass the full callback "
            "URL the platform redirected to",
            error="missing_code",
        )
    return code
