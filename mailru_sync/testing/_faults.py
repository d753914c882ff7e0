"""Fault plan of the emulators: which request gets which transport or envelope failure.

Kept apart from the HTTP server so the choice (queued faults first, then the seeded random rate) is
easy to read and to test without sockets.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus

from ._messages import EmulatorResponse

#: Every fault kind understood by ``BaseEmulator.fail_next`` / ``set_fail_rate``.
FAULT_KINDS: frozenset[str] = frozenset(
    {
        "503",
        "502",
        "504",
        "reset",
        "reset_after",
        "truncate",
        "html",
        "empty",
        "garbage",
        "service_unavailable",
        "hang",
    }
)
#: "api" = API paths only, "oauth" = every other path, "all" = both.
FAULT_SCOPES: frozenset[str] = frozenset({"api", "oauth", "all"})
#: Faults whose request is still dispatched (a write is applied) before the failure.
PROCESSED_KINDS: frozenset[str] = frozenset({"reset_after", "truncate", "hang"})
#: Upper bound of a "hang", so a forgotten fault cannot stall a test run for long.
MAX_HANG_SECONDS = 30.0


@dataclass(frozen=True)
class Fault:
    """One fault to inject into one request."""

    kind: str
    retry_after: float | None = None
    seconds: float = 0.0


@dataclass
class _Queued:
    fault: Fault
    scope: str
    remaining: int


def _check_kind(kind: str) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")


def _check_scope(scope: str) -> None:
    if scope not in FAULT_SCOPES:
        raise ValueError(f"unknown fault scope {scope!r}; expected one of {sorted(FAULT_SCOPES)}")


def _scope_matches(scope: str, is_api: bool) -> bool:
    return scope == "all" or (scope == "api") == is_api


class FaultPlan:
    """Thread-safe queue of explicit faults plus a seeded random failure rate."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)
        self._queue: list[_Queued] = []
        self._rate = 0.0
        self._rate_kinds: tuple[str, ...] = ()
        self._rate_scope = "api"

    def reset(self) -> None:
        """Forget every queued fault and the random rate; reseed the RNG."""
        with self._lock:
            self._rng = random.Random(self._seed)
            self._queue.clear()
            self._rate = 0.0
            self._rate_kinds = ()
            self._rate_scope = "api"

    def add(
        self,
        n: int,
        kind: str,
        *,
        scope: str = "api",
        retry_after: float | None = None,
        seconds: float = 0.0,
    ) -> None:
        """Queue ``n`` faults of ``kind`` for the next matching requests (FIFO)."""
        _check_kind(kind)
        _check_scope(scope)
        if n < 0:
            raise ValueError("n must be >= 0")
        if retry_after is not None and retry_after < 0:
            raise ValueError("retry_after must be >= 0")
        seconds = min(max(float(seconds), 0.0), MAX_HANG_SECONDS)
        if n == 0:
            return
        with self._lock:
            self._queue.append(_Queued(Fault(kind, retry_after, seconds), scope, n))

    def set_rate(self, rate: float, kinds: Sequence[str], scope: str = "api") -> None:
        """Fail a ``rate`` fraction of matching requests with a kind drawn from ``kinds``."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        kinds = tuple(kinds)
        for kind in kinds:
            _check_kind(kind)
        if rate > 0 and not kinds:
            raise ValueError("kinds must not be empty when rate > 0")
        _check_scope(scope)
        with self._lock:
            self._rate = float(rate)
            self._rate_kinds = kinds
            self._rate_scope = scope

    @property
    def rate(self) -> float:
        with self._lock:
            return self._rate

    def pending(self) -> int:
        """Number of queued (not yet injected) faults."""
        with self._lock:
            return sum(q.remaining for q in self._queue)

    def take(self, is_api: bool) -> Fault | None:
        """The fault for the request now arriving (queued first, then random), or ``None``."""
        with self._lock:
            for queued in self._queue:
                if _scope_matches(queued.scope, is_api):
                    queued.remaining -= 1
                    if queued.remaining <= 0:
                        self._queue.remove(queued)
                    return queued.fault
            if self._rate > 0 and _scope_matches(self._rate_scope, is_api):
                # Draw for every matching request, so the sequence depends only on the seed.
                hit = self._rng.random() < self._rate
                kind = self._rng.choice(self._rate_kinds)
                if hit:
                    return Fault(kind)
            return None


def canned_answer(fault: Fault, api_content_type: str) -> EmulatorResponse | None:
    """The fixed answer of a fault that never reaches the platform code, else ``None``.

    Gateway errors are a proxy's HTML page (with ``Retry-After`` when asked); ``html``, ``empty``
    and ``garbage`` are deliberately not API answers, so a client's decoding is put to the test.
    """
    kind = fault.kind
    if kind in ("502", "503", "504"):
        status = int(kind)
        phrase = HTTPStatus(status).phrase
        resp = EmulatorResponse.html(
            f"<html><head><title>{status} {phrase}</title></head>"
            f"<body><h1>{status} {phrase}</h1></body></html>",
            status=status,
        )
        if fault.retry_after is not None:
            resp.headers.append(("Retry-After", f"{fault.retry_after:g}"))
        return resp
    if kind == "html":
        return EmulatorResponse.html(
            "<!DOCTYPE html><html><head><title>Ошибка</title></head>"
            "<body><h1>Что-то пошло не так</h1><p>Попробуйте позже.</p></body></html>"
        )
    if kind == "empty":
        return EmulatorResponse(body=b"", content_type=api_content_type)
    if kind == "garbage":
        return EmulatorResponse(
            body=b'{"response": [1, 2, \x00\xff garbage', content_type=api_content_type
        )
    return None
