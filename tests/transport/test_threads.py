"""One session shared by many threads: no errors, every response matches its request."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from mailru_sync import API, RateLimiter
from mailru_sync.testing import MailruEmulator, OkEmulator
from tests.transport.conftest import mailru_session, ok_session

THREADS, CALLS = 16, 500


def test_16_threads_x_500_calls_on_one_mailru_session(mailru_emulator: MailruEmulator) -> None:
    session = mailru_session(mailru_emulator, pool_maxsize=THREADS)
    api = API(session)
    uids = sorted(mailru_emulator.world.people)[:200]
    mismatches: list[tuple[str, object]] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        for i in range(CALLS):
            uid = uids[(n * CALLS + i) % len(uids)]
            try:
                got = api.users.getInfo(uids=uid)
            except Exception as exc:  # counted, not swallowed: asserted empty below
                errors.append(exc)
                continue
            if [u["uid"] for u in got] != [uid]:
                mismatches.append((uid, got))

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(worker, range(THREADS)))
    assert errors == []
    assert mismatches == []
    assert mailru_emulator.counters["api_calls"] == THREADS * CALLS
    # Keep-alive: connections are reused, at most one per thread, never one per call.
    assert mailru_emulator.counters["connections"] <= THREADS


def test_ok_session_shared_by_threads(ok_emulator: OkEmulator) -> None:
    session = ok_session(ok_emulator, pool_maxsize=8)
    uids = sorted(ok_emulator.world.profiles)[:100]
    bad: list[object] = []

    def worker(n: int) -> None:
        for i in range(100):
            uid = uids[(n * 100 + i) % len(uids)]
            got = session.call("users.getInfo", {"uids": uid, "fields": "uid,name"})
            if [u["uid"] for u in got] != [uid]:
                bad.append(got)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(worker, range(8)))
    assert bad == []
    assert ok_emulator.counters["connections"] <= 8


def test_sequential_calls_reuse_one_connection(mailru_emulator: MailruEmulator) -> None:
    session = mailru_session(mailru_emulator)
    for _ in range(50):
        session.call("events.getNewCount")
    assert mailru_emulator.counters["connections"] == 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_spaces_slots_evenly() -> None:
    clock = FakeClock()
    waits: list[float] = []
    limiter = RateLimiter(10, clock=clock, sleep=waits.append)
    delays = [limiter.acquire() for _ in range(5)]
    assert [round(d, 6) for d in delays] == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert len(waits) == 4  # the first call did not wait


def test_rate_limiter_never_sleeps_under_its_lock() -> None:
    """While one caller sleeps for its slot, a probe thread can still reserve one at once."""
    clock = FakeClock()
    probes: list[bool] = []
    holder: dict[str, RateLimiter] = {}

    def probing_sleep(seconds: float) -> None:
        done = threading.Event()

        def probe() -> None:
            holder["limiter"].reserve()  # blocks if the sleeping caller holds the lock
            done.set()

        thread = threading.Thread(target=probe, daemon=True)
        thread.start()
        probes.append(done.wait(5.0))  # generous: an uncontended lock takes microseconds

    limiter = holder["limiter"] = RateLimiter(10, clock=clock, sleep=probing_sleep)
    for _ in range(3):
        limiter.acquire()
    assert probes == [True, True]  # two callers slept, and neither held the lock meanwhile


def test_rate_limiter_hands_out_distinct_slots_to_threads() -> None:
    clock = FakeClock()
    limiter = RateLimiter(50, clock=clock, sleep=lambda s: None)
    barrier = threading.Barrier(20)
    delays: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        barrier.wait()
        d = limiter.reserve()
        with lock:
            delays.append(round(d, 6))

    threads = [threading.Thread(target=take) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(delays) == [round(i * 0.02, 6) for i in range(20)]


def test_rate_limiter_burst_and_idle() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, burst=3, clock=clock, sleep=lambda s: None)
    assert [limiter.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.reserve() == 0.5
    clock.now += 100  # idle time accrues only up to the burst
    assert [limiter.reserve() for _ in range(4)][-1] == 0.5


def test_session_rate_limit_option_paces_calls(mailru_emulator: MailruEmulator) -> None:
    """N calls at r calls/s take at least (N - 1) / r, measured on an independent clock."""
    calls, rate = 6, 20.0
    session = mailru_session(mailru_emulator, rate_limit=rate)
    started = time.monotonic()
    for _ in range(calls):
        session.call("events.getNewCount")
    took = time.monotonic() - started
    assert took >= (calls - 1) / rate, took  # a lower bound: the pacing itself
    assert mailru_emulator.counters["api_calls"] == calls
