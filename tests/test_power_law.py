"""Power-law asymptotics derived by SymPy against the general solver at large d.

Tolerances come from the next order of the Euler–Maclaurin expansion of the spectral sums
(``df_k = C_k κ^{-1/β} − 1/2 + O(κ^{1/β})``): the relative error at κ is about
``κ^{1/β}/(2 C_k)``, plus the truncation of the spectrum at finite d (``≈ 1/(κ d^{β−1}) / df``).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize_scalar

from modelcollapse.numerics import ridge_risk
from modelcollapse.numerics._moments import SpectrumBatch
from modelcollapse.theory import power_law as pl

BETA, R = 2.0, 0.3
D = 100_000
J = np.arange(1, D + 1.0)
S = J**-BETA
GAMMA = J ** (-(1 + 2 * R * BETA)) / S
SUB = {pl.beta: BETA, pl.r_source: R}


def constants():
    return (
        float(pl.df_asymptotic(1)["constant"].subs(SUB)),
        float(pl.df_asymptotic(2)["constant"].subs(SUB)),
        float(pl.bias_asymptotic()["constant"].subs(SUB)),
    )


def test_constants_are_the_gamma_function_forms():
    b, r = pl.beta, pl.r_source
    c1 = pl.df_asymptotic(1)["constant"]
    assert sp.simplify(sp.gammasimp(c1 - sp.gamma(1 / b) * sp.gamma(1 - 1 / b) / b)) == 0
    c2 = pl.df_asymptotic(2)["constant"]
    assert sp.simplify(sp.gammasimp(c2 - (1 - 1 / b) * c1)) == 0
    cb = pl.bias_asymptotic()["constant"]
    for rv in (0.2, 0.35, 0.7):
        want = sp.gamma(2 * rv) * sp.gamma(2 - 2 * rv) / BETA
        assert float(cb.subs({b: BETA, r: rv})) == pytest.approx(float(want), rel=1e-12)
    # removable singularity at r = 1/2: Γ(1)Γ(1)/β
    assert sp.limit(cb, r, sp.Rational(1, 2)) == 1 / b


def test_df_and_bias_asymptotics_against_large_d_sums():
    c1, c2, cb = constants()
    batch = SpectrumBatch(S, {"Gamma": GAMMA})
    for kap in (1e-3, 1e-4, 1e-5):
        m = batch.moments(np.array([kap]), [("I_d", 1, 1), ("I_d", 2, 2), ("Gamma", 1, 2)])
        lead1 = c1 * kap ** (-1 / BETA)
        # next orders: Euler–Maclaurin −1/2, and the spectrum's truncation at j = d,
        # Σ_{j>d} 1/(1 + κ j^β) ≈ d^{1−β}/((β − 1) κ)
        tail = D ** (1 - BETA) / ((BETA - 1) * kap)
        correction = (-0.5 - tail) / lead1
        assert m[("I_d", 1, 1)][0] / lead1 - 1 == pytest.approx(correction, rel=0.1)
        # same order of corrections for df2 and the bias (O(κ^{1/β}) relative)
        assert abs(m[("I_d", 2, 2)][0] / (c2 * kap ** (-1 / BETA)) - 1) < 2 * abs(correction)
        assert abs(kap**2 * m[("Gamma", 1, 2)][0] / (cb * kap ** (2 * R)) - 1) < 2 * abs(correction)


def _best_error(n, p2=0.0, delta=None):
    delta = np.zeros(D) if delta is None else delta

    def f(log_lam):
        res = ridge_risk(S, n=n, p2=p2, ridge=np.exp(log_lam), noise_real=1.0, noise_synth=1.0,
                         gamma=GAMMA, delta=delta)
        return float(res.test_error)

    out = minimize_scalar(f, bounds=(np.log(1e-10), 0.0), method="bounded",
                          options={"xatol": 1e-4})
    return out.fun


def test_optimal_rate_exponent_matches_general_solver():
    expo = float(pl.optimal_rate()["exponent"].subs(SUB))
    assert expo == pytest.approx(2 * R * BETA / (2 * R * BETA + 1), rel=1e-14, abs=0.0)
    e3, e4 = _best_error(1e3), _best_error(1e4)
    slope = -np.log10(e4 / e3)
    # finite-n corrections are O(κ^{1/β}) and O(df2/n); measured 0.547 vs 0.5455
    assert slope == pytest.approx(expo, abs=0.01)


def test_schedule_exponents():
    res = pl.schedule_rate()
    assert sp.simplify(res["ell_opt"] - pl.beta / (2 * pl.r_source * pl.beta + 1)) == 0
    # λ = n^{-ℓ} with ℓ = 0.5 < ℓ* = 2/2.2: bias-limited, E ∝ n^{-2rℓ} = n^{-0.3}
    ell_v = 0.5
    expo = float(res["exponent"].subs({**SUB, pl.ell: ell_v}))
    assert expo == pytest.approx(2 * R * ell_v)
    errs = [float(ridge_risk(S, n=n, p2=0.0, ridge=n**-ell_v, noise_real=1.0, noise_synth=1.0,
                             gamma=GAMMA, delta=np.zeros(D)).test_error) for n in (1e3, 1e4)]
    assert -np.log10(errs[1] / errs[0]) == pytest.approx(expo, abs=0.02)


def test_plateau_with_synthetic_data():
    assert pl.plateau() == pl.c**2 * pl.p2**2
    c2, p2 = 0.5, 0.2
    # the shift shaped like the teacher (energy on the leading directions), tr ΣΔ = c²
    delta = c2 * GAMMA / np.sum(S * GAMMA)
    floor = p2**2 * c2
    # λ = 1/n: κ ≈ λ → 0 while u ≈ C2 κ^{-1/β}/n → 0, so B, V → 0 and ζ → p2²c²
    kw = dict(noise_real=1.0, noise_synth=1.0, gamma=GAMMA, delta=delta)
    ns = np.array([1e3, 1e4, 1e5, 1e6])
    mixed = ridge_risk(S, n=ns, p2=p2, ridge=1 / ns, **kw)
    clean = ridge_risk(S, n=ns, p2=0.0, ridge=1 / ns, **kw)
    gaps = mixed.test_error - floor
    assert (gaps > 0).all() and (np.diff(gaps) < 0).all()
    assert gaps[-1] < 0.1 * floor  # measured: E(10⁶) = 0.02100 against the floor 0.02
    assert float(mixed.zeta[-1]) == pytest.approx(floor, rel=0.01)
    # without synthetic data the same schedule keeps improving, far below the floor
    assert (np.diff(np.log(clean.test_error)) < -0.4).all()
    assert clean.test_error[-1] < 0.05 * floor
