"""Iterative mixing and recursive retraining: closed forms by SymPy against simulation.

Tolerance (docs/mathematics.md §5): 3·se + 2 %·|mc|; the finite-n bias of ridgeless least squares is
d/(n−d−1) against d/(n−d), i.e. 1/(n−d−1) relative (≤ 1 % here).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from modelcollapse.numerics.kappa import solve_kappa
from modelcollapse.numerics.retraining import recursive_retraining_risk
from modelcollapse.theory import iterative as it
from modelcollapse.theory.spectral import as_finite_sum
from modelcollapse.theory.symbols import d as d_sym
from modelcollapse.theory.symbols import kappa, n, p2, phi, sigma1, sigma2, u
from modelcollapse.verify.montecarlo_iterative import (
    simulate_iterative_mixing,
    simulate_recursive_retraining,
)


def test_exact_recursion_reduces_to_corollary3_at_first_order():
    full, cor3 = it.mixing_recursion(), it.corollary3()
    # contraction factors agree at φ → 0 and differ at O(φ): p1 p2 φ
    diff = sp.series(full["b"] - cor3["b"], phi, 0, 2).removeO()
    assert sp.simplify(diff - (1 - p2) * p2 * phi) == 0


def test_iterative_mixing_against_simulation():
    d, n, p2v, steps = 100, 333, 0.5, 5
    mc = simulate_iterative_mixing(d=d, n=n, p2=p2v, c0_sq=1.0, noise_real=1.0, noise_synth=1.0,
                                   steps=steps, draws=150, seed=1)
    p2_eff = round(p2v * n) / n
    vals = {phi: d / n, p2: p2_eff, sigma1: 1, sigma2: 1, it.c0: 1}
    exact = [float(it.mixing_recursion()["E_t"].subs(vals).subs(it.step, k))
             for k in range(steps + 1)]
    cor3 = [float(it.corollary3()["E_t"].subs(vals).subs(it.step, k)) for k in range(steps + 1)]
    mean, se = mc.mean["test_error"], mc.stderr["test_error"]
    assert (np.abs(np.array(exact) - mean) <= 3 * se + 0.02 * mean).all()
    # Corollary 3 (leading order in φ) is off by ~15 % at φ = 0.3 — far outside tolerance
    assert (np.abs(np.array(cor3) - mean)[2:] > 5 * se[2:] + 0.02 * mean[2:]).all()
    # it never beats "Clean", the same n rows all real: σ² d/(n − d) (it does beat the n1 real
    # rows alone, σ² d/(n1 − d) = 1.52 here, since its limit is σ²u/(1 − b) = 0.667)
    clean = 1.0 * d / (n - d)
    assert (mean[1:] > clean + 3 * se[1:]).all()
    assert mean[-1] < d / (n - round(p2v * n) - d)


def test_iterative_mixing_simulation_is_invariant_under_the_spectrum():
    """Least squares is equivariant under x → Σ^{1/2}x, so the ridgeless process (and the
    recursion) is the isotropic one for any Σ: the simulator, given the same seed, must return
    the isotropic numbers to rounding on a power-law spectrum."""
    kw = dict(d=30, n=100, p2=0.5, c0_sq=1.0, noise_real=0.5, noise_synth=0.5, steps=3,
              draws=20, seed=4)
    iso = simulate_iterative_mixing(**kw).mean["test_error"]
    power = simulate_iterative_mixing(**kw, spectrum=_power_law(30, 1.5)).mean["test_error"]
    np.testing.assert_allclose(power, iso, rtol=1e-9)


def test_recursive_retraining_grows_linearly():
    d, t0, t = 50, 200, 150
    mc = simulate_recursive_retraining(d=d, t0=t0, t=t, noise_generator=1.0, noise=0.5,
                                       generations=4, draws=150, seed=2)
    e_n = it.recursive_retraining()["E_N"]
    theory = np.array([float(e_n.subs({phi: d / t, it.phi0: d / t0, it.sigma0: 1, sigma1: 0.5,
                                       it.generations: k})) for k in range(5)])
    mean, se = mc.mean["test_error"], mc.stderr["test_error"]
    assert (np.abs(theory - mean) <= 3 * se + 0.02 * mean).all()
    slope = np.polyfit(np.arange(5), mean, 1)[0]
    assert slope == pytest.approx(d / (t0 - d), rel=0.05)  # σ0² φ0/(1 − φ0) per generation


def _power_law(d: int, exponent: float) -> np.ndarray:
    s = np.arange(1, d + 1, dtype=float) ** -exponent
    return s / s.sum()


def test_retraining_rho_numeric_equals_theory_on_a_finite_spectrum():
    """The numeric ρ (Theorem 1 at p2 = 1, Δ = Σ^{-1}) is the symbolic ρ of the theory module."""
    d, t, t0, lam = 6, 4.0, 9.0, 0.3
    s = _power_law(d, 1.3)
    k = float(solve_kappa(s, ridge=lam, n=t).kappa)
    df2 = float(np.sum(s**2 / (s + k) ** 2))
    expr = it.recursive_retraining_ridge()["rho"]
    rho = as_finite_sum(expr, [sp.Float(x, 30) for x in s], {})
    rho = float(rho.subs({kappa: k, u: df2 / (t - df2), it.t0: t0, d_sym: d, n: t}))
    num = recursive_retraining_risk(s, t0=t0, t=t, ridge=lam, generations=1,
                                    noise_generator=1.0, gamma=np.full(d, 1 / d))
    assert float(num.rho) == pytest.approx(rho, rel=1e-10)


@given(
    spectrum=st.sampled_from(["isotropic", "power law"]),
    exponent=st.floats(0.5, 2.0),
    t_over_d=st.sampled_from([0.5, 2.0, 4.0]),
    t0_over_d=st.sampled_from([2.0, 4.0]),
    ridge=st.sampled_from([0.0, 1e-3, 1e-1]),
    seed=st.integers(0, 2**32 - 1),
)
def test_general_ridge_retraining_against_simulation(spectrum, exponent, t_over_d, t0_over_d,
                                                      ridge, seed):
    """``E_N ≃ B + V + N σ0² ρ`` for N = 0 … 3, any spectrum and λ, against Monte Carlo.

    Tolerance 3·se + 3 %: the exact Gaussian moments are ``1/(T0 − d − 1)`` for the generators
    and ``d/(T − d − 1)`` (ridgeless, T > d) against ``1/(T0 − d)`` and ``d/(T − d)``, relative
    biases ≤ 1/(d − 1) ≈ 1 % at d = 100 (T ≥ 2d when λ = 0; |T − d| ≥ d/2 otherwise), plus
    O(1/d) for λ > 0 (largest seen over 15 configurations: 1.9 %).
    """
    d = 100
    t, t0 = int(t_over_d * d), int(t0_over_d * d)
    if ridge == 0.0 and t < d:
        ridge = 1e-3  # ridgeless with T < d is the min-norm interpolator: not an OLS downstream
    s = np.ones(d) if spectrum == "isotropic" else _power_law(d, exponent)
    gamma = np.full(d, 1.0 / d)
    mc = simulate_recursive_retraining(d=d, t0=t0, t=t, noise_generator=1.0, noise=0.5,
                                       generations=3, spectrum=s, ridge=ridge, gamma=gamma,
                                       draws=30, seed=seed)
    theory = recursive_retraining_risk(s, t0=t0, t=t, ridge=ridge, generations=np.arange(4),
                                       noise_generator=1.0, noise=0.5, gamma=gamma)
    mean, se = mc.mean["test_error"], mc.stderr["test_error"]
    assert (np.abs(theory.test_error - mean) <= 3 * se + 0.03 * mean).all(), (
        theory.test_error, mean, se)


def test_retraining_risk_bad_input():
    s = np.ones(10)
    ok = dict(t=20, ridge=0.1, generations=1, noise_generator=1.0, gamma=np.full(10, 0.1))
    with pytest.raises(ValueError, match="t0"):
        recursive_retraining_risk(s, t0=10, **ok)
    with pytest.raises(ValueError, match="generations"):
        recursive_retraining_risk(s, t0=30, **{**ok, "generations": -1})
    with pytest.raises(ValueError, match="noise_generator"):
        recursive_retraining_risk(s, t0=30, **{**ok, "noise_generator": float("nan")})
    with pytest.raises(ValueError, match="teacher"):
        recursive_retraining_risk(s, t0=30, w_real=np.ones(10), **ok)
    with pytest.raises(ValueError, match="ridge"):
        simulate_recursive_retraining(d=10, t0=30, t=8, noise_generator=1, noise=1,
                                      generations=1, ridge=0.0)
    with pytest.raises(ValueError, match="^t:"):
        recursive_retraining_risk(s, t0=30, **{**ok, "t": -1})
    with pytest.raises(ValueError, match="^noise:"):
        recursive_retraining_risk(s, t0=30, noise=-1.0, **ok)
    with pytest.raises(ValueError, match="generations"):
        recursive_retraining_risk(s, t0=30, **{**ok, "generations": 1.5})
    with pytest.raises(ValueError, match="shapes do not broadcast"):
        recursive_retraining_risk(s, t0=[30, 40, 50], **{**ok, "t": [20, 30]})
    assert simulate_recursive_retraining(d=5, t0=20, t=20, noise_generator=1, noise=1,
                                         generations=0, draws=2).mean["test_error"].shape == (1,)
    with pytest.raises(ValueError, match="gamma"):
        simulate_recursive_retraining(d=5, t0=20, t=20, noise_generator=1, noise=1,
                                      generations=1, gamma=np.ones((2, 5)))
    with pytest.raises(ValueError, match="spectrum"):
        simulate_recursive_retraining(d=10, t0=30, t=20, noise_generator=1, noise=1,
                                      generations=1, spectrum=np.ones(9))


def test_bad_input():
    with pytest.raises(ValueError, match="d"):
        simulate_iterative_mixing(d=300, n=200, p2=0.5, c0_sq=1, noise_real=1, noise_synth=1,
                                  steps=1)
    with pytest.raises(ValueError, match="t0"):
        simulate_recursive_retraining(d=10, t0=20.5, t=50, noise_generator=1, noise=1,
                                      generations=1)
