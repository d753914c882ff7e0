"""Benchmark mailru_sync against the raw floors, requests and aiomailru; print the table.

    pip install -r benchmarks/requirements.txt
    python benchmarks/run.py                       # full run, ~3 minutes
    python benchmarks/run.py --quick               # smoke run, ~15 s
    python benchmarks/run.py --baseline /tmp/base  # also measure another tree, side by side

Writes ``results.json``, ``results.md``, ``results.rst`` and ``chart.png`` to ``--out``
(default ``benchmarks/results/``) and prints the markdown table. Speed is reported, never
asserted: this is an instrument, not a test.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib.metadata
import json
import os
import platform
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

import phases
import report
from procs import PROJECT, BenchError, Tree

SECTIONS = ("sequential", "threads", "imports", "memory", "batch", "pools", "many")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="small N, one repeat (smoke run)")
    parser.add_argument(
        "--baseline",
        metavar="PATH",
        help="another source tree (containing mailru_sync/) whose mailru_sync is measured "
        "too, e.g. made with: git worktree add /tmp/base <commit>",
    )
    parser.add_argument(
        "--out", metavar="DIR", type=Path, default=PROJECT / "benchmarks" / "results"
    )
    parser.add_argument(
        "--only",
        metavar="SECTION",
        action="append",
        choices=SECTIONS,
        help=f"measure only these sections (repeatable; any of {', '.join(SECTIONS)})",
    )
    parser.add_argument("--calls", type=int, help="calls per sequential run")
    parser.add_argument("--repeats", type=int, help="pairs per client, repeats of thread runs")
    parser.add_argument(
        "--report",
        metavar="JSON",
        type=Path,
        help="rebuild tables and chart from a saved results.json instead of measuring",
    )
    return parser.parse_args(argv)


def settings_for(args: argparse.Namespace) -> phases.Settings:
    settings = phases.QUICK if args.quick else phases.Settings()
    overrides = {k: getattr(args, k) for k in ("calls", "repeats") if getattr(args, k)}
    for name, value in overrides.items():
        if value < 1:
            raise BenchError(f"--{name} must be >= 1, got {value}")
    return dataclasses.replace(settings, **overrides)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def measure(args: argparse.Namespace, command: str) -> dict[str, Any]:
    settings = settings_for(args)
    trees = [Tree.checked("current", PROJECT)]
    if args.baseline:
        trees.insert(0, Tree.checked("baseline", args.baseline))
    results: dict[str, Any] = {
        "meta": {
            "command": command,
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
            "cpus": os.cpu_count(),
            "settings": settings.to_json(),
            "versions": {d: _version(d) for d in ("requests", "urllib3", "aiomailru", "aiohttp")},
            **{tree.label: {"path": str(tree.path), "revision": tree.revision()} for tree in trees},
        }
    }
    results["meta"].setdefault("baseline", None)

    def log(line: str) -> None:
        print(f"[bench] {line}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="mailru-sync-bench-") as workdir:
        bench = phases.Bench(Path(workdir), settings, trees, log)
        for reason in bench.missing.values():
            log(f"skipping: {reason}")
        for section in SECTIONS:
            if not args.only or section in args.only:
                results[section] = getattr(bench, section)()
    return results


def write(results: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (
        ("results.json", json.dumps(results, indent=2, ensure_ascii=False) + "\n"),
        ("results.md", report.markdown(results)),
        ("results.rst", report.rst(results)),
    ):
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    try:
        report.chart(results, out / "chart.png")
    except ImportError:
        print(
            "[bench] no chart: matplotlib is not installed "
            "(pip install -r benchmarks/requirements.txt)",
            file=sys.stderr,
        )
    else:
        written.append(out / "chart.png")
    return written


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join(["python", "benchmarks/run.py", *(sys.argv[1:] if argv is None else argv)])
    try:
        if args.report:
            results = json.loads(args.report.read_text(encoding="utf-8"))
        else:
            results = measure(args, command)
        written = write(results, args.out)
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    print(report.markdown(results))
    print("written: " + ", ".join(str(p) for p in written), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
