"""Turn a run's results (the JSON the runner writes) into tables and a chart.

Why from the JSON and not from live objects: the documentation's table
(``docs/performance.rst``), the printed table and the chart can then be rebuilt from a saved run
(``python benchmarks/run.py --report results.json``) without measuring again, and they can never
disagree with the JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stats import Summary

NAMES = {
    "urllib3": "urllib3 PoolManager (floor vs itself)",
    "http.client": "http.client (floor)",
    "requests": "requests.Session",
    "mailru_sync.mailru": "mailru_sync Mail.ru",
    "mailru_sync.ok": "mailru_sync OK",
    "aiomailru.run": "aiomailru, asyncio.run per call",
    "aiomailru.loop": "aiomailru, one event loop",
    "mailru_sync": "mailru_sync (Mail.ru session)",
}


@dataclass(frozen=True)
class Table:
    title: str
    note: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]


def _s(data: dict[str, Any], spec: str = ".2f") -> str:
    return Summary.from_json(data).text(spec)


def _tree(results: dict[str, Any], label: str) -> str:
    """The tree column: blank when only the current tree was measured."""
    return label if results["meta"].get("baseline") else ""


def tables(results: dict[str, Any]) -> list[Table]:
    meta = results["meta"]
    s = meta["settings"]
    out = []
    if "sequential" in results:
        rows = []
        for row in results["sequential"]:
            tree = _tree(results, row["tree"]) if row["client"].startswith("mailru_sync") else ""
            name = NAMES.get(row["client"], row["client"])
            if "skipped" in row:
                rows.append([name, tree, "skipped", row["skipped"], "", ""])
                continue
            rows.append(
                [
                    name,
                    tree,
                    _s(row["calls_per_s"], ".0f"),
                    _s(row["cpu_us"], ".0f"),
                    _s(row["ratio_calls"]),
                    _s(row["ratio_cpu"]),
                ]
            )
        out.append(
            Table(
                "Sequential calls, no latency",
                f"{s['calls']} calls after {s['warmup']} warm-up calls per run; ratios within "
                f"back-to-back pairs with the urllib3 floor; median (min–max) of "
                f"{s['repeats']} pairs.",
                ["client", "tree", "calls/s", "CPU µs/call", "calls/s ÷ floor", "CPU ÷ floor"],
                rows,
            )
        )
    if "threads" in results:
        rows = [
            [
                _tree(results, row["tree"]),
                str(row["threads"]),
                _s(row["calls_per_s"], ".0f"),
                _s(row["speedup"], ".1f"),
                _s(row["connections"], ".0f"),
            ]
            for row in results["threads"]
        ]
        out.append(
            Table(
                f"Threads sharing one mailru_sync session, {s['latency_ms']:g} ms latency",
                f"{s['per_thread']} calls per thread after one warm-up call each; speed-up "
                "against the "
                f"{results['threads'][0]['speedup_base_threads']}-thread run of the same repeat; "
                "connections = connections the session opened (server counter).",
                ["tree", "threads", "calls/s", "speed-up ×", "connections"],
                rows,
            )
        )
    if "imports" in results:
        rows = [
            [
                row.get("statement", f"import {row['module']}"),
                _tree(results, row["tree"]) if row["tree"] else "",
                _s(row["ms"], ".1f"),
                _s(row["ratio_to_requests"]) if "ratio_to_requests" in row else "1",
            ]
            for row in results["imports"]
        ]
        out.append(
            Table(
                "Import time",
                "wall time of the statement in a fresh interpreter"
                + (
                    " of a plain venv (no development .pth files), each package compiled as "
                    "pip installs it"
                    if s.get("import_setup") == "plain venv"
                    else ", from bytecode"
                )
                + f"; each run "
                f"takes the fastest of {s.get('import_repeats', 1)} interleaved measurements of "
                f"each statement; median (min–max) of {s['import_runs']} runs; ratio within "
                "each run. The classes "
                "load on first use, so the TokenSession rows are what an app pays before its "
                "first call.",
                ["statement", "tree", "ms", "÷ import requests"],
                rows,
            )
        )
    if "memory" in results:
        rows = [
            [
                NAMES.get(row["client"], row["client"]),
                _tree(results, row["tree"]) if row["tree"] else "",
                _s(row["peak_mib"]),
            ]
            for row in results["memory"]
        ]
        body = results["memory"][0]["body_mib"]
        out.append(
            Table(
                f"Peak memory for one {body:.1f} MiB JSON body",
                f"tracemalloc peak over the baseline during one fetch and decode, after one "
                f"warm-up fetch; fresh process each; median (min–max) of "
                f"{s['memory_repeats']} runs.",
                ["client", "tree", "MiB"],
                rows,
            )
        )
    if "batch" in results:
        rows = [
            [
                _tree(results, row["tree"]),
                str(row["calls"]),
                f"{row['single_round_trips']} / {row['single_wall']:.2f} s",
                f"{row['batch_round_trips']} / {row['batch_wall']:.2f} s",
                row["batch_via"],
            ]
            for row in results["batch"]
        ]
        out.append(
            Table(
                f"OK: calls one by one vs batch.executeV2, {s['latency_ms']:g} ms latency",
                "round trips counted by the server.",
                ["tree", "calls", "one by one: trips / wall", "batched: trips / wall", "via"],
                rows,
            )
        )
    out.extend(_scale_tables(results))
    return out


def _scale_tables(results: dict[str, Any]) -> list[Table]:
    """Issue 22's figures: sessions built per use, and call_many."""
    out = []
    if "pools" in results:
        rows = [
            [
                _tree(results, row["tree"]),
                row["pattern"],
                f"{row['calls']} on {row['threads']}",
                f"{row['latency_ms']:g}",
                _s(row["connections"], ".0f"),
                _s(row["left_open"], ".0f"),
                _s(row["calls_per_s"], ".0f"),
                _s(row["ratio_to_shared"]) if "ratio_to_shared" in row else "",
            ]
            for row in results["pools"]
        ]
        out.append(
            Table(
                "Sessions built per use: connections opened and left open",
                "loop-close / loop-drop: a session built, used once and closed (or dropped and "
                "collected) per call; per-request: a web app's thread pool building a session "
                "per request (a with block), against one session shared by the same threads. "
                "Connections counted by the server; median (min–max).",
                ["tree", "pattern", "calls on threads", "latency ms", "connections opened",
                 "left open", "calls/s", "per-request / shared"],
                rows,
            )
        )
    if "many" in results:
        rows = [
            [
                _tree(results, row["tree"]),
                f"{row['calls']} on {row['workers']}",
                f"{row['latency_ms']:g}",
                row.get("skipped") or _s(row["calls_per_s"], ".0f"),
                f"{row['target_calls_per_s']:.0f}",
                "" if "skipped" in row else _s(row["connections"], ".0f"),
            ]
            for row in results["many"]
        ]
        out.append(
            Table(
                "call_many: Mail.ru reads on worker threads",
                "session.call_many(calls, workers=W); target = 0.9 × W / latency; new "
                "connections counted by the server (the session's first one opened before).",
                ["tree", "calls on workers", "latency ms", "calls/s", "target calls/s",
                 "new connections"],
                rows,
            )
        )
    return out


