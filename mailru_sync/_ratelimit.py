"""Client-side call pacing: an opt-in limit of calls per second per session.

Why a reservation clock rather than a token bucket with a lock held while sleeping: each caller
takes the lock only to reserve its slot (a few arithmetic operations), then sleeps *outside* the
lock, so threads never wait on each other's I/O and slots are handed out in arrival order.

Why a slot is reserved only within the call's budget: with 8 threads on 2 calls per second the
last thread's slot is 3.5 s away; sleeping until then would blow a 1 s ``deadline``. A limiter
asked with ``timeout=`` (what is left of the deadline) reserves nothing it cannot reach in time
and fails the call at once with :class:`~mailru_sync.RequestTimeout`, leaving the slot to a
caller that can use it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from ._forksafe import reset_in_child
from .exceptions import ConfigurationError, RequestTimeout

__all__ = ["Limiter", "RateLimiter", "ReservingLimiter", "too_late"]


@runtime_checkable
class Limiter(Protocol):
    """What ``rate_limit=`` accepts besides a number: anything that waits for a call slot.
    An ``acquire`` that also takes ``timeout=`` is given what is left of the call's deadline."""

    def acquire(self) -> float: ...


class ReservingLimiter:
    """A limiter that reserves a slot (:meth:`reserve`, fast, under whatever lock it needs)
    and then waits for it with no lock held: the shape every limiter of ours shares."""

    _sleep: Callable[[float], None] = staticmethod(time.sleep)

    def reserve(self, max_wait: float | None = None) -> float | None:
        """Reserve the next slot and return how long the caller must wait for it (no sleeping);
        ``None``, reserving nothing, when that would be ``max_wait`` seconds or more."""
        raise NotImplementedError

    def acquire(self, timeout: float | None = None) -> float:
        """Wait (outside any lock) until this caller's slot; return the seconds waited.

        With ``timeout``, a slot that does not come before it is not taken: the call fails at
        once with :class:`~mailru_sync.RequestTimeout` instead of sleeping past its deadline.
        """
        delay = self.reserve(None if timeout is None else max(0.0, timeout))
        if delay is None:
            raise RequestTimeout(
                f"{self!r}: no call slot free within the {max(0.0, timeout or 0.0):.2f} s left "
                "of the call's deadline; make fewer calls at once, or raise the rate or the "
                "deadline",
                may_have_reached=False,
            )
        if delay > 0:
            self._sleep(delay)
        return delay


def too_late(delay: float, max_wait: float | None) -> bool:
    """Whether a slot ``delay`` seconds away is past ``max_wait`` (a zero wait always fits)."""
    return max_wait is not None and delay > 0 and delay >= max_wait


class RateLimiter(ReservingLimiter):
    """At most ``rate`` calls per second, spaced evenly, with up to ``burst`` calls at once.

    Thread-safe, and new in a forked child. ``clock``/``sleep`` are injectable for tests.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)):
            raise ConfigurationError(
                f"rate_limit must be a number of calls per second, got {rate!r}"
            )
        if not rate > 0:
            raise ConfigurationError(f"rate_limit must be > 0 calls per second, got {rate!r}")
        if burst < 1:
            raise ConfigurationError(f"burst must be >= 1, got {burst!r}")
        self.rate = float(rate)
        self.burst = burst
        self._interval = 1.0 / self.rate
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_free = 0.0  # the earliest time the next slot may start
        reset_in_child(self, RateLimiter._reset_after_fork)

    def reserve(self, max_wait: float | None = None) -> float | None:
        """Reserve the next slot; return how long the caller must wait for it (no sleeping),
        or ``None`` (nothing reserved) when that is ``max_wait`` or more."""
        with self._lock:
            now = self._clock()
            # Unused time accumulates up to `burst` slots, so an idle session may burst.
            earliest = now - (self.burst - 1) * self._interval
            slot = max(self._next_free, earliest)
            delay = max(0.0, slot - now)
            if too_late(delay, max_wait):
                return None
            self._next_free = slot + self._interval
            return delay

    def _reset_after_fork(self) -> None:
        self._lock = threading.Lock()  # a parent thread may have held it at fork time

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate!r}, burst={self.burst!r})"
