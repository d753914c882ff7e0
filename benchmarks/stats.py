"""Medians with their spread: every figure in the table is ``median (min–max)`` of repeats.

Why medians of per-pair ratios: a shared machine drifts (other processes, CPU frequency), and
a ratio taken within one back-to-back pair cancels what both runs of the pair suffered. The
median ignores the odd disturbed pair; min–max shows how far the pairs disagreed.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Summary:
    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: Iterable[float]) -> Summary:
        data = list(values)
        if not data:
            raise ValueError("no values to summarise")
        return cls(statistics.median(data), min(data), max(data), len(data))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Summary:
        return cls(float(data["median"]), float(data["min"]), float(data["max"]), int(data["runs"]))

    def to_json(self) -> dict[str, float | int]:
        return {"median": self.median, "min": self.low, "max": self.high, "runs": self.runs}

    def text(self, spec: str = ".2f") -> str:
        """``0.41 (0.39–0.44)``; the range is left out when there was one run."""
        if self.runs == 1:
            return format(self.median, spec)
        return f"{self.median:{spec}} ({self.low:{spec}}–{self.high:{spec}})"
