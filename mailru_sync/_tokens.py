"""A session's token state: the token fields, their lock, persistence and the single-flight
refresh.

Why a part of its own: many threads (and, through a store, many processes) share one token.
Every rule about it lives here once: the fields change together under one lock, so a thread
never signs with a new token and an old secret; a refresh is single-flight (threads that waited
share its outcome, and a failing token endpoint costs one request, not one per thread); waiting
for the refresh lock is bounded by the call's budget; a token saved by another process is picked
up inside the lock before refreshing; and a new token is persisted without ever failing the call
that got it.

It knows nothing of a platform: what a refresh sends (the grant) and how a token's fields are
applied (the platform's extra fields, the signature circuit) are passed in by the session.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from ._budget import Budget
from ._redact import SecretAttribute
from .exceptions import ConfigurationError, Error, RequestTimeout, SessionExpiredError

if TYPE_CHECKING:
    from ._options import TokenData, TokenUpdater
    from ._redact import Redactor
    from .stores import TokenStore

__all__ = ["TokenState", "checked_token"]

logger = logging.getLogger("mailru_sync")

_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))
#: A failed refresh is reused, without a new token request, by threads that waited for it and
#: by calls that hit the same stale token this soon after: a storm of calls on a broken token
#: endpoint costs one request, while a later call still gets a fresh attempt.
_SHARED_FAILURE_SECONDS = 2.0


class TokenState:
    """The token fields of one session and the machinery that changes them."""

    def __init__(
        self,
        redact: Redactor,
        *,
        store: TokenStore | None,
        loader: Callable[[], TokenData | None] | None,
        updater: TokenUpdater | None,
        refresh_lock: AbstractContextManager[Any] | None,
    ) -> None:
        self._redact = redact
        self._access_token = ""
        self.refresh_token = ""
        #: Lifetime of the access token in seconds as the platform reported it, if it did.
        self.expires_in: int | None = None
        #: Absolute expiry (``time.time()`` seconds) of the access token, if known.
        self.expires_at: float | None = None
        #: Number of refreshes performed (for monitoring).
        self.refresh_count = 0
        #: The last exception raised by ``store.save`` or ``token_updater``.
        self.last_persist_error: Exception | None = None
        self.store = store
        self.loader = loader
        self.updater = updater
        # Token fields change together under this lock, and signing reads them under it, so a
        # thread never signs with a new token and an old session secret (or vice versa).
        self.lock = threading.RLock()
        self._own_refresh_lock = refresh_lock is None
        self._refresh_lock: AbstractContextManager[Any] = refresh_lock or threading.Lock()
        self._refresh_owner: int | None = None
        self._refresh_attempts = 0
        self._last_refresh_error: tuple[str, float, Error] | None = None

    # --- the fields ------------------------------------------------------------------------------

    #: Registered however it is set (a grant, ``token=``, a store, or a user's assignment): a
    #: server echoing it back (``invalid_grant: bad token ...``) must not show it.
    refresh_token = SecretAttribute()

    def _remember_secrets(self, *secrets: object) -> None:
        self._redact.add(*secrets)

    @property
    def access_token(self) -> str:
        return self._access_token

    @access_token.setter
    def access_token(self, value: str) -> None:
        self._access_token = value or ""
        self._redact.hold("access_token", self._access_token)  # the last two values

    def set_expiry(self, expires_in: object) -> None:
        try:
            seconds = int(str(expires_in)) if expires_in not in (None, "") else None
        except ValueError:
            seconds = None
        self.expires_in = seconds
        self.expires_at = None if seconds is None else time.time() + seconds

    def set_expires_at(self, expires_at: object) -> None:
        """A stored absolute expiry wins over ``expires_in`` (which counts from the grant, not
        from now: recomputing it on restore would make a day-old token look fresh)."""
        if isinstance(expires_at, bool) or not isinstance(expires_at, (int, float, str)):
            return
        try:
            self.expires_at = float(expires_at)
        except ValueError:
            return

    def due(self, margin: float) -> bool:
        """Whether the token should be refreshed now (``margin`` seconds before its expiry)."""
        if self.expires_at is None:
            return False
        if self.expires_in:
            # A token living 30 s with a 60 s margin would be refreshed on every call.
            margin = min(margin, self.expires_in / 2)
        return time.time() >= self.expires_at - margin

    def exported(self, extra: TokenData) -> TokenData:
        """The token as a plain dict (``session.token``), with the platform's ``extra`` fields."""
        data: TokenData = {"access_token": self.access_token}
        if self.refresh_token:
            data["refresh_token"] = self.refresh_token
        if self.expires_in is not None:
            data["expires_in"] = self.expires_in
        data["expires_at"] = self.expires_at
        data.update(extra)
        return data

    def to_persist(self, token: Mapping[str, Any]) -> TokenData:
        """What to store of a grant's answer ``token`` (already applied)."""
        persisted = dict(token) | {"expires_at": self.expires_at}
        if self.refresh_token and not persisted.get("refresh_token"):
            # OK answers a refresh without a new refresh token (protocol-notes §2.6): the one
            # in use stays valid, so what is stored must keep it, or the next process could
            # never refresh again.
            persisted["refresh_token"] = self.refresh_token
        return persisted

    def persist(self, data: TokenData, owner: str) -> None:
        """Hand a new token to the store and ``token_updater``; their failure never loses it.

        Why: the refresh already worked; failing the call (and dropping the new token) because
        a database was down would turn a storage hiccup into an outage. The error is logged and
        kept in :attr:`last_persist_error`.
        """
        for target in (self.store.save if self.store is not None else None, self.updater):
            if target is None:
                continue
            try:
                target(data)
            except Exception as exc:
                self.last_persist_error = exc
                logger.error(
                    "%s: saving the new token failed (%s); the session keeps it and goes on",
                    owner, self._redact(f"{type(exc).__name__}: {exc}"),
                )

    def load_saved(self, owner: str) -> Mapping[str, Any] | None:
        """The token another process saved (``token_loader``, else the store), if any."""
        loader = self.loader or (self.store.load if self.store is not None else None)
        return None if loader is None else checked_token(loader(), owner)

    # --- the single-flight refresh ------------------------------------------------------------

    def refresh(
        self,
        stale_token: str,
        *,
        force: bool,
        budget_scope: Callable[[str], AbstractContextManager[Budget]],
        can_refresh: Callable[[], bool],
        grant: Callable[[], TokenData],
        apply: Callable[[Mapping[str, Any], bool], None],
        margin: float,
        owner: str,
        platform: str,
    ) -> TokenData | None:
        """Refresh unless another thread (or process, via the loader) already did.

        Threads that waited while another one refreshed share its outcome: its new token, or
        its failure (re-raised, without a token request of their own). Waiting is bounded by
        the call's budget. ``apply(token, notify)`` takes a token over; ``grant()`` asks the
        platform for a new one.
        """
        attempt_seen = self._refresh_attempts
        with budget_scope("token refresh") as budget, self._hold_refresh_lock(budget, owner):
            if self._last_refresh_error is not None and not force:  # explicit: try anew
                failed_token, failed_at, error = self._last_refresh_error
                recent = time.monotonic() - failed_at < _SHARED_FAILURE_SECONDS
                waited = self._refresh_attempts != attempt_seen
                if failed_token == stale_token == self.access_token and (waited or recent):
                    raise copy.copy(error)
            stored = self.load_saved(owner)
            if stored:
                apply(stored, False)
            if not force and self.access_token != stale_token and not self.due(margin):
                return None
            if not can_refresh():
                raise SessionExpiredError(
                    102,
                    f"{owner} has no refresh token; authorize again (a new code, login or "
                    "token) to get a new access token",
                    platform=platform,
                )
            self._refresh_attempts += 1
            try:
                token = grant()
            except Error as exc:
                self._last_refresh_error = (stale_token, time.monotonic(), exc)
                raise
            self._last_refresh_error = None
            self.refresh_count += 1
            logger.info("%s: access token refreshed", owner)
            apply(token, True)
            return token

    @contextlib.contextmanager
    def _hold_refresh_lock(self, budget: Budget, owner: str) -> Iterator[None]:
        """Take the refresh lock (then the store's), waiting no longer than the budget allows.

        A refresh needed by a callback running inside a refresh (``token_updater`` calling
        the API) is refused at once: waiting for our own lock would never end.
        """
        if self._refresh_owner == threading.get_ident():
            raise ConfigurationError(
                f"{owner}: a token refresh was needed while this thread was already "
                "refreshing (did token_updater or a store call the API with an expired "
                "token?); call the API after the callback returns"
            )
        with self._hold_local_refresh_lock(budget):
            self._refresh_owner = threading.get_ident()
            try:
                if self.store is not None:
                    with self.store.lock():
                        yield
                else:
                    yield
            finally:
                self._refresh_owner = None

    @contextlib.contextmanager
    def _hold_local_refresh_lock(self, budget: Budget) -> Iterator[None]:
        lock = self._refresh_lock
        acquire = getattr(lock, "acquire", None)
        if isinstance(lock, _LOCK_TYPES) and callable(acquire):
            if not acquire(timeout=max(0.0, budget.remaining())):
                raise RequestTimeout(
                    f"{budget.what}: another thread was still refreshing the token when the "
                    f"{budget.seconds:g} s deadline passed",
                    may_have_reached=False,
                )
            try:
                yield
            finally:
                lock.release()
        else:  # a user's lock (file, Redis...): its own timeout applies
            with lock:
                yield

    def reset_after_fork(self) -> None:
        """In a forked child: new locks (one held by a parent thread would never be released)."""
        self.lock = threading.RLock()
        if self._own_refresh_lock:
            self._refresh_lock = threading.Lock()
        self._refresh_owner = None


def checked_token(value: object, owner: str) -> Mapping[str, Any] | None:
    """What ``token_loader`` (or a store) returned, if it is usable token data; else an error."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"{owner}: token_loader (or the store's load()) must return a dict of token "
            f"fields (as token_updater received it) or None, got {type(value).__name__}"
        )
    token = value.get("access_token") or value.get("session_key")
    if not isinstance(token, str) or not token:
        raise ConfigurationError(
            f"{owner}: the dict token_loader (or the store) returned has no access_token; "
            "return None when nothing is stored"
        )
    return value

