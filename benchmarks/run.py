"""Benchmarks of the modelcollapse toolkit: ``python benchmarks/run.py [--quick]``.

Prints one table (benchmark, toolkit time, baseline time, ratio, target, met?) followed by the
notes of each row (how the baseline was timed, agreement checks, iteration counts, memory).
Times are minima over interleaved repetitions in one process; read the ratios, not the times.
BLAS runs single-threaded by default (``--threads``) so that ratios do not depend on how busy a
shared machine is.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["main", "format_table"]


def _parse(argv):
    p = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes (seconds, not minutes)")
    p.add_argument("--reps", type=int, default=None, help="repetitions per timing (min is kept)")
    p.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (default 1)")
    p.add_argument(
        "--only", choices=["ridge", "rp", "analytic", "montecarlo", "distributed", "reproduce"],
        action="append",
        help="run only these sections (repeatable)",
    )
    return p.parse_args(argv)


def format_table(rows, judge: bool = True) -> str:
    """A GitHub-flavoured Markdown table of the rows, then their notes.

    ``judge=False`` (quick sizes, where fixed overheads dominate) leaves "met?" blank: the
    targets are stated for the full sizes.
    """
    head = ["benchmark", "toolkit", "baseline", "ratio", "target", "met?"]
    cells = [r.cells() if judge else [*r.cells()[:5], "— (quick)"] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]

    def line(vals):
        return "| " + " | ".join(v.ljust(w) for v, w in zip(vals, widths, strict=True)) + " |"

    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(c) for c in cells]
    notes = [f"- {r.benchmark}: {note}" for r in rows for note in r.notes]
    return "\n".join(out + ([""] + notes if notes else []))


def main(argv=None) -> int:
    args = _parse(argv)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # must precede the first NumPy import
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_analytic
    import bench_distributed
    import bench_montecarlo
    import bench_reproduce
    import bench_rp
    import bench_theory

    quick = args.quick
    reps = args.reps or (2 if quick else 3)
    sections = args.only or ["ridge", "rp", "analytic", "montecarlo", "distributed"] + (
        [] if quick else ["reproduce"])
    rows = []
    if "ridge" in sections:
        shape = (5, 4, 5) if quick else (25, 20, 20)
        rows += bench_theory.run_ridge_theory(
            d=200 if quick else 1000, shape=shape, subset=20 if quick else 200, reps=reps
        )[0]
    if "rp" in sections:
        shape = (10, 2, 5) if quick else (100, 10, 10)
        rows += bench_rp.run_rp_theory(
            d=200 if quick else 1000, n=100.0 if quick else 500.0, shape=shape,
            subset=10 if quick else 100, reps=reps,
        )[0]
    if "analytic" in sections:
        rows += bench_analytic.run_analytic(d=10**5 if quick else 10**6,
                                            points=20 if quick else 100, reps=1 if quick else 2)[0]
    if "montecarlo" in sections:
        size = 200 if quick else 1000
        rows += bench_montecarlo.run_montecarlo(n=size, d=size, reps=reps)[0]
    if "distributed" in sections:
        rows += bench_distributed.run_distributed(d=150 if quick else 300, runs=4 if quick else 8,
                                                  reps=1 if quick else 2)[0]
    if "reproduce" in sections:
        rows += bench_reproduce.run_reproduce()[0]
        rows += bench_reproduce.run_reproduce_workers()[0]
    print(f"modelcollapse benchmarks ({'quick' if quick else 'full'}; BLAS threads "
          f"{args.threads}; min of {reps} interleaved reps)\n")
    if quick:
        print("Quick sizes: fixed overheads dominate; the targets are judged on the full run.\n")
    print(format_table(rows, judge=not quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