def _drop_blank_columns(table: Table) -> tuple[list[str], list[list[str]]]:
    keep = [i for i in range(len(table.headers)) if any(row[i] for row in table.rows)]
    return [table.headers[i] for i in keep], [[row[i] for i in keep] for row in table.rows]


def preface(results: dict[str, Any]) -> str:
    meta = results["meta"]
    trees = f"current = {meta['current']['revision']}"
    if meta.get("baseline"):
        trees = f"baseline = {meta['baseline']['revision']}, " + trees
    return (
        f"Produced by ``{meta['command']}`` on {meta['date']}: Python {meta['python']}, "
        f"{meta['platform']}, {meta['cpus']} CPUs; {trees}."
    )


def markdown(results: dict[str, Any]) -> str:
    parts = [preface(results).replace("``", "`")]
    for table in tables(results):
        headers, rows = _drop_blank_columns(table)
        lines = [f"### {table.title}", "", table.note, ""]
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "|".join("---" for _ in headers) + "|")
        lines.extend("| " + " | ".join(row) + " |" for row in rows)
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def rst(results: dict[str, Any]) -> str:
    """The same tables as reStructuredText grid tables (what docs/performance.rst embeds)."""
    parts = [preface(results)]
    for table in tables(results):
        headers, rows = _drop_blank_columns(table)
        parts.append(f"**{table.title}** — {table.note}\n\n" + _grid(headers, rows))
    return "\n\n".join(parts) + "\n"


