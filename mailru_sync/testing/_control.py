"""The control endpoint of a running emulator: ``POST /__emulator/<command>`` with a JSON body.

Why: an emulator started from the command line (``python -m mailru_sync emulator``) runs in
another process, so a web developer testing a Django or Flask app against it cannot call
``emu.expire_token(...)``.  This endpoint exposes the same knobs over HTTP.

It is kept apart from the platform emulators on purpose:

* every command needs ``Authorization: Bearer <control token>``; the token is random per emulator
  and printed only in the start-up JSON line, so a client under test cannot reach it by accident;
* the prefix ``/__emulator/`` is no API path of either platform, and the server answers it
  before the platform code runs: no latency, no fault, no counter, no request-log entry, so the
  observations of the client under test stay exact;
* only ``POST`` is accepted (a browser following a link or an ``<img>`` cannot trigger it).

Nothing here imports the server module: the server hands over the decoded request parts and
wraps the reply, so the command table reads (and tests) on its own.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "COMMANDS",
    "CONTROL_PREFIX",
    "ControlReply",
    "Controllable",
    "handle_control",
    "is_control_path",
]

#: Every control URL starts with this; the command name follows (``/__emulator/reset``).
CONTROL_PREFIX = "/__emulator/"
#: Control bodies are tiny; anything larger is refused before parsing.
MAX_CONTROL_BODY = 64 * 1024


class Controllable(Protocol):
    """What the commands need from an emulator (``BaseEmulator`` provides all of it)."""

    control_token: str

    def expire_token(self, token: str) -> None: ...
    def expire_all_tokens(self) -> None: ...
    def revoke_refresh_token(self, refresh_token: str) -> None: ...
    def fail_next(
        self,
        n: int = 1,
        kind: str = "503",
        *,
        scope: str = "api",
        retry_after: float | None = None,
        seconds: float = 0.0,
    ) -> None: ...
    def flood_next(self, n: int = 1, code: int | None = None) -> None: ...
    def advance_time(self, seconds: float) -> None: ...
    def reset(self) -> None: ...
    @property
    def counters(self) -> dict[str, int]: ...
    @property
    def pending_faults(self) -> int: ...


@dataclass(frozen=True)
class ControlReply:
    """One answer of the control endpoint: an HTTP status and a JSON object."""

    status: int
    body: dict[str, Any]
    headers: list[tuple[str, str]] = field(default_factory=list)


class _Refused(Exception):
    """A command cannot run; the message goes back to the caller (never a secret)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def is_control_path(path: str) -> bool:
    """``True`` for ``/__emulator/...``: the server answers it before any platform code."""
    return path.startswith(CONTROL_PREFIX)


# ---- argument readers: strict, so a typo in a script fails loudly instead of doing nothing ----


def _only(args: Mapping[str, Any], *allowed: str) -> None:
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        expected = ", ".join(allowed) or "none"
        raise _Refused(400, f"unknown argument(s) {', '.join(unknown)}; expected: {expected}")


def _int(args: Mapping[str, Any], name: str, default: int | None) -> int | None:
    value = args.get(name, default)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise _Refused(400, f"{name} must be an integer")


def _number(args: Mapping[str, Any], name: str, default: float | None) -> float | None:
    value = args.get(name, default)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise _Refused(400, f"{name} must be a number")


def _text(args: Mapping[str, Any], name: str, default: str | None = None) -> str:
    value = args.get(name, default)
    if isinstance(value, str) and value:
        return value
    raise _Refused(400, f"{name} must be a non-empty string")


def _checked(call: Callable[[], None]) -> None:
    """Run an emulator knob; its ``ValueError`` (bad kind, negative n...) becomes a 400."""
    try:
        call()
    except ValueError as exc:
        raise _Refused(400, str(exc)) from None


# ---- the commands ------------------------------------------------------------------------------


def _expire_token(emu: Controllable, args: Mapping[str, Any]) -> dict[str, Any]:
    _only(args, "token", "all")
    if args.get("all") is True:
        if "token" in args:
            raise _Refused(400, "give either token or all, not both")
        emu.expire_all_tokens()
        return {"expired": "all"}
    token = _text(args, "token")
    try:
        emu.expire_token(token)
    except KeyError:
        # Never echo the token: the reply may end up in a CI log.
        raise _Refused(404, "unknown access token") from None
    return {"expired": 1}


