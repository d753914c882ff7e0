"""One measured client, run in a process of its own; prints one JSON line with its figures.

Why a process per run: each client then starts from the same state (no warm caches or pools
left by another library, no shared GIL with the server or the runner), and ``PYTHONPATH`` picks
the source tree of ``mailru_sync`` being measured (the ``--baseline`` runs). The result names
the ``mailru_sync`` file actually imported, so the runner can prove which tree was timed.

Modes: ``sequential KIND`` (N calls after a warm-up), ``threads T`` (one shared mailru_sync
session), ``memory LIB`` (tracemalloc peak of one large body), ``batch`` (OK calls one by one
vs ``batch.executeV2``), ``sessions PATTERN`` and ``many`` (:mod:`scale`: sessions built per
use, and ``call_many``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import http.client
import json
import sys
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import benchconfig as cfg
import callers


def server_stats(base_url: str, reset: bool = False) -> dict[str, int]:
    """The load server's counters (a connection of its own, never counted as an API one)."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("GET", cfg.RESET_PATH if reset else cfg.STATS_PATH)
        data: dict[str, int] = json.loads(conn.getresponse().read())
        return data
    finally:
        conn.close()


def timed(call: Callable[[], Any], n: int) -> tuple[float, float]:
    """Wall and CPU seconds of ``n`` calls (CPU is the whole process, every thread)."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        call()
    return time.perf_counter() - wall0, time.process_time() - cpu0


def sequential(kind: str, base_url: str, n: int, warmup: int) -> dict[str, Any]:
    if kind == "aiomailru.loop":
        wall, cpu = asyncio.run(_in_one_loop(base_url, n, warmup))
    else:
        call = callers.SYNC_CALLERS[kind](base_url)
        callers.check_result(kind, call())
        for _ in range(warmup):
            call()
        gc.collect()
        wall, cpu = timed(call, n)
    return {"calls": n, "wall": wall, "cpu": cpu}


async def _in_one_loop(base_url: str, n: int, warmup: int) -> tuple[float, float]:
    call = callers.aiomailru_loop_caller(base_url)
    try:
        callers.check_result("aiomailru.loop", await call())
        for _ in range(warmup):
            await call()
        gc.collect()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            await call()
        return time.perf_counter() - wall0, time.process_time() - cpu0
    finally:
        await call.session.close()  # type: ignore[attr-defined]


def threads(base_url: str, count: int, per_thread: int) -> dict[str, Any]:
    """``count`` threads share one mailru_sync session; each warms up once, then all start
    together and make ``per_thread`` calls. Connections are those the session opened."""
    import mailru_sync

    server_stats(base_url, reset=True)
    method = mailru_sync.API(callers.mailru_sync_session(base_url)).users.getInfo
    start = threading.Barrier(count + 1)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            callers.check_result("mailru_sync.mailru", method(**cfg.MAILRU_PARAMS))
            start.wait()
            for _ in range(per_thread):
                method(**cfg.MAILRU_PARAMS)
        except BaseException as exc:
            errors.append(exc)
            start.abort()

    workers = [threading.Thread(target=work) for _ in range(count)]
    for worker in workers:
        worker.start()
    with contextlib.suppress(threading.BrokenBarrierError):  # a worker failed: see below
        start.wait()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for worker in workers:
        worker.join()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    if errors:
        first = next((e for e in errors if not isinstance(e, threading.BrokenBarrierError)), None)
        raise RuntimeError(f"{len(errors)} thread(s) failed: {first!r}") from first
    stats = server_stats(base_url)
    return {
        "threads": count,
        "calls": count * per_thread,
        "wall": wall,
        "cpu": cpu,
        "connections": stats["connections"],
    }


def memory(lib: str, base_url: str) -> dict[str, Any]:
    """Peak traced memory over the baseline while one ~1 MiB body is fetched and decoded.

    One large fetch first (pools, lazy imports, first-use caches), then the measured one, so
    the figure is the steady-state cost of a large answer, not of a first call.
    """
    import tracemalloc

    fetch = _large_fetcher(lib, base_url)
    first = fetch()
    if not isinstance(first, list) or not first or "text" not in first[0]:
        raise RuntimeError(f"{lib}: unexpected large answer {str(first)[:200]!r}")
    del first
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = fetch()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del result
    return {"lib": lib, "peak_bytes": peak - baseline, "body_bytes": cfg.LARGE_BODY_BYTES}


def _large_fetcher(lib: str, base_url: str) -> Callable[[], Any]:
    if lib == "requests":
        import requests

        session = requests.Session()
        url = base_url + cfg.MAILRU_PATH + "?" + callers.signed_query(cfg.LARGE_METHOD, {})
        return lambda: session.get(url).json()
    if lib == "mailru_sync":
        import mailru_sync

        api = mailru_sync.API(callers.mailru_sync_session(base_url))
        return lambda: api(cfg.LARGE_METHOD)
    raise SystemExit(f"unknown memory client {lib!r}")


def batch(base_url: str, n: int) -> dict[str, Any]:
    """``n`` OK calls one by one, then the same ``n`` through ``batch.executeV2``; the server's
    request counter gives the round trips of each."""
    from mailru_sync import ok

    api = ok.API(callers.mailru_sync_ok_session(base_url))
    api(cfg.OK_METHOD)  # connection and first-use work, outside both timings
    server_stats(base_url, reset=True)
    wall0 = time.perf_counter()
    singles = [api(cfg.OK_METHOD) for _ in range(n)]
    single_wall = time.perf_counter() - wall0
    single_trips = server_stats(base_url, reset=True)["requests"]
    calls: list[tuple[str, dict[str, str]]] = [(cfg.OK_METHOD, {}) for _ in range(n)]
    wall0 = time.perf_counter()
    results, how = _run_batch(api, calls)
    batch_wall = time.perf_counter() - wall0
    batch_trips = server_stats(base_url)["requests"]
    if len(singles) != n or len(results) != n:
        raise RuntimeError(f"batch: expected {n} results, got {len(singles)} and {len(results)}")
    return {
        "calls": n,
        "single_wall": single_wall,
        "single_round_trips": single_trips,
        "batch_wall": batch_wall,
        "batch_round_trips": batch_trips,
        "batch_via": how,
    }


def _run_batch(api: Any, calls: list[tuple[str, dict[str, str]]]) -> tuple[list[Any], str]:
    """Through ``API.batch`` when the library has one, else ``batch.executeV2`` sent raw.

    ``hasattr(api, "batch")`` is always true (``API.__getattr__`` makes a method proxy of any
    name), so the helper is looked up on the class.
    """
    helper = getattr(type(api), "batch", None)
    if callable(helper):
        return list(helper(api, calls)), "API.batch"
    batch_type: Any
    try:  # mailru_sync >= 0.1 with batches: api.batch is a BatchMethod proxy
        from mailru_sync.api import BatchMethod as batch_type
    except ImportError:  # a baseline tree from before batches
        batch_type = None
    if batch_type is not None and isinstance(api.batch, batch_type):
        return list(api.batch(calls)), "api.batch (batch.executeV2, 50 a request)"
    results: list[Any] = []
    for start in range(0, len(calls), cfg.BATCH_CHUNK):
        chunk = calls[start : start + cfg.BATCH_CHUNK]
        methods = json.dumps([{name: {"params": params}} for name, params in chunk])
        answer = api.session.call(cfg.BATCH_METHOD, {"methods": methods})
        if not isinstance(answer, list) or not all("ok" in item for item in answer):
            raise RuntimeError(f"batch: unexpected answer {str(answer)[:200]!r}")
        results.extend(item["ok"] for item in answer)
    return results, f"raw {cfg.BATCH_METHOD} in chunks of {cfg.BATCH_CHUNK}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the load server, http://127.0.0.1:PORT")
    sub = parser.add_subparsers(dest="mode", required=True)
    seq = sub.add_parser("sequential")
    seq.add_argument("kind", choices=(*callers.SYNC_CALLERS, "aiomailru.loop"))
    seq.add_argument("--calls", type=int, required=True)
    seq.add_argument("--warmup", type=int, default=50)
    thr = sub.add_parser("threads")
    thr.add_argument("count", type=int)
    thr.add_argument("--per-thread", type=int, required=True)
    mem = sub.add_parser("memory")
    mem.add_argument("lib", choices=("requests", "mailru_sync"))
    bat = sub.add_parser("batch")
    bat.add_argument("--calls", type=int, required=True)
    ses = sub.add_parser("sessions")
    ses.add_argument("pattern")
    ses.add_argument("--calls", type=int, required=True)
    ses.add_argument("--threads", type=int, default=1)
    man = sub.add_parser("many")
    man.add_argument("--calls", type=int, required=True)
    man.add_argument("--workers", type=int, required=True)
    args = parser.parse_args(argv)

    if args.mode == "sequential":
        result = sequential(args.kind, args.url, args.calls, args.warmup)
    elif args.mode == "threads":
        result = threads(args.url, args.count, args.per_thread)
    elif args.mode == "memory":
        result = memory(args.lib, args.url)
    elif args.mode == "sessions":
        import scale

        result = scale.sessions(args.url, args.pattern, args.calls, args.threads)
    elif args.mode == "many":
        import scale

        result = scale.many(args.url, args.calls, args.workers)
    else:
        result = batch(args.url, args.calls)
    module = sys.modules.get("mailru_sync")
    result["mailru_sync_file"] = getattr(module, "__file__", None)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
