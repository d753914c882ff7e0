"""What every token store shares: the error, the protocol, and the stored format.

Why a module of its own: :mod:`mailru_sync.stores` (memory and file) and
:mod:`mailru_sync._redis` both need them, and neither may import the other's module (the
architecture guard forbids import cycles).

A stored token is read as untrusted input: bytes that are not UTF-8, JSON nested deep enough to
exhaust the interpreter's recursion, or a value far larger than any token are a
:class:`StoreError` naming where it came from, never an exception of the standard library.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from ._budget import takes_timeout
from .exceptions import ConfigurationError, Error

__all__ = ["MAX_TOKEN_BYTES", "StoreError", "TokenStore", "checked", "decode", "encode",
           "enter_lock", "positive_seconds"]

FORMAT = "mailru_sync.token/1"
#: The most a stored token may take. A real one is under 4 KiB; anything larger is not ours,
#: and reading it whole would let a planted file exhaust memory.
MAX_TOKEN_BYTES = 1 << 20


class StoreError(Error):
    """A token store could not be read, written or locked (the message says which and what to
    do). ``unwritable`` is true when the store refused a write or a lock for lack of permission
    (a read-only folder or file system): a session then keeps a new token in memory and notes
    the error in ``last_persist_error`` rather than failing the call."""

    unwritable: bool = False

    def __init__(self, message: str, *, unwritable: bool = False) -> None:
        super().__init__(message)
        self.unwritable = unwritable


@runtime_checkable
class TokenStore(Protocol):
    """What ``store=`` accepts. A ``lock()`` that also takes ``timeout=`` (seconds, or None)
    is given what is left of the call's deadline, as the stores of this library do."""

    def load(self) -> dict[str, Any] | None:
        """The saved token data, or ``None`` when nothing is saved yet."""
        ...

    def save(self, token: Mapping[str, Any]) -> None:
        """Keep ``token`` (the session's :attr:`token` dict), replacing what was saved."""
        ...

    def lock(self) -> contextlib.AbstractContextManager[Any]:
        """A lock shared by every session using this store, held around a refresh so that
        only one of them (thread or process) spends the refresh token."""
        ...


def encode(token: Mapping[str, Any]) -> str:
    return json.dumps({"format": FORMAT, "token": checked(token)}, indent=1)


def decode(raw: str | bytes, where: str) -> dict[str, Any]:
    """The token in ``raw`` read from ``where``, or a :class:`StoreError` saying what to do."""
    if len(raw) > MAX_TOKEN_BYTES:
        raise StoreError(f"{where} holds more than {MAX_TOKEN_BYTES} bytes, which no token "
                         "takes; it is not a mailru_sync token: point the store elsewhere")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise StoreError(
            f"the token stored at {where} is not valid JSON (or not UTF-8); delete it and log "
            "in again"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise StoreError(f"{where} is not a mailru_sync token; point the store elsewhere")
    token = data.get("token")
    if not isinstance(token, dict):
        raise StoreError(f"the token stored at {where} has no token; log in again")
    return token


def checked(token: object) -> dict[str, Any]:
    if not isinstance(token, Mapping) or not (token.get("access_token") or
                                               token.get("session_key")):
        raise ConfigurationError(
            "a store keeps token dicts as session.token exports them (with access_token); "
            f"got {type(token).__name__}"
        )
    return dict(token)


def positive_seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigurationError(f"{name} must be > 0 seconds, got {value!r}")
    return float(value)


def enter_lock(store: Any, timeout: float) -> contextlib.AbstractContextManager[Any]:
    """``store.lock(timeout=timeout)`` when the store's lock takes a timeout, else
    ``store.lock()`` (a user's store whose own timeout applies)."""
    kind: type = type(store)
    if takes_timeout(kind, "lock"):
        lock: contextlib.AbstractContextManager[Any] = store.lock(timeout=timeout)
        return lock
    plain: contextlib.AbstractContextManager[Any] = store.lock()
    return plain
