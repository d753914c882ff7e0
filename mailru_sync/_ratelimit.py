"""Client-side call pacing: an opt-in limit of calls per second per session.

Why a reservation clock rather than a token bucket with a lock held while sleeping: each caller
takes the lock only to reserve its slot (a few arithmetic operations), then sleeps *outside* the
lock, so threads never wait on each other's I/O and slots are handed out in arrival order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from .exceptions import ConfigurationError

__all__ = ["Limiter", "RateLimiter", "ReservingLimiter"]


@runtime_checkable
class Limiter(Protocol):
    """What ``rate_limit=`` accepts besides a number: anything that waits for a call slot."""

    def acquire(self) -> float: ...


class ReservingLimiter:
    """A limiter that reserves a slot (:meth:`reserve`, fast, under whatever lock it needs)
    and then waits for it with no lock held: the shape every limiter of ours shares."""

    _sleep: Callable[[float], None] = staticmethod(time.sleep)

    def reserve(self) -> float:
        """Reserve the next slot; return how long the caller must wait for it (no sleeping)."""
        raise NotImplementedError

    def acquire(self) -> float:
        """Wait (outside any lock) until this caller's slot; return the seconds waited."""
        delay = self.reserve()
        if delay > 0:
            self._sleep(delay)
        return delay


class RateLimiter(ReservingLimiter):
    """At most ``rate`` calls per second, spaced evenly, with up to ``burst`` calls at once.

    Thread-safe. ``clock``/``sleep`` are injectable for tests.
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

    def reserve(self) -> float:
        """Reserve the next slot; return how long the caller must wait for it (no sleeping)."""
        with self._lock:
            now = self._clock()
            # Unused time accumulates up to `burst` slots, so an idle session may burst.
            earliest = now - (self.burst - 1) * self._interval
            slot = max(self._next_free, earliest)
            self._next_free = slot + self._interval
            return max(0.0, slot - now)

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate!r}, burst={self.burst!r})"
