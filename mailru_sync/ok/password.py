"""OK password login through the ``auth.login`` API method (protocol-notes §2.6).

Why an API method and not the token endpoint: OK has no OAuth password grant; its own apps log
in with ``auth.login`` on ``fb.do``, which returns a ``session_key`` (used as the access token)
and a ``session_secret_key`` (the client-server signing secret). The call is unsigned when the
app has no secret key (a standalone client), and signed with ``app_secret_key`` as the
sessionless secret when it has one. It is sent as a form POST so the password never appears in
a URL (URLs end up in proxy and server logs).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .._budget import BudgetScope
from .._oauth import TokenClient
from .._options import TokenData
from .._response import decode_json
from ..exceptions import (
    APIError,
    AppNotAvailableError,
    BlockedUserError,
    ConfigurationError,
    InvalidClientError,
    InvalidCredentialsError,
    OAuthError,
    ResponseError,
)
from ..signer import ok_signature
from .dialect import api_error

if TYPE_CHECKING:

    from .._options import Settings
    from .._pipeline import CallPipeline

__all__ = ["password_login"]

logger = logging.getLogger("mailru_sync")

_WHAT = "auth.login"


class PasswordClient(TokenClient, Protocol):
    """What ``auth.login`` needs of an OK session: a token request's transport, and the app's
    keys and endpoint (structural: the session classes fit)."""

    @property
    def app_key(self) -> str: ...

    @property
    def app_secret_key(self) -> str: ...

    @property
    def API_URL(self) -> str: ...

    def url(self, url: str) -> str: ...


def password_login(
    session: PasswordClient, calls: CallPipeline, settings: Settings, login: str, passwd: str
) -> TokenData:
    """Call ``auth.login`` through the call pipeline; return its answer with ``access_token``
    = ``session_key``.

    One call of the pipeline like any other (pacing, flood waits, never resent once it may
    have reached OK), with two differences: it is signed with the app secret alone (or not at
    all), and it runs before the session is authorized. Platform errors become the login's own
    :class:`~mailru_sync.OAuthError` subclasses.
    """
    if not login or not passwd:
        raise ConfigurationError("login and passwd are required for auth.login")
    redact = calls.redact
    redact.add(passwd)
    params: dict[str, str] = {"password": passwd, "user_name": login}
    url = session.url(session.API_URL)

    def sign(method: str, fields: dict[str, str]) -> dict[str, str]:
        signed = {"application_key": session.app_key, "format": "json", "method": method,
                  **fields}
        if session.app_secret_key:
            signed["sig"] = ok_signature(signed, session.app_secret_key)
        return signed

    def send(signed: dict[str, str]) -> tuple[Any, int]:
        response = session.transport("POST", url, what=_WHAT, data=signed)
        return decode_json(response, method=_WHAT, redact=redact), response.status_code

    with BudgetScope(settings.deadline, _WHAT, redact) as budget:
        try:
            body = calls.run(settings, budget, _WHAT, params, send, is_write=True, sign=sign,
                             authorized=False)
        except APIError as exc:
            mapped = _login_error({"error_code": exc.code, "error_msg": exc.msg})
            if isinstance(mapped, APIError):
                raise  # no login-specific meaning: the platform's error as it is
            raise mapped from None
    if isinstance(body, Mapping) and "error_code" in body:  # pass_error returned it
        raise _login_error(body)
    if not isinstance(body, Mapping) or not body.get("session_key"):
        fields = sorted(body) if isinstance(body, Mapping) else type(body).__name__
        raise ResponseError(
            f"{_WHAT}: expected session_key and session_secret_key, got {fields}",
            method=_WHAT,
        )
    token: TokenData = dict(body)
    token.setdefault("access_token", body["session_key"])
    redact.add(
        token.get("session_key"), token.get("session_secret_key"), token.get("auth_token")
    )
    logger.info("auth.login: OK opened a session for uid %s", token.get("uid"))
    return token


def _login_error(body: Mapping[str, Any]) -> Exception:
    try:
        code = int(body.get("error_code") or 0)
    except (TypeError, ValueError):
        code = 0
    msg = str(body.get("error_msg") or "")
    text = f"error {code}: {msg}"
    error = "auth_login"
    if code == 401:
        if "block" in msg.lower():
            return BlockedUserError(
                f"auth.login: the account is blocked ({text}); the user must restore it on ok.ru",
                error=error, description=msg,
            )
        return InvalidCredentialsError(
            f"auth.login: OK rejected the login or password ({text}); check them",
            error=error, description=msg,
        )
    if code in (402, 403):
        return OAuthError(
            f"auth.login: OK asks for a human check ({text}); log in once on ok.ru in a "
            "browser, then try again",
            error=error, description=msg,
        )
    if code == 10:
        return AppNotAvailableError(
            f"auth.login: the application is not available to this user ({text}); while an "
            "app is in test mode only its testers may log in",
            error=error, description=msg,
        )
    if code in (101, 104):
        return InvalidClientError(
            f"auth.login: OK rejected the application ({text}); check app_key and "
            "app_secret_key",
            error=error, description=msg,
        )
    return api_error(dict(body), body, _WHAT)