def _revoke_refresh_token(emu: Controllable, args: Mapping[str, Any]) -> dict[str, Any]:
    _only(args, "refresh_token")
    refresh_token = _text(args, "refresh_token")
    try:
        emu.revoke_refresh_token(refresh_token)
    except KeyError:
        raise _Refused(404, "unknown refresh token") from None
    return {"revoked": 1}


def _fail_next(emu: Controllable, args: Mapping[str, Any]) -> dict[str, Any]:
    _only(args, "n", "kind", "scope", "retry_after", "seconds")
    n = _int(args, "n", 1) or 0
    kind = _text(args, "kind", "503")
    scope = _text(args, "scope", "api")
    retry_after = _number(args, "retry_after", None)
    seconds = _number(args, "seconds", 0.0) or 0.0
    _checked(lambda: emu.fail_next(n, kind, scope=scope, retry_after=retry_after, seconds=seconds))
    return {"pending_faults": emu.pending_faults}


def _flood_next(emu: Controllable, args: Mapping[str, Any]) -> dict[str, Any]:
    _only(args, "n", "code")
    n = _int(args, "n", 1) or 0
    code = _int(args, "code", None)
    _checked(lambda: emu.flood_next(n, code))
    return {"pending_faults": emu.pending_faults}


def _advance_time(emu: Controllable, args: Mapping[str, Any]) -> dict[str, Any]:
    _only(args, "seconds")
    seconds = _number(args, "seconds", None)
    if seconds is None:
        raise _Refused(400, "seconds is required")
    _checked(lambda: emu.advance_time(seconds))
    return {"advanced": seconds}


def _counters(emu: Controllable, args: Mapping[str, Any]) -> dict[str, Any]:
    _only(args)
    return {"counters": emu.counters, "pending_faults": emu.pending_faults}


def _reset(emu: Controllable, args: Mapping[str, Any]) -> dict[str, Any]:
    _only(args)
    emu.reset()
    return {"reset": True}


#: Command name (the last path segment) -> handler; each mirrors one ``BaseEmulator`` method.
COMMANDS: dict[str, Callable[[Controllable, Mapping[str, Any]], dict[str, Any]]] = {
    "expire-token": _expire_token,
    "revoke-refresh-token": _revoke_refresh_token,
    "fail-next": _fail_next,
    "flood-next": _flood_next,
    "advance-time": _advance_time,
    "counters": _counters,
    "reset": _reset,
}


# ---- the request -------------------------------------------------------------------------------


def _authorized(emu: Controllable, headers: Mapping[str, str]) -> bool:
    scheme, _, presented = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not presented:
        return False
    return hmac.compare_digest(presented.strip().encode(), emu.control_token.encode())


def _arguments(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_CONTROL_BODY:
        raise _Refused(413, "control body too large")
    if not body.strip():
        return {}
    try:
        args = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _Refused(400, "the body must be a JSON object") from None
    if not isinstance(args, dict):
        raise _Refused(400, "the body must be a JSON object")
    return args


def _run(
    emu: Controllable, method: str, path: str, headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    if method != "POST":
        raise _Refused(405, "control commands are POST requests")
    if not _authorized(emu, headers):
        raise _Refused(401, "missing or wrong control token (see the emulator's start-up line)")
    command = COMMANDS.get(path[len(CONTROL_PREFIX) :])
    if command is None:
        raise _Refused(404, f"unknown control command; expected one of {', '.join(COMMANDS)}")
    return command(emu, _arguments(body))


def handle_control(
    emu: Controllable, method: str, path: str, headers: Mapping[str, str], body: bytes
) -> ControlReply:
    """Authorize and run one control command; every outcome is a JSON object with ``ok``."""
    try:
        result = _run(emu, method, path, headers, body)
    except _Refused as exc:
        extra: list[tuple[str, str]] = []
        if exc.status == 405:
            extra.append(("Allow", "POST"))
        elif exc.status == 401:
            extra.append(("WWW-Authenticate", 'Bearer realm="emulator-control"'))
        return ControlReply(exc.status, {"ok": False, "error": str(exc)}, extra)
    return ControlReply(200, {"ok": True, **result})
