"""Random-projection catalog entries against the numeric solver (Theorem 2, docs §2).

The solver (``rp_risk``) solves the θ equation and evaluates Theorem 2 on an explicit spectrum; it
never sees the catalog's closed forms.  Σ = I, d = 400, Γ = (r²/d) I, Δ = (c²/d) I.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from modelcollapse.numerics import ridge_risk, rp_risk
from modelcollapse.theory import catalog
from modelcollapse.theory.symbols import c, lam, p2, phi, psi, r, sigma1, sigma2

D = 400
PARAMS = dict(p2=0.3, noise_real=0.7, noise_synth=0.4, gamma=np.full(D, 1.0 / D),
              delta=np.full(D, 0.5 / D))
VALUES = {p2: sp.Rational(3, 10), sigma1: sp.Rational(7, 10), sigma2: sp.Rational(2, 5), r: 1,
          c: sp.sqrt(sp.Rational(1, 2))}
POINTS = {"under": [(2.0, 0.5), (0.8, 0.3)], "over": [(2.0, 1.5), (1.5, 3.0)],
          "classical": [(0.5, 0.8), (0.5, 2.0)]}


def numeric(phi_v, psi_v, ridge=0.0):
    n = D / phi_v
    return rp_risk(np.ones(D), n=n, m=psi_v * n, ridge=ridge, **PARAMS)


def ev(expr, phi_v, psi_v, extra=None):
    vals = {**VALUES, phi: sp.nsimplify(phi_v), psi: sp.nsimplify(psi_v), **(extra or {})}
    return float(expr.subs(vals))


@pytest.fixture(scope="module")
def results():
    return {}


def derived(results, name):
    if name not in results:
        results[name] = catalog.derive(name)
    return results[name].expressions


@pytest.mark.parametrize("region", ["under", "over", "classical"])
def test_ridgeless_regions(results, region):
    exprs = derived(results, f"rp-ridgeless-{region}")
    for phi_v, psi_v in POINTS[region]:
        num = numeric(phi_v, psi_v)
        for key in ("bias", "variance", "zeta", "E_test"):
            want = float(getattr(num, "test_error" if key == "E_test" else key))
            assert ev(exprs[key], phi_v, psi_v) == pytest.approx(want, rel=1e-9, abs=1e-12)
        assert ev(exprs["theta0"], phi_v, psi_v) == pytest.approx(float(num.theta), abs=1e-9)


def test_theta_limit_and_first_order(results):
    exprs = derived(results, "rp-theta-ridgeless")
    for region, points in POINTS.items():
        for phi_v, psi_v in points:
            assert ev(exprs["theta0"], phi_v, psi_v) == pytest.approx(
                float(numeric(phi_v, psi_v).theta), abs=1e-9)
            series = exprs[f"theta_order1_{region}"]
            gaps = [abs(ev(series, phi_v, psi_v, {lam: h})
                        - float(numeric(phi_v, psi_v, ridge=h).theta)) for h in (2e-4, 1e-4)]
            assert gaps[1] < 1e-5 and 3 < gaps[0] / gaps[1] < 5  # remainder O(λ²)


def test_width_derivatives_against_finite_differences(results):
    exprs = derived(results, "rp-width-collapse")
    h = 1e-5
    for region, points in POINTS.items():
        for phi_v, psi_v in points:
            fd = (float(numeric(phi_v, psi_v + h).zeta)
                  - float(numeric(phi_v, psi_v - h).zeta)) / (2 * h)
            got = ev(exprs[f"dzeta_dpsi_{region}"], phi_v, psi_v)
            assert got == pytest.approx(fd, rel=1e-6, abs=1e-8)
    # the mitigation window at φ = 0.9, p2 = 0.98 and none at p2 = 0.5
    window = exprs["mitigate_under"].subs({phi: sp.Rational(9, 10), p2: sp.Rational(49, 50)})
    lo = 1 - np.sqrt((0.98 - 0.9) / (2 * 0.98))
    assert float(window.start) == pytest.approx(lo, rel=1e-12)
    assert window.end == sp.Rational(9, 10)
    assert exprs["mitigate_under"].subs({phi: sp.Rational(9, 10), p2: sp.Rational(1, 2)}) == \
        sp.S.EmptySet
    assert exprs["mitigate_over"] == sp.Interval.open(1, sp.oo)


def test_small_ridge_slope(results):
    exprs = derived(results, "rp-small-ridge")
    for phi_v, psi_v in POINTS["under"]:
        e0 = numeric(phi_v, psi_v)
        for key, attr in (("dE_dlambda", "test_error"), ("dzeta_dlambda", "zeta")):
            # one-sided differences with Richardson extrapolation: error O(h²)
            f0 = float(getattr(e0, attr))
            fd = [(float(getattr(numeric(phi_v, psi_v, ridge=h), attr)) - f0) / h
                  for h in (2e-5, 1e-5)]
            richardson = 2 * fd[1] - fd[0]
            assert ev(exprs[key], phi_v, psi_v) == pytest.approx(richardson, rel=1e-4)


def test_large_width_is_theorem_one(results):
    exprs = derived(results, "rp-large-width")
    cor4 = derived(results, "corollary4")["E_test"]
    cor1 = derived(results, "corollary1")["E_test"]
    assert sp.simplify(exprs["E_psi_to_oo_phi_gt_1"] - cor4) == 0
    assert sp.simplify(exprs["E_psi_to_oo_phi_lt_1"] - cor1) == 0
    # and numerically: a very wide projection approaches ridgeless ridge regression
    for phi_v in (0.5, 2.0):
        n = D / phi_v
        wide = float(rp_risk(np.ones(D), n=n, m=1e6 * n, ridge=0.0, **PARAMS).test_error)
        ridge = float(ridge_risk(np.ones(D), n=n, ridge=0.0, **PARAMS).test_error)
        assert wide == pytest.approx(ridge, rel=1e-4)
