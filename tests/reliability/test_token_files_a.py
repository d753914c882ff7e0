"""Issue 19, point 7: token files are never trusted blindly.

Corrupt, planted, shared and read-only token files, as a hostile or careless environment makes
them: each is a :class:`StoreError` that says what to run, or (a folder the process may not
write) the new token kept in memory with the error in ``last_persist_error``. The tests run as
root, so "another user" is uid 65534 (chown) and the read-only folder is tested in a forked
child that drops to uid 65534 (``os.setuid``): root would bypass the permission bits.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import mailru_sync as mr
from mailru_sync.stores import FileStore, StoreError
from mailru_sync.testing import MailruEmulator
from tests.reliability.helpers_a import session

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX files and processes")

NOBODY = 65534
TOKEN = {"access_token": "a" * 32, "refresh_token": "r" * 32}


def _saved(tmp_path: Path) -> FileStore:
    store = FileStore(tmp_path / "token.json")
    store.save(TOKEN)
    return store


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"format": "mailru_sync.token/1", "token": {"access_token": "\xff\xfe"}}',
         "not valid JSON"),
        (b"[" * 200_000 + b"]" * 200_000, "not valid JSON"),  # RecursionError when parsed
        (b" " * (3 << 20) + json.dumps({"format": "mailru_sync.token/1",
                                        "token": TOKEN}).encode(), "more than"),
    ],
    ids=["invalid-utf8", "deep-nesting", "huge-file"],
)
def test_unreadable_content_is_a_store_error(tmp_path: Path, content: bytes, says: str) -> None:
    store = _saved(tmp_path)
    store.path.write_bytes(content)
    with pytest.raises(StoreError, match=says):
        store.load()


def test_a_file_others_may_read_or_write_is_refused_with_the_chmod_to_run(
    tmp_path: Path,
) -> None:
    store = _saved(tmp_path)
    for mode in (0o644, 0o620, 0o604):
        os.chmod(store.path, mode)
        with pytest.raises(StoreError, match=f"run: chmod 600 {store.path}"):
            store.load()
    os.chmod(store.path, 0o600)
    assert store.load() == TOKEN


def test_a_file_of_another_user_is_refused_with_the_chown_to_run(tmp_path: Path) -> None:
    store = _saved(tmp_path)
    os.chown(store.path, NOBODY, NOBODY)
    with pytest.raises(StoreError, match=f"uid {NOBODY}.*run: chown {os.geteuid()}"):
        store.load()
    with pytest.raises(StoreError, match="refusing to replace it"):
        store.save(TOKEN)  # a planted file is not silently taken over either
    assert os.stat(store.path).st_uid == NOBODY


def test_a_symlinked_lock_file_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    store = _saved(tmp_path)
    target = tmp_path / "elsewhere"
    (tmp_path / "token.json.lock").symlink_to(target)
    with pytest.raises(StoreError, match="symbolic link"), store.lock():
        pass
    assert not target.exists()


def test_a_symlinked_token_file_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    shared = tmp_path / "shared" / "token.json"
    first = FileStore(shared)
    first.save(TOKEN)
    link = tmp_path / "app" / "token.json"
    link.parent.mkdir()
    link.symlink_to(shared)
    FileStore(link).save(TOKEN | {"access_token": "b" * 32})
    assert link.is_symlink() and os.readlink(link) == str(shared)
    assert first.load() == TOKEN | {"access_token": "b" * 32}  # the target got the new token
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o600


def _writer(path: Path) -> None:  # pragma: no cover - runs in a child killed mid-save
    store = FileStore(path)
    n = 0
    while True:
        n += 1
        store.save({"access_token": f"{n:032x}", "pad": "p" * (8 << 20)})


def test_temp_files_of_a_writer_killed_mid_save_are_removed_by_the_next_save(
    tmp_path: Path,
) -> None:
    path = tmp_path / "token.json"
    leftovers: list[str] = []
    for _ in range(200):  # kill writers until one dies with its temp file on disk
        pid = os.fork()
        if pid == 0:  # pragma: no cover
            try:
                _writer(path)
            finally:
                os._exit(1)
        time.sleep(random.uniform(0.02, 0.3))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("token.json",)]
        if leftovers:
            break
    assert leftovers, "no writer was killed mid-save in 200 tries"
    FileStore(path).save(TOKEN)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["token.json"]
    assert FileStore(path).load() == TOKEN


@contextlib.contextmanager
def _folder_nobody_cannot_write() -> Iterator[Path]:
    """A folder of root's (mode 0755, on a path uid 65534 can reach) holding a token file of
    uid 65534's: readable by it, the folder not writable by it."""
    folder = Path(tempfile.mkdtemp(prefix="mailru-ro-", dir="/tmp"))
    try:
        os.chmod(folder, 0o755)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_folder_the_process_may_not_write_keeps_the_new_token_in_memory(
    mailru_emulator: MailruEmulator,
) -> None:
    emu = mailru_emulator
    with _folder_nobody_cannot_write() as folder:
        # The same refresh once as root first: every module it imports is loaded before the
        # child drops to a user that cannot read this interpreter's library folder.
        warm = session(emu, store=FileStore(folder / "warm" / "token.json"))
        assert warm.call("users.getInfo")
        path = folder / "token.json"
        path.write_text(json.dumps({"format": "mailru_sync.token/1", "token": warm.token}))
        os.chown(path, NOBODY, NOBODY)
        os.chmod(path, 0o600)
        emu.expire_token(warm.access_token)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the exit status is the report
            code = 9
            try:
                os.setgid(NOBODY)
                os.setuid(NOBODY)  # a real non-root process: permission bits apply
                s = mr.TokenSession(emu.app.app_id, emu.app.private_key, emu.app.secret_key,
                                    store=FileStore(path), base_url=emu.url)
                stale = s.access_token
                ok = bool(s.call("users.getInfo"))  # refresh: lock and save both refused
                error = s.last_persist_error
                code = 0 if (ok and s.access_token != stale and s.refresh_count == 1
                             and isinstance(error, StoreError) and error.unwritable) else 1
            except BaseException:
                import traceback
                traceback.print_exc()
                code = 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert not (folder / "token.json.lock").exists()
