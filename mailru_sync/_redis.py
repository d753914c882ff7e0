"""The Redis parts of the stores: :class:`RedisStore` and :class:`RedisRateLimiter`.

Why our own connections rather than the client's commands: redis-py bounds a command by the
client's ``socket_timeout`` (none by default, so a stalled server blocks forever) and repeats
it under its ``retry`` policy (with backoff sleeps), both outside a call's deadline. Every
command here runs on a connection of our own to the same server (made from the client's
connection settings: address, password, database, TLS), with:

* its connect, handshake and reply waits capped by what is left of the call's deadline (and by
  the client's own ``socket_connect_timeout``/``socket_timeout`` when those are shorter);
* no redis-py retry; one resend on a fresh connection, only when a pooled one turns out to
  have been closed by the server (a restart), and only within the deadline.

Outside any call (a script calling ``store.load()``), the client's timeouts apply as they are.
Connections are new in a forked child. Any failure is a :class:`StoreError` naming the key.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from . import _budget
from ._forksafe import reset_in_child
from ._ratelimit import ReservingLimiter, too_late
from ._storebase import StoreError, decode, encode, positive_seconds
from .exceptions import ConfigurationError, Error

__all__ = ["RedisRateLimiter", "RedisStore"]


class _Link:
    """Bounded, retry-free commands to the server of a ``redis.Redis`` client."""

    def __init__(self, client: Any, who: str) -> None:
        pool = getattr(client, "connection_pool", None)
        kwargs = getattr(pool, "connection_kwargs", None)
        kind = getattr(pool, "connection_class", None)
        if not isinstance(kwargs, dict) or kind is None:
            raise ConfigurationError(f"{who} needs a redis.Redis client (pip install "
                                     "'mailru_sync[redis]'); Redis Cluster is not supported")
        self._kind = kind
        self._kwargs = dict(kwargs)
        self._read_timeout: float | None = kwargs.get("socket_timeout")
        self._connect_timeout: float | None = (
            kwargs.get("socket_connect_timeout") or self._read_timeout
        )
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        reset_in_child(self, _Link._reset_after_fork)

    def __call__(self, *args: Any) -> Any:
        """Run one command; its reply (a redis-py exception or ``TimeoutError`` if not)."""
        from redis.exceptions import ConnectionError as Disconnected
        from redis.exceptions import ResponseError

        budget = _budget.current()
        for resend in (False, True):
            limit = self._limit(self._read_timeout, budget)
            conn, pooled = self._checkout(budget)
            try:
                conn.send_command(*args, check_health=False)
                reply = conn.read_response(timeout=limit)
            except ResponseError:
                self._checkin(conn)  # the reply was read whole: the connection is clean
                raise
            except Disconnected:
                conn.disconnect()
                if pooled and not resend:
                    continue  # an idle connection the server closed (it restarted)
                raise
            except BaseException:
                conn.disconnect()
                raise
            self._checkin(conn)
            return reply
        raise AssertionError("unreachable")

    @staticmethod
    def _limit(own: float | None, budget: _budget.Budget | None) -> float | None:
        if budget is None:
            return own
        left = budget.remaining()
        if left <= 0:
            raise TimeoutError("the call's deadline passed before this Redis command")
        return left if own is None else min(own, left)

    def _checkout(self, budget: _budget.Budget | None) -> tuple[Any, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        conn = self._kind(**(self._kwargs | {
            "retry": Retry(NoBackoff(), 0), "retry_on_error": [], "retry_on_timeout": False,
            "health_check_interval": 0,
            # These bound the connect and the handshake (AUTH, SELECT, HELLO) of this
            # connection; each later reply is bounded on its own in __call__.
            "socket_connect_timeout": self._limit(self._connect_timeout, budget),
            "socket_timeout": self._limit(self._read_timeout, budget),
        }))
        conn.connect()
        return conn, False

    def _checkin(self, conn: Any) -> None:
        with self._lock:
            self._idle.append(conn)

    def _reset_after_fork(self) -> None:
        # The parent's sockets stay the parent's: the child drops them unused.
        self._idle = []
        self._lock = threading.Lock()


def _failure(what: str, key: str, exc: Exception) -> StoreError:
    return StoreError(
        f"Redis {what} of {key!r} failed ({type(exc).__name__}); check the server and the "
        "client's connection settings (each command waits at most what is left of the "
        "call's deadline)"
    )


#: Save only if the stored value is still the one seen when the lock was taken: a refresh
#: that outlived its lock must not overwrite a newer token saved by the next holder.
_SAVE_IF_UNCHANGED = """
local current = redis.call('GET', KEYS[1])
if current == false then current = '' end
if current ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""
#: Take the lock if it is free or already ours (a try of ours whose answer was lost).
_ACQUIRE = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
#: Seconds kept, at the end of a lock wait, for the last try's answer.
_LAST_TRY = 0.02
#: Release the lock only if it is still ours (it may have expired and been taken since).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisStore:
    """The token under one Redis key; refreshes serialized by a Redis lock that expires.

    ``client`` is a ``redis.Redis`` (extra ``[redis]``); its connection settings are used, its
    retry policy is not (see the module's docstring). The lock expires after ``lock_timeout``
    seconds, or what is left of the call's deadline when that is longer, so a refresh bounded
    by its deadline never outlives its lock, and a holder killed mid-refresh blocks the others
    at most that long; waiting for the lock is bounded by ``lock_wait`` and the deadline. A
    save made under the lock is a compare-and-set: should another holder have saved a token
    since the lock was taken (after an expiry), the save is refused (:class:`StoreError`) and
    the newer token stays.
    """

    def __init__(
        self, client: Any, key: str, *, lock_timeout: float = 30.0, lock_wait: float = 30.0
    ) -> None:
        if not all(callable(getattr(client, m, None)) for m in ("get", "set")):
            raise ConfigurationError("RedisStore needs a redis.Redis client (pip install "
                                     "'mailru_sync[redis]')")
        if not isinstance(key, str) or not key:
            raise ConfigurationError("RedisStore needs a non-empty key, e.g. 'mailru:token:42'")
        self.client = client
        self.key = key
        self.lock_timeout = positive_seconds("lock_timeout", lock_timeout)
        self.lock_wait = positive_seconds("lock_wait", lock_wait)
        self._run = _Link(client, "RedisStore")
        self._held = threading.local()  # (lock token, value seen) while this thread holds it
        self._orphans: list[str] = []  # tokens of lock tries whose answer was lost

    def load(self) -> dict[str, Any] | None:
        """The token stored under :attr:`key`, or ``None``."""
        raw = self._redis("read", "GET", self.key)
        return None if raw is None else decode(raw, f"Redis key {self.key!r}")

    def save(self, token: Mapping[str, Any]) -> None:
        """Store ``token`` under :attr:`key` (one SET: readers never see half of it); under
        the lock, only if no other holder saved since the lock was taken."""
        payload = encode(token)
        held: tuple[str, bytes] | None = getattr(self._held, "state", None)
        if held is None:
            self._redis("write", "SET", self.key, payload)
            return
        if not self._redis("write", "EVAL", _SAVE_IF_UNCHANGED, 1, self.key, payload, held[1]):
            raise StoreError(
                f"the token under Redis key {self.key!r} was replaced by another process "
                "while this refresh ran (its lock had expired: raise lock_timeout); the newer "
                "token was kept"
            )
        self._held.state = (held[0], payload.encode())

    @contextlib.contextmanager
    def lock(self, timeout: float | None = None) -> Iterator[None]:
        """A Redis lock on ``<key>:refresh-lock``, waited for at most ``lock_wait`` seconds
        or ``timeout`` (what is left of the call's deadline), whichever is shorter."""
        wait = self.lock_wait if timeout is None else max(0.0, min(timeout, self.lock_wait))
        expiry = max(self.lock_timeout, timeout or 0.0)
        lock_key, mine = f"{self.key}:refresh-lock", None
        # A try whose answer never came (Redis stalled) may have taken the lock: the next lock()
        # presents the same token (one caller at a time: list.pop is atomic), and the script
        # recognizes the lock as its own instead of waiting for it to expire.
        with contextlib.suppress(IndexError):
            mine = self._orphans.pop()
        if mine is None:
            mine = secrets.token_hex(16)
        until = time.monotonic() + wait
        while not self._try_lock(lock_key, mine, expiry):
            # Stop a little before the end: the last try must still have time to be answered.
            left = until - time.monotonic() - _LAST_TRY
            if left <= 0:
                raise StoreError(
                    f"another process held the refresh lock of {self.key!r} for more than "
                    f"{wait:.2f} s (lock_wait, or what was left of the call's deadline)"
                )
            time.sleep(min(0.05, left))
        try:
            seen = self._redis("lock", "GET", self.key) or b""
            self._held.state = (mine, seen)
            yield
        except BaseException:
            self._held.state = None
            with contextlib.suppress(Error):
                self._redis("unlock", "EVAL", _RELEASE, 1, lock_key, mine)
            raise
        self._held.state = None
        self._redis("unlock", "EVAL", _RELEASE, 1, lock_key, mine)

    def _try_lock(self, lock_key: str, mine: str, expiry: float) -> bool:
        try:
            return bool(self._redis("lock", "EVAL", _ACQUIRE, 1, lock_key, mine,
                                    int(expiry * 1000) + 1))
        except StoreError:
            self._orphans.append(mine)
            raise

    def _redis(self, what: str, *command: Any) -> Any:
        try:
            return self._run(*command)
        except Exception as exc:  # redis.exceptions.* and the deadline's TimeoutError
            raise _failure(what, self.key, exc) from None

    def __repr__(self) -> str:
        return f"<RedisStore {self.key!r}>"


