"""Wall time of ``modelcollapse reproduce --quick``, split into theory / Monte Carlo / plotting.

The command runs in a subprocess inside a temporary directory: once plain (the wall time, cold
cache), once under :mod:`cProfile` with ``--no-cache`` (the breakdown; the cache of the first run
would otherwise hide the Monte Carlo).  Time is attributed to a category through the call-graph
edges that enter it from outside (so nested calls are not counted twice):

* theory: code under ``numerics/`` or ``theory/`` of the package;
* Monte Carlo: ``verify/montecarlo*.py``;
* plotting: anything in ``matplotlib``.
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

__all__ = ["run_reproduce", "reproduce_available", "breakdown"]

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
        for label, target, extra in (("plain", "-", []), ("profiled", prof, ["--no-cache"])):
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
