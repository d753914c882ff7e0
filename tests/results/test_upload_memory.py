"""benchmarks/upload_memory.py: a 20 MB photo uploads on both platforms with the client's peak
memory far below the file size (memory is measured, never speed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "upload_memory.py"


def test_twenty_megabytes_upload_with_a_small_peak() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCHMARK), "--size-mb", "20"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    figures = [json.loads(line) for line in run.stdout.splitlines()]
    assert [f["platform"] for f in figures] == ["mailru", "ok"]
    for entry in figures:
        assert entry["stored"] and entry["file_bytes"] == 20_000_000
        assert entry["peak_bytes"] < entry["file_bytes"] // 10
