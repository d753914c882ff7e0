"""``python benchmarks/run.py --quick`` runs end to end and writes well-formed results.

Only the shape is checked, never a speed: timings depend on the machine. What this catches is
a benchmark that no longer runs (a client broken by an API change, a server that stops
answering, a table that no longer renders) before someone needs its numbers.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "benchmarks" / "run.py"
SEQUENTIAL = {
    "urllib3",
    "http.client",
    "requests",
    "mailru_sync.mailru",
    "mailru_sync.ok",
    "aiomailru.run",
    "aiomailru.loop",
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, str(RUN), *args], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _summary(value: Any) -> None:
    assert set(value) == {"median", "min", "max", "runs"}
    assert value["runs"] >= 1
    assert 0 < value["min"] <= value["median"] <= value["max"]


def test_quick_run_writes_table_json_and_chart(tmp_path: Path) -> None:
    done = _run("--quick", "--out", str(tmp_path))
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))

    assert results["meta"]["current"]["path"] == str(ROOT)
    assert results["meta"]["baseline"] is None
    rows = {row["client"]: row for row in results["sequential"]}
    assert set(rows) == SEQUENTIAL
    aiomailru_present = importlib.util.find_spec("aiomailru") is not None
    for client, row in rows.items():
        if client.startswith("aiomailru") and not aiomailru_present:
            assert "not installed" in row["skipped"]
            continue
        assert "skipped" not in row, row
        for key in ("calls_per_s", "cpu_us", "ratio_calls", "ratio_cpu", "floor_cpu_us"):
            _summary(row[key])

    assert [row["threads"] for row in results["threads"]] == [1, 4, 16, 32]
    for row in results["threads"]:
        _summary(row["calls_per_s"])
        _summary(row["speedup"])
        _summary(row["connections"])
    assert [row["module"] for row in results["imports"]] == [
        "requests", "mailru_sync", "mailru_sync.ok", "mailru_sync (package only)"
    ]
    for row in results["imports"][1:]:
        _summary(row["ratio_to_requests"])
    assert [row["client"] for row in results["memory"]] == ["requests", "mailru_sync"]
    for row in results["memory"]:
        _summary(row["peak_mib"])
    (batch,) = results["batch"]
    assert batch["single_round_trips"] == batch["calls"]
    assert 1 <= batch["batch_round_trips"] < batch["calls"]

    table = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert done.stdout.strip() == table.strip()
    for title in ("Sequential calls", "Threads sharing", "Import time", "Peak memory", "OK:"):
        assert f"### {title}" in table
    assert "| mailru_sync Mail.ru |" in table
    assert "+---" in (tmp_path / "results.rst").read_text(encoding="utf-8")
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG")

    # The tables are a function of the JSON: rebuilding them from it changes nothing.
    again = tmp_path / "again"
    _run("--report", str(tmp_path / "results.json"), "--out", str(again))
    assert (again / "results.md").read_text(encoding="utf-8") == table


def test_baseline_must_be_a_source_tree(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--baseline", str(tmp_path), "--only", "imports"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "has no mailru_sync/__init__.py" in done.stderr


def test_baseline_rows_sit_beside_current_ones(tmp_path: Path) -> None:
    # The project itself as the "baseline" tree: the plumbing is what is checked here.
    _run("--quick", "--baseline", str(ROOT), "--only", "imports", "--out", str(tmp_path))
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert results["meta"]["baseline"]["path"] == str(ROOT)
    assert [row["tree"] for row in results["imports"]] == ["", *["baseline", "current"] * 3]
    assert set(results) == {"meta", "imports"}
    table = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "| from mailru_sync import TokenSession | baseline |" in table
    assert "| from mailru_sync import TokenSession | current |" in table
