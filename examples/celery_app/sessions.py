"""The app's OK.ru sessions: one token store per user, one rate limiter for the whole app.

Why a Redis store per user: every worker process on every host that acts for user 42 must see
the token the last refresh saved, and of all of them only one may ask the token endpoint when
it expires. ``RedisStore`` keeps the token under ``ok:token:42`` and serializes refreshes with a
Redis lock, so an expired token costs one token request however many workers notice it.

Why one ``RedisRateLimiter`` for the app: the platform counts the app's calls, not a worker's;
each call reserves its slot on one shared clock in Redis (``ok:rate:<app id>``), so the app's
rate holds whether one worker runs or twenty.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any

import mailru_sync.ok as ok
from mailru_sync.stores import RedisRateLimiter, RedisStore

from .settings import SETTINGS, redis_client


def store_for(uid: str) -> RedisStore:
    """The user's token store (uids are digits; anything else never becomes a key)."""
    if not re.fullmatch(r"\d+", uid):
        raise ValueError(f"unexpected OK user id {uid!r}")
    return RedisStore(redis_client(), f"ok:token:{uid}")


def save_login(uid: str, token: Mapping[str, Any]) -> None:
    """Keep a user's token after login (the web app calls this with ``session.token``)."""
    store_for(uid).save(token)


@functools.cache
def limiter() -> RedisRateLimiter:
    """The one budget of calls per second shared by every worker of this app."""
    return RedisRateLimiter(redis_client(), f"ok:rate:{SETTINGS.app_id}", SETTINGS.rate)


@functools.lru_cache(maxsize=256)
def session_for(uid: str) -> ok.ServerSession:
    """This process's session for ``uid``, its token loaded from (and refreshed into) Redis.

    Cached per process so its connections are reused; ``retry_on_flood=0`` makes flood control
    raise ``RateLimitError`` at once, for the task to reschedule instead of sleeping here.
    """
    store = store_for(uid)
    if store.load() is None:
        raise LookupError(f"no token stored for OK user {uid}: they must log in first")
    return ok.ServerSession(
        SETTINGS.app_id,
        SETTINGS.app_key,
        SETTINGS.app_secret_key,
        "from-the-store",
        store=store,
        rate_limit=limiter(),
        base_url=SETTINGS.base_url,
        retry_on_flood=0,
    )


def note(text: str) -> str:
    """``mediatopic.post``'s ``attachment`` for a plain text note."""
    return json.dumps({"media": [{"type": "text", "text": text}]}, ensure_ascii=False)
