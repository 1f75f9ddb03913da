"""Timing helpers: interleaved repetitions, min of reps, peak memory, and the result row.

The benchmarks run on shared machines, so absolute times are noise.  Every comparison is a
ratio of times measured in the same process, with the competitors interleaved (A, B, C, A, B, C,
...) and the minimum over repetitions kept for each.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["Row", "interleaved_min", "peak_traced_bytes", "fmt_seconds"]


@dataclass
class Row:
    """One line of the benchmark table.

    ``kind`` says how ``ratio`` reads: ``"speedup"`` is baseline/toolkit (target: at least),
    ``"floor"`` is toolkit/floor (target: at most), ``"info"`` has no target.
    """

    benchmark: str
    toolkit: float | None
    baseline: float | None
    kind: str = "speedup"
    target: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.toolkit is None or self.baseline is None or self.kind == "info":
            return None
        if self.kind == "speedup":
            return self.baseline / self.toolkit
        return self.toolkit / self.baseline

    @property
    def met(self) -> bool | None:
        r = self.ratio
        if r is None or self.target is None:
            return None
        return r >= self.target if self.kind == "speedup" else r <= self.target

    def cells(self) -> list[str]:
        r = self.ratio
        if r is None:
            ratio = "—"
        elif self.kind == "speedup":
            ratio = f"{r:.1f}× faster"
        else:
            ratio = f"{r:.2f}× floor"
        if self.target is None:
            target = "—"
        elif self.kind == "speedup":
            target = f"≥ {self.target:g}×"
        else:
            target = f"≤ {self.target:g}× floor"
        met = {None: "—", True: "yes", False: "NO"}[self.met]
        return [self.benchmark, fmt_seconds(self.toolkit), fmt_seconds(self.baseline), ratio,
                target, met]


def fmt_seconds(t: float | None) -> str:
    """``1.23 s`` / ``45.6 ms`` / ``—``."""
    if t is None:
        return "—"
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.0f} µs"


def interleaved_min(funcs: Mapping[str, Callable[[], object]], reps: int) -> dict[str, float]:
    """Run every callable ``reps`` times, round-robin, and return the minimum wall time of each.

    >>> t = interleaved_min({"a": lambda: sum(range(10)), "b": lambda: None}, reps=2)
    >>> sorted(t) == ["a", "b"] and all(v >= 0 for v in t.values())
    True
    """
    best = {k: float("inf") for k in funcs}
    for _ in range(reps):
        for name, fn in funcs.items():
            gc.collect()
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def peak_traced_bytes(fn: Callable[[], object]) -> int:
    """Peak bytes allocated through Python/NumPy allocators while ``fn`` runs (tracemalloc).

    LAPACK workspaces allocated outside NumPy's allocator are not seen.
    """
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak
