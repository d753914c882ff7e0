"""Issue 19 point 3: a keep-alive connection is closed after a response whose framing
contradicts itself, or that the library rejects (RFC 9112 §6.3, RFC 9110 §8.6).

The raw-socket server answers the first request of each connection with the case under test;
any later request on that same connection is answered with a forged body. A call that reads
the forged body reused a connection it should have closed. Both routes are exercised: the
direct route to the urllib3 pool and, with a response hook installed, the requests route.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable

import pytest

import mailru_sync
from mailru_sync import Error, ResponseError
from tests.transport.hostile import HostileServer, Request, response

TOKEN = "deadbeef" * 4
GOOD = b'[{"uid": "fresh"}]'
FORGED = b'[{"uid": "forged"}]'


def _chunked(body: bytes) -> bytes:
    return f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"


CASES: dict[str, bytes] = {
    "Content-Length and Transfer-Encoding": (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(GOOD)
    ),
    "two different Content-Length values": (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(GOOD)}\r\nContent-Length: {len(GOOD) + 3}\r\n\r\n".encode()
        + GOOD
    ),
    "two Content-Length values in one field": (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(GOOD)}, {len(GOOD) + 3}\r\n\r\n".encode()
        + GOOD
    ),
    "204 with a length and a body": (
        b"HTTP/1.1 204 No Content\r\nContent-Length: 11\r\n\r\nHTTP/1.1 20"
    ),
    "304 with a body": (
        b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n" + _chunked(b"xx")
    ),
    "a body that is not JSON": response(body=b"<html>not json</html>"),
    "a redirect (refused)": response(
        "302 Found", b"", headers=("Location: http://127.0.0.1:9/elsewhere",)
    ),
}


class PerConnection:
    """First request on a connection: the case; any later one on it: the forged answer."""

    def __init__(self, first: bytes) -> None:
        self.first = first
        self.served: dict[int, int] = {}

    def __call__(self, conn: socket.socket, request: Request) -> None:
        count = self.served.get(id(conn), 0)
        self.served[id(conn)] = count + 1
        if count == 0 and len(self.served) == 1:
            conn.sendall(self.first)
        elif count == 0:
            conn.sendall(response(body=GOOD))
        else:
            conn.sendall(response(body=FORGED))


def _session(url: str, route: str) -> mailru_sync.TokenSession:
    session = mailru_sync.TokenSession(
        423004, "0badc0de" * 4, "5ec2e75e" * 4, TOKEN, "7", base_url=url, max_retries=0
    )
    if route == "requests":  # a response hook sends every call through requests
        session.hooks["response"].append(lambda r, *args, **kwargs: None)
    return session


@pytest.mark.parametrize("route", ["direct", "requests"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_next_call_never_reads_what_followed_a_bad_answer(
    serve: Callable[..., HostileServer], case: str, route: str
) -> None:
    script = PerConnection(CASES[case])
    server = serve(script)
    with _session(server.url, route) as session:
        with contextlib.suppress(Error):  # whether the first answer is usable is not the point
            session.call("users.getInfo")
        assert session.call("users.getInfo") == [{"uid": "fresh"}]
    assert server.connections == 2


@pytest.mark.parametrize("route", ["direct", "requests"])
def test_contradictory_lengths_are_rejected_not_guessed(
    serve: Callable[..., HostileServer], route: str
) -> None:
    server = serve(PerConnection(CASES["two different Content-Length values"]))
    with _session(server.url, route) as session, pytest.raises(
        ResponseError, match="Content-Length"
    ) as caught:
        session.call("users.getInfo")
    assert caught.value.attempts == 1  # dropped, not retried as a broken connection


@pytest.mark.parametrize("route", ["direct", "requests"])
def test_both_lengths_and_chunked_is_read_as_chunked(
    serve: Callable[..., HostileServer], route: str
) -> None:
    server = serve(PerConnection(CASES["Content-Length and Transfer-Encoding"]))
    with _session(server.url, route) as session:
        assert session.call("users.getInfo") == [{"uid": "fresh"}]


@pytest.mark.parametrize("route", ["direct", "requests"])
def test_a_clean_answer_keeps_the_connection(
    serve: Callable[..., HostileServer], route: str
) -> None:
    server = serve(lambda conn, request: conn.sendall(response(body=GOOD)))
    with _session(server.url, route) as session:
        for _ in range(3):
            assert session.call("users.getInfo") == [{"uid": "fresh"}]
    assert server.connections == 1
