"""``FileStore.save`` is atomic: another process never reads a partial or empty token file.

Issue 24: the test named for atomic saves only looked at the file after the save. Here a reader
in another process loads the file in a loop while this process saves large tokens many times,
and writers are killed (SIGKILL) in the middle of their saves; every load must give one whole
token, and the file's mode must stay 0600 throughout.
"""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from mailru_sync.stores import FileStore, StoreError

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="FileStore locks are POSIX-only")

PAD = 256 * 1024  # large enough that a write in place is seen half done


def _token(n: int) -> dict[str, Any]:
    return {"access_token": f"{n:032x}", "pad": str(n % 10) * PAD, "n": n}


def _whole(token: object) -> bool:
    return (
        isinstance(token, dict)
        and token.get("pad") == str(token.get("n", -1) % 10) * PAD
        and token.get("access_token") == f"{token.get('n', -1):032x}"
    )


def _read_until(path: Path, stop: Path, out: int) -> None:
    """In the child: load ``path`` until ``stop`` exists; report what was seen on ``out``."""
    store = FileStore(path)
    reads, bad, modes = 0, [], []
    os.write(out, b"R")  # reading from now on
    deadline = time.monotonic() + 20  # bounded even if the parent dies
    while not stop.exists() and time.monotonic() < deadline:
        try:
            token = store.load()
            ok = _whole(token)
            problem = "" if ok else f"partial token: {str(token)[:60]}"
        except StoreError as exc:
            problem = str(exc)[:120]
        mode = stat.S_IMODE(os.stat(path).st_mode)
        reads += 1
        if problem:
            bad.append(problem)
        if mode != 0o600:
            modes.append(oct(mode))
    os.write(out, json.dumps({"reads": reads, "bad": bad[:5], "modes": modes[:5]}).encode())


def _fork(target: Any, *args: Any) -> int:
    pid = os.fork()
    if pid == 0:  # the child: run, then leave without pytest's cleanup
        code = 0
        try:
            target(*args)
        except BaseException:  # reported by the exit code
            code = 1
        finally:
            os._exit(code)
    return pid


def test_a_reader_in_another_process_never_sees_a_partial_file(tmp_path: Path) -> None:
    path, stop = tmp_path / "token.json", tmp_path / "stop"
    store = FileStore(path)
    store.save(_token(0))
    read_end, write_end = os.pipe()
    reader = _fork(_read_until, path, stop, write_end)
    os.close(write_end)
    try:
        assert os.read(read_end, 1) == b"R"
        for n in range(1, 120):
            store.save(_token(n))
    finally:
        stop.touch()
        chunks = []
        while chunk := os.read(read_end, 1 << 16):
            chunks.append(chunk)
        os.close(read_end)
        _, status = os.waitpid(reader, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    seen = json.loads(b"".join(chunks))
    assert seen["reads"] >= 20, "the reader barely ran: the test proved nothing"
    assert seen["bad"] == [] and seen["modes"] == []
    assert store.load() == _token(119)


def _save_forever(path: Path, first: int) -> None:
    store = FileStore(path)
    n = first
    while True:
        store.save(_token(n))
        n += 1


def test_a_writer_killed_mid_save_leaves_a_whole_private_file(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    FileStore(path).save(_token(0))
    rng = random.Random(24)
    for round_ in range(6):
        writer = _fork(_save_forever, path, 1000 * (round_ + 1))
        time.sleep(rng.uniform(0.01, 0.15))
        os.kill(writer, signal.SIGKILL)
        _, status = os.waitpid(writer, 0)
        assert os.waitstatus_to_exitcode(status) == -signal.SIGKILL, "the writer died early"
        assert _whole(FileStore(path).load())
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert FileStore(path).load() != _token(0), "no kill landed after a save: proved nothing"
