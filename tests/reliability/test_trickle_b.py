"""Issue 19 point 13: a gzip body of empty deflate blocks, trickled under the socket timeout,
is cut at the deadline like every other trickle, whichever adapter opened the connection and
whether or not the answer says ``Connection: close``.

urllib3 decodes inside ``read1`` and keeps reading while the decoder yields nothing, so the
check between body reads never ran: with a mounted adapter the trickle ran to its end.
"""

from __future__ import annotations

import socket
import time
import zlib
from collections.abc import Callable

import pytest
import requests

import mailru_sync
from mailru_sync import RequestTimeout
from tests.transport.hostile import HostileServer, Request

EMPTY_BLOCK = b"\x00\x00\x00\xff\xff"  # a non-final stored deflate block holding nothing
GZIP_HEAD = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
BLOCKS = 100  # 100 x 0.2 s: the whole body takes 20 s to arrive
SLACK = 4.0  # scheduling slack on a loaded machine (a bound, not a speed goal)


def _tail() -> bytes:
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    return (
        deflate.compress(b"[]") + deflate.flush()
        + zlib.crc32(b"[]").to_bytes(4, "little") + (2).to_bytes(4, "little")
    )


def _trickle(framing: str) -> Callable[[socket.socket, Request], None]:
    def script(conn: socket.socket, request: Request) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tail = _tail()
        wrap = (lambda b: f"{len(b):x}\r\n".encode() + b + b"\r\n") if framing == "chunked" else (
            lambda b: b
        )
        length = len(GZIP_HEAD) + BLOCKS * len(EMPTY_BLOCK) + len(tail)
        framing_header = {
            "chunked": "Transfer-Encoding: chunked",
            "length": f"Content-Length: {length}",
            # http.client detaches the socket from the connection the watchdog knows
            "length, then close": f"Content-Length: {length}\r\nConnection: close",
        }[framing]
        conn.sendall(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            f"{framing_header}\r\n\r\n".encode() + wrap(GZIP_HEAD)
        )
        for _ in range(BLOCKS):
            conn.sendall(wrap(EMPTY_BLOCK))
            time.sleep(0.2)
        conn.sendall(wrap(tail) + (b"0\r\n\r\n" if framing == "chunked" else b""))

    return script


@pytest.mark.parametrize("framing", ["length", "chunked", "length, then close"])
@pytest.mark.parametrize("adapter", ["own", "mounted"])
def test_an_empty_block_gzip_trickle_ends_at_the_deadline(
    serve: Callable[..., HostileServer], framing: str, adapter: str
) -> None:
    server = serve(_trickle(framing))
    session = mailru_sync.TokenSession(
        423004, "0badc0de" * 4, "5ec2e75e" * 4, "deadbeef" * 4, "7",
        base_url=server.url, deadline=2, timeout=5, max_retries=0,
    )
    if adapter == "mounted":
        session.mount("http://", requests.adapters.HTTPAdapter())
    started = time.monotonic()
    with session, pytest.raises(RequestTimeout, match="deadline"):
        session.call("users.getInfo")
    assert time.monotonic() - started < 2 + SLACK
