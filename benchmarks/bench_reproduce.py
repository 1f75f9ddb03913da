"""Wall time of ``modelcollapse reproduce --quick``, split into theory / Monte Carlo / plotting,
and the speed-up of its Monte Carlo part on 2 local Dask workers.

:func:`run_reproduce`: the command runs in a subprocess inside a temporary directory: once plain
(the wall time, cold cache), once under :mod:`cProfile` with ``--no-cache --workers 1`` (the
breakdown, in process; the cache of the first run would otherwise hide the Monte Carlo).  Time is
attributed to a category through the call-graph edges that enter it from outside (so nested calls
are not counted twice):

* theory: code under ``numerics/`` or ``theory/`` of the package;
* Monte Carlo: ``verify/montecarlo*.py`` (the real-data simulators are counted as "other");
* plotting: anything in ``matplotlib``.

:func:`run_reproduce_workers`: the Monte Carlo part of the command with ``--workers 2`` against
``--workers 1`` (in process); target ≥ 1.8× on 2 idle cores.  For each worker count the command
runs twice in one fresh folder, cold (every run simulated) and warm (every run read back from
the cache the cold run wrote); the Monte Carlo part is cold − warm.  Theory, plotting, writing
and the cluster's start and stop are in both runs and cancel; what the Monte Carlo costs beyond
them — draws, scheduling, workers idle while the theory is computed — stays.
"""

from __future__ import annotations

import importlib.util
import os
import pstats
import subprocess
import sys
import tempfile
import time

from _timing import Row

__all__ = ["run_reproduce", "run_reproduce_workers", "reproduce_available", "breakdown"]

_CATEGORIES = {
    "theory": ("/numerics/", "/theory/"),
    "Monte Carlo": ("/verify/montecarlo",),
    "plotting": ("/matplotlib/",),
}
_SCRIPT = (
    "import cProfile, sys\n"
    "from modelcollapse.verify.cli import main\n"
    "prof = sys.argv[1]\n"
    "args = sys.argv[2:]\n"
    "if prof == '-':\n"
    "    sys.exit(main(args))\n"
    "p = cProfile.Profile()\n"
    "rc = p.runcall(main, args)\n"
    "p.dump_stats(prof)\n"
    "sys.exit(rc)\n"
)


def reproduce_available() -> bool:
    """Whether the reproduce module exists (``modelcollapse.verify.reproduce``)."""
    try:
        return importlib.util.find_spec("modelcollapse.verify.reproduce") is not None
    except ImportError:
        return False


def _category(filename: str) -> str | None:
    path = filename.replace(os.sep, "/")
    if "/benchmarks/" in path:
        return None
    for name, markers in _CATEGORIES.items():
        if any(mk in path for mk in markers):
            return name
    return None


def breakdown(profile_path: str) -> dict[str, float]:
    """Seconds per category from a cProfile dump (edges entering the category from outside)."""
    stats = pstats.Stats(profile_path).stats  # type: ignore[attr-defined]
    out = dict.fromkeys(_CATEGORIES, 0.0)
    for func, (_, _, _, _, callers) in stats.items():
        cat = _category(func[0])
        if cat is None:
            continue
        for caller, edge in callers.items():
            if _category(caller[0]) != cat:
                out[cat] += edge[3]
    return out


def run_reproduce(timeout: float = 1800.0) -> tuple[list[Row], dict[str, float]]:
    """Run the command (plain, then profiled); a row with the wall time and the breakdown."""
    name = "modelcollapse reproduce --quick"
    if not reproduce_available():
        return [Row(name, None, None, "info", None, ["not available"])], {}
    args = ["reproduce", "--quick"]
    with tempfile.TemporaryDirectory() as tmp:
        prof = os.path.join(tmp, "reproduce.prof")
        results = {}
        # profiled in process: on workers the draws would not be in this process's profile
        for label, target, extra in (("plain", "-", []),
                                     ("profiled", prof, ["--no-cache", "--workers", "1"])):
            t0 = time.perf_counter()
            try:
                proc = subprocess.run(
                    [sys.executable, "-c", _SCRIPT, target, *args, *extra], cwd=tmp,
                    capture_output=True, text=True, timeout=timeout,
                )
            except subprocess.TimeoutExpired:
                return [Row(name, None, None, "info", None, [f"timed out after {timeout:g} s"])], {}
            results[label] = (time.perf_counter() - t0, proc)
            if proc.returncode != 0:
                last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
                note = f"not available (exit status {proc.returncode}: {last[:120]})"
                return [Row(name, None, None, "info", None, [note])], {}
        parts = breakdown(prof)
    wall = results["plain"][0]
    profiled = results["profiled"][0]
    other = max(profiled - sum(parts.values()), 0.0)
    text = ", ".join(f"{k} {v:.1f} s" for k, v in parts.items())
    checks = {"wall": wall, "profiled_wall": profiled, **parts, "other": other}
    note = (f"breakdown (profiled run, {profiled:.1f} s): {text}, other (imports, I/O, "
            f"CLI) {other:.1f} s")
    return [Row(name, wall, None, "info", None, [note])], checks


def _timed(args: list[str], cwd: str, timeout: float) -> float:
    """Wall time of the command line ``args``; raises RuntimeError with its last error line."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, "-", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise RuntimeError(f"exit status {proc.returncode}: {last[:120]}")
    return time.perf_counter() - t0


def run_reproduce_workers(timeout: float = 1800.0) -> tuple[list[Row], dict[str, float]]:
    """The Monte Carlo part (cold − warm) of ``reproduce --quick`` on 2 workers against 1."""
    name = "Monte Carlo part of reproduce --quick, 2 local Dask workers vs in process"
    if not reproduce_available():
        return [Row(name, None, None, "info", None, ["not available"])], {}
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for workers in (1, 2):
                args = ["reproduce", "--quick", "--no-progress", "--workers", str(workers),
                        "--out", os.path.join(tmp, f"w{workers}")]
                times[f"cold{workers}"] = _timed(args, tmp, timeout)
                times[f"warm{workers}"] = _timed(args, tmp, timeout)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            return [Row(name, None, None, "info", None, [f"not available ({exc})"])], times
    mc = {w: times[f"cold{w}"] - times[f"warm{w}"] for w in (1, 2)}
    note = (f"whole command, cold cache: {times['cold1']:.1f} s in process, {times['cold2']:.1f} s "
            f"on 2 workers ({times['cold1'] / times['cold2']:.2f}×); warm cache (no Monte "
            f"Carlo): {times['warm1']:.1f} s and {times['warm2']:.1f} s")
    return [Row(name, mc[2], mc[1], "speedup", 1.8, [note])], {**times, "mc1": mc[1],
                                                                "mc2": mc[2]}
