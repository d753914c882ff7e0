"""One time budget per call, shared by every attempt, backoff sleep and HTTP exchange in it.

Why: per-socket timeouts bound each read, not a call. A server that never answers costs
``attempts × read timeout``; one that trickles a byte at a time costs forever. A web view needs
one number it can rely on: the session's ``deadline`` is the longest any one call (all attempts,
retries, backoff sleeps, a refresh it triggers, a whole login flow) may take.

A budget is opened by the outermost operation of a thread (:func:`scope`); nested operations
(a refresh inside a call, each hop of a login) join it instead of starting their own clock, so
the bound holds for what the user called, not for each piece.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .exceptions import Error, ResponseError, TransportError

if TYPE_CHECKING:
    from ._redact import Redactor

__all__ = ["Budget", "BudgetScope", "current", "detached", "pace", "scope", "takes_timeout"]

#: The smallest socket timeout handed to a transport, so a nearly spent budget still gets a
#: clean timeout instead of a zero timeout (which would mean non-blocking in some places).
_MIN_SOCKET_TIMEOUT = 0.001


class Budget:
    """A deadline on the monotonic clock plus the bookkeeping a final message needs."""

    __slots__ = ("attempts", "deadline", "seconds", "started", "what")

    def __init__(self, seconds: float, what: str) -> None:
        self.seconds = float(seconds)
        self.what = what
        self.started = time.monotonic()
        self.deadline = self.started + self.seconds
        #: HTTP exchanges started under this budget (reported when it runs out).
        self.attempts = 0

    def remaining(self) -> float:
        """Seconds left (may be negative once spent)."""
        return self.deadline - time.monotonic()

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def socket_timeout(self, timeout: float | None) -> float:
        """``timeout`` capped by what is left, so one blocking read cannot outlive the budget."""
        left = max(_MIN_SOCKET_TIMEOUT, self.remaining())
        return left if timeout is None else max(_MIN_SOCKET_TIMEOUT, min(timeout, left))

    def sleep(self, seconds: float, sleeper: Callable[[float], None] = time.sleep) -> bool:
        """Sleep ``seconds`` if that leaves the budget unspent; ``False`` (no sleep) otherwise."""
        if seconds >= self.remaining():
            return False
        if seconds > 0:
            sleeper(seconds)
        return True

    def summary(self) -> str:
        """``'3 attempts in 2.51 s'``: for the final exception of a call."""
        plural = "" if self.attempts == 1 else "s"
        return f"{self.attempts} attempt{plural} in {self.elapsed():.2f} s"

    def __repr__(self) -> str:
        return f"<Budget {self.what!r} {self.remaining():.3f} of {self.seconds:g} s left>"


_local = threading.local()


def current() -> Budget | None:
    """The budget of the operation this thread is inside, if any."""
    return getattr(_local, "budget", None)


class scope:
    """Enter a budget of ``seconds``, or join the one this thread is already inside.

    A class rather than a generator context manager: it runs twice per API call, and the
    generator machinery cost more than the bookkeeping itself.
    """

    __slots__ = ("_budget", "outermost")

    def __init__(self, seconds: float, what: str) -> None:
        outer: Budget | None = getattr(_local, "budget", None)
        #: Whether this scope opened the budget (rather than joining an outer one).
        self.outermost = outer is None
        self._budget = Budget(seconds, what) if outer is None else outer

    @property
    def budget(self) -> Budget:
        return self._budget

    def __enter__(self) -> Budget:
        if self.outermost:
            _local.budget = self._budget
        return self._budget

    def __exit__(self, *exc_info: object) -> None:
        if self.outermost:
            _local.budget = None


class BudgetScope:
    """A :class:`scope` that also finishes the library exception leaving it, if outermost.

    What the user sees of a failed call is decided here, once: the exception is stamped with
    ``attempts`` and ``elapsed``, transport and body errors name the attempts in their message,
    and every secret the session knows is scrubbed from message, attributes and chain.
    """

    __slots__ = ("_redact", "_scope")

    def __init__(self, seconds: float, what: str, redact: Redactor) -> None:
        self._redact = redact
        self._scope = scope(seconds, what)

    def __enter__(self) -> Budget:
        return self._scope.__enter__()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        inner = self._scope
        inner.__exit__()
        if inner.outermost and isinstance(exc, Error):
            budget = inner.budget
            exc.attempts = budget.attempts
            exc.elapsed = budget.elapsed()
            if isinstance(exc, (TransportError, ResponseError)) and exc.args:
                exc.args = (f"{exc.args[0]} [{budget.summary()}]", *exc.args[1:])
            self._redact.scrub(exc)


class detached:
    """Step out of this thread's budget for a while: a scope opened inside is outermost.

    Why: a grant session that logs in on its first API call (see :mod:`mailru_sync._autologin`)
    gives the login its own deadline rather than a share of the call's; the call's budget is
    back in force when the login returns.
    """

    __slots__ = ("_outer",)

    def __init__(self) -> None:
        self._outer: Budget | None = None

    def __enter__(self) -> None:
        self._outer = getattr(_local, "budget", None)
        _local.budget = None

    def __exit__(self, *exc_info: object) -> None:
        _local.budget = self._outer


@functools.lru_cache(maxsize=128)
def takes_timeout(kind: type, method: str) -> bool:
    """Whether ``kind.method`` takes ``timeout=``: how a user's store or limiter says it can be
    given what is left of a call's budget (one written before that still works, unbounded)."""
    try:
        parameters = inspect.signature(getattr(kind, method)).parameters
    except (TypeError, ValueError, AttributeError):
        return False
    return "timeout" in parameters


def pace(limiter: Any, budget: Budget) -> None:
    """``limiter.acquire(timeout=<what is left of budget>)``: a limiter of ours reserves no slot
    past the deadline (the call fails at once). A user's limiter whose ``acquire()`` takes no
    timeout is called as it is (its own waits apply)."""
    kind: type = type(limiter)
    if takes_timeout(kind, "acquire"):
        limiter.acquire(timeout=max(0.0, budget.remaining()))
    else:
        limiter.acquire()
