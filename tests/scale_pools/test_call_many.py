"""``session.call_many`` and ``api.call_many`` (issue 22, part 2): results in order, errors in
place or raised after every call finished, writes never resent, limiter and deadlines per call,
OK reads grouped into batches, connections bounded by the workers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import pytest

from mailru_sync import API, APIError, ConfigurationError, ParameterError, TransportError
from mailru_sync.testing import MailruEmulator, OkEmulator
from tests.scale_pools.counting import (
    UID,
    CountingServer,
    Request,
    echo_uids,
    params_of,
    session_for,
)
from tests.transport.conftest import mailru_session, ok_session
from tests.transport.hostile import hang_up


def slow_for_low_uids(conn: socket.socket, request: Request) -> None:
    """Answers the first calls last, so completion order differs from input order."""
    uid = int(params_of(request).get("uids", "0"))
    time.sleep(max(0.0, 0.2 - uid * 0.01))
    echo_uids(conn, request)


def test_results_come_back_in_input_order(counting: Callable[..., CountingServer]) -> None:
    server = counting(slow_for_low_uids)
    session = session_for(server, max_retries=0)
    calls = [("users.getInfo", {"uids": str(n)}) for n in range(30)]
    results = session.call_many(calls, workers=6)
    assert results == [[{"uid": str(n)}] for n in range(30)]
    assert server.connections <= 6


def test_api_call_many_is_the_same(counting: Callable[..., CountingServer]) -> None:
    server = counting()
    api = API(session_for(server))
    assert api.call_many([("users.getInfo", {"uids": "7"}), ("users.getInfo", None)]) == [
        [{"uid": "7"}],
        [{"uid": UID}],
    ]


def test_api_errors_are_results_or_raised_after_all_calls(
    mailru_emulator: MailruEmulator,
) -> None:
    session = mailru_session(mailru_emulator)
    calls = [("users.getInfo", None), ("no.suchMethod", None), ("users.getInfo", None)]
    results = session.call_many(calls, workers=3)
    assert isinstance(results[1], APIError) and not isinstance(results[0], APIError)
    assert results[0] == results[2]

    mailru_emulator.clear_log()
    with pytest.raises(APIError):
        session.call_many(calls, workers=3, raise_errors=True)
    assert len(mailru_emulator.requests) == 3  # every call ran before the error was raised


def hang_up_on_writes(conn: socket.socket, request: Request) -> None:
    if request.line.startswith("POST"):
        hang_up(conn, request)
    else:
        echo_uids(conn, request)


def test_a_failed_write_is_not_resent_and_its_error_is_its_result(
    counting: Callable[..., CountingServer],
) -> None:
    server = counting(hang_up_on_writes)
    session = session_for(server, max_retries=3)  # reads would be retried; a write never
    calls = [("users.getInfo", {"uids": "1"}), ("stream.post", {"text": "hi"})] * 2
    results = session.call_many(calls, workers=4)
    assert results[0] == results[2] == [{"uid": "1"}]
    assert isinstance(results[1], TransportError) and isinstance(results[3], TransportError)
    posts = [r for r in server.requests if r.line.startswith("POST")]
    assert len(posts) == 2  # one per write: none resent

    with pytest.raises(TransportError):
        session.call_many(calls, workers=4, raise_errors=True)


class FailingLimiter:
    """A limiter (``rate_limit=`` accepts any ``acquire()``) counting slots; the third raises
    an exception that is not the library's, like a bug in user code."""

    def __init__(self) -> None:
        self.acquired = 0
        self.lock = threading.Lock()

    def acquire(self) -> float:
        with self.lock:
            self.acquired += 1
            if self.acquired == 3:
                raise RuntimeError("limiter backend is down")
        return 0.0


def test_every_call_takes_a_limiter_slot_and_a_foreign_error_is_raised_after_the_rest(
    counting: Callable[..., CountingServer],
) -> None:
    server = counting()
    limiter = FailingLimiter()
    session = session_for(server, rate_limit=limiter)
    calls = [("users.getInfo", {"uids": str(n)}) for n in range(10)]
    with pytest.raises(RuntimeError, match="limiter backend is down"):
        session.call_many(calls, workers=3)  # raised even with raise_errors=False
    assert limiter.acquired == 10
    assert len(server.requests) == 9  # the others all ran


def stall_uid_5(conn: socket.socket, request: Request) -> None:
    if params_of(request).get("uids") == "5":
        time.sleep(1.5)
    echo_uids(conn, request)


def test_each_call_has_its_own_deadline(counting: Callable[..., CountingServer]) -> None:
    server = counting(stall_uid_5)
    session = session_for(server, deadline=0.5, max_retries=0)
    results = session.call_many([("users.getInfo", {"uids": str(n)}) for n in range(8)], workers=8)
    assert isinstance(results[5], TransportError)
    assert [r for n, r in enumerate(results) if n != 5] == [
        [{"uid": str(n)}] for n in range(8) if n != 5
    ]


def test_connections_stay_within_the_workers(mailru_emulator: MailruEmulator) -> None:
    mailru_emulator.set_latency(20)
    session = mailru_session(mailru_emulator)
    results = session.call_many([("users.getInfo", None)] * 40, workers=4)
    assert len(results) == 40 and not any(isinstance(r, Exception) for r in results)
    assert mailru_emulator.counters["connections"] <= 4
    assert mailru_emulator.counters["api_calls"] == 40


def test_ok_reads_go_in_batches_and_writes_alone(ok_emulator: OkEmulator) -> None:
    session = ok_session(ok_emulator)
    reads = [("users.getCurrentUser", None)] * 120
    write = ("mediatopic.post", {"type": "USER", "attachment": {"media": [{"type": "text",
                                                                            "text": "hi"}]}})
    results = session.call_many([*reads[:60], write, *reads[60:]], workers=4)
    assert len(results) == 121
    assert all(r == results[0] for n, r in enumerate(results) if n != 60)
    assert not isinstance(results[60], APIError), results[60]
    methods = [r.params.get("method") for r in ok_emulator.requests]
    assert sorted(methods) == sorted(["batch.executeV2"] * 3 + ["mediatopic.post"])

    ok_emulator.clear_log()
    session.call_many(reads[:5], batch=False)
    assert len(ok_emulator.requests) == 5


def test_bad_input_is_refused_before_anything_is_sent(
    counting: Callable[..., CountingServer],
) -> None:
    server = counting()
    session = session_for(server)
    with pytest.raises(ParameterError, match="call #1"):
        session.call_many([("users.getInfo", None), "users.getInfo"])  # type: ignore[list-item]
    with pytest.raises(ParameterError, match="params must be a dict"):
        session.call_many([("users.getInfo", ["uids"])])  # type: ignore[list-item]
    with pytest.raises(ConfigurationError, match="workers"):
        session.call_many([("users.getInfo", None)], workers=0)
    assert server.requests == []
    assert session.call_many([]) == []
