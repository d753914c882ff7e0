"""Processes of a benchmark run: the load server, client runs, fresh interpreters for imports.

Why subprocesses everywhere: the runner must not share a GIL, an import cache or a connection
pool with what it measures. Every child runs in an empty temporary directory (so the current
directory never shadows the ``mailru_sync`` being measured) with ``PYTHONPATH`` set to the
source tree under test; each client reports the ``mailru_sync`` file it imported and a run
from the wrong tree is refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

HERE = Path(__file__).resolve().parent
#: The source tree this benchmark belongs to ("current").
PROJECT = HERE.parent


class BenchError(RuntimeError):
    """A child process failed or measured the wrong thing; the run stops with its message."""


@dataclass(frozen=True)
class Tree:
    """A source tree of mailru_sync: ``label`` in the table, ``path`` put on ``PYTHONPATH``."""

    label: str
    path: Path

    @classmethod
    def checked(cls, label: str, path: str | Path) -> Tree:
        root = Path(path).resolve()
        if not (root / "mailru_sync" / "__init__.py").is_file():
            raise BenchError(f"{label} tree {root} has no mailru_sync/__init__.py")
        return cls(label, root)

    def revision(self) -> str:
        """Short git revision of the tree, with ``+changes`` when it has uncommitted edits."""
        try:
            rev = _git(self.path, "rev-parse", "--short", "HEAD")
            dirty = _git(self.path, "status", "--porcelain", "--", "mailru_sync")
        except (OSError, subprocess.CalledProcessError):
            return "unknown"
        return rev + ("+changes" if dirty else "")


def _git(cwd: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=30
    )
    return out.stdout.strip()


def _env(tree: Tree) -> dict[str, str]:
    env = dict(os.environ)
    inherited = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(tree.path) + (os.pathsep + inherited if inherited else "")
    return env


class LoadServer:
    """``loadserver.py`` in its own process; ``url`` once it printed its port."""

    def __init__(self, workdir: Path, latency_ms: float = 0.0) -> None:
        self.latency_ms = latency_ms
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "loadserver.py"), "--latency-ms", str(latency_ms)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=workdir,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.close()
            raise BenchError(f"the load server did not start (said {line!r})")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> LoadServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def run_client(
    workdir: Path, server: LoadServer, tree: Tree, *args: str, timeout: float = 600
) -> dict[str, Any]:
    """Run ``client.py --url URL ARGS`` against ``tree`` in ``workdir``; return its JSON line."""
    command = [sys.executable, str(HERE / "client.py"), "--url", server.url, *args]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=_env(tree),
            cwd=workdir,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"client {' '.join(args)} took over {timeout:.0f} s") from None
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-8:])
        raise BenchError(f"client {' '.join(args)} failed (exit {done.returncode}):\n{tail}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    imported = result.get("mailru_sync_file")
    if imported is not None and not Path(imported).resolve().is_relative_to(tree.path):
        raise BenchError(
            f"client {' '.join(args)} imported {imported}, not the {tree.label} tree "
            f"{tree.path}: is mailru_sync installed non-editable over PYTHONPATH?"
        )
    return result


#: What each import row runs. The package loads its session classes on first use (PEP 562),
#: so ``import mailru_sync`` alone is not what an app pays before its first call: the rows that
#: count name the class an API call needs, which loads ``requests`` and the session machinery.
IMPORT_STATEMENTS: dict[str, str] = {
    "requests": "import requests",
    "mailru_sync": "from mailru_sync import TokenSession",
    "mailru_sync.ok": "from mailru_sync.ok import TokenSession",
    "mailru_sync (package only)": "import mailru_sync",
}


#: (workdir, statement, tree) whose bytecode cache is filled already.
_warm_imports: set[tuple[str, str, str]] = set()


def import_seconds(workdir: Path, what: str, tree: Tree) -> float:
    """Wall time of one import statement (:data:`IMPORT_STATEMENTS`) in a fresh interpreter.

    Timed with ``perf_counter`` around the statement inside the child, not with
    ``-X importtime``: that flag writes a line per module while importing, which inflates a
    package of many small modules more than it costs anyone at run time.

    Both sides import from bytecode, as an installed package does: a source tree measured with
    ``PYTHONDONTWRITEBYTECODE`` set (as on CI machines) would compile every module on every
    run, while ``requests`` in site-packages has its ``.pyc`` files. Bytecode goes to a cache
    of the run's own (``PYTHONPYCACHEPREFIX``); a first, unmeasured import of each statement
    fills it.
    """
    env = _env(tree)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache" / tree.label)
    statement = IMPORT_STATEMENTS[what]
    code = (
        "import sys, time\n"
        "start = time.perf_counter()\n"
        f"{statement}\n"
        "elapsed = time.perf_counter() - start\n"
        "mod = sys.modules.get('mailru_sync')\n"
        "print(elapsed, getattr(mod, '__file__', ''))\n"
    )
    argv = [sys.executable, "-c", code]
    warm = (str(workdir), what, tree.label) in _warm_imports
    for _ in range(1 if warm else 2):  # the first run writes the bytecode
        done = subprocess.run(
            argv, capture_output=True, text=True, env=env, cwd=workdir, timeout=120
        )
    _warm_imports.add((str(workdir), what, tree.label))
    if done.returncode != 0:
        raise BenchError(f"{statement} failed:\n{done.stderr.strip()[-800:]}")
    elapsed, _, imported = done.stdout.strip().partition(" ")
    if what != "requests" and not Path(imported).resolve().is_relative_to(tree.path):
        raise BenchError(f"{statement} found {imported}, not {tree.path}")
    return float(elapsed)


def settle(seconds: float = 0.05) -> None:
    """A short pause between runs so one child's exit does not overlap the next's timing."""
    time.sleep(seconds)
