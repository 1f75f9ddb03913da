"""The agreement rule of ``modelcollapse reproduce``: extrapolation over two sizes, no relative
slack (docs/mathematics.md §5).

Reference values: the exact least-squares fit of ``a + b/d`` through two points (closed form
``a = (d1 y1 − d2 y2)/(d1 − d2)``), Student-t critical values from statistical tables, and a
Monte Carlo of the Figure 3 ridge problem whose theory is Theorem 1 (closed form for Σ = I).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from modelcollapse.numerics import ridge_risk
from modelcollapse.verify import MonteCarloResult, simulate_ridge
from modelcollapse.verify.reproduce._agreement import (
    SizedRun,
    compare,
    normal_equivalent,
    z_histogram,
)
from modelcollapse.verify.reproduce.report import z_table


def _run(d, means, se, draws=20, quantity="test_error", theory=None, exact=None, seed=0):
    """A run whose draws have exactly the given means and standard errors (±s pattern)."""
    means = np.atleast_1d(np.asarray(means, dtype=float))
    sign = np.where(np.arange(draws) % 2 == 0, 1.0, -1.0)[:, None]
    spread = np.asarray(se, dtype=float) * np.sqrt(draws) * np.sqrt((draws - 1) / draws)
    mc = MonteCarloResult.from_draws({quantity: means[None, :] + sign * spread}, seed)
    th = {quantity: np.zeros_like(means) if theory is None else theory}
    return SizedRun(d, th, mc, None if exact is None else {quantity: exact})


def test_intercept_is_the_two_point_extrapolation():
    # differences 0.3 + 5/d at d = 100 and 50: a = 0.3 exactly; se(a) = sqrt(4 se1² + se2²)
    runs = [_run(100, [0.3 + 5 / 100], 0.01), _run(50, [0.3 + 5 / 50], 0.02)]
    (row,) = compare(figure="f", series="s", x_name="n", x=[1.0], runs=runs,
                     quantities=["test_error"])
    assert row.sizes == (100, 50) and row.method == "extrapolated"
    assert row.mc_at == pytest.approx((0.35, 0.4), abs=1e-12)
    assert row.se_at == pytest.approx((0.01, 0.02), rel=1e-12, abs=0.0)
    assert row.intercept == pytest.approx(2 * 0.35 - 0.4, abs=1e-12)
    assert row.intercept_se == pytest.approx(math.sqrt(4 * 0.01**2 + 0.02**2), rel=1e-12, abs=0.0)
    assert not row.agree  # 0.3 ± 0.028: z ≈ 10


def test_pure_finite_size_bias_agrees_however_large():
    # a 20 % bias that scales as 1/d is not a disagreement; the same 20 % at one size would be
    runs = [_run(100, [1.2], 0.01, theory=[1.0]), _run(50, [1.4], 0.01, theory=[1.0])]
    (row,) = compare(figure="f", series="s", x_name="n", x=[1.0], runs=runs,
                     quantities=["test_error"])
    assert row.intercept == pytest.approx(0.0, abs=1e-12) and row.agree


def test_theory_is_compared_at_each_size():
    # theory differs by size (e.g. a realised n2/n); the fit is on mc − theory per size
    runs = [_run(60, [0.52], 0.001, theory=[0.5]), _run(30, [0.49], 0.001, theory=[0.45])]
    (row,) = compare(figure="f", series="s", x_name="n", x=[1.0], runs=runs,
                     quantities=["test_error"])
    assert row.theory_at == (0.5, 0.45)
    assert row.intercept == pytest.approx(2 * 0.02 - 0.04, abs=1e-12)


def test_exact_finite_size_value_replaces_the_second_size():
    run = _run(50, [1.0204], 0.001, theory=[1.0], exact=[50 / 49])
    (row,) = compare(figure="f", series="s", x_name="N", x=[0], runs=[run],
                     quantities=["test_error"])
    assert row.method == "exact" and row.sizes == (50,)
    assert row.intercept == pytest.approx(1.0204 - 50 / 49, abs=1e-12)
    assert row.intercept_se == pytest.approx(0.001, rel=1e-12, abs=0.0) and row.agree
    # against the limit 1.0 instead, the 2 % finite-size bias would be 20 se
    assert abs(row.mc - row.theory) > 20 * row.se


def _bias_and_error(d: int, bias: float, bias_se: float) -> SizedRun:
    sign = np.where(np.arange(20) % 2 == 0, 1.0, -1.0)[:, None]
    draws = {"bias": bias + sign * bias_se * np.sqrt(19),
             "test_error": 1.0 + sign * 0.01 * np.sqrt(19)}
    return SizedRun(d, {"bias": [0.0], "test_error": [1.0]},
                    MonteCarloResult.from_draws(draws, 0))


def test_exact_zeros_use_only_the_absolute_floor():
    # a ridgeless bias at n > d: theory 0, simulation ~1e-30 (float64 rounding); the floor is
    # 1e-12 × the largest theory value (here 1.0)
    rows = compare(figure="f", series="s", x_name="n", x=[1.0],
                   runs=[_bias_and_error(d, 1e-30, 1e-31) for d in (100, 50)],
                   quantities=["bias", "test_error"])
    assert rows[0].atol == pytest.approx(1e-12, abs=0.0)
    assert rows[0].exact_zero and rows[0].agree
    # 1e-9 is not a rounding error of a zero: no floor covers it
    rows = compare(figure="f", series="s", x_name="n", x=[1.0],
                   runs=[_bias_and_error(d, 1e-9, 1e-12) for d in (100, 50)],
                   quantities=["bias", "test_error"])
    assert not rows[0].exact_zero and not rows[0].agree


@pytest.mark.parametrize("draws", [2, 9])
def test_no_verdict_from_fewer_than_ten_draws(draws):
    runs = [_run(100, [0.0], 0.01, draws=draws), _run(50, [0.0], 0.01)]
    with pytest.raises(ValueError, match=r"^draws: a verdict needs at least 10 draws"):
        compare(figure="f", series="s", x_name="n", x=[1.0], runs=runs,
                quantities=["test_error"])


def test_one_size_without_exact_values_is_refused():
    with pytest.raises(ValueError, match=r"^runs:"):
        compare(figure="f", series="s", x_name="n", x=[1.0], runs=[_run(100, [0.0], 0.01)],
                quantities=["test_error"])
    with pytest.raises(ValueError, match=r"^runs:"):
        compare(figure="f", series="s", x_name="n", x=[1.0],
                runs=[_run(100, [0.0], 0.01), _run(100, [0.0], 0.01)],
                quantities=["test_error"])


def test_nonfinite_values_never_agree():
    runs = [_run(100, [1.0], 0.01, theory=[np.inf]), _run(50, [1.0], 0.01, theory=[1.0])]
    (row,) = compare(figure="f", series="s", x_name="n", x=[1.0], runs=runs,
                     quantities=["test_error"])
    assert not row.agree


def test_normal_equivalent_matches_t_tables():
    # two-sided 0.27 % critical values of Student's t (tables): 4.094 (9 dof), 3.447 (19),
    # 3.280 (29); with infinitely many degrees of freedom t is already normal
    assert normal_equivalent(4.094, 9) == pytest.approx(3.0, abs=2e-3)
    assert normal_equivalent(-3.447, 19) == pytest.approx(-3.0, abs=2e-3)
    assert normal_equivalent(3.280, 29) == pytest.approx(3.0, abs=2e-3)
    assert normal_equivalent(3.0, math.inf) == 3.0
    assert normal_equivalent(60.0, 9) >= 5.0  # far tail: stays extreme


def test_welch_degrees_of_freedom_of_two_sizes():
    # a = 2 y1 − y2: ν = (4s1² + s2²)² / ((4s1²)²/(k1 − 1) + s2⁴/(k2 − 1))
    runs = [_run(100, [0.0], 0.01, draws=20), _run(50, [0.0], 0.03, draws=40)]
    (row,) = compare(figure="f", series="s", x_name="n", x=[1.0], runs=runs,
                     quantities=["test_error"])
    v1, v2 = 4 * 0.01**2, 0.03**2
    assert row.dof == pytest.approx((v1 + v2) ** 2 / (v1**2 / 19 + v2**2 / 39), rel=1e-9)


def test_z_histogram_and_report_table():
    assert z_histogram([0.0, 0.99, -1.0, 2.5, -2.999, 3.0, math.inf, math.nan]) == [2, 1, 2, 3]
    runs = [_run(100, [0.3, 0.0], [0.01, 0.01]), _run(50, [0.3, 0.0], [0.01, 0.01])]
    rows = compare(figure="f", series="s", x_name="n", x=[1.0, 2.0], runs=runs,
                   quantities=["test_error"])
    table = "\n".join(z_table([("f", rows)]))
    assert "| f | 2 | 1 (50 %) | 0 (0 %) | 0 (0 %) | 1 (50 %) | 0.01 |" in table


def _figure3_point(scale: float) -> list[SizedRun]:
    """Figure 3 setting (Σ = I, ridgeless, random effects, c² = 0.1, p2 = 0.5, σ = 1) at
    n = 20 d, d = 100 and 50; the theory multiplied by ``scale``."""
    runs = []
    for d, draws, seed in ((100, 30, 11), (50, 60, 12)):
        n = 20 * d
        gamma, delta = np.full(d, 1.0 / d), np.full(d, 0.1 / d)
        mc = simulate_ridge(np.ones(d), n=n, p2=0.5, ridge=[0.0], noise_real=1.0,
                            noise_synth=1.0, gamma=gamma, delta=delta, draws=draws, seed=seed,
                            progress=False)
        th = ridge_risk(np.ones(d), n=float(n), p2=0.5, ridge=0.0, noise_real=1.0,
                        noise_synth=1.0, gamma=gamma, delta=delta)
        runs.append(SizedRun(d, {"test_error": [scale * float(th.test_error)]}, mc))
    return runs


def test_new_rule_rejects_a_2_percent_error_that_the_old_rule_accepted():
    """The old rule |theory − mc| ≤ 3 se + 2 %·|mc| at d = 100 accepts Theorem 1 off by ±2 %;
    the extrapolated rule accepts the exact theory and rejects both perturbed ones."""
    runs = _figure3_point(1.0)
    # closed form (docs/mathematics.md §1.5): E = σ²φ/(1−φ) + p2²c² + p1p2c²φ/(1−φ), φ = 1/20
    phi, p2, c2 = 0.05, 0.5, 0.1
    closed = phi / (1 - phi) + p2**2 * c2 + (1 - p2) * p2 * c2 * phi / (1 - phi)
    assert runs[0].theory["test_error"][0] == pytest.approx(closed, rel=1e-12, abs=0.0)
    (exact,) = compare(figure="f", series="s", x_name="n", x=[2000], runs=runs,
                       quantities=["test_error"])
    assert exact.agree and exact.intercept_se < 0.003 * closed  # precise: se(a) < 0.3 %
    for scale in (1.02, 0.98):
        theory = scale * closed
        old_ok = bool(runs[0].mc.agrees_with(theory, "test_error", rtol=0.02)[0])
        perturbed = [SizedRun(r.d, {"test_error": [scale * r.theory["test_error"][0]]}, r.mc)
                     for r in runs]
        (row,) = compare(figure="f", series="s", x_name="n", x=[2000], runs=perturbed,
                         quantities=["test_error"])
        assert old_ok, f"old rule should accept {scale}"
        assert not row.agree and abs(row.z) > 6, (scale, row.z)
