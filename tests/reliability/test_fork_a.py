"""Issue 19, point 2: after ``fork()`` every lock the library owns is new in the child.

A child is forked while other threads of the parent hold the locks: a refresh in progress
(the session's store lock, the ``FileStore`` thread lock and its ``flock``), calls in flight
(the watchdog's condition, the limiter's lock, the ``MemoryStore`` lock). Each child must finish
its own call, and a child must never hold or block the parent's file lock. Real forks, real
processes, the emulator over TCP.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import mailru_sync as mr
from mailru_sync.stores import FileStore, MemoryStore
from mailru_sync.testing import MailruEmulator
from tests.reliability.helpers_a import can_flock_now, session, stored_token

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _fork(child: Any) -> int:
    """Fork; in the child run ``child()`` and exit 0 if it returns true, 1 otherwise."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's exit status is the report
        code = 1
        try:
            code = 0 if child() else 1
        except BaseException:  # any failure is the exit status
            code = 1
        finally:
            os._exit(code)
    return pid


def _exit_status(pid: int, within: float) -> int | None:
    """The child's exit code, or None (the child is killed) if it is not done ``within`` s."""
    until = time.monotonic() + within
    while time.monotonic() < until:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def test_a_child_forked_mid_refresh_refreshes_itself_and_never_holds_the_parent_file_lock(
    mailru_emulator: MailruEmulator, tmp_path: Path
) -> None:
    emu = mailru_emulator
    parent = os.getpid()
    in_refresh, release = threading.Event(), threading.Event()

    def updater(token: dict[str, Any]) -> None:  # runs inside the refresh, under the locks
        if os.getpid() == parent:
            in_refresh.set()
            release.wait(30)

    store = FileStore(tmp_path / "token.json")
    store.save(stored_token(emu))
    s = session(emu, store=store, token_updater=updater, deadline=20.0)
    refresher = threading.Thread(target=lambda: s.call("users.getInfo"))
    refresher.start()
    assert in_refresh.wait(30)  # the parent's thread now holds every lock of the refresh
    go_read, go_write = os.pipe()  # the child waits on it before it refreshes itself

    def in_child() -> bool:
        os.close(go_write)
        os.read(go_read, 1)
        return bool(s.refresh() and s.call("users.getInfo"))

    child = _fork(in_child)
    os.close(go_read)
    release.set()
    refresher.join(30)
    try:
        # The parent released its flock, and the child has not taken its own yet: no process
        # may hold it now (a child keeping the inherited descriptor open would).
        assert can_flock_now(tmp_path / "token.json.lock")
    finally:
        os.write(go_write, b"x")
        os.close(go_write)
        status = _exit_status(child, 30)  # reaped (or killed) whatever happened above
    assert status == 0
    assert s.refresh_count == 1


def test_a_hundred_forks_while_threads_call_and_refresh_each_finish_their_call(
    mailru_emulator: MailruEmulator, tmp_path: Path
) -> None:
    emu = mailru_emulator
    store = FileStore(tmp_path / "token.json")
    store.save(stored_token(emu))
    shared = session(emu, store=store, rate_limit=500, deadline=10.0)
    memory = mr.TokenSession(emu.app.app_id, emu.app.private_key, emu.app.secret_key,
                             emu.user.access_token, emu.user.uid, base_url=emu.url,
                             store=MemoryStore(stored_token(emu)), rate_limit=500)
    stop = threading.Event()
    failures: list[BaseException] = []

    def loop(step: Any) -> None:
        while not stop.is_set():
            try:
                step()
            except BaseException as exc:  # reported below
                failures.append(exc)
                return
            time.sleep(0.005)  # a busy app, not a lock held without a break (children poll it)

    busy = [
        threading.Thread(target=loop, args=(shared.refresh,)),  # mid-refresh, always
        threading.Thread(target=loop, args=(lambda: shared.call("users.getInfo"),)),
        threading.Thread(target=loop, args=(lambda: memory.call("users.getInfo"),)),
        threading.Thread(target=loop, args=(lambda: memory.store.save(memory.token),)),
    ]
    for thread in busy:
        thread.start()
    statuses = []
    try:
        for _ in range(100):
            pid = _fork(lambda: (shared.refresh() and shared.call("users.getInfo")
                                 and memory.call("users.getInfo")))
            statuses.append(_exit_status(pid, 30))
            if statuses[-1] != 0:
                break  # one stuck child is the failure; no need to wait for 99 more
    finally:
        stop.set()
        for thread in busy:
            thread.join(30)
    assert statuses == [0] * 100, statuses
    assert failures == []
