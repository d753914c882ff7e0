"""``max_body_size`` is exact: a body of that many decoded bytes is read, one byte more is not.

The other tests send bodies far over the limit; an off-by-one in either check (the declared
``Content-Length`` or the count of decoded bytes) would pass them. Here the body is exactly at
the limit and one byte over, plain and gzip, framed by ``Content-Length``, by chunks and by
closing the connection, through the direct route and through requests (a response hook makes
a session take the requests route).
"""

from __future__ import annotations

import gzip
import socket
from collections.abc import Callable

import pytest

import mailru_sync
from mailru_sync import ResponseTooLarge
from tests.transport.hostile import HostileServer, Request

LIMIT = 4096
ANSWER = b'{"count": 3}'


def _body(size: int) -> bytes:
    """A JSON answer of exactly ``size`` bytes (the object, then spaces)."""
    return ANSWER + b" " * (size - len(ANSWER))


def _answer(decoded: bytes, encoding: str, framing: str) -> bytes:
    wire = gzip.compress(decoded) if encoding == "gzip" else decoded
    head = [b"HTTP/1.1 200 OK", b"Content-Type: text/javascript; charset=utf-8"]
    if encoding == "gzip":
        head.append(b"Content-Encoding: gzip")
    if framing == "content-length":
        head.append(b"Content-Length: %d" % len(wire))
        payload = wire
    elif framing == "chunked":
        head.append(b"Transfer-Encoding: chunked")
        pieces = [wire[i : i + 1000] for i in range(0, len(wire), 1000)]
        payload = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    else:  # the body ends when the connection does
        head.append(b"Connection: close")
        payload = wire
    return b"\r\n".join(head) + b"\r\n\r\n" + payload


def _session(url: str, route: str) -> mailru_sync.TokenSession:
    session = mailru_sync.TokenSession(1, "0a" * 16, "", "t" * 32, "7", base_url=url,
                                       max_body_size=LIMIT, max_retries=0, deadline=3.0)
    if route == "requests":
        session.hooks["response"].append(lambda response, *args, **kwargs: None)
    return session


@pytest.mark.parametrize("route", ["direct", "requests"])
@pytest.mark.parametrize("framing", ["content-length", "chunked", "close"])
@pytest.mark.parametrize("encoding", ["identity", "gzip"])
@pytest.mark.parametrize("size", [LIMIT, LIMIT + 1], ids=["at the limit", "one byte over"])
def test_max_body_size_is_exact(
    serve: Callable[..., HostileServer], size: int, encoding: str, framing: str, route: str
) -> None:
    answer = _answer(_body(size), encoding, framing)

    def script(conn: socket.socket, request: Request) -> None:
        conn.sendall(answer)
        if framing == "close":
            conn.shutdown(socket.SHUT_RDWR)

    session = _session(serve(script).url, route)
    if size <= LIMIT:
        assert session.call("users.getInfo") == {"count": 3}
    else:
        with pytest.raises(ResponseTooLarge, match=f"the limit is {LIMIT} bytes"):
            session.call("users.getInfo")


def test_a_declared_length_one_over_is_refused_before_the_body(
    serve: Callable[..., HostileServer],
) -> None:
    """A plain body declaring limit + 1 bytes is refused on its header alone."""
    server = serve(lambda conn, request: conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (LIMIT + 1, ANSWER)))
    with pytest.raises(ResponseTooLarge, match=f"declares {LIMIT + 1} bytes"):
        _session(server.url, "direct").call("users.getInfo")
