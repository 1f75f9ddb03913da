"""Analytic power-law spectra through the engine: d = ∞ against 30 digits, finite d against arrays.

References: the ridge risk at d = ∞ recomputed with mpmath — κ by ``mpmath.findroot`` on the
fixed point with every moment summed at 30 digits (head plus Euler–Maclaurin tail, the reference
of ``tests/test_spectra_analytic.py``) and B, V, ζ from the theory's expressions compiled for
mpmath with ``u`` from its definition; at finite d, the array path on the same eigenvalues.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from test_spectra_analytic import reference

from modelcollapse.numerics import evaluate, ridge_risk, rp_risk
from modelcollapse.numerics._compile import compile_expression
from modelcollapse.numerics.problems import ProblemError, predict
from modelcollapse.numerics.spectra import PowerLawSpectrum
from modelcollapse.theory import ridge
from modelcollapse.theory.symbols import kappa, n, p2, sigma1, sigma2, u

BETA, G_EXP, D_EXP, D_SCALE = 1.5, 0.5, 0.7, 0.02
KW = dict(p2=0.3, noise_real=0.5, noise_synth=0.4)


def _mp_ridge(n_rows: float, lam: float) -> dict[str, float]:
    """Theorem 1 at d = ∞ in mpmath (random effects Γ_jj = j^-G_EXP, Δ_jj = D_SCALE j^-D_EXP)."""
    weight = {"I_d": (1.0, 0.0), "Gamma": (1.0, G_EXP), "Delta": (D_SCALE, D_EXP)}

    def moment(name, a, b, t):
        scale, e = weight[name]
        return scale * reference(BETA, e + a * BETA, b, t)

    with mp.workdps(30):
        nn, lm = mp.mpf(n_rows), mp.mpf(lam)
        k = mp.findroot(lambda x: 1 - lm / x - moment("I_d", 1, 1, x) / nn,
                        (lm, lm + moment("I_d", 1, 0, 0) / nn), solver="anderson",
                        tol=mp.mpf(10) ** -40)
        out = {"kappa": float(k)}
        df2 = moment("I_d", 2, 2, k)
        scal = [k, nn, mp.mpf(KW["p2"]), mp.mpf(KW["noise_real"]), mp.mpf(KW["noise_synth"])]
        for name, expr in ridge.risk_components("random").items():
            f = compile_expression(expr.subs(u, ridge.U_DEFINITION), [kappa, n, p2, sigma1,
                                                                      sigma2], module="mpmath")
            out[name] = float(f.func(*scal, *(moment(w, a, b, k) for w, a, b, _ in f.moments)))
        out["u"] = float(df2 / (nn - df2))
    out["test_error"] = out["bias"] + out["variance"] + out["zeta"]
    return out


@pytest.mark.parametrize("n_rows, lam", [(1e3, 1e-3), (1e6, 1e-7), (1e9, 1e-10)])
def test_infinite_dimension_against_30_digits(n_rows, lam):
    spec = PowerLawSpectrum(BETA, None, gamma=(1.0, G_EXP), delta=(D_SCALE, D_EXP))
    res = ridge_risk(spec, n=n_rows, ridge=lam, **KW)
    ref = _mp_ridge(n_rows, lam)
    for key in ("kappa", "u", "bias", "variance", "zeta", "test_error"):
        got = float(getattr(res, key))
        assert abs(got / ref[key] - 1) < 1e-10, (key, got, ref[key])


def test_finite_dimension_equals_the_array_path():
    d = 200_000
    j = np.arange(1, d + 1.0)
    grid = dict(n=np.array([1e2, 1e4, 1e6]), ridge=np.array([[1e-8], [1e-4], [0.0]]), **KW)
    arr = ridge_risk(j**-BETA, gamma=j**-G_EXP, delta=D_SCALE * j**-D_EXP, **grid)
    an = ridge_risk(PowerLawSpectrum(BETA, d, gamma=(1.0, G_EXP), delta=(D_SCALE, D_EXP)),
                    **grid)
    assert np.array_equal(arr.status, an.status)
    ok = np.isfinite(arr.test_error)
    assert np.all(np.abs(an.test_error[ok] / arr.test_error[ok] - 1) < 1e-11)
    # random projections at finite d too
    spec = PowerLawSpectrum(BETA, 400, gamma=(1.0, G_EXP), delta=(D_SCALE, D_EXP))
    jj = np.arange(1, 401.0)
    a = rp_risk(spec, n=100, m=[30, 300], ridge=1e-3, **KW)
    b = rp_risk(jj**-BETA, gamma=jj**-G_EXP, delta=D_SCALE * jj**-D_EXP, n=100, m=[30, 300],
                ridge=1e-3, **KW)
    assert np.all(np.abs(a.test_error / b.test_error - 1) < 1e-11)


def test_infinite_dimension_is_the_limit_of_large_arrays():
    # E(d) → E(∞): the gap shrinks with d as the tail's share of the moments (here about
    # d^(-1/2): 2.3 %, 0.72 %, 0.23 % at d = 10⁴, 10⁵, 10⁶)
    spec_inf = PowerLawSpectrum(BETA, None, gamma=(1.0, G_EXP), delta=(D_SCALE, D_EXP))
    e_inf = float(ridge_risk(spec_inf, n=1e3, ridge=1e-4, **KW).test_error)
    gaps = []
    for d in (10**4, 10**5, 10**6):
        spec = PowerLawSpectrum(BETA, d, gamma=(1.0, G_EXP), delta=(D_SCALE, D_EXP))
        gaps.append(abs(float(ridge_risk(spec, n=1e3, ridge=1e-4, **KW).test_error) / e_inf - 1))
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < gaps[0] / 5


def test_models_that_need_a_finite_dimension_say_so():
    spec = PowerLawSpectrum(BETA, None, gamma=(1.0, G_EXP), delta=(D_SCALE, D_EXP))
    with pytest.raises(ValueError, match="finite dimension"):
        rp_risk(spec, n=100, m=50, ridge=0.1, **KW)
    with pytest.raises(ValueError, match="teacher diagonals"):
        ridge_risk(spec, n=100, ridge=0.1, gamma=np.ones(3), **KW)
    with pytest.raises(ValueError, match="delta"):
        evaluate("ridge", PowerLawSpectrum(BETA, None, gamma=(1.0, G_EXP)), n=100, ridge=0.1,
                 **KW)


BASE = {"model": "ridge", "n": 1e6, "p2": 0.3, "ridge": 1e-7, "noise_real": 0.5,
        "noise_synth": 0.4, "spectrum": {"power_law": BETA, "dimension": None},
        "gamma": {"power_law": G_EXP, "scale": 1.0},
        "delta": {"power_law": D_EXP, "scale": D_SCALE}}


def test_predict_takes_the_analytic_form():
    out = predict([BASE, dict(BASE, n=1e3, ridge=1e-3)])
    ref = _mp_ridge(1e6, 1e-7)
    assert abs(out[0]["test_error"] / ref["test_error"] - 1) < 1e-10
    assert out[1]["converged"] and out[1]["status"] == 0


@pytest.mark.parametrize("change, field", [
    ({"spectrum": {"power_law": 0.9, "dimension": None}}, "spectrum"),
    ({"spectrum": {"power_law": 1.5}}, "spectrum"),
    ({"spectrum": {"power_law": 1.5, "dimension": 0}}, "spectrum"),
    ({"spectrum": {"power_law": 1.5, "dimension": None, "extra": 1}}, "spectrum"),
    ({"gamma": {"power_law": 0.5}}, "gamma"),
    ({"gamma": [1.0, 2.0]}, "gamma"),
    ({"delta": {"power_law": "x", "scale": 1.0}}, "delta"),
    ({"model": "random_projection", "m": 10}, "spectrum"),
])
def test_predict_analytic_errors_name_the_field(change, field):
    with pytest.raises(ProblemError) as info:
        predict(dict(BASE, **change))
    assert info.value.field == field, str(info.value)
    assert math.isfinite(len(str(info.value)))


@pytest.mark.parametrize("lam, alpha", [(1e-3, 0.3), (0.0, 0.3), (0.0, 0.8)])
def test_weighted_ridge_at_infinite_dimension_reduces_to_ridge(lam, alpha):
    # α = p2 is plain ridge (a different fixed point, δ of the mixing equation); at λ = 0 and
    # d = ∞ > n every weighting gives the same minimum-norm interpolator
    spec = PowerLawSpectrum(BETA, None, gamma=(1.0, G_EXP), delta=(D_SCALE, D_EXP))
    n_rows = np.array([1e2, 1e4, 1e7])
    mixed = evaluate("weighted_ridge", spec, n=n_rows, ridge=lam, alpha=alpha, **KW)
    plain = ridge_risk(spec, n=n_rows, ridge=lam, **KW)
    assert mixed.converged.all()
    np.testing.assert_allclose(mixed.test_error, plain.test_error, rtol=1e-12)
