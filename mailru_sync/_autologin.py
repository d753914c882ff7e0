"""Grant sessions that log in on their first API call, so dropping ``await`` is the migration.

aiomailru/aiookru wrote ``session = await ImplicitSession(...)``: awaiting the constructor ran
the login. Without ``await`` the same line only builds the session, and building still does no
I/O; so the first call that needs the token runs :meth:`authorize` itself. ``authorize()`` and
``with ... as session:`` keep working and make this a no-op.

Why a lock of our own: many threads may hit a fresh session at once (a web app's first
requests); exactly one logs in, the others wait for it (no longer than their call's deadline)
and share its outcome, the token or the error, so a failing login is not repeated per thread.
The login runs in a budget of its own (the session's ``deadline``), not in what is left of the
first call's.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from ._budget import current, detached
from ._forksafe import reset_in_child
from .exceptions import Error, RequestTimeout

__all__ = ["AuthorizeOnFirstCall"]


class AuthorizeOnFirstCall:
    """Mixin for grant sessions: :meth:`_ensure_ready` authorizes once, single-flight.

    Put it first among the bases (``class ImplicitSession(AuthorizeOnFirstCall, OkSession)``);
    it relies only on ``is_authorized``, ``authorize()`` and the session's ``_ensure_ready``.
    """

    is_authorized: bool

    def authorize(self) -> Any:
        """Obtain the token by the session's grant (each grant class defines it)."""
        raise NotImplementedError

    def _first_login(self) -> _LoginState:
        """This session's login state; a forked child starts with none (a lock held by
        another parent thread would never be released there)."""
        state: _LoginState | None = self.__dict__.get("_autologin")
        if state is None:
            state = self.__dict__.setdefault("_autologin", _LoginState())
            reset_in_child(self, _forget_login)
        return state

    def _ensure_ready(self) -> None:
        if not self.is_authorized:
            self._authorize_single_flight()
        super()._ensure_ready()  # type: ignore[misc]

    def _authorize_single_flight(self) -> None:
        state = self._first_login()
        if state.owner == threading.get_ident():
            return  # the login itself needs a call: let the session say it is not authorized
        seen = state.attempts
        budget = current()
        if not state.lock.acquire(timeout=-1 if budget is None else max(0.0, budget.remaining())):
            raise RequestTimeout(
                f"{type(self).__name__}: another thread was still logging in when the "
                f"{budget.seconds if budget else 0:g} s deadline passed",
                may_have_reached=False,
            )
        try:
            if self.is_authorized:
                return
            if state.attempts != seen and state.error is not None:
                raise copy.copy(state.error)  # the login we waited for failed: share its error
            state.attempts += 1
            state.owner = threading.get_ident()
            try:
                with detached():
                    self.authorize()
            except Error as exc:
                state.error = exc
                raise
            finally:
                state.owner = None
            state.error = None
        finally:
            state.lock.release()


def _forget_login(session: AuthorizeOnFirstCall) -> None:
    session.__dict__.pop("_autologin", None)


class _LoginState:
    """One process's first-login bookkeeping of a session."""

    __slots__ = ("attempts", "error", "lock", "owner")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempts = 0  # logins started, so a waiter knows whether one ran while it waited
        self.error: Error | None = None  # the last login's failure, shared with its waiters
        self.owner: int | None = None  # the thread logging in
