"""A scripted raw-socket HTTP server for hostile-network tests (loopback only, bounded).

Each accepted connection reads whole requests (headers and a Content-Length body) and hands
each one to the test's ``script(conn, request)``, which writes whatever bytes it likes. Requests
are recorded, so a test can assert what reached the server (and what did not).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Request:
    head: bytes
    body: bytes

    @property
    def line(self) -> str:
        return self.head.split(b"\r\n", 1)[0].decode("latin-1")

    @property
    def raw(self) -> bytes:
        return self.head + self.body


Script = Callable[[socket.socket, Request], None]


@dataclass
class HostileServer:
    """Serve ``script`` on 127.0.0.1; ``close()`` stops it (tests use it as a fixture)."""

    script: Script
    tls: ssl.SSLContext | None = None
    requests: list[Request] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._open: list[socket.socket] = []
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            self.connections += 1
            self._open.append(conn)
            worker = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            worker.start()
            self._threads.append(worker)

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn.settimeout(1)
                conn = self.tls.wrap_socket(conn, server_side=True)
                self._open.append(conn)  # the raw socket is detached now: close() must see this
            conn.settimeout(10)
            buffer = b""
            while not self._stop.is_set():
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                while len(buffer) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                request = Request(head + b"\r\n\r\n", buffer[:length])
                buffer = buffer[length:]
                self.requests.append(request)
                self.script(conn, request)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for conn in self._open:  # wake workers waiting for a next keep-alive request
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(5)


def response(
    status: str = "200 OK",
    body: bytes = b"",
    *,
    content_type: str = "text/javascript; charset=utf-8",
    headers: tuple[str, ...] = (),
) -> bytes:
    """One complete HTTP/1.1 response (keep-alive), in one buffer for one ``sendall``."""
    lines = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}",
             f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def hang_up(conn: socket.socket, request: Request) -> None:
    """Read the request, then close the connection without a byte of answer."""
    conn.shutdown(socket.SHUT_RDWR)


def trickle(conn: socket.socket, data: bytes, *, every: float = 0.1, limit: float = 10.0) -> None:
    """Send ``data`` one byte at a time (bounded by ``limit`` seconds in all)."""
    started = time.monotonic()
    for byte in data:
        if time.monotonic() - started > limit:
            return
        conn.sendall(bytes([byte]))
        time.sleep(every)
