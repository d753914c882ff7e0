"""The Mail.ru token endpoint (``POST /oauth/token``) and the tokens every grant issues.

Why apart from the emulator: the grants (authorization code, password, refresh token) and the
client authentication are OAuth, not the REST API or the HTML dialogs; they reach the emulator
only through :class:`TokenHost`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Protocol

from ._client_auth import ClientAuthError, client_credentials, uses_basic
from ._mailru_world import PRIVILEGES, MailruApp, MailruWorld, RefreshGrant
from ._messages import EmulatorRequest, EmulatorResponse
from ._tokens import GrantError, IssuedCode, IssuedToken

__all__ = [
    "CONTENT_TYPE",
    "TokenHost",
    "new_tokens",
    "oauth_error",
    "parse_scope",
    "token_endpoint",
]

#: Content type of Mail.ru JSON answers (protocol-notes §1.4).
CONTENT_TYPE = "text/javascript; charset=utf-8"


class TokenHost(Protocol):
    """What the token endpoint needs from the emulator."""

    token_ttl: float

    @property
    def app(self) -> MailruApp: ...

    @property
    def world(self) -> MailruWorld: ...

    def issue_token(self, uid: str, client_id: str, scope: Iterable[str]) -> IssuedToken: ...

    def redeem_code(self, code: str, client_id: str, redirect_uri: str) -> IssuedCode: ...


def parse_scope(scope: str | Iterable[str]) -> tuple[str, ...]:
    """Known privileges named in a space-separated scope (quotes, ``+`` and commas tolerated)."""
    if isinstance(scope, str):
        scope = scope.replace('"', " ").replace("+", " ").replace(",", " ").split()
    wanted = set(scope)
    return tuple(p for p in PRIVILEGES if p in wanted)


def new_tokens(
    host: TokenHost,
    uid: str,
    client_id: str,
    scope: frozenset[str],
    refresh_token: str | None = None,
) -> dict[str, object]:
    """Issue an access token (and a refresh token unless one is being reused)."""
    token = host.issue_token(uid, client_id, scope)
    if refresh_token is None:
        refresh_token = secrets.token_hex(16)
        host.world.refresh_tokens[refresh_token] = RefreshGrant(uid, client_id, scope)
    return {
        "access_token": token.token,
        "refresh_token": refresh_token,
        "expires_in": int(host.token_ttl),
        "token_type": "bearer",
        "x_mailru_vid": uid,
    }


def oauth_error(error: str, description: str, status: int = 400) -> EmulatorResponse:
    body = {"error": error, "error_description": description}
    return EmulatorResponse.json(body, CONTENT_TYPE, status=status)


def token_endpoint(host: TokenHost, request: EmulatorRequest) -> EmulatorResponse:
    """POST /oauth/token: authorization_code, password and refresh_token grants."""
    if request.method != "POST":
        return oauth_error("invalid_request", "the token endpoint requires POST")
    try:
        client_id, client_secret = client_credentials(request.headers, request.params)
    except ClientAuthError as exc:
        return oauth_error(exc.error, str(exc))
    params = {**request.params, "client_id": client_id, "client_secret": client_secret}
    for name in ("grant_type", "client_id", "client_secret"):
        if not params.get(name):
            return oauth_error("invalid_request", f"missing parameter: {name}")
    app = host.app
    if client_id != str(app.app_id) or client_secret not in (app.secret_key, app.private_key):
        what = "unknown client_id" if client_id != str(app.app_id) else "wrong client_secret"
        resp = oauth_error("invalid_client", what, 401)
        if uses_basic(request.headers):  # RFC 6749 §5.2: 401 names the scheme used
            resp.headers.append(("WWW-Authenticate", 'Basic realm="oauth"'))
        return resp
    grant = {
        "authorization_code": _grant_code,
        "password": _grant_password,
        "refresh_token": _grant_refresh,
    }.get(params["grant_type"])
    if grant is None:
        return oauth_error(
            "unsupported_grant_type", f"unsupported grant_type: {params['grant_type']}"
        )
    return grant(host, params)


def _check_user(host: TokenHost, uid: str) -> EmulatorResponse | None:
    person = host.world.people[uid]
    if person.blocked:
        return oauth_error("invalid_grant", "user is blocked")
    if host.world.test_mode and uid not in host.world.testers:
        return oauth_error("unauthorized_client", "the application is in test mode: testers only")
    return None


def _missing(params: dict[str, str], *names: str) -> EmulatorResponse | None:
    for name in names:
        if not params.get(name):
            return oauth_error("invalid_request", f"missing parameter: {name}")
    return None


def _grant_code(host: TokenHost, params: dict[str, str]) -> EmulatorResponse:
    problem = _missing(params, "code", "redirect_uri")
    if problem is not None:
        return problem
    # The code is bound to the redirect_uri exactly as the authorization request sent it,
    # query included (RFC 6749 §4.1.3: "their values are identical"); clients that added a
    # query there (social-auth-core's redirect_state) send the same URI again here.
    try:
        code = host.redeem_code(params["code"], params["client_id"], params["redirect_uri"])
    except GrantError as exc:
        return oauth_error("invalid_grant", str(exc))
    problem = _check_user(host, code.uid)
    if problem is not None:
        return problem
    body = new_tokens(host, code.uid, code.client_id, code.scope)
    return EmulatorResponse.json(body, CONTENT_TYPE)


def _grant_password(host: TokenHost, params: dict[str, str]) -> EmulatorResponse:
    problem = _missing(params, "username", "password")
    if problem is not None:
        return problem
    person = host.world.find_user(params["username"])
    if person is None or person.password != params["password"]:
        return oauth_error("invalid_grant", "wrong username or password")
    problem = _check_user(host, person.uid)
    if problem is not None:
        return problem
    grants = host.world.grants[person.uid]
    grants.update(parse_scope(params.get("scope", "")))
    person.app_installed = True
    body = new_tokens(host, person.uid, params["client_id"], frozenset(grants))
    return EmulatorResponse.json(body, CONTENT_TYPE)


def _grant_refresh(host: TokenHost, params: dict[str, str]) -> EmulatorResponse:
    problem = _missing(params, "refresh_token")
    if problem is not None:
        return problem
    refresh = host.world.refresh_tokens.get(params["refresh_token"])
    if refresh is None or refresh.client_id != params["client_id"]:
        return oauth_error("invalid_grant", "unknown refresh_token")
    problem = _check_user(host, refresh.uid)
    if problem is not None:
        return problem
    body = new_tokens(host, refresh.uid, refresh.client_id, refresh.scope, params["refresh_token"])
    return EmulatorResponse.json(body, CONTENT_TYPE)
