"""The measurements of one benchmark run, each a method returning JSON-ready results.

Why this shape: each phase owns its server (with the latency it needs) and its repeat loop, so
a phase can be read, changed or skipped alone; :mod:`report` only formats what they return.
Repeats are the outer loop everywhere, so a slow minute on the machine touches every client a
little instead of one client a lot.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import callers
import procs
from procs import LoadServer, Tree
from stats import Summary

MIB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """How much to measure; ``QUICK`` is the smoke run."""

    calls: int = 2000
    warmup: int = 100
    repeats: int = 5
    thread_counts: tuple[int, ...] = (1, 4, 16, 32)
    per_thread: int = 20
    latency_ms: float = 50.0
    import_runs: int = 20
    #: Measurements of each statement per run (interleaved); the run keeps the fastest of each.
    import_repeats: int = 3
    #: Where the import rows run (recorded so ``--report`` describes old runs truthfully):
    #: "plain venv" = :func:`procs.plain_python` with compiled copies of the trees.
    import_setup: str = "plain venv"
    memory_repeats: int = 3
    batch_calls: int = 100
    #: Sessions built, used once and closed (or dropped) in a loop.
    pool_sessions: int = 100
    #: Requests of the web-app case (a session per request vs one shared), and its threads.
    web_requests: int = 1000
    web_threads: int = 16
    #: Mail.ru reads of the call_many case, and its workers.
    many_calls: int = 1000
    many_workers: int = 8

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


QUICK = Settings(
    calls=100,
    warmup=10,
    repeats=1,
    per_thread=3,
    import_runs=3,
    import_repeats=1,
    memory_repeats=1,
    batch_calls=10,
    pool_sessions=10,
    web_requests=64,
    many_calls=40,
)


@dataclass
class Bench:
    """Runs the phases against ``trees`` (the last is the current tree, a first one the
    baseline); ``log`` gets one line of progress per step."""

    workdir: Path
    settings: Settings
    trees: list[Tree]
    log: Callable[[str], None]
    missing: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for module in ("aiomailru",):
            if importlib.util.find_spec(module) is None:
                self.missing[module] = (
                    f"{module} is not installed (pip install -r benchmarks/requirements.txt)"
                )

    @property
    def current(self) -> Tree:
        return self.trees[-1]

    def _client(self, server: LoadServer, tree: Tree, *args: str) -> dict[str, Any]:
        result = procs.run_client(self.workdir, server, tree, *args)
        procs.settle()
        return result

    # --- sequential calls, paired with the floor -------------------------------------------

    def sequential(self) -> list[dict[str, Any]]:
        jobs: list[tuple[str, Tree]] = [(kind, self.current) for kind in callers.SEQUENTIAL[:3]]
        for kind in ("mailru_sync.mailru", "mailru_sync.ok"):
            jobs.extend((kind, tree) for tree in self.trees)
        jobs.extend((kind, self.current) for kind in ("aiomailru.run", "aiomailru.loop"))
        samples: dict[tuple[str, str], list[dict[str, float]]] = {}
        s = self.settings
        run_args = ("--calls", str(s.calls), "--warmup", str(s.warmup))
        with LoadServer(self.workdir) as server:
            for repeat in range(s.repeats):
                for kind, tree in jobs:
                    if self._skip_reason(kind):
                        continue
                    self.log(f"sequential {repeat + 1}/{s.repeats}: {kind} [{tree.label}]")

                    def measure(k: str, t: Tree) -> dict[str, Any]:
                        return self._client(server, t, "sequential", k, *run_args)

                    if repeat % 2 == 0:  # alternate who goes first, so order bias cancels
                        floor = measure(callers.FLOOR, self.current)
                        mine = measure(kind, tree)
                    else:
                        mine = measure(kind, tree)
                        floor = measure(callers.FLOOR, self.current)
                    pair = _pair(mine, floor)
                    pair["floor_first"] = float(repeat % 2 == 0)
                    samples.setdefault((kind, tree.label), []).append(pair)
        rows = []
        for kind, tree in jobs:
            reason = self._skip_reason(kind)
            pairs = samples.get((kind, tree.label), [])
            row: dict[str, Any] = {"client": kind, "tree": tree.label}
            if reason:
                row["skipped"] = reason
            else:
                for key in ("calls_per_s", "cpu_us", "ratio_calls", "ratio_cpu", "floor_cpu_us"):
                    row[key] = Summary.of(p[key] for p in pairs).to_json()
                row["pairs"] = pairs  # raw, in run order, for whoever doubts a median
            rows.append(row)
        return rows

    def _skip_reason(self, kind: str) -> str | None:
        return self.missing.get(kind.split(".")[0])

    # --- threads sharing one session ------------------------------------------------------

    def threads(self) -> list[dict[str, Any]]:
        s = self.settings
        runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
        with LoadServer(self.workdir, s.latency_ms) as server:
            for repeat in range(s.repeats):
                for tree in self.trees:
                    for count in s.thread_counts:
                        self.log(f"threads {repeat + 1}/{s.repeats}: {count} [{tree.label}]")
                        result = self._client(
                            server, tree, "threads", str(count), "--per-thread", str(s.per_thread)
                        )
                        runs.setdefault((tree.label, count), []).append(result)
        base = min(s.thread_counts)
        rows = []
        for tree in self.trees:
            for count in s.thread_counts:
                mine = runs[(tree.label, count)]
                ones = runs[(tree.label, base)]
                rates = [r["calls"] / r["wall"] for r in mine]
                speedups = [
                    rate / (o["calls"] / o["wall"]) for rate, o in zip(rates, ones, strict=True)
                ]
                rows.append(
                    {
                        "tree": tree.label,
                        "threads": count,
                        "latency_ms": s.latency_ms,
                        "calls_per_s": Summary.of(rates).to_json(),
                        "speedup": Summary.of(speedups).to_json(),
                        "speedup_base_threads": base,
                        "connections": Summary.of(r["connections"] for r in mine).to_json(),
                    }
                )
        return rows

    # --- import time -----------------------------------------------------------------------

    def imports(self) -> list[dict[str, Any]]:
        s = self.settings
        seconds: dict[tuple[str, str], list[float]] = {("requests", ""): []}
        ratios: dict[tuple[str, str], list[float]] = {}
        ours = [name for name in procs.IMPORT_STATEMENTS if name != "requests"]
        for name in ours:  # rows grouped by statement, each tree's beside the others'
            for tree in self.trees:
                seconds[name, tree.label] = []
        jobs = [("requests", self.current, "")] + [
            (name, tree, tree.label) for name in ours for tree in self.trees
        ]
        for run in range(s.import_runs):
            self.log(f"imports {run + 1}/{s.import_runs}")
            # Each statement a few times, interleaved, keeping its fastest: one fresh
            # interpreter's import is at the mercy of the machine's scheduler and page cache.
            best: dict[tuple[str, str], float] = {}
            for _ in range(s.import_repeats):
                for name, tree, label in jobs:
                    took = procs.import_seconds(self.workdir, name, tree)
                    best[name, label] = min(best.get((name, label), took), took)
            for key, took in best.items():
                seconds[key].append(took)
                if key[0] != "requests":
                    ratios.setdefault(key, []).append(took / best["requests", ""])
        rows: list[dict[str, Any]] = []
        for (name, label), values in seconds.items():
            row: dict[str, Any] = {
                "module": name,
                "statement": procs.IMPORT_STATEMENTS[name],
                "tree": label,
                "ms": Summary.of(x * 1e3 for x in values).to_json(),
            }
            if (name, label) in ratios:
                row["ratio_to_requests"] = Summary.of(ratios[name, label]).to_json()
            rows.append(row)
        return rows

    # --- peak memory of a large body ------------------------------------------------------

    def memory(self) -> list[dict[str, Any]]:
        s = self.settings
        jobs = [("requests", self.current), *(("mailru_sync", tree) for tree in self.trees)]
        peaks: dict[tuple[str, str], list[float]] = {}
        body = 0
        with LoadServer(self.workdir) as server:
            for repeat in range(s.memory_repeats):
                for lib, tree in jobs:
                    self.log(f"memory {repeat + 1}/{s.memory_repeats}: {lib} [{tree.label}]")
                    result = self._client(server, tree, "memory", lib)
                    body = result["body_bytes"]
                    peaks.setdefault((lib, tree.label), []).append(result["peak_bytes"] / MIB)
        return [
            {
                "client": lib,
                "tree": "" if lib == "requests" else tree.label,
                "body_mib": body / MIB,
                "peak_mib": Summary.of(peaks[(lib, tree.label)]).to_json(),
            }
            for lib, tree in jobs
        ]

    # --- OK batches vs single calls -------------------------------------------------------

    def batch(self) -> list[dict[str, Any]]:
        s = self.settings
        rows = []
        with LoadServer(self.workdir, s.latency_ms) as server:
            for tree in self.trees:
                self.log(f"OK batch vs single calls [{tree.label}]")
                result = self._client(server, tree, "batch", "--calls", str(s.batch_calls))
                result.pop("mailru_sync_file", None)
                rows.append({"tree": tree.label, "latency_ms": s.latency_ms, **result})
        return rows

    # --- sessions built per use, sharing the process-wide pool (issue 22) ----------------

    def pools(self) -> list[dict[str, Any]]:
        s = self.settings
        rows: list[dict[str, Any]] = []
        cases = [
            ("loop-close", s.pool_sessions, 1, 0.0),
            ("loop-drop", s.pool_sessions, 1, 0.0),
            ("per-request", s.web_requests, s.web_threads, s.latency_ms),
            ("shared", s.web_requests, s.web_threads, s.latency_ms),
        ]
        for latency in sorted({case[3] for case in cases}):
            with LoadServer(self.workdir, latency) as server:
                for repeat in range(s.repeats):
                    for tree in self.trees:
                        for pattern, calls, threads, _ in (c for c in cases if c[3] == latency):
                            self.log(f"pools {repeat + 1}/{s.repeats}: {pattern} [{tree.label}]")
                            result = self._client(
                                server, tree, "sessions", pattern,
                                "--calls", str(calls), "--threads", str(threads),
                            )
                            result.pop("mailru_sync_file", None)
                            rows.append({"tree": tree.label, "latency_ms": latency, **result})
        return _pool_rows(rows)

    def many(self) -> list[dict[str, Any]]:
        s = self.settings
        runs: dict[str, list[dict[str, Any]]] = {}
        with LoadServer(self.workdir, s.latency_ms) as server:
            for repeat in range(s.repeats):
                for tree in self.trees:
                    self.log(f"call_many {repeat + 1}/{s.repeats} [{tree.label}]")
                    result = self._client(
                        server, tree, "many",
                        "--calls", str(s.many_calls), "--workers", str(s.many_workers),
                    )
                    runs.setdefault(tree.label, []).append(result)
        rows: list[dict[str, Any]] = []
        for tree in self.trees:
            mine = runs[tree.label]
            row: dict[str, Any] = {
                "tree": tree.label,
                "latency_ms": s.latency_ms,
                "calls": s.many_calls,
                "workers": s.many_workers,
                "target_calls_per_s": 0.9 * s.many_workers / (s.latency_ms / 1000.0),
            }
            if "skipped" in mine[0]:
                row["skipped"] = mine[0]["skipped"]
            else:
                row["calls_per_s"] = Summary.of(r["calls"] / r["wall"] for r in mine).to_json()
                row["connections"] = Summary.of(r["connections"] for r in mine).to_json()
            rows.append(row)
        return rows


def _pair(mine: dict[str, Any], floor: dict[str, Any]) -> dict[str, float]:
    """One back-to-back pair: the client's own figures and its ratios to the floor's."""
    rate = mine["calls"] / mine["wall"]
    floor_rate = floor["calls"] / floor["wall"]
    cpu = mine["cpu"] / mine["calls"]
    floor_cpu = floor["cpu"] / floor["calls"]
    return {
        "calls_per_s": rate,
        "cpu_us": cpu * 1e6,
        "ratio_calls": rate / floor_rate,
        "ratio_cpu": cpu / floor_cpu,
        "floor_cpu_us": floor_cpu * 1e6,
    }

def _pool_rows(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (tree, pattern): connections opened and left open, calls/s, and for the
    per-request pattern its ratio to the shared session's calls/s (run by run)."""
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        by_key.setdefault((run["tree"], run["pattern"]), []).append(run)
    rows = []
    for (tree, pattern), mine in by_key.items():
        row: dict[str, Any] = {
            "tree": tree,
            "pattern": pattern,
            "calls": mine[0]["calls"],
            "threads": mine[0]["threads"],
            "latency_ms": mine[0]["latency_ms"],
            "connections": Summary.of(r["connections"] for r in mine).to_json(),
            "left_open": Summary.of(r["open"] for r in mine).to_json(),
            "calls_per_s": Summary.of(r["calls"] / r["wall"] for r in mine).to_json(),
        }
        if pattern == "per-request":
            shared = by_key[(tree, "shared")]
            row["ratio_to_shared"] = Summary.of(
                (r["calls"] / r["wall"]) / (o["calls"] / o["wall"])
                for r, o in zip(mine, shared, strict=True)
            ).to_json()
        rows.append(row)
    return rows

