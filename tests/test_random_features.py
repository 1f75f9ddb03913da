"""Random features with an activation: coefficients, derivation, reduction to Theorem 2, solver,
simulator and theory against Monte Carlo with the true activation (docs/mathematics.md §2, §5).

Reference values come from independent routes: mpmath quadrature at 30 digits for the Gaussian
coefficients, SymPy integration for the closed forms, Theorem 2's own code for σ(z) = z, SciPy's
``brentq`` for θ, the random-projections simulator for the linear simulator, and Monte Carlo with
the finite-size rule (``mc − theory = a + b/d`` over three sizes, ``|a| ≤ 3 se(a)``).
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from scipy.optimize import brentq

from modelcollapse.numerics import rp_risk
from modelcollapse.numerics.problems import ProblemError, predict
from modelcollapse.numerics.random_features import rf_risk
from modelcollapse.theory import random_features as rf
from modelcollapse.theory._activations import (
    closed_form,
    derive_closed_form,
    gaussian_coefficients,
)
from modelcollapse.theory.spectral import GAMMA
from modelcollapse.theory.symbols import theta
from modelcollapse.verify import simulate_rp
from modelcollapse.verify.agreement import fit_intercept, inverse_size, log_over_size
from modelcollapse.verify.montecarlo_rf import simulate_rf

KEYS = ("test_error", "bias", "variance", "zeta")


def _mp_moments(f):
    with mp.workdps(30):  # local precision: never change the global mpmath context
        dens = lambda z: mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)  # noqa: E731

        def e(g):
            return mp.quad(lambda z: g(z) * dens(z), [-mp.inf, 0, mp.inf])

        return (e(f), e(lambda z: z * f(z)), e(lambda z: f(z) ** 2),
                e(lambda z: f(z) * (z * z - 1)) / mp.sqrt(2))


@pytest.mark.parametrize("name, f", [("relu", lambda z: max(z, 0)), ("erf", mp.erf),
                                     ("tanh", mp.tanh), ("linear", lambda z: z)])
def test_gaussian_coefficients_against_mpmath(name, f):
    mu0, mu1, second, a2 = _mp_moments(f)
    c = gaussian_coefficients(name)
    for got, want in ((c.mu0, mu0), (c.mu1, mu1), (c.second_moment, second), (c.a2, a2)):
        assert abs(got - float(want)) <= 1e-13
    assert abs(c.mu_star_sq - float(second - mu0**2 - mu1**2)) <= 1e-13


def test_relu_closed_form_derived_by_sympy():
    derived = derive_closed_form("relu")
    for k, v in closed_form("relu").items():
        assert sp.simplify(derived[k] - v) == 0, k


@pytest.mark.slow
def test_erf_closed_form_derived_by_sympy():
    derived = derive_closed_form("erf")
    for k, v in closed_form("erf").items():
        assert sp.simplify(derived[k] - v) == 0, k


def test_callable_activation_and_bad_activations():
    c = gaussian_coefficients(lambda z: np.maximum(z, 0.0))  # a kink: adaptive quadrature
    assert abs(c.mu_star_sq - (0.25 - 1 / (2 * math.pi))) < 1e-10
    with pytest.raises(ValueError, match="activation: μ1"):
        gaussian_coefficients(np.abs)  # even: no linear part
    with pytest.raises(ValueError, match="activation"):
        gaussian_coefficients("softsign")
    with pytest.raises(ValueError, match="activation.*same shape"):
        gaussian_coefficients(lambda z: 1.0)
    with pytest.raises(ValueError, match="activation.*non-finite"):
        gaussian_coefficients(lambda z: z / 0.0)
    with pytest.raises(ValueError, match="activation"):
        rf_risk(np.ones(4), n=8, m=6, p2=0.0, ridge=0.1, gamma=np.ones(4), delta=np.zeros(4),
                activation="sigmoid")


def test_derivation_from_the_nested_definition_gives_the_declared_forms():
    der = rf.derive_nested()
    t_star = rf.T_STAR.subs(rf._tau, rf.TAU)
    g = rf.G_STABLE.subs(rf._t_star, t_star)
    tmg = rf.THETA_MINUS_G.subs(rf._t_star, t_star)
    checks = {
        "fixed_point": der["fixed_point"] - rf.THETA_EQUATION,
        "df_features": der["df_features"] - rf.DF,
        "g": der["g"] - g,
        "theta_minus_g": theta - g - tmg,
        "effective_df": der["effective_df"] - rf.EFFECTIVE_DF.subs(rf._theta_minus_g, tmg),
        "b": der["b_gamma"] - rf.b_functional(GAMMA).subs(rf._theta_minus_g, tmg),
    }
    for name, diff in checks.items():
        assert sp.simplify(rf.collect_identities(diff)) == 0, name


def test_linear_activation_reduces_to_theorem2_symbolically():
    assert set(rf.reduces_to_theorem2().values()) == {0}


@pytest.mark.parametrize("teacher", ["random", "fixed"])
def test_linear_activation_reproduces_theorem2_numerically(teacher):
    rng = np.random.default_rng(4)
    for _ in range(4):
        d = int(rng.integers(5, 40))
        s = rng.uniform(0.1, 3.0, d)
        kw = dict(n=float(rng.integers(5, 60)), m=np.array([3.0, 17.0, float(d), 70.0]),
                  p2=0.3, noise_real=0.4, noise_synth=0.7)
        if teacher == "random":
            kw.update(gamma=rng.uniform(0, 1, d), delta=rng.uniform(0, 1, d))
        else:
            kw.update(w_real=rng.standard_normal(d), w_synth=rng.standard_normal(d))
        for ridge in (0.0, 1e-3, 0.7):
            a = rf_risk(s, activation="linear", ridge=ridge, on_failure="nan", **kw)
            b = rp_risk(s, ridge=ridge, on_failure="nan", **kw)
            assert np.array_equal(a.status, b.status)
            for k in KEYS:
                x, y = getattr(a, k), getattr(b, k)
                fin = np.isfinite(y)
                assert np.array_equal(x[~fin], y[~fin])
                assert np.all(np.abs(x[fin] - y[fin]) <= 1e-12 * (np.abs(b.test_error[fin])
                                                                  + 1e-300)), (k, ridge)


def test_theta_against_brentq_and_the_ridgeless_threshold():
    s = 1 / np.arange(1, 51)
    d = s.size
    c = gaussian_coefficients("tanh")
    rho = c.mu_star_sq / c.mu1**2 * s.sum()

    def big_df(t):
        return (s / (s + t)).sum() + rho / t

    def root(n, m, lam):
        lo = brentq(lambda t: big_df(t) - min(m, n), 1e-12, 1e6, xtol=1e-16, rtol=1e-15)
        if lam == 0:
            return lo
        return brentq(lambda t: c.mu1**2 * t * m / d * (1 - big_df(t) / m) * (1 - big_df(t) / n)
                      - lam, lo, 1e6, xtol=1e-16, rtol=1e-15)

    for n, m, lam in ((40.0, 20.0, 1e-3), (40.0, 90.0, 1e-2), (40.0, 90.0, 0.0),
                      (80.0, 30.0, 0.0)):
        res = rf_risk(s, n=n, m=m, p2=0.0, ridge=lam, gamma=np.ones(d) / d,
                      delta=np.zeros(d), activation="tanh")
        want = root(n, m, lam)
        assert abs(float(res.theta) - want) <= 1e-12 * want
    # ReLU, d = 50 < n = 80: Theorem 2 would diverge at d = n only if m ≥ n; random features
    # diverge at m = n whatever d, and not at d = n
    at = rf_risk(s, n=80.0, m=[80.0, 60.0, 120.0], p2=0.0, ridge=0.0, noise_real=1.0,
                 gamma=np.ones(d) / d, delta=np.zeros(d), on_failure="nan")
    assert at.status.tolist() == [1, 0, 0] and math.isinf(at.variance[0])
    assert abs(at.variance[1] - 60 / 20) < 1e-10  # ψ/(1 − ψ): least squares on m features


def test_simulator_with_linear_activation_is_the_projection_simulator():
    d = 30
    s = 1 / np.arange(1, d + 1)
    kw = dict(n=25, m=[10, 40], p2=0.4, ridge=0.01, noise_real=0.2, noise_synth=0.5,
              gamma=np.full(d, 1 / d), delta=np.full(d, 0.3 / d), draws=4, seed=7)
    a = simulate_rf(s, activation="linear", **kw)
    b = simulate_rp(s, **kw)
    for k in KEYS:
        assert np.allclose(a.draws[k], b.draws[k], rtol=1e-10, atol=1e-14), k


def test_simulator_bad_inputs_name_the_parameter():
    d = 6
    base = dict(n=8, m=[4], p2=0.0, ridge=0.1, gamma=np.ones(d), delta=np.zeros(d), draws=1)
    for kw, name in ((dict(features="cauchy"), "features"), (dict(projection="sparse"),
                                                               "projection"),
                     (dict(features="student_t", dof=2.0), "dof"),
                     (dict(features="student_t"), "dof"), (dict(dof=3.0), "dof"),
                     (dict(activation="gelu"), "activation"), (dict(test_size=0), "test_size")):
        with pytest.raises(ValueError, match=name):
            simulate_rf(np.ones(d), **{**base, **kw})


#: Finite-size form of the extrapolation: ln(d)/d measured for ReLU (its kink), 1/d for smooth σ.
_SHAPE = {"relu": log_over_size, "tanh": inverse_size}


def _finite_size(activation, spectrum_of, sizes, psis, draws, seed):
    """Per width and quantity: the extrapolated ``mc − theory`` and its z (finite-size rule)."""
    rows = []
    for j, d in enumerate(sizes):
        s = spectrum_of(d)
        n = int(round(0.8 * d))
        ms = [int(round(p * n)) for p in psis]
        # Γ with tr ΣΓ = tr Σ/60 at every size: one problem simulated at several d (Γ = I/d
        # would shrink the signal as 1/d, and a wrong bias formula with it into the b/d term)
        kw = dict(n=n, p2=round(0.3 * n) / n, ridge=0.05 * s.mean(), noise_real=0.3,
                  noise_synth=0.3,
                  gamma=np.full(d, 1 / 60), delta=0.5 / (d * s))
        mc = simulate_rf(s, m=ms, activation=activation, draws=draws, seed=seed + j, **kw)
        th = rf_risk(s, m=np.array(ms, float), activation=activation, **kw)
        rows.append((mc, th))
    out = {}
    for k in KEYS:
        for i, psi in enumerate(psis):
            diffs = [mc.mean[k][i] - getattr(th, k)[i] for mc, th in rows]
            ses = [mc.stderr[k][i] for mc, _ in rows]
            a, se = fit_intercept(sizes, diffs, ses, _SHAPE[activation])
            out[(k, psi)] = (a, se, a / se)
    return out


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_theory_agrees_with_the_true_activation_isotropic(activation):
    res = _finite_size(activation, lambda d: np.full(d, 1.0 / d), (60, 120, 240), (0.5, 1.6),
                       draws=16, seed=11)
    bad = {k: v for k, v in res.items() if abs(v[2]) > 3}
    assert not bad, bad


def test_predict_takes_random_features():
    rec = {"model": "random_features", "n": 8, "m": 6, "p2": 0.25, "ridge": 0.1,
           "noise_real": 0.5, "noise_synth": 0.25, "spectrum": [1.0, 2.0, 3.0, 4.0],
           "gamma": [0.25] * 4, "delta": [0.1] * 4}
    out = predict(dict(rec, activation="relu"))
    want = rf_risk(np.array([[1.0, 2.0, 3.0, 4.0]]), n=8, m=6, p2=0.25, ridge=0.1,
                   noise_real=0.5, noise_synth=0.25, gamma=np.full((1, 4), 0.25),
                   delta=np.full((1, 4), 0.1))
    assert out["test_error"] == float(want.test_error[0]) and out["mu1"] == 0.5
    # every named activation reaches the solver (an option value), an unknown one is refused
    out = predict(dict(rec, activation="tanh"))
    want = rf_risk(np.array([[1.0, 2.0, 3.0, 4.0]]), n=8, m=6, p2=0.25, ridge=0.1,
                   noise_real=0.5, noise_synth=0.25, gamma=np.full((1, 4), 0.25),
                   delta=np.full((1, 4), 0.1), activation="tanh")
    np.testing.assert_allclose(out["test_error"], want.test_error[0], rtol=1e-13)
    assert out["mu1"] == pytest.approx(gaussian_coefficients("tanh").mu1, rel=1e-14, abs=0.0)
    assert out["mu1"] != 0.5
    with pytest.raises(ProblemError, match="activation"):
        predict(dict(rec, activation="softplus"))


@pytest.mark.slow
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_theory_agrees_at_six_widths_across_the_threshold(activation):
    # the Figure 4 ratios (φ = 1.2, p2 = 0.4, σ = 0.1, λ = 1e-8) on Σ = I/d
    sizes, psis = (120, 240, 480), (0.3, 0.6, 0.8, 1.25, 1.6, 2.0)
    rows = []
    for j, d in enumerate(sizes):
        s = np.full(d, 1.0 / d)
        n = int(round(500 * d / 600))
        ms = [int(round(p * n)) for p in psis]
        kw = dict(n=n, p2=round(0.4 * n) / n, ridge=1e-8, noise_real=0.1, noise_synth=0.1,
                  gamma=np.full(d, 1 / 600), delta=0.1 / (d * s))  # w1 ~ N(0, I/600): fixed
        rows.append((simulate_rf(s, m=ms, activation=activation, draws=30, seed=1000 + j,
                                 **kw), rf_risk(s, m=np.array(ms, float), activation=activation,
                                                **kw)))
    for k in KEYS:
        for i in range(len(psis)):
            a, se = fit_intercept(sizes, [mc.mean[k][i] - getattr(th, k)[i] for mc, th in rows],
                                  [mc.stderr[k][i] for mc, _ in rows], _SHAPE[activation])
            assert abs(a / se) <= 3, (k, psis[i], a, se)
