"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.transport.hostile import HostileServer


@pytest.fixture
def serve() -> Iterator[Callable[..., HostileServer]]:
    """Start scripted raw-socket servers (``serve(script, tls=...)``); all closed at teardown."""
    servers: list[HostileServer] = []

    def start(script: object, **options: object) -> HostileServer:
        server = HostileServer(script, **options)  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
