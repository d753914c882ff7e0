"""Enforcing a deadline on a blocking socket read that is trickled a byte at a time.

Why: a socket timeout bounds the wait for *each* read, so a server that sends the status line,
a header or a chunk-size line one byte every few seconds keeps ``http.client`` reading forever
without ever timing out, and checks between body reads never run. The only general cure for a
blocking client is to interrupt the socket from outside: when an exchange's deadline passes,
:class:`Watchdog` shuts the connection's socket down, the blocked read returns, and the session
reports a timeout.

Cost on the hot path: arming pushes one entry on a heap under a lock and (usually) wakes no one;
disarming flips a flag and counts the entry as finished. One daemon thread per process sleeps
until the earliest deadline, so sequential calls do not wake it once each. Finished entries are
dropped in bulk whenever they outnumber the live ones, so the heap holds about twice the
exchanges in flight, not every call of the last ``deadline`` seconds (at 2,000 calls/s and a
20 s deadline that would be 40,000 entries).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from typing import TYPE_CHECKING, Protocol

from ._forksafe import reset_in_child

__all__ = ["WATCHDOG", "Watch", "Watchdog", "attach", "current_watch", "watching"]


if TYPE_CHECKING:  # a typing aid only; no Protocol class is built at run time

    class _HasSocket(Protocol):
        sock: socket.socket | None


class Watch:
    """One exchange under watch: its deadline and the connection it is using (once known)."""

    __slots__ = ("active", "conn", "deadline", "fired", "lock")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.conn: _HasSocket | None = None
        self.active = True
        self.fired = False
        self.lock = threading.Lock()

    def fire(self) -> None:
        """Interrupt the exchange: shut down its socket if it still owns the connection."""
        with self.lock:
            if not self.active:
                return
            self.fired = True
            conn = self.conn
            # The connection may already serve another thread's exchange (released to the
            # pool an instant before we disarmed): only its current owner may be shut down.
            if conn is None or getattr(conn, "_mailru_watch", None) is not self:
                return
            sock = conn.sock
            if sock is not None:
                # The base-class method on purpose: ssl.SSLSocket.shutdown also drops its TLS
                # object, which a read blocked in another thread may still be using.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def disarm(self) -> None:
        with self.lock:
            self.active = False


class Watchdog:
    """A heap of deadlines served by one lazily started daemon thread (new after a fork)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Watch]] = []
        self._seq = itertools.count()
        self._started = False
        #: Entries on the heap whose exchange has finished.
        self._finished = 0
        reset_in_child(self, Watchdog._reset_after_fork)

    def arm(self, deadline: float) -> Watch:
        watch = Watch(deadline)
        with self._cond:
            if not self._started:
                self._start()
            if self._finished > 32 and 2 * self._finished > len(self._heap):
                self._heap = [entry for entry in self._heap if entry[2].active]
                heapq.heapify(self._heap)
                self._finished = 0
            earliest = self._heap[0][0] if self._heap else None
            heapq.heappush(self._heap, (deadline, next(self._seq), watch))
            if earliest is None or deadline < earliest:
                self._cond.notify()
        return watch

    def finished(self, watch: Watch) -> None:
        """The exchange of ``watch`` is over: it will never fire, its entry may go."""
        watch.disarm()
        with self._cond:
            self._finished += 1

    def _start(self) -> None:
        self._started = True
        thread = threading.Thread(target=self._run, name="mailru_sync-watchdog", daemon=True)
        thread.start()

    def _reset_after_fork(self) -> None:
        """In a forked child: the parent's thread is gone and a parent thread may have held
        the condition's lock at fork time; the heap's exchanges are the parent's. Start afresh
        (the thread again on first use)."""
        self._cond = threading.Condition(threading.Lock())
        self._heap = []
        self._finished = 0
        self._started = False

    def _run(self) -> None:
        while True:
            due: list[Watch] = []
            with self._cond:
                if not self._heap:
                    self._cond.wait()
                    continue
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    watch = heapq.heappop(self._heap)[2]
                    if watch.active:
                        due.append(watch)
                    elif self._finished:
                        self._finished -= 1
                if not due:
                    if self._heap:
                        self._cond.wait(self._heap[0][0] - now)
                    continue
            for watch in due:
                watch.fire()

    def pending(self) -> int:
        """Entries on the heap, finished ones included until their deadline (for tests)."""
        with self._cond:
            return len(self._heap)


#: The process-wide watchdog.
WATCHDOG = Watchdog()

_local = threading.local()


def current_watch() -> Watch | None:
    return getattr(_local, "watch", None)


class watching:
    """``with watching(deadline) as watch:`` arms the watchdog for one exchange of this thread."""

    __slots__ = ("_deadline", "_watch")

    def __init__(self, deadline: float) -> None:
        self._deadline = deadline
        self._watch: Watch | None = None

    def __enter__(self) -> Watch:
        self._watch = WATCHDOG.arm(self._deadline)
        _local.watch = self._watch
        return self._watch

    def __exit__(self, *exc_info: object) -> None:
        _local.watch = None
        assert self._watch is not None
        WATCHDOG.finished(self._watch)


def attach(conn: _HasSocket) -> None:
    """Called by our connection classes when this thread starts using ``conn``."""
    watch = current_watch()
    if watch is not None:
        with watch.lock:
            conn._mailru_watch = watch  # type: ignore[attr-defined]
            watch.conn = conn
            if watch.fired:  # the deadline passed before a socket existed to interrupt
                raise TimeoutError("the call's deadline passed")
