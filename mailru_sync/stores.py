"""Token stores: where a session's token lives between requests, runs and processes.

Why: a web app keeps one user's token across requests, a cron job across runs, and many worker
processes share one app's tokens. A store is three operations a session needs, wired by the
``store=`` option of every session class:

* ``load() -> dict | None``: the token as :attr:`BaseSession.token` exported it (platform field
  names plus ``expires_at``), or ``None`` when nothing is stored;
* ``save(dict)``: keep a new token (called after every grant and refresh);
* ``lock()``: a context manager held around a refresh, so of many processes refreshing the same
  expired token only the first asks the platform; the others load what it saved. The stores
  here also take ``lock(timeout=...)``: a session passes what is left of the call's deadline.

:class:`MemoryStore` serves one process; :class:`FileStore` several processes on one host
(stdlib only); :class:`RedisStore` any number of processes on any number of hosts (extra
``[redis]``). :class:`RedisRateLimiter` shares one calls-per-second budget the same way.
Every lock of these stores is new in a forked child (:mod:`mailru_sync._forksafe`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ._forksafe import no_fork, reset_in_child
from ._redis import RedisRateLimiter, RedisStore
from ._storebase import MAX_TOKEN_BYTES, StoreError, TokenStore, checked, decode, encode
from ._storebase import positive_seconds as _positive_seconds

__all__ = [
    "FileStore",
    "MemoryStore",
    "RedisRateLimiter",
    "RedisStore",
    "StoreError",
    "TokenStore",
]

#: errno values meaning "not allowed to write here" (a read-only folder or file system).
_UNWRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


class MemoryStore:
    """A store in this process's memory: tokens shared by the sessions of one process."""

    def __init__(self, token: Mapping[str, Any] | None = None) -> None:
        self._token = None if token is None else checked(token)
        self._lock = threading.RLock()
        reset_in_child(self, MemoryStore._reset_after_fork)

    def load(self) -> dict[str, Any] | None:
        """The token kept in memory (a copy), or ``None``."""
        with self._lock:
            return None if self._token is None else dict(self._token)

    def save(self, token: Mapping[str, Any]) -> None:
        """Keep a checked copy of ``token`` in memory."""
        new = checked(token)
        with self._lock:
            self._token = new

    @contextlib.contextmanager
    def lock(self, timeout: float | None = None) -> Iterator[None]:
        """This store's re-entrant lock (refreshes within this process), waited for at most
        ``timeout`` seconds."""
        lock = self._lock  # the one taken is the one released, even across a fork
        if not lock.acquire(timeout=-1 if timeout is None else max(0.0, timeout)):
            raise StoreError(f"another thread held the lock of {self!r} for {timeout:g} s, "
                             "all that was left of the call's deadline")
        try:
            yield
        finally:
            lock.release()

    def _reset_after_fork(self) -> None:
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"<MemoryStore {'with' if self._token else 'without'} a token>"


def _error(doing: str, exc: OSError) -> StoreError:
    unwritable = exc.errno in _UNWRITABLE
    hint = " (the folder or file system is read-only or not yours)" if unwritable else ""
    return StoreError(f"cannot {doing}: {exc.strerror}{hint}", unwritable=unwritable)


