"""A raw-socket API server that counts connections: accepted ever, and open right now.

Why our own: the figures of issue 22 are connection counts, and only the server side sees
every socket a client opens (including ones a client pool dropped). Built on the hostile-network
test server (:mod:`tests.transport.hostile`), which answers each request in one ``sendall``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import pytest

import mailru_sync
from tests.transport.hostile import HostileServer, Request, response

APP_ID, PRIVATE_KEY = "423004", "0a" * 16
TOKEN, UID = "be6ef89965d58e56dec21acb9b62bdaa", "1324730981306483817"


def params_of(request: Request) -> dict[str, str]:
    """The query and form parameters of a recorded request."""
    target = request.line.split(" ")[1]
    found = dict(parse_qsl(target.partition("?")[2], keep_blank_values=True))
    found.update(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
    return found


def echo_uids(conn: socket.socket, request: Request) -> None:
    """Mail.ru's users.getInfo shape, one user per ``uids`` entry (so results are tellable)."""
    uids = params_of(request).get("uids", UID).split(",")
    body = json.dumps([{"uid": uid} for uid in uids]).encode()
    conn.sendall(response(body=body))


@dataclass
class CountingServer(HostileServer):
    """:class:`HostileServer` that also counts the connections open at the moment."""

    open_now: int = 0
    _count_lock: threading.Lock = field(default_factory=threading.Lock)

    def _serve(self, conn: socket.socket) -> None:
        with self._count_lock:
            self.open_now += 1
        try:
            super()._serve(conn)
        finally:
            with self._count_lock:
                self.open_now -= 1

    def settled_open(self, at_most: int, wait: float = 5.0) -> int:
        """Open connections once the closes a client sent have arrived (waits up to ``wait``
        seconds for the count to fall to ``at_most``, then reports what it is)."""
        give_up = time.monotonic() + wait
        while self.open_now > at_most and time.monotonic() < give_up:
            time.sleep(0.01)
        time.sleep(0.05)  # one more look: a close may still be on its way
        return self.open_now


@pytest.fixture
def counting() -> Callable[..., CountingServer]:
    """Start counting servers (``counting(script)``); all stopped at teardown."""
    servers: list[CountingServer] = []

    def start(script: Callable[[socket.socket, Request], None] = echo_uids) -> CountingServer:
        server = CountingServer(script)
        servers.append(server)
        return server

    yield start  # type: ignore[misc]
    for server in servers:
        server.close()


def session_for(server: HostileServer, **options: object) -> mailru_sync.TokenSession:
    """A Mail.ru token session pointed at ``server``."""
    return mailru_sync.TokenSession(
        APP_ID, PRIVATE_KEY, "", TOKEN, UID, base_url=server.url, **options  # type: ignore[arg-type]
    )


def on_threads(count: int, work: Callable[[], None]) -> None:
    """Run ``work`` on ``count`` threads at once and wait for all of them."""
    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
