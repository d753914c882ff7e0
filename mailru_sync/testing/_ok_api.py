"""OK.ru REST request pipeline: parameter checks, signature verification, ``auth.login``.

Works on the *decoded received* parameters of one request and answers with a JSON-able result or
raises :class:`OkApiError`; the HTTP framing lives in ``_ok.py``, the methods in
``_ok_methods.py``.  The signature check is an
independent implementation of the documented algorithm (protocol-notes §2.3) so the emulator can
catch client signing bugs instead of sharing them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ._ok_call import (
    JSON_CONTENT_TYPE,
    OPENED_BY,
    SECRET_KEY,
    CallContext,
    OkApiError,
    OkBackend,
    error_envelope,
    sign,
)
from ._ok_methods import METHODS, invoke, sessionless_uid
from ._ok_world import (
    ALL_SCOPES,
    server_secret,
)
from ._tokens import IssuedToken

__all__ = [
    "JSON_CONTENT_TYPE",
    "METHODS",
    "OPENED_BY",
    "SECRET_KEY",
    "OkApiError",
    "auth_login",
    "call",
    "error_envelope",
    "method_from_path",
]

# --------------------------------------------------------------------------------------------
# The request pipeline
# --------------------------------------------------------------------------------------------


def method_from_path(path: str) -> str | None:
    """``/api/users/getCurrentUser`` -> ``users.getCurrentUser``; ``/fb.do`` -> None."""
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[0] == "api" and parts[1] and parts[2]:
        return f"{parts[1]}.{parts[2]}"
    return None


def _signature_ok(params: Mapping[str, str], received: str, secrets: Iterable[str]) -> bool:
    base = {key: value for key, value in params.items() if key not in {"sig", "access_token"}}
    candidates = [base]
    if "session_key" in base:
        # ok-js-sdk signs session_key, the doc text removes it: accept both.
        candidates.append({key: value for key, value in base.items() if key != "session_key"})
    return any(sign(candidate, secret) == received
               for candidate in candidates for secret in secrets)


def _accepted_secrets(
    backend: OkBackend, token: IssuedToken, app_secret_key: str
) -> tuple[str, ...]:
    """The secrets a signature in ``token``'s session may be made with.

    An OAuth token's session_secret_key is md5(access_token + app_secret_key), so client-server
    and server-server signatures coincide and both are accepted. An ``auth.login`` session's
    secret is random: under ``strict_session_secrets`` only that secret signs for it.
    """
    own = token.extra.get(SECRET_KEY, "")
    if backend.strict_session_secrets and token.extra.get(OPENED_BY) == "auth.login":
        return (own,)
    return own, server_secret(token.token, app_secret_key)


def call(
    backend: OkBackend,
    path: str,
    params: Mapping[str, str],
    duplicate_keys: Iterable[str],
    *,
    api_server: str,
) -> object:
    """Authenticate one API request and run it; raises :class:`OkApiError` on any failure.

    Order of checks: application_key (101), format/method/duplicates (100), signature (104),
    session (102), method exists (3), session rule (453 / 451), permissions (10), parameters (100).
    """
    world = backend.world
    app = world.app
    app_key = params.get("application_key")
    if not app_key or app_key != app.app_key:
        raise OkApiError(101, "application_key is missing" if not app_key
                         else "application_key is unknown")
    fmt = params.get("format")
    if fmt is not None and fmt.lower() != "json":
        raise OkApiError(100, f"format {fmt} is not supported, use json")
    duplicates = sorted(duplicate_keys)
    if duplicates:
        raise OkApiError(100, f"parameter repeated: {', '.join(duplicates)}")
    path_method = method_from_path(path)
    given_method = params.get("method")
    if path_method is not None:
        if given_method is not None and given_method.lower() != path_method.lower():
            raise OkApiError(100, f"method {given_method} does not match the path")
        method = path_method
    elif given_method:
        method = given_method
    else:
        raise OkApiError(100, "method is missing")

    access_token = params.get("access_token")
    session_key = params.get("session_key")
    if access_token and session_key and access_token != session_key:
        raise OkApiError(100, "access_token and session_key differ")
    token_value = access_token or session_key or None
    received = params.get("sig")
    is_login = method.lower() == "auth.login"

    token: IssuedToken | None = None
    if token_value is not None:
        token = backend.find_token(token_value)
        if token is None or token.client_id != str(app.app_id):
            # The secret of an unknown session cannot be known, so its signature is not checked.
            raise OkApiError(102, "Session is unknown or expired")
        if not received:
            raise OkApiError(104, "sig is missing")
        secrets = _accepted_secrets(backend, token, app.app_secret_key)
        if not _signature_ok(params, received, secrets):
            raise OkApiError(104)
        if not backend.token_alive(token):
            raise OkApiError(102)
        profile = world.profiles.get(token.uid)
        if profile is None or profile.blocked:
            raise OkApiError(102, "Session expired: the user is blocked")
    elif received:
        if not _signature_ok(params, received, (app.app_secret_key,)):
            raise OkApiError(104)
    elif not is_login:
        raise OkApiError(104, "sig is missing")

    if is_login:
        if token is not None:
            raise OkApiError(451)
        return auth_login(backend, params, api_server=api_server)
    ctx = CallContext(backend, params, token, sessionless_uid(token, params), api_server)
    return invoke(method, ctx)


def auth_login(backend: OkBackend, params: Mapping[str, str], *, api_server: str) -> object:
    """``auth.login``: password login returning a new session with a random secret."""
    user_name = params.get("user_name") or ""
    password = params.get("password") or ""
    if not user_name or not password:
        raise OkApiError(100, "user_name and password are required")
    world = backend.world
    profile = world.find_login(user_name)
    if profile is None or profile.password != password:
        raise OkApiError(401, "Invalid login or password")
    if profile.blocked:
        raise OkApiError(401, "User is blocked")
    if world.app.test_mode and profile.uid not in world.app.testers:
        raise OkApiError(10, "The application is in test mode")
    # A password login is the user acting in person: the session carries every permission.
    record = backend.issue_ok_token(profile.uid, ALL_SCOPES,
                                    session_secret_key=world.random_hex())
    record.extra[OPENED_BY] = "auth.login"
    result: dict[str, object] = {
        "uid": profile.uid,
        "session_key": record.token,
        "session_secret_key": record.extra[SECRET_KEY],
        "auth_token": world.random_hex(24),
        "api_server": api_server,
        "activated_profile": True,
    }
    return result
