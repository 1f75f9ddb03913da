"""``modelcollapse simulate FILE``: Monte Carlo of the exact finite model next to the theory.

``FILE`` holds problems in the format of ``modelcollapse predict`` (one object or a list; see
:mod:`modelcollapse.numerics.problems`), each with two more keys: ``draws`` (whole, ≥ 10) and
``seed`` (whole, ≥ 0; default 0).  Sizes must be whole numbers (rows, widths).  For every problem
and quantity (test error, bias, variance, ζ — the test error alone for recursive retraining) it
prints the theory, the Monte Carlo mean ± standard error and a verdict.

The verdict is the finite-size rule (docs/mathematics.md §5.3): one size d cannot separate a
formula's error from the simulation's finite-size bias, so each problem is simulated also at twice
the dimension — the *replicated* problem (:func:`modelcollapse.verify.agreement.replicate`: every
eigenvalue twice, twice the rows and widths, the same deterministic equivalent) — the differences
from the theory are fitted by ``a + b·s(d)`` (``s`` the model's finite-size form: ``1/d``,
``ln(d)/d`` for ReLU features) and the point agrees when ``|z| = |a|/se(a) ≤ 3``.  The replicate
costs about 8 times the problem itself (an SVD of twice the size); ``--single-size`` gives the
plain one-size z-test ``(mc − theory)/se`` instead (quick, but it cannot tell a bias of O(1/d)
from a wrong formula).  The draws run in process, on a local Dask cluster (``--workers N``) or
on an existing one (``--scheduler ADDRESS``); the numbers do not depend on where they run.

Exit status: 0 every quantity agrees; 1 some does not; 2 bad input (one line naming the problem
and the field).

Examples
--------
>>> import io, json, sys
>>> from modelcollapse.verify.cli import main
>>> problem = {"model": "ridge", "n": 200, "p2": 0.2, "ridge": 0.1, "noise_real": 0.5,
...            "noise_synth": 0.5, "spectrum": [1.0] * 50, "gamma": [0.02] * 50,
...            "delta": [0.01] * 50, "draws": 20, "seed": 1}
>>> sys.stdin = io.TextIOWrapper(io.BytesIO(json.dumps(problem).encode()))
>>> main(["simulate", "--json", "-"])  # doctest: +ELLIPSIS
{"model": "ridge", "index": 0, "d": 50, "draws": 20, "seed": 1, "quantities": {"test_error": ...
0
>>> sys.stdin = sys.__stdin__
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from .cli import UsageError

__all__ = ["register", "run", "MIN_DRAWS"]

#: Fewest draws from which a verdict is drawn.
MIN_DRAWS = 10


def register(sub) -> None:
    """Add the ``simulate`` subcommand."""
    p = sub.add_parser(
        "simulate",
        help="Monte Carlo of the exact finite model next to the theory, with z and verdict",
        description="Simulate each problem of FILE (the predict format plus 'draws' and 'seed') "
        "and print the theory, the Monte Carlo mean ± standard error, z and the verdict |z| ≤ 3.",
    )
    p.add_argument("file", metavar="FILE", help="JSON problem file, or '-' for standard input")
    p.add_argument("--json", action="store_true", help="write the table as JSON")
    p.add_argument("--single-size", action="store_true",
                   help="plain z-test at the problem's size only (no replicated problem: quick, "
                   "but blind to the O(1/d) finite-size bias)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=1,
                       help="run the draws on a local Dask cluster of N processes (default 1: "
                       "in this process)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run the draws on the existing Dask cluster at ADDRESS")
    p.set_defaults(func=run)


def _split(data: Any) -> tuple[Any, list[tuple[int, int]], bool]:
    """Remove ``draws``/``seed`` from each problem; returns (problems, [(draws, seed)], single)."""
    from modelcollapse.numerics.problems import ProblemError

    single = isinstance(data, dict)
    items = [data] if single else data
    if not isinstance(items, list):
        raise ProblemError(None, None, "expected a JSON object or a list of objects")
    stripped, runs = [], []
    for i, obj in enumerate(items):
        if not isinstance(obj, dict):
            raise ProblemError(i, None, "expected a JSON object")
        obj = dict(obj)
        draws = obj.pop("draws", None)
        seed = obj.pop("seed", 0)
        if draws is None:
            raise ProblemError(i, "draws", f"missing (a whole number ≥ {MIN_DRAWS})")
        for key, value, low in (("draws", draws, MIN_DRAWS), ("seed", seed, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ProblemError(i, key, f"expected a whole number ≥ {low}, got "
                                   f"{str(value)[:40]!r}")
        stripped.append(obj)
        runs.append((draws, seed))
    return stripped, runs, single


def _kwargs(problem) -> dict[str, Any]:
    out: dict[str, Any] = {"spectrum": problem.spectrum, **problem.values, **problem.options}
    out.update(problem.teacher)
    for name in ("n", "m", "t", "t0", "generations"):
        if name in out and float(out[name]).is_integer():
            out[name] = int(out[name])
    return out


def _run_once(entry, kwargs, draws, seed, client):
    return entry.simulate(kwargs, draws, seed) if client is None else _on(client, entry, kwargs,
                                                                           draws, seed)


def _z(a: float, se: float, exact: bool) -> float:
    if se > 0:
        return a / se
    return 0.0 if exact else math.inf


def simulate_problems(data: Any, *, client: Any = None, single_size: bool = False
                      ) -> tuple[list[dict], bool]:
    """Theory and Monte Carlo for decoded problem data; returns (records, single).

    Each problem is simulated at its size and, unless ``single_size``, at twice the dimension
    (the replicated problem), and judged by the extrapolated difference (module docstring).
    """
    from modelcollapse.numerics.problems import ProblemError, evaluate_problems, validate_problems

    from .agreement import fit_intercept, replicate
    from .registry import MODELS

    stripped, runs, single = _split(data)
    problems, _ = validate_problems(stripped)
    theory = evaluate_problems(problems)
    out = []
    for p, th, (draws, seed) in zip(problems, theory, runs, strict=True):
        if p.engine_model not in MODELS:
            raise ProblemError(p.index, "model", f"simulate does not take model {p.model!r} "
                               "(its Python simulator does: modelcollapse.verify)")
        if p.analytic:
            raise ProblemError(p.index, "spectrum", "simulate needs the d eigenvalues as a list "
                               "(a Monte Carlo is finite-dimensional)")
        entry = MODELS[p.engine_model]
        kwargs = _kwargs(p)
        try:
            mcs = [_run_once(entry, kwargs, draws, seed, client)]
            if not single_size:
                mcs.append(_run_once(entry, replicate(kwargs, 2), draws, seed + 1, client))
        except ValueError as exc:
            field, _, msg = str(exc).partition(": ")
            raise ProblemError(p.index, field if msg else None, msg or str(exc)) from None
        d = p.d
        rec: dict[str, Any] = {"model": p.model, "index": p.index, "d": d, "draws": draws,
                               "seed": seed}
        if p.id is not None:
            rec["id"] = p.id
        quantities = {}
        for key in entry.keys:
            value = th[key]
            means = [float(mc.mean[key].reshape(-1)[0]) for mc in mcs]
            ses = [float(mc.stderr[key].reshape(-1)[0]) for mc in mcs]
            exact = all(m == value for m in means)
            q: dict[str, Any] = {"theory": value, "mc": means[0], "se": ses[0]}
            if single_size:
                q["z"] = _z(means[0] - value, ses[0], exact)
            elif all(s > 0 for s in ses) and math.isfinite(value):
                a, a_se = fit_intercept([d, 2 * d], [m - value for m in means], ses,
                                        entry.finite_size)
                q.update(mc_2d=means[1], se_2d=ses[1], intercept=a, intercept_se=a_se,
                         z=_z(a, a_se, exact))
            else:
                q.update(mc_2d=means[1], se_2d=ses[1], intercept=means[0] - value,
                         intercept_se=0.0, z=_z(means[0] - value, 0.0, exact))
            q["agree"] = bool(abs(q["z"]) <= 3)
            quantities[key] = q
        rec["quantities"] = quantities
        rec["theory_status"] = th["status"]
        rec["note"] = (
            "a single-size z-test: the O(1/d) finite-size bias is not separated"
            if single_size else
            "finite-size rule: each problem at its d and replicated at 2d, mc − theory = "
            "a + b·s(d) extrapolated to d → ∞, z = a/se(a)")
        out.append(rec)
    return out, single


def _on(client, entry, kwargs, draws, seed):
    from .engine import use_client

    with use_client(client):
        return entry.simulate(kwargs, draws, seed)


def _table(records: list[dict]) -> str:
    lines = [f"{'problem':>7}  {'quantity':<10} {'theory':>12} {'monte carlo at d':>24} "
             f"{'z':>7}  verdict"]
    for rec in records:
        name = str(rec.get("id", rec["index"]))
        for key, q in rec["quantities"].items():
            mc = f"{q['mc']:.6g} ± {q['se']:.2g}"
            lines.append(f"{name:>7}  {key:<10} {q['theory']:>12.6g} {mc:>24} {q['z']:>7.2f}  "
                         f"{'agrees' if q['agree'] else 'DISAGREES'}")
    lines.append(f"({records[0]['note'] if records else ''})")
    return "\n".join(lines)


def run(args) -> int:
    """Run ``simulate``; returns the exit status."""
    from modelcollapse.numerics.problems import ProblemError, _object_pairs

    from ._cli_predict import _read
    from .cluster import connect

    text = _read(args.file)
    try:
        data = json.loads(text, object_pairs_hook=_object_pairs)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise UsageError(f"input: not valid JSON: {str(exc)[:80]}") from None
    if args.workers < 1:
        raise UsageError(f"--workers: must be ≥ 1, got {args.workers}")
    try:
        with connect(workers=args.workers, scheduler=args.scheduler) as client:
            records, single = simulate_problems(data, client=client,
                                                single_size=args.single_size)
    except ProblemError:
        raise
    except ValueError as exc:
        if str(exc).startswith("scheduler:"):
            raise UsageError(f"--{exc}") from None
        raise
    if args.json:
        out: Any = records[0] if single else records
        sys.stdout.write(json.dumps(out, allow_nan=True) + "\n")
    else:
        sys.stdout.write(_table(records) + "\n")
    return 0 if all(q["agree"] for r in records for q in r["quantities"].values()) else 1
