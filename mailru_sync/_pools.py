"""Process-wide connection pools, shared by every session with the same transport settings.

Why: the pattern the README teaches (and that a web app needs: one session per request, one
store per user) used to give every session its own :class:`SafeAdapter` and so its own pool:
600 requests opened 600 connections, a TLS handshake each against the real platforms, and a
closed session's keep-alive socket stayed open until the interpreter collected its pool. Now
sessions *lease* one shared adapter per pool size from this registry:

* **What is shared.** One :class:`SafeAdapter` per ``pool_maxsize`` (the only transport
  setting fixed when a session is built). Inside it urllib3 keeps one pool per origin *and* per
  TLS settings (``verify``, ``cert`` are part of its pool key) and one proxy manager per proxy,
  so sessions that differ in those never share a connection, even when they change them after
  construction. A user's ``session.mount(...)`` replaces the shared adapter for that session
  only; a mounted adapter is the user's and is never shared or registered here.
* **Lifetime.** A :class:`Lease` counts one session; ``session.close()`` releases it, and so
  does the garbage collector when a session is dropped without ``close()`` (a
  :func:`weakref.finalize`, so the registry never keeps a session alive). Releasing closes no
  connection: the pool is the process's, like one ``requests.Session`` shared by every
  thread. A program that builds, uses and closes sessions in a loop keeps one warm connection
  per origin, not one per session; a burst of ``n`` concurrent sessions leaves at most ``n``
  (and at most ``pool_maxsize``) idle connections per origin, which the next sessions reuse.
* **Why idle connections are not trimmed when the last session goes.** Under moderate load a
  web app has no live session between overlapping requests again and again; trimming to one
  idle connection each time would make every overlapping request pay a new handshake, which
  is what sharing is for avoiding. The bound stays the pool size, as for one shared
  ``requests.Session``; idle connections the platform closed are noticed by urllib3 before
  reuse.
* **Fork safety.** Each shared adapter registers :func:`reset_pools` with
  :func:`mailru_sync._forksafe.reset_in_child`, as per-session adapters did; the registry's
  lock is renewed in the child too.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from requests.adapters import BaseAdapter, HTTPAdapter

from ._forksafe import reset_in_child
from ._transport import SafeAdapter, reset_pools

__all__ = [
    "POOLS_PER_ADAPTER",
    "Lease",
    "UsesSharedPool",
    "idle_connections",
    "is_shared",
    "lease",
    "sessions_using",
]

#: Pools (origin x TLS settings) one shared adapter keeps before dropping the least recent.
POOLS_PER_ADAPTER = 16


class _Entry:
    """One shared adapter and how many live sessions lease it."""

    __slots__ = ("adapter", "users")

    def __init__(self, adapter: SafeAdapter) -> None:
        self.adapter = adapter
        self.users = 0


class _Registry:
    """The shared adapters by pool size; one instance per process (renewed after a fork)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[int, _Entry] = {}
        self.shared: weakref.WeakSet[HTTPAdapter] = weakref.WeakSet()

    def acquire(self, pool_maxsize: int) -> SafeAdapter:
        with self.lock:
            entry = self.entries.get(pool_maxsize)
            if entry is None:
                adapter = SafeAdapter(pool_maxsize)
                adapter.init_poolmanager(POOLS_PER_ADAPTER, pool_maxsize)  # more origins
                entry = self.entries[pool_maxsize] = _Entry(adapter)
                self.shared.add(adapter)
                reset_in_child(adapter, reset_pools)
            entry.users += 1
            return entry.adapter

    def release(self, pool_maxsize: int) -> None:
        with self.lock:
            entry = self.entries.get(pool_maxsize)
            if entry is None or entry.users == 0:
                return
            entry.users -= 1

    def users(self, pool_maxsize: int) -> int:
        with self.lock:
            entry = self.entries.get(pool_maxsize)
            return 0 if entry is None else entry.users

    def renew_lock(self) -> None:
        self.lock = threading.Lock()  # a parent thread may have held it at fork time


_registry = _Registry()
reset_in_child(_registry, _Registry.renew_lock)


class Lease:
    """One session's use of the shared adapter for its pool size.

    :meth:`release` is idempotent; it also runs when the owning session is garbage collected.
    """

    __slots__ = ("_finalizer", "adapter")

    def __init__(self, owner: object, pool_maxsize: int) -> None:
        self.adapter = _registry.acquire(pool_maxsize)
        self._finalizer = weakref.finalize(owner, _registry.release, pool_maxsize)
        self._finalizer.atexit = False  # at exit the sockets go anyway

    def release(self) -> None:
        """Stop counting the session as a user of the shared pool (closes nothing in use)."""
        self._finalizer()

    @property
    def released(self) -> bool:
        """Whether :meth:`release` ran (explicitly or for a collected session)."""
        return not self._finalizer.alive


def lease(owner: object, pool_maxsize: int) -> Lease:
    """Lease the shared adapter for ``pool_maxsize`` on behalf of ``owner`` (held weakly)."""
    return Lease(owner, pool_maxsize)


class UsesSharedPool:
    """Mixin of ``BaseSession``: mount the shared adapter; ``close()`` gives the lease back."""

    _pool_lease: Lease

    if TYPE_CHECKING:
        adapters: MutableMapping[str, BaseAdapter]

        def mount(self, prefix: str | bytes, adapter: BaseAdapter) -> None: ...

    def _mount_shared_pool(self, pool_maxsize: int) -> None:
        self._pool_lease = lease(self, pool_maxsize)
        self.mount("https://", self._pool_lease.adapter)
        self.mount("http://", self._pool_lease.adapter)

    def close(self) -> None:
        """Release this session's share of the process-wide pool and close the adapters it
        mounted itself (requests' rule); connections other sessions use stay open."""
        self._pool_lease.release()
        for adapter in self.adapters.values():
            if not is_shared(adapter):
                adapter.close()


def sessions_using(pool_maxsize: int) -> int:
    """Live sessions leasing the shared adapter for ``pool_maxsize`` (for tests, monitoring)."""
    return _registry.users(pool_maxsize)


def is_shared(adapter: object) -> bool:
    """Whether ``adapter`` is one of the registry's (then no single session may close it)."""
    return isinstance(adapter, HTTPAdapter) and adapter in _registry.shared


def _managers(adapter: HTTPAdapter) -> list[Any]:
    return [adapter.poolmanager, *adapter.proxy_manager.values()]


def _pools(adapter: HTTPAdapter) -> list[Any]:
    pools = []
    for manager in _managers(adapter):
        for key in manager.pools.keys():  # noqa: SIM118 (a copy, taken under its lock)
            pool = manager.pools.get(key)
            if pool is not None:
                pools.append(pool)
    return pools


def idle_connections(adapter: HTTPAdapter) -> int:
    """Open keep-alive connections waiting in ``adapter``'s pools (for tests and monitoring)."""
    count = 0
    for pool in _pools(adapter):
        idle = pool.pool
        if idle is None:
            continue
        with idle.mutex:
            count += sum(1 for conn in idle.queue if conn is not None and conn.sock is not None)
    return count
