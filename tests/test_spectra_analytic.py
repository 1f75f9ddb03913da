"""Analytic and compressed spectra against independent references.

References: for d = ∞, mpmath at 30 digits — the head ``j < 60`` summed exactly and the tail by
mpmath's own Euler–Maclaurin summation (``mpmath.sumem``, numerical derivatives at working
precision) with the tail integral in closed form (``mpmath.betainc``, hypergeometric).  Plain
``mpmath.nsum`` is not used: its default Richardson/Shanks extrapolation returned values off by
20–30 % on these summands (they change scale at ``j ≈ t^{-1/β}``, up to 10¹⁰), and its
Euler–Maclaurin mode integrates the tail by tanh-sinh quadrature over an interval it cannot
resolve.  The reference is checked against itself at 45 digits with another split.  For finite d
the reference is the exact ``mpmath.fsum``; at d = 10⁵ the plain array sum.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

from modelcollapse.numerics import _euler_maclaurin as em
from modelcollapse.numerics.spectra import (
    CompressedSpectrum,
    PowerLawSpectrum,
    compress_spectrum,
)

WEIGHTS = ("I_d", "Gamma", "Delta")


def reference(beta, q, b, t, N=None, dps=30, head=60):
    """``Σ_{j=1}^{N} j^{-q}(j^{-β}+t)^{-b}`` in mpmath (see the module docstring)."""
    with mp.workdps(dps):
        B, Q, T = mp.mpf(beta), mp.mpf(q), mp.mpf(t)

        def f(x):
            return x ** (-Q) / (x ** (-B) + T) ** b

        if N is not None:
            return mp.fsum(f(mp.mpf(j)) for j in range(1, N + 1))
        if T == 0:
            return mp.zeta(Q - b * B)
        start = mp.fsum(f(mp.mpf(j)) for j in range(1, head))
        alpha = b - (Q - 1) / B
        z0 = 1 / (1 + T * mp.mpf(head) ** B)
        integral = T ** (-alpha) / B * mp.betainc(b - alpha, alpha, 0, z0)
        return start + mp.sumem(f, [head, mp.inf], integral=integral)


def moment_reference(spec: PowerLawSpectrum, name, a, b, t):
    scale, e = spec.weights[name]
    N = None if spec.d == math.inf else spec.d
    return scale * reference(spec.beta, e + a * spec.beta, b, t, N)


def check(spec, t, specs):
    """Values and bounds against mpmath: returns the worst relative error and relative bound."""
    vals, bounds = spec.moments_with_error(t, specs)
    worst_err = worst_bound = 0.0
    for key in specs:
        for k, tk in enumerate(t):
            ref = moment_reference(spec, *key, float(tk))
            err = abs(mp.mpf(float(vals[key][k])) - ref)
            assert err <= bounds[key][k], (spec, key, tk, float(err / ref), bounds[key][k])
            worst_err = max(worst_err, float(err / ref))
            worst_bound = max(worst_bound, float(bounds[key][k] / vals[key][k]))
    return worst_err, worst_bound


def test_reference_is_self_consistent():
    # the same sums at 45 digits with another head length agree to 30 digits
    for beta, q, b, t in ((1.05, 1.05, 1, 1e-10), (1.3, 1.1, 3, 3e-7)):
        lo = reference(beta, q, b, t)
        hi = reference(beta, q, b, t, dps=45, head=90)
        assert abs(lo / hi - 1) < 1e-28


def test_random_moments_at_infinite_dimension_against_mpmath():
    rng = np.random.default_rng(20250101)
    worst_err = worst_bound = 0.0
    for _ in range(6):
        beta = float(rng.uniform(1.05, 4.0))
        a, b = int(rng.integers(0, 4)), int(rng.integers(0, 4))
        # exponents such that every moment below converges (e + aβ > 1)
        e_gamma = float(rng.uniform(1.02 - a * beta, 3.0))
        e_delta = float(rng.uniform(1.02 - a * beta, 3.0))
        spec = PowerLawSpectrum(beta, gamma=(float(rng.uniform(0.1, 3)), e_gamma),
                                delta=(float(rng.uniform(0.1, 3)), e_delta))
        t = 10 ** rng.uniform(-10, 4, 2)
        specs = [("Gamma", a, b), ("Delta", a, b)]
        if a >= 1:
            specs.append(("I_d", a, b))
        err, bound = check(spec, t, specs)
        worst_err, worst_bound = max(worst_err, err), max(worst_bound, bound)
    # measured: worst relative error 3.4e-15, worst relative bound 3.1e-14
    assert worst_err <= 1e-12
    assert worst_bound <= 1e-12


@pytest.mark.parametrize("beta", [1.05, 1.5, 4.0])
def test_hard_cases_at_infinite_dimension(beta):
    # slowest decay (q barely above 1), the largest b, shifts from 1e-10 to 1e4, and t = 0
    spec = PowerLawSpectrum(beta, gamma=(1.0, 1.01 - beta), delta=(0.5, 2.0))
    t = np.array([1e-10, 3e-5, 0.07, 1.0, 1e4])
    err, bound = check(spec, t, [("I_d", 1, 1), ("I_d", 2, 2), ("Gamma", 1, 3), ("Delta", 3, 2)])
    assert err <= 1e-12 and bound <= 1e-12
    err0, bound0 = check(spec, np.array([0.0]), [("I_d", 1, 0), ("Delta", 2, 1)])
    assert err0 <= 1e-12 and bound0 <= 1e-12


@pytest.mark.parametrize("dimension", [100, 300, 2_000])
def test_finite_dimension_against_exact_fsum(dimension):
    # 100 ≤ 4J: summed term by term; 300, 2000: head + Euler–Maclaurin between J and d
    rng = np.random.default_rng(dimension)
    spec = PowerLawSpectrum(1.3, dimension=dimension, gamma=(2.0, -0.4), delta=(0.7, 1.6))
    t = np.r_[0.0, 10 ** rng.uniform(-12, 4, 3)]
    err, bound = check(spec, t, [("I_d", 0, 1), ("I_d", 1, 1), ("Gamma", 0, 3), ("Delta", 3, 2)])
    assert err <= 1e-12 and bound <= 1e-12
    assert spec.smallest[0] == dimension ** -1.3


def test_against_the_array_sum_at_d_1e5():
    d = 100_000
    beta = 1.7
    spec = PowerLawSpectrum(beta, dimension=d, gamma=(1.5, 0.3), delta=(0.2, -0.5))
    j = np.arange(1, d + 1.0)
    s = j**-beta
    weights = {"I_d": np.ones(d), "Gamma": 1.5 * j**-0.3, "Delta": 0.2 * j**0.5}
    t = np.array([0.0, 1e-10, 1e-6, 1e-3, 0.5, 40.0, 1e4])
    specs = [(w, a, b) for w in WEIGHTS for a in range(4) for b in range(4)]
    vals, bounds = spec.moments_with_error(t, specs)
    for w, a, b in specs:
        terms = weights[w] * s**a
        exact = np.array([np.sum(terms / (s + x) ** b) for x in t])  # pairwise: error ≲ 40 u
        rel = np.abs(vals[(w, a, b)] / exact - 1)
        assert np.all(rel <= 1e-12), (w, a, b, rel.max())
        assert np.all(bounds[(w, a, b)] <= 1e-12 * exact)
    assert spec.trace[0] == pytest.approx(math.fsum(s), rel=1e-14, abs=0.0)


def test_bound_is_honest_when_truncation_dominates(monkeypatch):
    # aim every truncation at 1e-9 instead of 1e-18: fewer Euler–Maclaurin terms, series terms
    # and Gauss nodes; the bound must still cover the true error and not overshoot wildly
    monkeypatch.setattr(em, "_TARGET", 1e-9)
    em.plan.cache_clear()
    try:
        spec = PowerLawSpectrum(1.2, gamma=(1.0, 0.3))
        t = np.array([1e-9, 2e-3, 5.0])
        vals, bounds = spec.moments_with_error(t, [("Gamma", 1, 2), ("I_d", 2, 3)])
        ratios = []
        for key in vals:
            for k, tk in enumerate(t):
                ref = moment_reference(spec, *key, float(tk))
                err = float(abs(mp.mpf(float(vals[key][k])) - ref))
                assert err <= bounds[key][k]
                ratios.append(bounds[key][k] / float(ref))
        assert max(ratios) < 1e-8  # the bounds stay near the 1e-9 aimed at
        assert max(ratios) > 1e-12  # and truncation, not rounding, dominates them
    finally:
        em.plan.cache_clear()


def _df1_beta2(t):
    """``Σ_{j≥1} 1/(1 + t j²) = (π coth(π/√t)/√t − 1)/2`` (partial fractions of coth)."""
    return (np.pi / (np.sqrt(t) * np.tanh(np.pi / np.sqrt(t))) - 1) / 2


def test_closed_form_for_many_shifts():
    spec = PowerLawSpectrum(2.0)
    t = np.logspace(-12, 6, 10_000)
    df1 = spec.moments(t, [("I_d", 1, 1)])[("I_d", 1, 1)]
    assert df1.shape == t.shape and np.all(np.diff(df1) < 0)  # decreasing in t
    # the closed form loses ~3t/π² ulps to cancellation: compare where that is below 100
    ok = t < 30
    assert np.all(np.abs(df1[ok] / _df1_beta2(t[ok]) - 1) < 1e-13)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(beta=1.0), "beta"),
        (dict(beta=0.5), "beta"),
        (dict(beta=float("nan")), "beta"),
        (dict(beta=True), "beta"),
        (dict(beta=2.0, dimension=0), "dimension"),
        (dict(beta=2.0, dimension=2.5), "dimension"),
        (dict(beta=2.0, gamma=(-1.0, 0.0)), "gamma"),
        (dict(beta=2.0, delta=(1.0, float("inf"))), "delta"),
        (dict(beta=2.0, delta=3.0), "delta"),
    ],
)
def test_bad_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PowerLawSpectrum(**kwargs)


@pytest.mark.parametrize(
    "spec, t, match",
    [
        (("I_d", 0, 1), [1e-3], r"\('I_d', 0, 1\).*diverges"),  # tr (Σ+t)^-1, d = ∞
        (("I_d", 0, 0), [1e-3], r"\('I_d', 0, 0\).*diverges"),  # d itself
        (("I_d", 1, 1), [0.0], r"diverges for dimension=∞ at t = 0"),  # tr Σ/Σ = d
        (("Gamma", 1, 1), [1.0], "gamma="),
        (("Sigma", 1, 1), [1.0], "unknown weight"),
        (("I_d", 1.5, 1), [1.0], "integer"),
        (("I_d", 1, -1), [1.0], "integer"),
        (("I_d", 1, 1), [-1.0], "t:"),
        (("I_d", 1, 1), [float("nan")], "t:"),
    ],
)
def test_bad_moments(spec, t, match):
    with pytest.raises(ValueError, match=match):
        PowerLawSpectrum(2.0, delta=(1.0, 0.0)).moments(np.array(t), [spec])


def test_divergent_teacher_moment_is_named():
    spec = PowerLawSpectrum(2.0, gamma=(1.0, -2.0))  # Γ_jj = j²: tr ΓΣ(Σ+t)^-1 ~ Σ j^0
    with pytest.raises(ValueError, match=r"\('Gamma', 1, 1\) = tr Γ Σ\^1"):
        spec.moments(np.array([1.0]), [("Gamma", 1, 1)])
    # the same moment is fine at finite d, and a convergent one at d = ∞
    assert PowerLawSpectrum(2.0, 50, gamma=(1.0, -2.0)).moments([1.0], [("Gamma", 1, 1)])
    assert spec.moments([1.0], [("Gamma", 2, 1)])[("Gamma", 2, 1)][0] > 0


# --------------------------------------------------------------------------- compression


def _power_law_case(d=100_000, beta=1.4):
    j = np.arange(1, d + 1.0)
    s = j**-beta
    return s, {"Gamma": 0.3 * j**-0.2, "Delta": 2.0 * s}


def test_compressed_spectrum_reproduces_every_moment():
    s, w = _power_law_case()
    comp = compress_spectrum(s, w, rtol=1e-12)
    assert isinstance(comp, CompressedSpectrum)
    assert max(comp.node_count.values()) < 300  # from 10⁵ eigenvalues (measured: 143)
    t = np.r_[0.0, np.logspace(-10, 4, 6)]
    weights = {"I_d": np.ones_like(s), **w}
    specs = [(name, a, b) for name in WEIGHTS for a in range(4) for b in range(4)]
    vals, bounds = comp.moments_with_error(t, specs)
    worst = 0.0
    for name, a, b in specs:
        terms = weights[name] * s**a
        exact = np.array([np.sum(terms / (s + x) ** b) for x in t])
        err = np.abs(vals[(name, a, b)] - exact)
        # the reference: (2b + 6) roundings per term and a pairwise sum (≤ 40 u)
        assert np.all(err <= bounds[(name, a, b)] + (2 * b + 46) * 2.0**-53 * exact), (name, a, b)
        assert np.all(bounds[(name, a, b)] <= 1e-12 * exact)
        worst = max(worst, float(np.max(err / exact)))
    assert worst < 1e-13  # measured 1.6e-15
    assert comp.trace[0] == pytest.approx(math.fsum(s), rel=1e-14, abs=0.0)
    assert comp.smallest[0] == s.min() and comp.d == s.size


def test_compression_keeps_few_distinct_eigenvalues_exactly():
    # isotropic blocks and zero eigenvalues: merged, exact
    s = np.r_[np.full(50_000, 2.0), np.full(50_000, 0.5), np.zeros(10)]
    comp = compress_spectrum(s, {"Gamma": np.ones_like(s)})
    assert comp.node_count["I_d"] == 3
    got = comp.moments(np.array([0.1, 3.0]), [("I_d", 1, 1)])[("I_d", 1, 1)]
    want = 50_000 * (2 / 2.1 + 0.5 / 0.6), 50_000 * (2 / 5 + 0.5 / 3.5)
    assert np.allclose(got, want, rtol=1e-15, atol=0)


def test_compression_tolerance_is_met_for_a_loose_rtol():
    s, w = _power_law_case(d=20_000, beta=2.5)
    loose = compress_spectrum(s, w, rtol=1e-6)
    tight = compress_spectrum(s, w, rtol=1e-13)
    assert loose.node_count["I_d"] < tight.node_count["I_d"]
    t = np.logspace(-12, 3, 9)
    vals = loose.moments(t, [("Delta", 3, 3)])[("Delta", 3, 3)]
    exact = np.array([math.fsum(2 * s**4 / (s + x) ** 3) for x in t])
    assert np.all(np.abs(vals / exact - 1) <= 1e-6)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (([1.0, -1.0],), {}, "eigenvalues"),
        (([[1.0, 2.0]],), {}, "eigenvalues"),
        (([1.0, float("nan")],), {}, "eigenvalues"),
        (([1.0, 2.0], {"Gamma": [1.0]}), {}, "weights"),
        (([1.0, 2.0], {"Gamma": [1.0, -1.0]}), {}, "weights"),
        (([1.0, 2.0], {"w1": [1.0, 1.0]}), {}, "weights"),
        (([1.0, 2.0],), {"rtol": 0.0}, "rtol"),
        (([1.0, 2.0],), {"max_power": -1}, "max_power"),
    ],
)
def test_compression_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        compress_spectrum(*args, **kwargs)
