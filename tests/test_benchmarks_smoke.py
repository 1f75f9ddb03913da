"""Smoke test of ``benchmarks/``: it runs at a tiny size and the baselines agree with the toolkit.

No timing is asserted (times on a shared machine are noise); the numbers checked are the
baselines' κ/θ, B, V, ζ against the toolkit's, and the direct Monte Carlo solves against the
toolkit's SVD route on the same design.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import _baselines as base  # noqa: E402
import bench_montecarlo  # noqa: E402
import bench_reproduce  # noqa: E402
import bench_rp  # noqa: E402
import bench_theory  # noqa: E402
import run as bench_run  # noqa: E402
from _timing import Row  # noqa: E402

from modelcollapse.numerics import ridge_risk  # noqa: E402


def test_ridge_baselines_agree_with_toolkit():
    prob = base.theory_problem(d=60, shape=(3, 4, 3))
    res = ridge_risk(
        prob.s, n=prob.n, p2=prob.p2, ridge=prob.lam, noise_real=prob.noise_real,
        noise_synth=prob.noise_synth, gamma=prob.gamma, delta=prob.delta,
    )
    ref = np.stack([res.kappa.ravel(), res.bias.ravel(), res.variance.ravel(), res.zeta.ravel()])
    idx = np.arange(prob.size)
    bq = base.ridge_brentq_subset(prob, idx)
    damped = np.stack(base.ridge_damped(prob, eta=0.5)[:4])
    for other in (bq, damped):
        for j in range(4):
            assert bench_theory.relative_gap(other[j], ref[j]) < 1e-10


def test_ridge_brentq_point_isotropic_closed_form():
    # Σ = I_d: κ − λ = κφ/(1+κ) ⇒ κ = (λ + φ − 1 + sqrt((λ + φ − 1)² + 4λ))/2
    d, n, lam = 50, 100.0, 0.3
    phi = d / n
    exact = (lam + phi - 1 + np.sqrt((lam + phi - 1) ** 2 + 4 * lam)) / 2
    assert abs(base.ridge_brentq_point(np.ones(d), lam, n) - exact) <= 1e-12 * exact


def test_run_ridge_theory_tiny():
    rows, checks = bench_theory.run_ridge_theory(d=40, shape=(2, 3, 2), subset=4, reps=1)
    assert len(rows) == 4 and all(isinstance(r, Row) for r in rows)
    assert all(r.ratio is not None and r.ratio > 0 for r in rows)
    assert [r.target for r in rows] == [100, None, 20, 2]
    assert max(checks.values()) < 1e-10


def test_run_rp_theory_tiny():
    rows, checks = bench_rp.run_rp_theory(d=40, n=30.0, shape=(4, 2, 2), subset=3, reps=1)
    if not bench_rp.rp_available():
        assert rows[0].notes == ["rp_risk not available"]
        return
    assert len(rows) == 3
    assert max(checks.values()) < 1e-9


def test_run_montecarlo_tiny():
    rows, checks = bench_montecarlo.run_montecarlo(n=40, d=30, n_ridges=5, reps=1)
    assert len(rows) == 3
    assert checks["bias"] < 1e-9 and checks["zeta"] < 1e-8
    assert checks["peak_toolkit_bytes"] > 0


def test_reproduce_row_and_breakdown_categories():
    assert bench_reproduce._category("/x/numerics/kappa.py") == "theory"
    assert bench_reproduce._category("/x/verify/montecarlo_rp.py") == "Monte Carlo"
    assert bench_reproduce._category("/x/site-packages/matplotlib/figure.py") == "plotting"
    assert bench_reproduce._category("/x/sympy/ntheory/factor_.py") is None
    if not bench_reproduce.reproduce_available():
        rows, _ = bench_reproduce.run_reproduce()
        assert rows[0].notes == ["not available"]


def test_table_format_and_targets():
    rows = [
        Row("a", 0.01, 1.0, "speedup", 20),
        Row("b", 0.3, 0.2, "floor", 2),
        Row("c", None, None, "info", None, ["not available"]),
    ]
    assert [r.met for r in rows] == [True, True, None]
    text = bench_run.format_table(rows)
    assert "100.0× faster" in text and "1.50× floor" in text and "- c: not available" in text


@pytest.mark.parametrize("argv", [["--quick", "--only", "ridge", "--reps", "1"]])
def test_run_main_quick(argv, capsys):
    assert bench_run.main(argv) == 0
    out = capsys.readouterr().out
    assert "| benchmark" in out and "ridge theory vs brentq/point" in out
