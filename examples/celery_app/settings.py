"""Everything the example reads from the environment, and the per-process Redis client.

Why one frozen object read once: a worker's pool processes must all agree on the broker, the
key names and the rate, and nothing here may change while tasks run. The variables:

``REDIS_URL``
    one Redis for the broker, the result backend, the token stores and the rate limiter, e.g.
    ``redis://localhost:6379/0`` (default). Separate databases or servers work the same.
``OK_APP_ID``, ``OK_APP_KEY``, ``OK_APP_SECRET_KEY``
    the OK.ru application (defaults: the emulator's seeded app).
``OK_BASE_URL``
    the API's origin; unset = the real ``https://api.ok.ru``, or the emulator's URL.
``OK_RATE``
    calls per second for the whole app, across every worker and host (default 5).
``FLOOD_COUNTDOWN``
    seconds before the first retry of a call refused by flood control (doubles each time).
``VISIBILITY_TIMEOUT``
    seconds after which Redis hands an unacknowledged message (its worker died) to another
    worker; longer than the slowest task plus its retry countdown (default 300).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Settings:
    redis_url: str
    app_id: str
    app_key: str
    app_secret_key: str
    base_url: str | None
    rate: float
    flood_countdown: float
    visibility_timeout: float

    @classmethod
    def from_environ(cls, env: Mapping[str, str] = os.environ) -> Settings:
        return cls(
            redis_url=env.get("REDIS_URL", "redis://localhost:6379/0"),
            app_id=env.get("OK_APP_ID", "123456"),
            app_key=env.get("OK_APP_KEY", "ABCDEFGHIGKLMNOPK"),
            app_secret_key=env.get("OK_APP_SECRET_KEY", "ABC123DEF456GHI789JKL123"),
            base_url=env.get("OK_BASE_URL") or None,
            rate=float(env.get("OK_RATE", "5")),
            flood_countdown=float(env.get("FLOOD_COUNTDOWN", "2")),
            visibility_timeout=float(env.get("VISIBILITY_TIMEOUT", "300")),
        )


SETTINGS = Settings.from_environ()


@functools.cache
def redis_client() -> Any:
    """This process's Redis client for stores, the limiter and write records.

    Made on first use, so each prefork child builds its own after the fork (redis-py would
    also notice a fork and reconnect, but a client never crosses it here). Timeouts make a
    dead Redis raise ``StoreError`` within seconds instead of hanging a task; the health check
    replaces connections a firewall silently dropped while a worker idled.
    """
    import redis

    return redis.Redis.from_url(
        SETTINGS.redis_url,
        socket_timeout=10,
        socket_connect_timeout=5,
        health_check_interval=30,
    )
