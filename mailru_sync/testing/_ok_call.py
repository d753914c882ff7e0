"""What every OK method handler shares: errors, the call context, signing, anchor paging.

Why apart from the methods: the handlers, the upload server and the request pipeline all raise
:class:`OkApiError` and read a :class:`CallContext`; none of them should have to import the others.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from ._ok_world import (
    OkWorld,
    md5_hex,
)
from ._tokens import IssuedToken

#: Key of the OK signing secret in :attr:`IssuedToken.extra`.
SECRET_KEY = "session_secret_key"
#: Token extra naming how the session was opened: ``auth.login`` sessions have a random secret.
OPENED_BY = "opened_by"

#: Content type of every OK JSON answer (protocol-notes §2.4).
JSON_CONTENT_TYPE = "application/json;charset=utf-8"

#: Error code -> name, as in the OK error enum (protocol-notes §2.5); only the codes we emit.
ERROR_NAMES: dict[int, str] = {
    1: "UNKNOWN",
    2: "SERVICE",
    3: "METHOD",
    4: "REQUEST",
    8: "FLOOD_BLOCKED",
    10: "PERMISSION_DENIED",
    11: "LIMIT_REACHED",
    100: "PARAM",
    101: "PARAM_API_KEY",
    102: "PARAM_SESSION_EXPIRED",
    104: "PARAM_SIGNATURE",
    110: "PARAM_USER_ID",
    120: "PARAM_ALBUM_ID",
    121: "PARAM_PHOTO_ID",
    160: "PARAM_GROUP_ID",
    300: "NOT_FOUND",
    401: "AUTH_LOGIN",
    451: "NOT_SESSION_METHOD",
    453: "SESSION_REQUIRED",
    500: "PHOTO_SIZE_LIMIT_EXCEEDED",
    503: "PHOTO_INVALID_FORMAT",
    1200: "BATCH",
}

_DEFAULT_TEXTS: dict[int, str] = {
    1: "Unknown error",
    2: "Service is temporary unavailable",
    3: "Method does not exist",
    4: "Request is invalid",
    8: "Method is blocked due to flood",
    10: "Permission denied",
    11: "Method call limit reached",
    100: "Missing or invalid parameter",
    101: "Application key is missing or invalid",
    102: "Session expired",
    104: "Invalid signature",
    401: "Authentication failed",
    451: "Session key was specified for a method that must be called without a session",
    453: "Session key is required for this method",
    1200: "Batch request failed",
}

#: Largest ``count`` a paged method accepts.
MAX_PAGE = 100
#: Largest number of calls in one ``batch.executeV2``.
MAX_BATCH = 50


class OkApiError(Exception):
    """An in-envelope API error: ``{"error_code", "error_msg": "NAME : text", "error_data"}``."""

    def __init__(self, code: int, text: str | None = None) -> None:
        self.code = code
        self.text = text or _DEFAULT_TEXTS.get(code, "Error")
        super().__init__(f"{code}: {self.text}")

    def envelope(self) -> dict[str, object]:
        name = ERROR_NAMES.get(self.code, "UNKNOWN")
        return {"error_code": self.code, "error_msg": f"{name} : {self.text}", "error_data": None}


def error_envelope(code: int, text: str | None = None) -> dict[str, object]:
    """The OK error envelope for ``code`` (used for injected faults too)."""
    return OkApiError(code, text).envelope()


def sign(params: Mapping[str, str], secret: str) -> str:
    """md5(sorted ``k=v`` pairs joined without separator + secret), lower-case hex."""
    return md5_hex("".join(f"{key}={params[key]}" for key in sorted(params)) + secret)


# --------------------------------------------------------------------------------------------
# Call context and helpers shared by the method handlers
# --------------------------------------------------------------------------------------------


class OkBackend(Protocol):
    """What the API needs from the emulator: the world and the shared token store."""

    world: OkWorld
    strict_session_secrets: bool

    def find_token(self, token: str) -> IssuedToken | None: ...

    def token_alive(self, record: IssuedToken) -> bool: ...

    def issue_ok_token(self, uid: str, scopes: Iterable[str], *,
                       session_secret_key: str | None = None) -> IssuedToken: ...

    def count(self, name: str, n: int = 1) -> None: ...


@dataclass
class CallContext:
    """Everything one method handler may look at: the world, the caller and its parameters."""

    backend: OkBackend
    params: Mapping[str, str]
    token: IssuedToken | None
    #: The user a sessionless call acts for (``uid`` param), if any.
    sessionless_uid: str | None
    api_server: str
    batch_depth: int = 0

    @property
    def world(self) -> OkWorld:
        return self.backend.world

    def now_ms(self) -> int:
        """Wall-clock milliseconds for objects created now (seeded ones are in the past)."""
        return int(time.time() * 1000)

    def wrote(self) -> None:
        self.backend.count("writes_applied")

    @property
    def session_uid(self) -> str | None:
        return self.token.uid if self.token else None

    def user(self) -> str:
        """The acting user: the session's, or ``uid`` of a sessionless call."""
        uid = self.session_uid or self.sessionless_uid
        if uid is None:
            raise OkApiError(100, "Either session_key or uid must be specified")
        return uid

    def scopes(self) -> frozenset[str] | None:
        """Permissions of the acting user for this app; None for a public sessionless call."""
        if self.token is not None:
            return self.token.scope
        if self.sessionless_uid is not None:
            return frozenset(self.world.app_permissions.get(self.sessionless_uid, ()))
        return None

    def need(self, *permissions: str) -> None:
        scopes = self.scopes()
        if scopes is None:
            return
        missing = [name for name in permissions if name not in scopes]
        if missing:
            raise OkApiError(10, f"Permission denied: {', '.join(missing)} required")

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.params.get(name)
        if value is None or value == "":
            return default
        return value

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise OkApiError(100, f"{name} is missing")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self.text(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise OkApiError(100, f"{name} must be an integer") from None
        if not low <= number <= high:
            raise OkApiError(100, f"{name} must be between {low} and {high}")
        return number

    def flag(self, name: str) -> bool:
        value = (self.text(name) or "false").lower()
        if value in {"true", "1"}:
            return True
        if value in {"false", "0"}:
            return False
        raise OkApiError(100, f"{name} must be true or false")

    def id_list(self, name: str, limit: int = 100) -> list[str]:
        values = [part.strip() for part in self.required(name).split(",") if part.strip()]
        if not values:
            raise OkApiError(100, f"{name} is missing")
        if len(values) > limit:
            raise OkApiError(100, f"{name}: at most {limit} ids")
        return values

    def fields(self, name: str = "fields", *, required: bool = False) -> set[str] | None:
        value = self.required(name) if required else self.text(name)
        if value is None:
            return None
        return {part.strip().lower() for part in value.split(",") if part.strip()}


def _encode_anchor(key: str) -> str:
    return base64.urlsafe_b64encode(f"a1:{key}".encode()).decode().rstrip("=")


def _decode_anchor(anchor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(anchor + "=" * (-len(anchor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise OkApiError(100, "anchor is invalid") from None
    if not raw.startswith("a1:"):
        raise OkApiError(100, "anchor is invalid")
    return raw[3:]


@dataclass
class Page:
    keys: list[str]
    anchor: str | None
    has_more: bool


def paginate(keys: list[str], anchor: str | None, direction: str | None, count: int) -> Page:
    """Anchor paging over ``keys`` (display order).

    The anchor is an opaque position: FORWARD (default) returns the ``count`` items after it and the
    anchor of the last one returned; BACKWARD the ``count`` items before it and the anchor of the
    first one; AROUND a window centred on it.  ``has_more`` says whether items remain in the
    requested direction (either side for AROUND).  An empty page keeps the given anchor.
    """
    mode = (direction or "FORWARD").upper()
    if mode not in {"FORWARD", "BACKWARD", "AROUND"}:
        raise OkApiError(100, "direction must be FORWARD, BACKWARD or AROUND")
    position: int | None = None
    if anchor:
        key = _decode_anchor(anchor)
        try:
            position = keys.index(key)
        except ValueError:
            raise OkApiError(100, "anchor is unknown") from None
    if mode == "FORWARD":
        start = 0 if position is None else position + 1
        chosen = keys[start:start + count]
        more = start + count < len(keys)
        edge = chosen[-1] if chosen else None
    elif mode == "BACKWARD":
        end = len(keys) if position is None else position
        start = max(0, end - count)
        chosen = keys[start:end]
        more = start > 0
        edge = chosen[0] if chosen else None
    else:
        centre = 0 if position is None else position
        start = max(0, centre - count // 2)
        chosen = keys[start:start + count]
        more = start > 0 or start + count < len(keys)
        edge = keys[centre] if keys else None
    new_anchor = _encode_anchor(edge) if edge is not None else anchor
    return Page(chosen, new_anchor, more)


def page_result(page: Page, items_key: str, items: list[object], *,
                 anchor_key: str = "anchor", more_key: str = "has_more") -> dict[str, object]:
    result: dict[str, object] = {items_key: items, more_key: page.has_more}
    if page.anchor is not None:
        result[anchor_key] = page.anchor
    return result


