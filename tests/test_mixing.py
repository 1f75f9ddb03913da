"""Weighted single-step mixing: the two-group deterministic equivalent against Monte Carlo.

Agreement rule THEORY.md §5: |theory − mc| ≤ 3·se + rtol·|mc| with rtol = 0.02 at d = 100
(finite-size O(1/d) bias; measured ≤ 1.3 % on these points).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize_scalar

from modelcollapse.numerics import ridge_risk
from modelcollapse.numerics.mixing import weighted_ridge_risk
from modelcollapse.theory import mixing
from modelcollapse.theory.symbols import c, p1, p2, phi, sigma1, sigma2
from modelcollapse.verify.montecarlo_mixing import simulate_weighted_ridge

ALPHA = mixing.alpha


def iso(d, c2=1.0, r2=1.0):
    return dict(gamma=np.full(d, r2 / d), delta=np.full(d, c2 / d))


@pytest.mark.parametrize("lam", [0.0, 1e-3, 0.3])
@pytest.mark.parametrize("n", [150, 600])
def test_alpha_equal_p2_is_theorem1(lam, n):
    rng = np.random.default_rng(n)
    d = 200
    s = np.exp(rng.uniform(-2, 1, d))
    w1 = rng.standard_normal(d) / np.sqrt(d)
    kw = dict(n=n, p2=0.35, ridge=lam, noise_real=0.8, noise_synth=0.3, w_real=w1,
              w_synth=w1 + 0.5 * rng.standard_normal(d) / np.sqrt(d))
    a = weighted_ridge_risk(s, alpha=0.35, **kw).test_error
    b = ridge_risk(s, **kw).test_error
    assert float(a) == pytest.approx(float(b), rel=1e-10)


def test_small_phi_expansion_symbolic():
    a = ALPHA
    a1, a2 = (1 - a) / p1, a / p2
    want = a**2 * c**2 + phi * ((1 - a) ** 2 * sigma1**2 / p1 + a**2 * sigma2**2 / p2
                                + a**2 * (1 - a) ** 2 * c**2 / (p1 * p2)
                                + 2 * a**2 * (1 - a) * (a1 - a2) * c**2)
    assert sp.simplify(mixing.small_phi_expansion()["E"] - want) == 0
    assert sp.simplify(mixing.optimal_alpha() - phi * sigma1**2 / (p1 * c**2)) == 0


@pytest.mark.parametrize("alpha_v", [0.1, 0.25, 0.7])
def test_small_phi_expansion_remainder_is_second_order(alpha_v):
    d, p2v, s1, s2, c2 = 200, 0.4, 1.0, 0.5, 1.0
    expr = mixing.small_phi_expansion()["E"]
    gaps = []
    for phi_v in (0.02, 0.01, 0.005):
        num = float(weighted_ridge_risk(np.ones(d), n=d / phi_v, p2=p2v, alpha=alpha_v, ridge=0.0,
                                        noise_real=s1, noise_synth=s2, **iso(d, c2)).test_error)
        first = float(expr.subs({ALPHA: alpha_v, p2: p2v, sigma1: s1, sigma2: s2,
                                 c: np.sqrt(c2), phi: phi_v}))
        gaps.append(abs(num - first))
    # halving φ divides an O(φ²) remainder by ~4
    assert gaps[1] / gaps[0] == pytest.approx(0.25, abs=0.05)
    assert gaps[2] / gaps[1] == pytest.approx(0.25, abs=0.05)


def test_optimal_alpha_first_order():
    d, p2v, s1, s2, c2 = 200, 0.5, 1.0, 1.0, 1.0

    def err(a, phi_v):
        return float(weighted_ridge_risk(np.ones(d), n=d / phi_v, p2=p2v, alpha=a, ridge=0.0,
                                         noise_real=s1, noise_synth=s2, **iso(d, c2)).test_error)

    rel = []
    for phi_v in (0.01, 0.005):
        best = minimize_scalar(err, args=(phi_v,), bounds=(0.0, 0.2), method="bounded",
                               options={"xatol": 1e-9}).x
        rel.append(best / (phi_v * s1**2 / ((1 - p2v) * c2)) - 1)
    # α* = φσ1²/(p1c²)(1 + O(φ)): the relative error halves with φ (measured −5.6 %, −2.9 %)
    assert abs(rel[0]) < 0.1
    assert rel[1] / rel[0] == pytest.approx(0.5, abs=0.1)


CASES = [
    # d, n, p2, alpha, ridge, spectrum kind, teacher kind
    (100, 1000, 0.5, 0.25, 0.0, "iso", "random"),
    (100, 1000, 0.7, 0.6, 1e-3, "iso", "random"),
    (100, 1000, 0.4, 0.8, 0.05, "power", "random"),
    (100, 400, 0.5, 0.3, 0.1, "power", "fixed"),
    (100, 300, 0.5, 0.9, 0.0, "iso", "fixed"),
]


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_theory_agrees_with_monte_carlo(case):
    d, n, p2v, alpha_v, lam, spec, kind = case
    s = np.ones(d) if spec == "iso" else 1 / np.arange(1, d + 1)
    s = s / s.mean()
    rng = np.random.default_rng(7)
    if kind == "random":
        teach = dict(gamma=np.full(d, 1 / d), delta=np.full(d, 0.8 / d) / s)
    else:
        w1 = rng.standard_normal(d) / np.sqrt(d)
        teach = dict(w_real=w1, w_synth=w1 + rng.standard_normal(d) * np.sqrt(0.8 / d / s))
    kw = dict(n=n, p2=p2v, alpha=alpha_v, noise_real=0.7, noise_synth=0.4, **teach)
    th = float(weighted_ridge_risk(s, ridge=lam, **kw).test_error)
    mc = simulate_weighted_ridge(s, ridge=[lam], draws=200, seed=3, **kw)
    mean, se = mc.mean["test_error"][0], mc.stderr["test_error"][0]
    assert abs(th - mean) <= 3 * se + 0.02 * abs(mean), (th, mean, se)


def test_printed_corollary2_and_alpha_star_are_rejected():
    """THEORY.md §3: n1 = n2 = 1000, d = 50, c² = 1, σ = 1, α = 1: MC ≈ 1.07, printed 0.26."""
    d, n = 50, 2000
    kw = dict(n=n, p2=0.5, alpha=1.0, noise_real=1.0, noise_synth=1.0, **iso(d))
    mc = simulate_weighted_ridge(np.ones(d), ridge=[1e-8], draws=200, seed=5, **kw)
    mean, se = mc.mean["test_error"][0], mc.stderr["test_error"][0]
    th = float(weighted_ridge_risk(np.ones(d), ridge=1e-8, **kw).test_error)
    vals = {ALPHA: 1, p2: sp.Rational(1, 2), c: 1, sigma1: 1, sigma2: 1, phi: sp.Rational(d, n)}
    printed = float(mixing.printed_corollary2().subs(vals))
    assert abs(th - mean) <= 3 * se + 0.02 * mean
    assert abs(printed - mean) > 20 * se
    # printed α* = 1 − (p1σ1² − p2σ2²)φ/(2c²) = 1 here; the true optimum is near φσ1²/(p1c²)
    errs = [float(weighted_ridge_risk(np.ones(d), ridge=1e-8, **{**kw, "alpha": a}).test_error)
            for a in (0.05, 1.0)]
    assert errs[0] < 0.2 * errs[1]


def test_bad_alpha():
    with pytest.raises(ValueError, match="alpha"):
        weighted_ridge_risk(np.ones(5), n=10, p2=0.0, alpha=0.5, ridge=0.1, **iso(5))
    with pytest.raises(ValueError, match="alpha"):
        weighted_ridge_risk(np.ones(5), n=10, p2=0.5, alpha=1.5, ridge=0.1, **iso(5))


def test_split_matches_theorem1_and_monte_carlo_parts():
    d = 100
    kw = dict(n=400, p2=0.3, ridge=0.05, noise_real=0.6, noise_synth=0.9, **iso(d, 0.7))
    a = weighted_ridge_risk(np.ones(d), alpha=0.3, **kw)
    b = ridge_risk(np.ones(d), **kw)
    for key in ("bias", "variance", "zeta"):
        assert float(getattr(a, key)) == pytest.approx(float(getattr(b, key)), rel=1e-10), key
    th = weighted_ridge_risk(np.ones(d), alpha=0.7, **kw)
    mc = simulate_weighted_ridge(np.ones(d), alpha=0.7, draws=200, seed=9,
                                 **{**kw, "ridge": [0.05]})
    total = mc.mean["test_error"][0]
    for key in ("bias", "variance", "zeta"):
        assert abs(float(getattr(th, key)) - mc.mean[key][0]) <= (
            3 * mc.stderr[key][0] + 0.02 * total), key
