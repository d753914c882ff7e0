"""Misbehaving servers below HTTP: a raw-socket server scripted per test (bounded, loopback)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from mailru_sync import (
    ConnectionFailed,
    RequestTimeout,
    ResponseError,
    RetryPolicy,
    TokenSession,
    TransportError,
)

Script = Callable[[socket.socket], None]


@pytest.fixture
def raw_server() -> Iterator[Callable[[Script], str]]:
    """Start a one-thread server that runs ``script`` on every accepted connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()
    holder: dict[str, Script] = {}

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(65536)  # the request (small enough for one read here)
                    holder["script"](conn)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def start(script: Script) -> str:
        holder["script"] = script
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    yield start
    stop.set()
    thread.join(5)
    listener.close()


def _session(url: str, **options: object) -> TokenSession:
    return TokenSession(1, "0a" * 16, "", "t" * 32, "7", base_url=url, **options)


def test_a_trickling_body_hits_the_deadline(raw_server: Callable[[Script], str]) -> None:
    def trickle(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/javascript\r\n"
                     b"Content-Length: 100\r\n\r\n")
        for _ in range(40):  # bounded: at most 4 s, one byte per 0.1 s
            conn.sendall(b" ")
            time.sleep(0.1)

    url = raw_server(trickle)
    session = _session(url, timeout=(2.0, 1.0), deadline=0.5, max_retries=0)
    with pytest.raises(RequestTimeout, match="deadline"):
        session.call("users.getInfo")


def test_garbage_instead_of_http(raw_server: Callable[[Script], str]) -> None:
    url = raw_server(lambda conn: conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n"))
    with pytest.raises(ConnectionFailed) as info:
        _session(url, max_retries=0).call("users.getInfo")
    assert info.value.may_have_reached


def test_close_without_answer_is_retried_for_reads_only(
    raw_server: Callable[[Script], str]
) -> None:
    sleeps: list[float] = []
    url = raw_server(lambda conn: None)  # read the request, close silently
    reads = _session(url, max_retries=RetryPolicy(total=2, sleep=sleeps.append))
    with pytest.raises(ConnectionFailed):
        reads.call("users.getInfo")
    assert len(sleeps) == 2
    sleeps.clear()
    with pytest.raises(ConnectionFailed):
        reads.call("stream.post", {"text": "x"})
    assert sleeps == []  # a write that may have arrived is not resent


def test_wrong_content_length_and_chunking(raw_server: Callable[[Script], str]) -> None:
    url = raw_server(lambda conn: conn.sendall(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n"))
    with pytest.raises(TransportError):
        _session(url, max_retries=0).call("users.getInfo")


def test_http_429_with_retry_after_is_retried_for_reads(
    raw_server: Callable[[Script], str]
) -> None:
    answers = iter([
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nContent-Length: 0\r\n"
        b"Connection: close\r\n\r\n",
        b'HTTP/1.1 200 OK\r\nContent-Type: text/javascript\r\nContent-Length: 12\r\n'
        b"Connection: close\r\n\r\n" + b'{"count": 3}',
    ])
    url = raw_server(lambda conn: conn.sendall(next(answers)))
    sleeps: list[float] = []
    session = _session(url, max_retries=RetryPolicy(total=2, sleep=sleeps.append))
    assert session.call("events.getNewCount") == {"count": 3}
    assert sleeps == [2.0]


def test_html_error_page_with_status(raw_server: Callable[[Script], str]) -> None:
    page = b"<html><body><h1>Bad Gateway</h1></body></html>"
    url = raw_server(lambda conn: conn.sendall(
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nConnection: close\r\n"
        b"Content-Length: " + str(len(page)).encode() + b"\r\n\r\n" + page))
    with pytest.raises(ResponseError, match="HTTP 502") as info:
        _session(url, max_retries=0).call("users.getInfo")
    assert "Bad Gateway" in info.value.snippet


def test_gzip_encoded_bodies_are_decoded(raw_server: Callable[[Script], str]) -> None:
    import gzip

    body = gzip.compress('[{"uid": "7", "first_name": "Иван"}]'.encode())
    url = raw_server(lambda conn: conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/javascript; charset=utf-8\r\n"
        b"Content-Encoding: gzip\r\nConnection: close\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body))
    assert _session(url, max_retries=0).call("users.getInfo") == [
        {"uid": "7", "first_name": "Иван"}]
