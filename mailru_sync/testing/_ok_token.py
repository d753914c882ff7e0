"""The OK token endpoint (``POST /oauth/token.do``): authorization code and refresh grants.

Why apart from the emulator: the grants and the client authentication are OAuth, not the REST
API or the login dialogs; they reach the emulator only through :class:`TokenHost`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ._client_auth import ClientAuthError, client_credentials, uses_basic
from ._messages import EmulatorRequest, EmulatorResponse
from ._ok_call import JSON_CONTENT_TYPE
from ._ok_world import OkWorld
from ._tokens import GrantError, IssuedCode, IssuedToken

__all__ = ["TokenHost", "oauth_json", "token_endpoint"]


class TokenHost(Protocol):
    """What the token endpoint needs from the emulator."""

    token_ttl: float
    world: OkWorld

    def issue_ok_token(self, uid: str, scopes: Iterable[str]) -> IssuedToken: ...

    def redeem_code(self, code: str, client_id: str, redirect_uri: str) -> IssuedCode: ...


def oauth_json(error: str, description: str, status: int) -> EmulatorResponse:
    return EmulatorResponse.json(
        {"error": error, "error_description": description}, JSON_CONTENT_TYPE, status
    )


def token_endpoint(host: TokenHost, request: EmulatorRequest) -> EmulatorResponse:
    if request.method != "POST":
        return oauth_json("invalid_request", "use POST", 405)
    params = request.params
    grant_type = params.get("grant_type", "")
    if not grant_type:
        return oauth_json("invalid_request", "grant_type is missing", 400)
    if grant_type not in ("authorization_code", "refresh_token"):
        return oauth_json("unsupported_grant_type", f"grant_type {grant_type!r}", 400)
    try:
        client_id, client_secret = client_credentials(request.headers, params)
    except ClientAuthError as exc:
        return oauth_json(exc.error, str(exc), 400)
    if not client_id or not client_secret:
        return oauth_json(
            "invalid_request",
            "client_id and client_secret are required (in the body or as Authorization: Basic)",
            400,
        )
    app = host.world.app
    if client_id != str(app.app_id) or client_secret != app.app_secret_key:
        resp = oauth_json("invalid_client", "unknown client_id or wrong client_secret", 400)
        if uses_basic(request.headers):  # RFC 6749 §5.2: Basic failures answer 401
            resp.status = 401
            resp.headers.append(("WWW-Authenticate", 'Basic realm="oauth"'))
        return resp
    if grant_type == "authorization_code":
        return _code_grant(host, params, client_id)
    return _refresh_grant(host, params)


def _code_grant(host: TokenHost, params: dict[str, str], client_id: str) -> EmulatorResponse:
    code = params.get("code", "")
    redirect_uri = params.get("redirect_uri", "")
    if not code or not redirect_uri:
        return oauth_json("invalid_request", "code and redirect_uri are required", 400)
    try:
        record = host.redeem_code(code, client_id, redirect_uri)
    except GrantError as error:
        return oauth_json("invalid_grant", str(error), 400)
    if host.world.profiles[record.uid].blocked:
        return oauth_json("invalid_grant", "the user is blocked", 400)
    token = host.issue_ok_token(record.uid, record.scope)
    refresh = host.world.issue_refresh_token(record.uid, record.scope)
    return EmulatorResponse.json(
        {
            "access_token": token.token,
            "token_type": "session",
            "refresh_token": refresh.refresh_token,
            "expires_in": int(host.token_ttl),
        },
        JSON_CONTENT_TYPE,
    )


def _refresh_grant(host: TokenHost, params: dict[str, str]) -> EmulatorResponse:
    value = params.get("refresh_token", "")
    if not value:
        return oauth_json("invalid_request", "refresh_token is missing", 400)
    record = host.world.refresh_tokens.get(value)
    if record is None or record.app_id != host.world.app.app_id:
        return oauth_json("invalid_grant", "unknown refresh_token", 400)
    if host.world.profiles[record.uid].blocked:
        return oauth_json("invalid_grant", "the user is blocked", 400)
    token = host.issue_ok_token(record.uid, record.scopes)
    # OK answers a refresh without a new refresh token (protocol-notes §2.6).
    return EmulatorResponse.json(
        {
            "access_token": token.token,
            "token_type": "session",
            "expires_in": int(host.token_ttl),
        },
        JSON_CONTENT_TYPE,
    )
