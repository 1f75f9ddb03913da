"""Random projections (Theorem 2) at the edges: tiny ridge with m > d, huge widths, n = m = d.

References: the 50-digit reference :func:`~modelcollapse.numerics.reference_rp.rp_risk_mp` (its
working precision raised until the cancellation it measures is covered; checked here against itself
at 80 digits), ``ridge_risk`` for m → ∞ (random projections become ridge on all features), and the
isotropic closed form of the θ equation at m = n.  The declared near-threshold residual forms are
proved equal to the θ residual symbolically.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from modelcollapse.numerics import ridge_risk, rp_risk
from modelcollapse.numerics.reference_rp import rp_risk_mp
from modelcollapse.theory import random_projection as rp
from modelcollapse.theory.spectral import IDENTITY, SpectralMoment, as_finite_sum, df1
from modelcollapse.theory.symbols import d as d_sym
from modelcollapse.theory.symbols import theta

D = 40
S = 1 / np.arange(1, D + 1)
S = S / S.mean()
KW = dict(p2=0.2, noise_real=0.5, noise_synth=0.3, gamma=np.full(D, 1 / D),
          delta=np.full(D, 0.1 / D))
KW_MP = {k: (list(v) if isinstance(v, np.ndarray) else v) for k, v in KW.items()}


def test_declared_forms_equal_the_theta_residual():
    # df1(θ) = d − θ tr(Σ+θ)^{-1} (a spectral identity, checked on two symbolic eigenvalues);
    # under it every form A − S and slope equal the residual and θ ∂h/∂θ identically
    m01 = SpectralMoment(IDENTITY, 0, 1, theta)
    s = sp.symbols("s1:3", positive=True)
    ident = as_finite_sum((df1(theta) - (d_sym - theta * m01)).subs(d_sym, 2), list(s), {})
    assert sp.simplify(ident) == 0
    sub = {df1(theta): d_sym - theta * m01}
    for branch in ("under", "over"):
        h = rp.theta_residual(branch)
        dh = theta * sp.diff(h, theta)
        forms, slopes = rp.theta_residual_forms(branch), rp.theta_residual_slopes(branch)
        assert len(forms) == len(slopes) == 2
        for (a, shrink), slope in zip(forms, slopes, strict=True):
            assert sp.simplify((a - shrink - h).subs(sub)) == 0
            assert sp.simplify((sum(slope) - dh).subs(sub)) == 0
    for sym, form in rp.FACTORS_NEAR_THRESHOLD.items():
        assert sp.simplify((form - rp.first_order_solution()[sym]).subs(sub)) == 0


def _reference(n, m, lam, dps):
    return rp_risk_mp(list(S), n=n, m=m, ridge=lam, dps=dps, **KW_MP)


# (λ, n, m): d < n < m and d < m < n at λ ≤ 1e-199 (θ ≈ λ, θ² underflows: status −2 before);
# n = m = d (θ ~ λ^{1/3}; −2 before); n = d < m at 1e-300; m ≥ 1e199 (θ ≈ λd/m; −2 before)
# (the three whose references take 9–12 s run with the slow sweeps, which CI runs too)
_SLOW = pytest.mark.slow
CASES = [pytest.param(1e-199, 80.0, 120.0, marks=_SLOW),
         pytest.param(1e-250, 120.0, 80.0, marks=_SLOW), (1e-199, 40.0, 40.0),
         pytest.param(1e-300, 40.0, 120.0, marks=_SLOW), (1.0, 80.0, 1e250),
         (1e-3, 40.0, 1e300)]


@pytest.mark.parametrize(("lam", "n", "m"), CASES)
def test_extremes_match_the_reference(lam, n, m):
    res = rp_risk(S, n=n, m=m, ridge=lam, **KW)
    assert int(res.status) == 0
    ref = _reference(n, m, lam, 50)
    ref_hi = _reference(n, m, lam, 80)
    for key in ("theta", "bias", "variance", "zeta", "test_error"):
        # the reference is itself right: two precisions agree to 45 digits
        assert abs(ref[key] - ref_hi[key]) <= mpmath.mpf(10) ** -45 * abs(ref_hi[key])
        got = float(res.theta if key == "theta" else getattr(res, key))
        assert got == pytest.approx(float(ref[key]), rel=1e-10, abs=1e-300)


@pytest.mark.parametrize("lam", [1e-150, 1e-210, 1e-300])
def test_bias_at_n_equal_d_below_m_survives_theta_cubed_underflow(lam):
    # n = d < m: θ ~ √λ and θ − g ~ θ, but the form θ³ M(1,2)/(t* d + θ² M(1,2)) underflowed in
    # θ³ for λ ≲ 1e-206 (B 5.6e-10 off at 1e-210, half the true value at 1e-300, status 0); it
    # is now θ² · θ M(1,2)/(t* d + θ² M(1,2))
    s = np.array([2.0, 1.0, 0.6, 0.4])
    kw = dict(p2=0.2, noise_real=0.5, noise_synth=0.3, gamma=[0.25] * 4, delta=[0.05] * 4)
    res = rp_risk(s, n=4.0, m=8.0, ridge=lam,
                  **{k: np.array(v) if isinstance(v, list) else v for k, v in kw.items()})
    ref = rp_risk_mp(list(s), n=4.0, m=8.0, ridge=lam, dps=30, **kw)
    assert int(res.status) == 0
    for key in ("theta", "bias", "variance", "zeta", "test_error"):
        got = float(res.theta if key == "theta" else getattr(res, key))
        assert got == pytest.approx(float(ref[key]), rel=1e-12, abs=0.0), key


@pytest.mark.parametrize("m", [1e200, 1e250, 1e300])
def test_huge_width_is_ridge_on_all_features(m):
    # m → ∞ with λ fixed: penalty λd/m → 0, i.e. ridgeless ridge on the d features (d < n)
    res = rp_risk(S, n=80.0, m=m, ridge=1.0, **KW)
    ridge = ridge_risk(S, n=80.0, ridge=0.0, **KW)
    assert int(res.status) == 0
    for key in ("variance", "zeta", "test_error"):
        assert float(getattr(res, key)) == pytest.approx(float(getattr(ridge, key)), rel=1e-12,
                                                         abs=0.0)


def test_isotropic_m_equals_n_below_d_is_the_closed_form():
    # Σ = I, m = n < d: θ(m/d)x² = λ with x = e = τ = 1 − d/(m(1+θ)); θ = d/(m(1−x)) − 1
    d, m, lam = 100, 99.0, 1e-20
    x = mpmath.findroot(lambda x: (d / (m * (1 - x)) - 1) * (m / d) * x**2 - lam, 1e-9)
    want = d / (m * (1 - x)) - 1
    res = rp_risk(np.ones(d), n=m, m=m, ridge=lam, p2=0.0, noise_real=1.0,
                  gamma=np.full(d, 1 / d), delta=np.zeros(d))
    assert int(res.status) == 0
    assert float(res.theta) == pytest.approx(float(want), rel=1e-13, abs=0.0)
