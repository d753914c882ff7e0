"""Client modes of issue 22: sessions built per use (``sessions PATTERN``) and ``call_many``.

Why these shapes: they are how the library is deployed. A script or a Celery task builds,
uses and closes a session in a loop (``loop-close``), or forgets to close it (``loop-drop``);
a web app builds one per request on a thread pool (``per-request``), which is compared with
all threads sharing one session (``shared``). What matters is counted by the load server:
connections opened (a TLS handshake each against the real platforms) and connections still
open afterwards (idle sockets the process keeps). ``many`` times ``session.call_many``.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from typing import Any

import benchconfig as cfg
import callers
from client import server_stats

PATTERNS = ("loop-close", "loop-drop", "per-request", "shared")


def settled_stats(base_url: str, wait: float = 2.0) -> dict[str, int]:
    """The server's counters once the closes a client sent have arrived (``open`` stops
    falling for 0.2 s, or ``wait`` seconds passed)."""
    give_up = time.monotonic() + wait
    last = server_stats(base_url)
    while time.monotonic() < give_up:
        time.sleep(0.2)
        now = server_stats(base_url)
        if now["open"] == last["open"]:
            return now
        last = now
    return last


def sessions(base_url: str, pattern: str, requests: int, threads: int) -> dict[str, Any]:
    """``requests`` calls made the ``pattern`` way (see the module doc)."""
    server_stats(base_url, reset=True)
    wall0 = time.perf_counter()
    if pattern == "loop-close":
        for _ in range(requests):
            session = callers.mailru_sync_session(base_url)
            callers.check_result("mailru_sync.mailru", _call(session))
            session.close()
    elif pattern == "loop-drop":
        for _ in range(requests):
            callers.check_result("mailru_sync.mailru", _call(callers.mailru_sync_session(base_url)))
        gc.collect()  # sessions hold reference cycles; a long-running process collects them
    elif pattern == "per-request":
        _on_threads(threads, requests, lambda: _per_request(base_url))
    elif pattern == "shared":
        shared = callers.mailru_sync_session(base_url)
        _on_threads(threads, requests, lambda: _call(shared))
    else:
        raise SystemExit(f"unknown pattern {pattern!r}")
    wall = time.perf_counter() - wall0
    stats = settled_stats(base_url)
    if stats["requests"] != requests:
        raise RuntimeError(f"{pattern}: the server saw {stats['requests']} of {requests} calls")
    return {"pattern": pattern, "calls": requests, "threads": threads, "wall": wall, **stats}


def _call(session: Any) -> Any:
    return session.call(cfg.MAILRU_METHOD, cfg.MAILRU_PARAMS)


def _per_request(base_url: str) -> Any:
    """One web request: a session of its own, used once, closed (``with``)."""
    with callers.mailru_sync_session(base_url) as session:
        return _call(session)


def _on_threads(count: int, requests: int, handle: Callable[[], Any]) -> None:
    """``requests`` calls of ``handle`` spread over ``count`` threads (a server's pool)."""
    left = iter(range(requests))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        while True:
            with lock:
                if next(left, None) is None:
                    return
            try:
                callers.check_result("mailru_sync.mailru", handle())
            except BaseException as exc:
                errors.append(exc)
                return

    workers = [threading.Thread(target=work) for _ in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise RuntimeError(f"{len(errors)} thread(s) failed: {errors[0]!r}") from errors[0]


def many(base_url: str, calls: int, workers: int) -> dict[str, Any]:
    """``calls`` Mail.ru reads through one ``session.call_many(..., workers=workers)``."""
    session = callers.mailru_sync_session(base_url)
    if not hasattr(session, "call_many"):
        return {"skipped": "this tree has no session.call_many"}
    _call(session)  # first-use work outside the timing
    server_stats(base_url, reset=True)
    batch = [(cfg.MAILRU_METHOD, cfg.MAILRU_PARAMS)] * calls
    wall0 = time.perf_counter()
    results = session.call_many(batch, workers=workers, raise_errors=True)
    wall = time.perf_counter() - wall0
    for result in results:
        callers.check_result("mailru_sync.mailru", result)
    stats = server_stats(base_url)
    return {"calls": calls, "workers": workers, "wall": wall, **stats}
