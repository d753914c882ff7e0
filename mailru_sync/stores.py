"""Token stores: where a session's token lives between requests, runs and processes.

Why: a web app keeps one user's token across requests, a cron job across runs, and many worker
processes share one app's tokens. A store is three operations a session needs, wired by the
``store=`` option of every session class:

* ``load() -> dict | None``: the token as :attr:`BaseSession.token` exported it (platform field
  names plus ``expires_at``), or ``None`` when nothing is stored;
* ``save(dict)``: keep a new token (called after every grant and refresh);
* ``lock()``: a context manager held around a refresh, so of many processes refreshing the same
  expired token only the first asks the platform; the others load what it saved.

:class:`MemoryStore` serves one process; :class:`FileStore` several processes on one host
(stdlib only); :class:`RedisStore` any number of processes on any number of hosts (extra
``[redis]``). :class:`RedisRateLimiter` shares one calls-per-second budget the same way.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ._ratelimit import ReservingLimiter
from .exceptions import ConfigurationError, Error

__all__ = [
    "FileStore",
    "MemoryStore",
    "RedisRateLimiter",
    "RedisStore",
    "StoreError",
    "TokenStore",
]

_FORMAT = "mailru_sync.token/1"


class StoreError(Error):
    """A token store could not be read, written or locked (the message says which file)."""


@runtime_checkable
class TokenStore(Protocol):
    """What ``store=`` accepts."""

    def load(self) -> dict[str, Any] | None:
        """The saved token data, or ``None`` when nothing is saved yet."""
        ...

    def save(self, token: Mapping[str, Any]) -> None:
        """Keep ``token`` (the session's :attr:`token` dict), replacing what was saved."""
        ...

    def lock(self) -> contextlib.AbstractContextManager[Any]:
        """A lock shared by every session using this store, held around a refresh so that
        only one of them (thread or process) spends the refresh token."""
        ...


def _encode(token: Mapping[str, Any]) -> str:
    return json.dumps({"format": _FORMAT, "token": _checked(token)}, indent=1)


def _decode(text: str | bytes, where: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        raise StoreError(
            f"the token stored at {where} is not valid JSON; delete it and log in again"
        ) from None
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise StoreError(f"{where} is not a mailru_sync token; point the store elsewhere")
    token = data.get("token")
    if not isinstance(token, dict):
        raise StoreError(f"the token stored at {where} has no token; log in again")
    return token


def _checked(token: object) -> dict[str, Any]:
    if not isinstance(token, Mapping) or not (token.get("access_token") or
                                               token.get("session_key")):
        raise ConfigurationError(
            "a store keeps token dicts as session.token exports them (with access_token); "
            f"got {type(token).__name__}"
        )
    return dict(token)


class MemoryStore:
    """A store in this process's memory: tokens shared by the sessions of one process."""

    def __init__(self, token: Mapping[str, Any] | None = None) -> None:
        self._token = None if token is None else _checked(token)
        self._lock = threading.RLock()

    def load(self) -> dict[str, Any] | None:
        """The token kept in memory (a copy), or ``None``."""
        with self._lock:
            return None if self._token is None else dict(self._token)

    def save(self, token: Mapping[str, Any]) -> None:
        """Keep a checked copy of ``token`` in memory."""
        checked = _checked(token)
        with self._lock:
            self._token = checked

    def lock(self) -> contextlib.AbstractContextManager[Any]:
        """This store's re-entrant lock: serializes refreshes within this process."""
        return self._lock

    def __repr__(self) -> str:
        return f"<MemoryStore {'with' if self._token else 'without'} a token>"


class FileStore:
    """A JSON file, mode 0600, replaced atomically; a sidecar lock file serializes refreshes.

    * Never half-written: the token goes to a temporary file in the same folder, is flushed to
      disk, then renamed over the old one (``os.replace`` is atomic on POSIX).
    * Inter-process lock: ``fcntl.flock`` on ``<path>.lock``, waited for at most
      ``lock_timeout`` seconds; the kernel releases it when the holder dies, so a crashed
      process never blocks the others.
    * A corrupt file, or one that is not ours, raises :class:`StoreError` naming the path
      instead of being overwritten or read as a token.
    """

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float = 30.0) -> None:
        self.path = Path(path)
        if isinstance(lock_timeout, bool) or not isinstance(lock_timeout, (int, float)) or (
            lock_timeout <= 0
        ):
            raise ConfigurationError(f"lock_timeout must be > 0 seconds, got {lock_timeout!r}")
        self.lock_timeout = float(lock_timeout)
        self._thread_lock = threading.RLock()

    def load(self) -> dict[str, Any] | None:
        """The token read from the file, or ``None`` when the file does not exist."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read the token file {self.path}: {exc.strerror}") from None
        return _decode(text, f"the file {self.path}")

    def save(self, token: Mapping[str, Any]) -> None:
        """Write ``token`` atomically (temporary file, fsync, rename), mode 0600."""
        payload = _encode(token)
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=folder)
        except OSError as exc:
            raise StoreError(f"cannot write the token file {self.path}: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise StoreError(f"cannot write the token file {self.path}: {exc.strerror}") from None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """``flock`` on ``<path>.lock``, waited for at most ``lock_timeout`` seconds."""
        import fcntl  # POSIX only; imported here so the module loads everywhere

        with self._thread_lock:
            lock_path = self.path.with_name(self.path.name + ".lock")
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                deadline = time.monotonic() + self.lock_timeout
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except OSError as exc:
                        if exc.errno not in (errno.EAGAIN, errno.EACCES):
                            raise StoreError(
                                f"cannot lock {lock_path}: {exc.strerror}"
                            ) from None
                        if time.monotonic() >= deadline:
                            raise StoreError(
                                f"another process held {lock_path} for more than "
                                f"{self.lock_timeout:g} s; is a refresh stuck?"
                            ) from None
                        time.sleep(0.01)
                yield
            finally:
                os.close(fd)  # closing releases the flock

    def __repr__(self) -> str:
        return f"<FileStore {str(self.path)!r}>"


class RedisStore:
    """The token under one Redis key; refreshes serialized by a Redis lock with a timeout.

    ``client`` is a ``redis.Redis`` (extra ``[redis]``). The lock expires after
    ``lock_timeout`` seconds, so a holder killed mid-refresh blocks the others at most that
    long; waiting for it is bounded by ``lock_wait``.
    """

    def __init__(
        self, client: Any, key: str, *, lock_timeout: float = 30.0, lock_wait: float = 30.0
    ) -> None:
        if not all(callable(getattr(client, m, None)) for m in ("get", "set", "lock")):
            raise ConfigurationError("RedisStore needs a redis.Redis client (pip install "
                                     "'mailru_sync[redis]')")
        if not isinstance(key, str) or not key:
            raise ConfigurationError("RedisStore needs a non-empty key, e.g. 'mailru:token:42'")
        self.client = client
        self.key = key
        self.lock_timeout = float(lock_timeout)
        self.lock_wait = float(lock_wait)

    def load(self) -> dict[str, Any] | None:
        """The token stored under :attr:`key`, or ``None``."""
        raw = self._redis("read", lambda: self.client.get(self.key))
        return None if raw is None else _decode(raw, f"Redis key {self.key!r}")

    def save(self, token: Mapping[str, Any]) -> None:
        """Store ``token`` under :attr:`key` (one SET: readers never see half of it)."""
        payload = _encode(token)
        self._redis("write", lambda: self.client.set(self.key, payload))

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """A Redis lock on ``<key>:refresh-lock`` (expires after ``lock_timeout``)."""
        lock = self.client.lock(
            f"{self.key}:refresh-lock", timeout=self.lock_timeout,
            blocking_timeout=self.lock_wait,
        )
        if not self._redis("lock", lock.acquire):
            raise StoreError(
                f"another process held the refresh lock of {self.key!r} for more than "
                f"{self.lock_wait:g} s"
            )
        try:
            yield
        finally:
            # An expired lock may already belong to another holder: releasing it is their
            # business (redis-py refuses, LockError), not a failure of this refresh.
            with contextlib.suppress(Exception):
                lock.release()

    def _redis(self, what: str, operation: Any) -> Any:
        try:
            return operation()
        except Error:
            raise
        except Exception as exc:  # redis.exceptions.* without importing redis here
            raise StoreError(
                f"Redis {what} of {self.key!r} failed ({type(exc).__name__}); check the "
                "server and the client's connection settings"
            ) from None

    def __repr__(self) -> str:
        return f"<RedisStore {self.key!r}>"


#: Reserves the next free slot of a shared clock atomically and returns how long the caller
#: waits for it. Redis's own TIME is the clock, so hosts with skewed clocks still agree.
_RESERVE_SLOT = """
local interval = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, nxt)
local ttl = math.ceil((slot + interval - now) * 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.6f', slot + interval), 'PX', ttl)
return string.format('%.6f', slot - now)
"""


class RedisRateLimiter(ReservingLimiter):
    """One calls-per-second budget shared by every process and host using ``key``.

    Pass it as ``rate_limit=`` to any session. Each call reserves its slot atomically in Redis
    (a Lua script: no lock to hold) and then sleeps *outside* Redis until the slot comes.
    """

    def __init__(
        self, client: Any, key: str, rate: float, *, sleep: Any = time.sleep
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0:
            raise ConfigurationError(f"rate must be > 0 calls per second, got {rate!r}")
        if not callable(getattr(client, "register_script", None)):
            raise ConfigurationError("RedisRateLimiter needs a redis.Redis client")
        self.key = key
        self.rate = float(rate)
        self._script = client.register_script(_RESERVE_SLOT)
        self._sleep = sleep

    def reserve(self) -> float:
        """Reserve the next slot; return the seconds to wait for it (no sleeping)."""
        try:
            return float(self._script(keys=[self.key], args=[1.0 / self.rate]))
        except Exception as exc:
            raise StoreError(
                f"Redis rate limiter {self.key!r} failed ({type(exc).__name__})"
            ) from None

    def __repr__(self) -> str:
        return f"<RedisRateLimiter {self.key!r} {self.rate:g}/s>"
