"""Processes of a benchmark run: the load server, client runs, fresh interpreters for imports.

Why subprocesses everywhere: the runner must not share a GIL, an import cache or a connection
pool with what it measures. Every child runs in an empty temporary directory (so the current
directory never shadows the ``mailru_sync`` being measured) with ``PYTHONPATH`` set to the
source tree under test (for the import rows, a compiled copy of it in a plain venv); each
client reports the ``mailru_sync`` file it imported and a run from the wrong tree is refused.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
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


_REQUESTS_AND_ITS_DEPENDENCIES = ("requests", "urllib3", "charset_normalizer", "idna", "certifi")


def _install_folders(*packages: str) -> list[str]:
    """The site directories these packages are installed in, each once, in order."""
    folders: list[str] = []
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise BenchError(
                f"{package} is not installed (pip install -r benchmarks/requirements.txt)"
            )
        folder = str(Path(spec.origin).resolve().parent.parent)
        if folder not in folders:
            folders.append(folder)
    return folders


def _printed(python: Path, code: str) -> list[str]:
    """The words ``python -c code`` printed."""
    done = subprocess.run(
        [str(python), "-c", code], check=True, capture_output=True, text=True, timeout=60
    )
    return done.stdout.split()


def plain_python(workdir: Path) -> str:
    """An interpreter like a user's fresh venv, created once per run; its path.

    Why not :data:`sys.executable`: the benchmark usually runs from a development venv, whose
    ``.pth`` files run at start-up (an editable install's finder imports ``pathlib``,
    ``importlib.util`` and more, about 10 ms). Those modules are then loaded before either
    import statement starts, and ``import requests`` would not cost what it costs anyone who
    installed from the index (in one measurement it took 69 ms there, 77 ms here). A
    ``--without-pip`` venv sees the same installed packages through one path line in a
    ``.pth`` file; ``.pth`` files inside a directory named that way are not run (``site``
    only reads those of its own site directories).
    """
    venv = workdir / "plain-venv"
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    if not python.exists():
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(venv)],
            check=True,
            capture_output=True,
            timeout=300,
        )
        prefix, base_prefix = _printed(python, "import sys; print(sys.prefix, sys.base_prefix)")
        if prefix == base_prefix:
            raise BenchError(f"{venv} is not a venv")
        (site_packages,) = _printed(
            python, "import sysconfig; print(sysconfig.get_path('purelib'))"
        )
        Path(site_packages, "benchmark-deps.pth").write_text(
            "".join(f"{folder}\n" for folder in _install_folders(*_REQUESTS_AND_ITS_DEPENDENCIES))
        )
    return str(python)


def installed_copy(workdir: Path, tree: Tree) -> Path:
    """A copy of ``tree``'s package with its bytecode compiled beside it, as pip installs it.

    Made once per run and tree; the returned folder goes on ``PYTHONPATH``.
    """
    folder = (workdir / "installed" / tree.label).resolve()
    if not (folder / "mailru_sync" / "__init__.py").is_file():
        shutil.copytree(
            tree.path / "mailru_sync",
            folder / "mailru_sync",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        subprocess.run(
            [plain_python(workdir), "-m", "compileall", "-q", str(folder / "mailru_sync")],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return folder


def import_seconds(workdir: Path, what: str, tree: Tree) -> float:
    """Wall time of one import statement (:data:`IMPORT_STATEMENTS`) in a fresh interpreter.

    Timed with ``perf_counter`` around the statement inside the child, not with
    ``-X importtime``: that flag writes a line per module while importing, which inflates a
    package of many small modules more than it costs anyone at run time.

    The child is :func:`plain_python`, not this interpreter: no development ``.pth`` file
    pre-loads modules that ``import requests`` would otherwise pay for.

    Both sides import as installed packages do, from bytecode beside the source: ``requests``
    from its site directory, ``mailru_sync`` from a compiled copy of the tree
    (:func:`installed_copy`). Not from the tree itself: with ``PYTHONDONTWRITEBYTECODE`` set (as
    on CI machines) it would compile every module on every run, and a ``PYTHONPYCACHEPREFIX``
    adds a path computation to every module's import that no installed package pays. A first,
    unmeasured import of each statement warms the page cache (and writes any missing bytecode,
    as a user's first import would).
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    copy = installed_copy(workdir, tree)
    env["PYTHONPATH"] = str(copy)
    statement = IMPORT_STATEMENTS[what]
    code = (
        "import sys, time\n"
        "start = time.perf_counter()\n"
        f"{statement}\n"
        "elapsed = time.perf_counter() - start\n"
        "mod = sys.modules.get('mailru_sync')\n"
        "print(elapsed, getattr(mod, '__file__', ''))\n"
    )
    argv = [plain_python(workdir), "-c", code]
    warm = (str(workdir), what, tree.label) in _warm_imports
    for _ in range(1 if warm else 2):  # the first run writes the bytecode
        done = subprocess.run(
            argv, capture_output=True, text=True, env=env, cwd=workdir, timeout=120
        )
    _warm_imports.add((str(workdir), what, tree.label))
    if done.returncode != 0:
        raise BenchError(f"{statement} failed:\n{done.stderr.strip()[-800:]}")
    elapsed, _, imported = done.stdout.strip().partition(" ")
    if what != "requests" and not Path(imported).resolve().is_relative_to(copy):
        raise BenchError(f"{statement} found {imported}, not the copy of {tree.path} in {copy}")
    return float(elapsed)


def settle(seconds: float = 0.05) -> None:
    """A short pause between runs so one child's exit does not overlap the next's timing."""
    time.sleep(seconds)
