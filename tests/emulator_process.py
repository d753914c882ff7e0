"""The emulator command line as a real subprocess, and its control subcommands.

Shared by the emulator CLI tests and the ``mailru-sync`` end-to-end test: both must drive the
emulator exactly as a developer's shell or a CI job does (``python -m mailru_sync emulator``),
through its start-up JSON line and ``python -m mailru_sync emulator control``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Environment variables of the control CLI, cleared so a developer's shell cannot leak in.
CONTROL_ENV = (
    "MAILRU_SYNC_EMULATOR_URL",
    "MAILRU_SYNC_EMULATOR_CONTROL_TOKEN",
    "MAILRU_SYNC_EMULATOR_INFO",
)


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CONTROL_ENV}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def run_module(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m mailru_sync ARGS`` to completion (bounded, never hangs a test run)."""
    return subprocess.run(
        [sys.executable, "-m", "mailru_sync", *args],
        env=clean_env(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass
class EmulatorProcess:
    """A running ``python -m mailru_sync emulator`` and what its start-up line announced."""

    proc: subprocess.Popen[str]
    info: dict[str, Any]
    #: The start-up line saved to a file, for ``control --from FILE``.
    info_file: Path

    @property
    def url(self) -> str:
        return str(self.info["url"])

    def control(
        self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``emulator control --from INFO_FILE ARGS``."""
        return run_module(
            "emulator", "control", "--from", str(self.info_file), *args, env=env, stdin=stdin
        )

    def control_ok(self, *args: str, stdin: str | None = None) -> Any:
        """Run a control command that must succeed; its decoded JSON answer."""
        done = self.control(*args, stdin=stdin)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@contextlib.contextmanager
def emulator_process(tmp_path: Path, *args: str) -> Iterator[EmulatorProcess]:
    """Start the emulator CLI, read its start-up line, stop it with SIGTERM (exit 0) afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mailru_sync", "emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            _, err = proc.communicate(timeout=30)
            raise AssertionError(f"the emulator did not start: {err}")
        info_file = tmp_path / f"emulator-{proc.pid}.json"
        info_file.write_text(line, encoding="utf-8")
        yield EmulatorProcess(proc, json.loads(line), info_file)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out == "" and "Traceback" not in err, err
