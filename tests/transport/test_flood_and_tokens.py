"""Flood control, token refresh (single flight), and the token_updater/token_loader hooks."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from mailru_sync import API, RateLimitError, RetryPolicy, SessionExpiredError
from mailru_sync.testing import MailruEmulator, OkEmulator
from tests.transport.conftest import Sleeps, mailru_session, ok_session


@pytest.mark.parametrize("code", [7, 8, 9, 11])
def test_ok_flood_errors_are_rate_limit_errors(ok_emulator: OkEmulator, code: int) -> None:
    session = ok_session(ok_emulator)
    ok_emulator.flood_next(1, code=code)
    with pytest.raises(RateLimitError) as info:
        API(session).users.getCurrentUser()
    assert info.value.code == code


def test_wait_and_retry_on_flood_is_opt_in(ok_emulator: OkEmulator, sleeps: Sleeps) -> None:
    policy = RetryPolicy(total=3, sleep=sleeps)
    session = ok_session(ok_emulator, retry_on_flood=2, flood_wait=0.25, max_retries=policy)
    ok_emulator.flood_next(2, code=8)
    assert API(session).users.getCurrentUser()["uid"] == ok_emulator.user.uid
    assert sleeps == [0.25, 0.5]
    ok_emulator.flood_next(3, code=11)
    with pytest.raises(RateLimitError):
        API(session).users.getCurrentUser()


def test_flooded_write_is_retried_without_duplicates(ok_emulator: OkEmulator,
                                                     sleeps: Sleeps) -> None:
    session = ok_session(ok_emulator, retry_on_flood=True, flood_wait=0,
                         max_retries=RetryPolicy(sleep=sleeps))
    ok_emulator.flood_next(2)
    API(session).mediatopic.post(type="USER",
                                 attachment={"media": [{"type": "text", "text": "flood"}]})
    assert ok_emulator.counters["writes_applied"] == 1


def _refreshable_mailru(emu: MailruEmulator, **options: Any) -> Any:
    session = mailru_session(emu, **options)
    session.refresh_token = emu.user.refresh_token
    return session


def _token_requests(emu: MailruEmulator | OkEmulator) -> int:
    return sum(1 for r in emu.requests if r.path.startswith("/oauth/token"))


def test_expired_session_is_refreshed_once_and_replayed(mailru_emulator: MailruEmulator) -> None:
    updates: list[dict[str, Any]] = []
    session = _refreshable_mailru(mailru_emulator, token_updater=updates.append)
    old = session.access_token
    mailru_emulator.expire_token(old)
    assert API(session).users.getInfo()[0]["uid"] == mailru_emulator.user.uid
    assert session.access_token != old
    assert session.refresh_count == 1
    assert _token_requests(mailru_emulator) == 1
    assert len(updates) == 1 and updates[0]["access_token"] == session.access_token
    assert updates[0]["expires_at"] is not None


def test_without_refresh_token_the_expiry_is_raised(mailru_emulator: MailruEmulator) -> None:
    session = mailru_session(mailru_emulator)
    mailru_emulator.expire_token(session.access_token)
    with pytest.raises(SessionExpiredError, match="102"):
        session.call("users.getInfo")


def test_refresh_happens_before_the_known_expiry(mailru_emulator: MailruEmulator) -> None:
    session = _refreshable_mailru(mailru_emulator, refresh_margin=60)
    session.refresh_access_token()  # learn expires_in from the platform
    first = session.access_token
    assert session.expires_at is not None
    session.expires_at = 0.0  # as if the token were about to expire
    session.call("users.getInfo")
    assert session.access_token != first
    api_errors = [r for r in mailru_emulator.requests if r.path.startswith("/platform/api")]
    assert len(api_errors) == 1  # no 102 round trip: refreshed before the call


def test_concurrent_expiry_refreshes_exactly_once(mailru_emulator: MailruEmulator) -> None:
    session = _refreshable_mailru(mailru_emulator, pool_maxsize=16)
    mailru_emulator.expire_token(session.access_token)
    barrier = threading.Barrier(16)

    def call(i: int) -> str:
        barrier.wait()
        return str(session.call("users.getInfo")[0]["uid"])

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(call, range(16)))
    assert results == [mailru_emulator.user.uid] * 16
    assert session.refresh_count == 1
    assert _token_requests(mailru_emulator) == 1


def test_ok_concurrent_expiry_refreshes_exactly_once(ok_emulator: OkEmulator) -> None:
    from mailru_sync.ok import ServerSession

    session = ServerSession(ok_emulator.app.app_id, ok_emulator.app.app_key,
                            ok_emulator.app.app_secret_key, ok_emulator.user.access_token,
                            base_url=ok_emulator.url, pool_maxsize=16)
    session.refresh_token = ok_emulator.user.refresh_token
    ok_emulator.expire_token(session.access_token)
    barrier = threading.Barrier(16)

    def call(i: int) -> str:
        barrier.wait()
        return str(session.call("users.getCurrentUser")["uid"])

    with ThreadPoolExecutor(16) as pool:
        assert set(pool.map(call, range(16))) == {ok_emulator.user.uid}
    assert session.refresh_count == 1
    assert _token_requests(ok_emulator) == 1
    assert session.refresh_token == ok_emulator.user.refresh_token  # OK keeps the old one


def test_token_loader_lets_a_shared_store_take_over(mailru_emulator: MailruEmulator) -> None:
    """Two sessions (think: two processes) share a store and a lock: one refresh in total."""
    store: dict[str, Any] = {}
    lock = threading.Lock()
    a = _refreshable_mailru(mailru_emulator, token_updater=store.update,
                            token_loader=lambda: dict(store) or None, refresh_lock=lock)
    b = _refreshable_mailru(mailru_emulator, token_updater=store.update,
                            token_loader=lambda: dict(store) or None, refresh_lock=lock)
    mailru_emulator.expire_token(a.access_token)
    a.call("users.getInfo")
    b.call("users.getInfo")  # 102 → lock → loads a's token from the store → no second refresh
    assert a.access_token == b.access_token
    assert a.refresh_count + b.refresh_count == 1
    assert _token_requests(mailru_emulator) == 1