#: Reserves the next free slot of a shared clock atomically and returns how long the caller
#: waits for it. Redis's own TIME is the clock, so hosts with skewed clocks still agree. A value
#: this script did not write (not a number, no expiry, or later than its own expiry allows) is
#: reported, never slept on; a slot past ``max_wait`` (ARGV[2], negative: none) is not taken.
_RESERVE_SLOT = """
local interval = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local raw = redis.call('GET', KEYS[1])
local nxt = 0
if raw then
  nxt = tonumber(raw)
  local pttl = redis.call('PTTL', KEYS[1])
  if nxt == nil or pttl < 0 or nxt > now + pttl / 1000 then return {'foreign', '0'} end
end
local slot = math.max(now, nxt)
local delay = string.format('%.6f', slot - now)
if max_wait >= 0 and slot > now and slot - now >= max_wait then return {'full', delay} end
local ttl = math.ceil((slot + interval - now) * 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.6f', slot + interval), 'PX', ttl)
return {'ok', delay}
"""
_RESERVE_SHA = hashlib.sha1(_RESERVE_SLOT.encode()).hexdigest()


class RedisRateLimiter(ReservingLimiter):
    """One calls-per-second budget shared by every process and host using ``key``.

    Pass it as ``rate_limit=`` to any session. Each call reserves its slot atomically in Redis
    (a Lua script: no lock to hold) and then sleeps *outside* Redis until the slot comes; a
    slot past the call's deadline is not taken (the call fails at once), and a value under
    ``key`` that the limiter did not write is a :class:`StoreError`, never a sleep.
    """

    def __init__(
        self, client: Any, key: str, rate: float, *, sleep: Any = time.sleep
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0:
            raise ConfigurationError(f"rate must be > 0 calls per second, got {rate!r}")
        self.key = key
        self.rate = float(rate)
        self._run = _Link(client, "RedisRateLimiter")
        self._sleep = sleep

    def reserve(self, max_wait: float | None = None) -> float | None:
        """Reserve the next slot; return the seconds to wait for it (no sleeping), or ``None``
        (nothing reserved) when that is ``max_wait`` or more."""
        from redis.exceptions import NoScriptError

        args = (1, self.key, f"{1.0 / self.rate:.9f}", -1.0 if max_wait is None else max_wait)
        try:
            try:
                status, delay = self._run("EVALSHA", _RESERVE_SHA, *args)
            except NoScriptError:  # first use on this server: EVAL caches it for EVALSHA
                status, delay = self._run("EVAL", _RESERVE_SLOT, *args)
        except Exception as exc:
            raise _failure("rate limiter", self.key, exc) from None
        if isinstance(status, bytes):  # str with decode_responses=True
            status = status.decode()
        if status == "foreign":
            raise StoreError(
                f"Redis key {self.key!r} holds a value RedisRateLimiter did not write; delete "
                "it, or give the limiter a key of its own"
            )
        wait = float(delay)
        return None if status == "full" or too_late(wait, max_wait) else wait

    def __repr__(self) -> str:
        return f"<RedisRateLimiter {self.key!r} {self.rate:g}/s>"