def _grid(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(char: str) -> str:
        return "+" + "+".join(char * (w + 2) for w in widths) + "+"

    def cells(values: Sequence[str]) -> str:
        return "|" + "|".join(f" {v:<{w}} " for v, w in zip(values, widths, strict=True)) + "|"

    out = [line("-"), cells(headers), line("=")]
    for row in rows:
        out.extend([cells(row), line("-")])
    return "\n".join(out)


def chart(results: dict[str, Any], path: Path) -> None:
    """Four panels: calls/s and CPU ratios to the floor, thread scaling, peak memory."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    seq = [r for r in results.get("sequential", []) if "skipped" not in r]
    labels = [_label(results, r) for r in seq]
    for ax, key, title in (
        (axes[0][0], "ratio_calls", "calls/s ÷ urllib3 floor (higher is better)"),
        (axes[0][1], "ratio_cpu", "client CPU ÷ urllib3 floor (lower is better)"),
    ):
        _bars(ax, labels, [Summary.from_json(r[key]) for r in seq])
        ax.axvline(1.0, color="grey", linewidth=0.8)
        ax.set_title(title)
    ax = axes[1][0]
    trees = list(dict.fromkeys(r["tree"] for r in results.get("threads", [])))
    for tree in trees:
        rows = [r for r in results["threads"] if r["tree"] == tree]
        xs = [r["threads"] for r in rows]
        ys = [r["calls_per_s"]["median"] for r in rows]
        ax.plot(xs, ys, marker="o", label=tree)
        for x, y, r in zip(xs, ys, rows, strict=True):
            ax.annotate(f"{r['connections']['median']:.0f} conn", (x, y), fontsize=8)
    ax.set_xscale("log", base=2)
    counts = sorted({r["threads"] for r in results.get("threads", [])})
    ax.set_xticks(counts, [str(c) for c in counts])
    ax.set_xlabel("threads")
    ax.set_ylabel("calls/s")
    latency = results["meta"]["settings"]["latency_ms"]
    ax.set_title(f"threads sharing one mailru_sync session ({latency:g} ms latency)")
    if len(trees) > 1:
        ax.legend()
    mem = results.get("memory", [])
    _bars(
        axes[1][1],
        [_label(results, r) for r in mem],
        [Summary.from_json(r["peak_mib"]) for r in mem],
    )
    axes[1][1].set_title("peak MiB over baseline, ~1 MiB body (lower is better)")
    fig.suptitle(preface(results).replace("``", ""), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _label(results: dict[str, Any], row: dict[str, Any]) -> str:
    name = NAMES.get(row["client"], row["client"])
    tree = row["tree"] if results["meta"].get("baseline") else ""
    return f"{name} [{tree}]" if tree and row["client"].startswith("mailru_sync") else name


def _bars(ax: Any, labels: list[str], values: list[Summary]) -> None:
    ys = range(len(values))
    medians = [v.median for v in values]
    errors = [[v.median - v.low for v in values], [v.high - v.median for v in values]]
    ax.barh(list(ys), medians, xerr=errors, color="tab:blue", alpha=0.8)
    ax.set_yticks(list(ys))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