def _check_trusted(info: os.stat_result, path: Path) -> None:
    """The ssh/netrc rule: a token file must be a regular file of ours that no one else may
    read or write, or a planted or leaked file would be trusted (or its token leaked)."""
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(f"the token file {path} is not a regular file; remove it or point the "
                         "store elsewhere")
    uid = os.geteuid()
    if info.st_uid != uid:
        raise StoreError(f"the token file {path} belongs to uid {info.st_uid}, not to this user "
                         f"(uid {uid}); if you trust it, run: chown {uid} {path}")
    if info.st_mode & 0o077:
        raise StoreError(f"the token file {path} may be read or written by other users (mode "
                         f"{stat.S_IMODE(info.st_mode):03o}); run: chmod 600 {path}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class FileStore:
    """A JSON file, mode 0600, replaced atomically; a sidecar lock file serializes refreshes.

    * Never half-written: the token goes to a temporary file in the same folder, is flushed to
      disk, then renamed over the old one (``os.replace`` is atomic on POSIX). A token file
      that is a symbolic link is written through to its target (the link stays a link).
      Temporary files of a writer killed mid-save are removed by the next save.
    * Never trusted blindly: a file that is not ours, or that others may read or write, is
      refused with the ``chmod``/``chown`` to run; bytes that are not a token (not UTF-8 JSON,
      nested too deep, over 1 MiB) are a :class:`StoreError` naming the path.
    * Inter-process lock: ``fcntl.flock`` on ``<path>.lock`` (opened with ``O_NOFOLLOW``),
      waited for at most ``lock_timeout`` seconds or what is left of the call's deadline; the
      kernel releases it when the holder dies, and a forked child closes its inherited copy, so
      it never holds or blocks the parent's lock.
    """

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.lock_timeout = _positive_seconds("lock_timeout", lock_timeout)
        self._thread_lock = threading.RLock()
        self._lock_fds: set[int] = set()
        reset_in_child(self, FileStore._reset_after_fork)

    def load(self) -> dict[str, Any] | None:
        """The token read from the file, or ``None`` when the file does not exist."""
        try:
            # O_NONBLOCK: a FIFO planted at the path must not block the open.
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _error(f"read the token file {self.path}", exc) from None
        with os.fdopen(fd, "rb") as handle:
            _check_trusted(os.fstat(handle.fileno()), self.path)
            try:
                raw = handle.read(MAX_TOKEN_BYTES + 1)
            except OSError as exc:
                raise _error(f"read the token file {self.path}", exc) from None
        return decode(raw, f"the file {self.path}")

    def save(self, token: Mapping[str, Any]) -> None:
        """Write ``token`` atomically (temporary file, fsync, rename), mode 0600."""
        payload = encode(token)
        target = Path(os.path.realpath(self.path))  # a symlink is written through
        folder = target.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._check_replaceable(target)
            self._remove_leftovers(folder, target.name)
            fd, temp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp",
                                        dir=folder)
        except OSError as exc:
            raise _error(f"write the token file {self.path}", exc) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise _error(f"write the token file {self.path}", exc) from None

    @staticmethod
    def _check_replaceable(target: Path) -> None:
        try:
            owner = os.stat(target).st_uid
        except FileNotFoundError:
            return
        if owner != os.geteuid():
            raise StoreError(f"the token file {target} belongs to uid {owner}, not to this "
                             f"user (uid {os.geteuid()}): refusing to replace it")

    @staticmethod
    def _remove_leftovers(folder: Path, name: str) -> None:
        """Delete the temporary files of writers that died mid-save (their pid is in the name;
        a live writer's file is left alone)."""
        prefix = f".{name}."
        with os.scandir(folder) as entries:
            for entry in entries:
                if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
                    continue
                pid = entry.name[len(prefix):].split(".", 1)[0]
                if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)

    @contextlib.contextmanager
    def lock(self, timeout: float | None = None) -> Iterator[None]:
        """``flock`` on ``<path>.lock``, waited for at most ``lock_timeout`` seconds, or
        ``timeout`` (what is left of the call's deadline) when that is shorter."""
        import fcntl  # POSIX only; imported here so the module loads everywhere

        wait = self.lock_timeout if timeout is None else max(0.0, min(timeout, self.lock_timeout))
        until = time.monotonic() + wait
        thread_lock = self._thread_lock  # the one taken is the one released, even across a fork
        if not thread_lock.acquire(timeout=wait):
            raise StoreError(f"another thread held the lock of {self!r} for {wait:.2f} s; is a "
                             "refresh stuck?")
        try:
            lock_path = self.path.with_name(self.path.name + ".lock")
            fd = self._open_lock_file(lock_path)
            pid = os.getpid()
            try:
                self._flock(fcntl, fd, lock_path, until, wait)
                yield
            finally:
                if os.getpid() == pid:  # in a forked child the reset closed it already
                    with no_fork():  # a child must never get an unregistered copy
                        self._lock_fds.discard(fd)
                        os.close(fd)  # closing releases the flock
        finally:
            thread_lock.release()

    def _open_lock_file(self, lock_path: Path) -> int:
        """Open ``lock_path`` (never through a symlink, never blocking on a planted FIFO) and
        register the descriptor, with no fork in between: a child that got an unregistered
        copy would keep the parent's ``flock`` held after the parent released it."""
        try:
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
            with no_fork():
                fd = os.open(lock_path, flags, 0o600)
                self._lock_fds.add(fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise StoreError(f"the lock file {lock_path} is a symbolic link (refused: it "
                                 "could point anywhere); remove it") from None
            raise _error(f"open the lock file {lock_path}", exc) from None
        return fd

    def _flock(self, fcntl: Any, fd: int, lock_path: Path, until: float, wait: float) -> None:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise _error(f"lock {lock_path}", exc) from None
            left = until - time.monotonic()
            if left <= 0:
                raise StoreError(
                    f"another process held {lock_path} for more than {wait:.2f} s (the lock "
                    f"timeout, {self.lock_timeout:g} s, or what was left of the call's "
                    "deadline); is a refresh stuck?"
                )
            time.sleep(min(0.01, left))

    def _reset_after_fork(self) -> None:
        """In a forked child: a new thread lock, and the parent's lock file descriptors closed
        (a copy kept open would hold the parent's ``flock`` after the parent released it)."""
        self._thread_lock = threading.RLock()
        for fd in self._lock_fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._lock_fds = set()

    def __repr__(self) -> str:
        return f"<FileStore {str(self.path)!r}>"
