"""Sessions share one process-wide pool per transport settings (issue 22, part 1).

Counts, never times: connections as the server saw them (accepted ever, open now). Each test
uses a ``pool_maxsize`` of its own, so the shared adapter it leases is not also leased by a
session another test left for the garbage collector.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from mailru_sync import _pools
from tests.scale_pools.counting import UID, CountingServer, on_threads, session_for


def test_sessions_with_the_same_settings_lease_one_adapter(
    counting: Callable[..., CountingServer],
) -> None:
    server = counting()
    first, second = session_for(server, pool_maxsize=21), session_for(server, pool_maxsize=21)
    other = session_for(server, pool_maxsize=22)
    assert first.get_adapter(server.url) is second.get_adapter(server.url)
    assert other.get_adapter(server.url) is not first.get_adapter(server.url)
    assert _pools.is_shared(first.get_adapter(server.url))


def test_a_loop_of_sessions_built_used_and_closed_opens_one_connection(
    counting: Callable[..., CountingServer],
) -> None:
    server = counting()
    for _ in range(100):
        session = session_for(server, pool_maxsize=23)
        assert session.call("users.getInfo", {"uids": UID}) == [{"uid": UID}]
        session.close()
        assert _pools.sessions_using(23) == 0
    assert len(server.requests) == 100
    assert server.connections == 1  # was 100: a pool (and a handshake) per session
    assert server.settled_open(at_most=1) <= 1  # was 98-99 left open


def test_sessions_dropped_without_close_leak_nothing(
    counting: Callable[..., CountingServer],
) -> None:
    server = counting()
    for _ in range(100):
        session_for(server, pool_maxsize=24).call("users.getInfo", {"uids": UID})
    gc.collect()  # sessions hold reference cycles: the collector releases their leases
    assert _pools.sessions_using(24) == 0  # the registry kept none of them alive
    assert server.connections == 1
    assert server.settled_open(at_most=1) <= 1
    probe = session_for(server, pool_maxsize=24)
    assert _pools.idle_connections(probe.get_adapter(server.url)) <= 1


def test_a_session_per_request_on_16_threads_opens_at_most_16_connections(
    counting: Callable[..., CountingServer],
) -> None:
    server = counting()
    start = threading.Barrier(16)
    failures: list[BaseException] = []

    def handle_requests() -> None:
        try:
            start.wait()
            for _ in range(25):  # a web app: one session per request, closed after it
                with session_for(server, pool_maxsize=25) as session:
                    assert session.call("users.getInfo", {"uids": UID}) == [{"uid": UID}]
        except BaseException as exc:
            failures.append(exc)

    on_threads(16, handle_requests)
    assert not failures
    assert len(server.requests) == 400
    assert server.connections <= 16  # was 400: one per request
    assert server.settled_open(at_most=16) <= 16  # idle in the shared pool, for the next ones
    with session_for(server, pool_maxsize=25) as later:
        later.call("users.getInfo")
    assert server.connections <= 16  # a later request reuses one of them


def test_close_keeps_the_connections_other_sessions_use(
    counting: Callable[..., CountingServer],
) -> None:
    server = counting()
    staying = session_for(server, pool_maxsize=26)
    staying.call("users.getInfo")
    leaving = session_for(server, pool_maxsize=26)
    leaving.call("users.getInfo")
    leaving.close()
    staying.call("users.getInfo")
    assert server.connections == 1
    assert server.settled_open(at_most=1) == 1  # still the one staying uses


def test_a_mounted_adapter_wins_and_is_not_shared(
    counting: Callable[..., CountingServer],
) -> None:
    server = counting()

    class Stamping(HTTPAdapter):
        def add_headers(self, request: requests.PreparedRequest, **kwargs: object) -> None:
            request.headers["X-Mine"] = "1"

    mine = Stamping()
    custom = session_for(server, pool_maxsize=27)
    custom.mount("http://", mine)
    plain = session_for(server, pool_maxsize=27)
    custom.call("users.getInfo")
    plain.call("users.getInfo")
    assert b"X-Mine: 1" in server.requests[0].head
    assert b"X-Mine" not in server.requests[1].head
    assert not _pools.is_shared(mine)
    assert server.connections == 2  # the user's adapter has its own pool
    custom.close()  # closes the user's adapter (requests' rule), not the shared pool
    plain.call("users.getInfo")
    assert server.connections == 2


def test_sessions_with_other_tls_settings_do_not_share_a_connection(
    counting: Callable[..., CountingServer],
    tls_files: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # would win over session.verify
        monkeypatch.delenv(name, raising=False)
    server = CountingServer(counting().script, tls=tls_files["context"])
    try:
        checked = session_for(server, pool_maxsize=28)
        checked.verify = tls_files["bundle"]
        unchecked = session_for(server, pool_maxsize=28)
        unchecked.verify = False
        for session in (checked, unchecked, checked, unchecked):
            session.call("users.getInfo")
        assert checked.get_adapter(server.url) is unchecked.get_adapter(server.url)
        assert server.connections == 2  # one pool per verify setting inside the shared adapter
    finally:
        server.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX only")
def test_a_forked_child_opens_its_own_connection(
    counting: Callable[..., CountingServer],
) -> None:
    server = counting()
    parent = session_for(server, pool_maxsize=29)
    parent.call("users.getInfo")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the inherited keep-alive socket must not be used
        status = 1
        try:
            child = session_for(server, pool_maxsize=29)
            if child.call("users.getInfo") == [{"uid": UID}]:
                status = 0
        finally:
            os.write(write_end, bytes([status]))
            os._exit(status)
    os.close(write_end)
    assert os.read(read_end, 1) == b"\x00"
    os.close(read_end)
    os.waitpid(pid, 0)
    parent.call("users.getInfo")
    assert server.connections == 2  # the parent's, reused after the fork, and the child's own
