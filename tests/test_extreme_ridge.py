"""Issue 20 (never lie at the edges): plain and weighted ridge at extreme ridge λ.

Each case is checked against an independent route, never against recorded outputs:

* λ → ∞ (λ ≥ 1e155, where κ² overflows): the 50-digit reference
  (:func:`modelcollapse.numerics.reference.ridge_risk_mp`, printed formulas in mpmath) and the
  exact limit: as κ → ∞, ``κ²M_W(1, 2) → tr WΣ`` and u, V, ζ → 0, so ``E → B → tr ΓΣ``
  (random effects) or ``w1ᵀΣw1`` (fixed teacher) — the signal energy (a fitted model at 0);
* Σ = I, n = d: κ is the positive root of ``κ² − λκ − λ = 0`` (closed form at 60 digits), and
  the isotropic closed forms of docs/mathematics.md §1 for B, V, ζ;
* weighted ridge: α = p2 is Theorem 1 (the 50-digit reference); below the active rows and
  λ → 0⁺ the error differs from the ridgeless one (κ = 0 exactly) by O(λ) < 1e-300.

Rule: values relative 1e-10 or better.  Float64 has no relative precision below 2.2e-308
(subnormals), so a component whose reference is below 1e-290 is compared absolutely to 1e-300
(ten orders of magnitude below the test error's last digit).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from modelcollapse.numerics import ridge_risk, solve_kappa, weighted_ridge_risk
from modelcollapse.numerics.reference import ridge_risk_mp
from modelcollapse.theory.ridge import large_shift_form, risk_components
from modelcollapse.theory.spectral import DD, DELTA, GAMMA, W1D, W1W1, SpectralMoment, as_finite_sum
from modelcollapse.theory.symbols import kappa

D = 100
S = 1.0 / np.arange(1, D + 1)
S = S / S.sum()
RANDOM = dict(gamma=np.full(D, 1.0 / D), delta=np.full(D, 0.3 / D))
W1 = np.linspace(-1.0, 1.0, D)
FIXED = dict(w_real=W1, w_synth=W1 + 0.05 * np.cos(np.arange(D)))
NOISE = dict(noise_real=1.0, noise_synth=0.5)
COMPONENTS = ("test_error", "bias", "variance", "zeta")


def _close(value: float, ref, rtol: float = 1e-10) -> bool:
    ref = float(ref)
    if abs(ref) < 1e-290:
        return abs(value - ref) <= 1e-300
    return abs(value - ref) <= rtol * abs(ref)


def _check(res, ref, rtol: float = 1e-10) -> None:
    assert int(res.status) == 0 and bool(res.converged), res.notes()
    for key in ("kappa", "u", *COMPONENTS):
        value = float(getattr(res, key))
        assert _close(value, ref[key], rtol), (key, value, mpmath.nstr(ref[key], 20))


# ----------------------------------------------------------------------------- 1. λ → ∞


@pytest.mark.parametrize("lam", [20.0, 1e100, 1e155, 1e200, 1e300, 1.7e308])
@pytest.mark.parametrize("teacher", ["random", "fixed"])
def test_huge_ridge_against_reference(lam, teacher):
    teach = RANDOM if teacher == "random" else FIXED
    kw = dict(n=200, p2=0.2, ridge=lam, **NOISE)
    res = ridge_risk(S, **kw, **teach)
    ref = ridge_risk_mp(S.tolist(), **kw, **{k: v.tolist() for k, v in teach.items()}, dps=30)
    _check(res, ref)


@pytest.mark.parametrize("lam", [1e155, 1e300, 1.7e308])
def test_huge_ridge_tends_to_signal_energy(lam):
    """The exact λ → ∞ limit: E = B = signal energy; the corrections are O(tr Σ/κ) < 1e-150."""
    energy_random = math.fsum(RANDOM["gamma"] * S)  # tr ΓΣ
    energy_fixed = math.fsum(W1 * W1 * S)  # w1ᵀΣw1
    for teach, energy in ((RANDOM, energy_random), (FIXED, energy_fixed)):
        res = ridge_risk(S, n=200, p2=0.2, ridge=lam, **NOISE, **teach)
        assert int(res.status) == 0
        assert abs(float(res.test_error) - energy) <= 1e-13 * energy
        assert abs(float(res.bias) - energy) <= 1e-13 * energy
        assert abs(float(res.variance)) <= 1e-300 and abs(float(res.zeta)) <= 1e-150


def test_large_shift_form_is_the_same_function():
    """The form used for κ ≥ 16 tr Σ equals the printed one: exactly, in rational arithmetic,
    on random rational spectra, weights, κ, u and p2 (three eigenvalues)."""
    rng = np.random.default_rng(20)
    names = (GAMMA, DELTA, W1W1, DD, W1D)

    def rational() -> sp.Rational:
        return sp.Rational(int(rng.integers(1, 97)), int(rng.integers(1, 97)))

    for teacher in ("random", "fixed"):
        for expr in risk_components(teacher).values():
            large = large_shift_form(expr)
            # κ only inside the moments: nothing to overflow
            body = large.replace(SpectralMoment, lambda *a: sp.Integer(1))
            assert kappa not in body.free_symbols
            for _ in range(3):
                s = [rational() for _ in range(3)]
                weights = {w: [rational() - 1 for _ in range(3)] for w in names}
                point = {sym: rational() for sym in (large - expr).free_symbols}
                diff = as_finite_sum(large - expr, s, weights).subs(point)
                assert sp.nsimplify(diff) == 0


# ----------------------------------------------------------------------------- 2. Σ = I, n = d


def _isotropic_reference(lam: float, p2: float, r2: float, c2: float, sigma2: float) -> dict:
    """Closed forms of docs/mathematics.md §1 at φ = 1, 60 digits."""
    with mpmath.workdps(60):
        lam_m = mpmath.mpf(lam)
        k = (lam_m + mpmath.sqrt(lam_m**2 + 4 * lam_m)) / 2  # κ² − λκ − λ = 0
        den = k * (k + 2)  # (1 + κ)² − φ, without the cancellation
        u = 1 / den
        p1 = 1 - mpmath.mpf(p2)
        bias = k**2 * r2 / den
        var = sigma2 * u
        zeta = (p2 * (1 + p1 * u) + (p1 + k) ** 2 * u) * p2 * c2 / (1 + k) ** 2
        return {"kappa": k, "u": u, "bias": bias, "variance": var, "zeta": zeta,
                "test_error": bias + var + zeta}


@pytest.mark.parametrize("lam", [1e-200, 1e-300, 5e-324])
def test_isotropic_threshold_kappa_closed_form(lam):
    res = solve_kappa(np.ones(D), lam, D)
    assert int(res.status) == 0 and bool(res.converged)
    ref = _isotropic_reference(lam, 0.2, 1.0, 0.5, 1.0)["kappa"]
    assert abs(float(res.kappa) - float(ref)) <= 1e-13 * float(ref)


@pytest.mark.parametrize("lam", [1e-120, 1e-300])
def test_isotropic_threshold_risk_closed_form(lam):
    kw = dict(n=D, p2=0.2, ridge=lam, noise_real=1.0, noise_synth=1.0)
    res = ridge_risk(np.ones(D), **kw, gamma=np.full(D, 1.0 / D), delta=np.full(D, 0.5 / D))
    _check(res, _isotropic_reference(lam, 0.2, 1.0, 0.5, 1.0))


# ----------------------------------------------------------------------------- 3. weighted ridge


@pytest.mark.parametrize(("n", "lam"), [(200, 1e-310), (200, 5e-324), (100, 1e-150),
                                         (100, 1e-200), (100, 1e-220), (100, 1e-300)])
def test_weighted_ridge_tiny_ridge_is_theorem_1(n, lam):
    """α = p2 (per-row weights 1) is plain ridge: the 50-digit Theorem 1 is the reference."""
    kw = dict(n=n, p2=0.2, ridge=lam, **NOISE)
    res = weighted_ridge_risk(S, alpha=0.2, **kw, **RANDOM)
    ref = ridge_risk_mp(S.tolist(), **kw, **{k: v.tolist() for k, v in RANDOM.items()})
    assert int(res.status) == 0
    for key in COMPONENTS:
        assert _close(float(getattr(res, key)), ref[key], 1e-10), key


@pytest.mark.parametrize("lam", [1e-22, 1e-26, 1e-30, 1e-50, 1e-100, 1e-200, 1e-250, 1e-305])
def test_weighted_ridge_at_n_equal_d_is_the_isotropic_closed_form(lam):
    """The reported case: Σ = I₁₀₀, n = d, α = p2 = 0.2 (plain ridge).  λ = 1e-30 gave +157 %
    with status 0; then λ in 1e-40 … 1e-100 failed (status −1): the derived slope of δξ(δ),
    ``δξ + δ²ξ'``, is a difference of ones when a δ ≫ 1, so Newton stepped on rounding noise.
    The declared slope (non-negative terms) converges in a few steps."""
    kw = dict(n=D, p2=0.2, ridge=lam, noise_real=1.0, noise_synth=1.0,
              gamma=np.full(D, 1.0 / D), delta=np.full(D, 0.5 / D))
    res = weighted_ridge_risk(np.ones(D), alpha=0.2, **kw)
    ref = _isotropic_reference(lam, 0.2, 1.0, 0.5, 1.0)
    assert int(res.status) == 0, res.notes()
    assert _close(float(res.kappa), ref["kappa"], 1e-10)
    for key in COMPONENTS:
        assert _close(float(getattr(res, key)), ref[key], 1e-10), key


def test_weighted_ridge_at_the_threshold_scales_as_the_square_root_of_the_ridge():
    """n = d, α ≠ p2, λ → 0: κ ∝ √λ, so E, V, ζ ∝ 1/√λ and B ∝ √λ up to O(√λ) corrections
    (< 1e-99 here).  λ ≤ 1e-220 reported B twice its value with status 0 (η κ underflowed in
    1 − ηD2) and, before that, failed (status −1/−2); the scaled values now agree across 100
    decades of λ."""
    scaled = []
    for lam in (1e-200, 1e-250, 1e-300, 1e-305):
        res = weighted_ridge_risk(S, n=100, p2=0.2, alpha=0.6, ridge=lam, **NOISE, **RANDOM)
        assert int(res.status) == 0, res.notes()
        root = np.sqrt(lam)
        scaled.append([float(res.test_error) * root, float(res.bias) / root,
                       float(res.variance) * root, float(res.zeta) * root])
    for row in scaled[1:]:
        np.testing.assert_allclose(row, scaled[0], rtol=1e-11, atol=0.0)


@pytest.mark.parametrize("lam", [1e-310, 5e-324])
def test_weighted_ridge_subnormal_ridge_below_the_rows(lam):
    """d < n: the error at a subnormal λ is the ridgeless one (κ = 0 exactly) up to O(λ)."""
    kw = dict(n=200, p2=0.2, alpha=0.6, **NOISE, **RANDOM)
    res = weighted_ridge_risk(S, ridge=lam, **kw)
    limit = weighted_ridge_risk(S, ridge=0.0, **kw)
    assert int(res.status) == 0 and int(limit.status) == 0
    for key in COMPONENTS:
        assert abs(float(getattr(res, key)) - float(getattr(limit, key))) <= 1e-12 * float(
            limit.test_error), key


def test_weighted_ridge_overflowing_loo_factor_is_flagged():
    """d > n with λ = 1e-310: δ ≈ κ/λ exceeds the largest double; no number, status and note."""
    res = weighted_ridge_risk(S, n=50, p2=0.2, alpha=0.6, ridge=1e-310, on_failure="nan",
                              **NOISE, **RANDOM)
    assert int(res.status) < 0 and not bool(res.converged)
    assert np.isnan(float(res.test_error)) and str(res.notes())


# ----------------------------------------------------------------------------- 4. the reference


@pytest.mark.parametrize("lam", [1e-90, 1e-120, 1e-300])
def test_reference_raises_its_precision_at_the_threshold(lam):
    """n = d = 64, Σ = I: the 50-digit reference against the closed forms (60 digits); the
    weights 1/64 and 0.5/64 are exact in binary, so r² = 1 and c² = 0.5 exactly."""
    d = 64
    ref = ridge_risk_mp([1.0] * d, n=d, p2=0.25, ridge=lam, noise_real=1.0, noise_synth=1.0,
                        gamma=[1.0 / d] * d, delta=[0.5 / d] * d)
    exact = _isotropic_reference(lam, 0.25, 1.0, 0.5, 1.0)
    for key, value in exact.items():
        assert abs(ref[key] - value) <= mpmath.mpf(10) ** -45 * abs(value), key


def test_reference_general_spectrum_at_the_threshold():
    """A 1/j spectrum at n = d, λ = 1e-150: 50 digits agree with 120 asked for."""
    d = 20
    s = (1.0 / np.arange(1, d + 1)).tolist()
    kw = dict(n=d, p2=0.3, ridge=1e-150, noise_real=1.0, w_real=[0.2] * d, w_synth=[0.1] * d)
    low, high = ridge_risk_mp(s, **kw), ridge_risk_mp(s, **kw, dps=120)
    for key in high:
        assert abs(low[key] - high[key]) <= mpmath.mpf(10) ** -48 * abs(high[key]), key
