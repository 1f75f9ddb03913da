"""Theorem 1 (``ridge_risk``) against the Monte Carlo (``simulate_ridge``), docs/mathematics.md §1
and §5.

Agreement criterion: the finite-size rule of docs/mathematics.md §5
(:mod:`modelcollapse.verify.agreement`), elementwise over the λ grid and for each of the test
error, B, V and ζ.  A simulation at finite d differs from the deterministic equivalent by its
statistical error and by a finite-size bias of relative size O(1/d) (for Σ = I and λ = 0,
``E tr (XᵀX)^{-1} = d/(n − d − 1)`` against ``d/(n − d)`` in the limit).  A fixed relative
tolerance large enough to cover that bias would also cover a wrong formula of the same size, so
there is none.  Instead every problem is simulated twice, as drawn (dimension d) and replicated
(:func:`~modelcollapse.verify.agreement.replicate`: every eigenvalue twice, dimension 2d, the
same deterministic equivalent), on independent seeds; the differences are fitted as

    mc_k − theory_k = a + b/d_k,    d_k ∈ {d, 2d}

by weighted least squares (:func:`~modelcollapse.verify.agreement.fit_intercept`, weights
``1/se_k²``; with two sizes ``a = 2·diff(2d) − diff(d)`` and
``se(a) = √(4·se(2d)² + se(d)²)``), and the theory agrees iff the extrapolated difference at
d → ∞ is statistically zero::

    |a| ≤ 3·se(a)    (one problem: the regression points),
    |a| ≤ 4·se(a)    (a Hypothesis property: Bonferroni's bound for its many comparisons).

A property run makes up to 128 comparisons (8 examples × 4 quantities × ≤ 4 λ), each a ratio
whose se comes from 30 draws of a right-skewed quantity (traces of inverse Wishart matrices; ζ
from a handful of synthetic rows is a χ² with few degrees of freedom), so its tails are at least
Student-t's: P(|t₂₉| > 3) ≈ 6e-3 would fail an exact theory in a good fraction of runs (measured:
z = −3.1 for ζ with n2 = 2 synthetic rows, and −3.04 for B at p2 = 1, on correct formulas),
while P(|t₂₉| > 4) ≈ 4e-4 bounds the family-wise false alarm by ≈ 5 % (less: the λ points of one
problem share their draws).  The bound is on the extrapolated difference, with no relative term.

The one absolute term is a round-off floor (``1e-12 ×`` the problem's signal, quality and noise
scale) for the exact zeros: B at λ = 0 with d < n, V at σ = 0, ζ at p2 = 0, and all three
together, where the simulation returns round-off and ``se = 0``; there the rule is
``|mc − theory| ≤ floor`` at both sizes.  :func:`test_finite_size_rule_rejects_a_two_percent_error`
shows the difference: the theory multiplied by 1.02 passes the old single-size rule
``|theory − mc| ≤ 3·se + 0.03·|mc|`` and fails this one, on the same draws.

The CI tests run the ``ci`` Hypothesis profile (derandomised, 8 examples) on problems drawn at
``d ∈ [100, 120]``, simulated at 2d ∈ [200, 240] with 30 draws (120 for the power-law property)
and at d with ``SMALL_DRAWS = 4`` times as many; ``pytest --run-slow`` runs the full default
:func:`ridge_problems` space at half its dimension (``d ∈ [100, 150]``, simulated up to 300; 100
draws at 2d) with the ``slow`` profile's larger example budget.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcollapse.numerics import Risk, ridge_risk
from modelcollapse.verify import MonteCarloResult, simulate_ridge
from modelcollapse.verify.agreement import fit_intercept, replicate
from modelcollapse.verify.strategies import ridge_problems

KEYS = ("test_error", "bias", "variance", "zeta")
#: The z bound of the finite-size rule at one problem: |a| ≤ NSE·se(a).
NSE = 3.0
#: The z bound of the Hypothesis properties, Bonferroni's for a run of many comparisons (see the
#: module docstring; the same bound as tests/test_montecarlo_rp.py).
NSE_PROPERTY = 4.0
#: The replication factor: the second size is FACTOR·d.
FACTOR = 2
#: Draws at d per draw at FACTOR·d.  A draw at d costs ≲ 1/4 of one at 2d (one SVD of an n × d
#: design), and the per-draw spread at d is about √2 times larger; with equal draws se(d) would
#: dominate se(a) = √(4·se(2d)² + se(d)²), and 30 draws of a right-skewed quantity (traces of
#: inverse Wishart matrices, χ²-like ζ) give a mean and se that are not yet Gaussian.
SMALL_DRAWS = 4
CI_DRAWS = 30
SLOW_DRAWS = 100
#: CI-sized problems: drawn at d ∈ [100, 120] and simulated at d and 2d ∈ [200, 240];
#: φ ∈ [0.4, 2.5] keeps n ≤ 600 at 2d (one SVD ≲ 20 ms).
CI = dict(d=(100, 120), phi_range=(0.4, 2.5))
#: The slow sweep: the default space at half its dimension (simulated up to 2d = 300).
SLOW = dict(d=(100, 150))
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


def _describe(problem: dict) -> str:
    s = problem["spectrum"]
    teacher = "fixed" if "w_real" in problem else "random"
    return (
        f"d={s.size} (and {FACTOR * s.size}) n={problem['n']} φ={s.size / problem['n']:.3f} "
        f"p2={problem['p2']:.4f} λ={np.round(problem['ridge'], 6).tolist()} "
        f"σ1={problem['noise_real']:.3f} σ2={problem['noise_synth']:.3f} teacher={teacher} "
        f"s[0]={s[0]:.3g} s[-1]={s[-1]:.3g}"
    )


def _roundoff_floor(problem: dict) -> float:
    """``1e-12 ×`` the problem's own scale: signal power + quality + noise variances.

    Where the exact answer is 0 (λ = 0 and d < n without noise or shift: the fit interpolates
    ``w1`` exactly), the simulation returns round-off of order ``1e-30``; this floor, far below
    any statistical effect, absorbs it.
    """
    s = problem["spectrum"]
    if "gamma" in problem:
        signal = problem["gamma"] @ s + problem["delta"] @ s
    else:
        w1, w2 = problem["w_real"], problem["w_synth"]
        signal = w1 @ (s * w1) + (w2 - w1) @ (s * (w2 - w1))
    return 1e-12 * float(signal + problem["noise_real"] ** 2 + problem["noise_synth"] ** 2)


def finite_size_z(theories: list[Risk], runs: list[MonteCarloResult], sizes: list[int],
                  floor: float, key: str, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Per λ: ``(z, exact)`` of the fit ``mc_k − scale·theory_k = a + b/d_k``.

    ``z = a/se(a)``; ``exact`` marks the points where every ``|mc_k − scale·theory_k|`` is within
    the round-off ``floor`` (an exact zero).  ``scale ≠ 1`` tests a deliberately wrong theory.
    """
    th = np.array([scale * np.asarray(getattr(t, key), dtype=float) for t in theories])
    mean = np.array([mc.mean[key] for mc in runs])
    se = np.sqrt(np.array([mc.stderr[key] for mc in runs]) ** 2 + floor**2)
    diffs = mean - th
    z = np.empty(th.shape[1])
    for i in range(z.size):
        a, a_se = fit_intercept(sizes, diffs[:, i], se[:, i])
        z[i] = a / a_se
    return z, np.all(np.abs(diffs) <= floor, axis=0)


def assert_agrees(problem: dict, theories: list[Risk], runs: list[MonteCarloResult],
                  sizes: list[int], nse: float = NSE) -> None:
    """The finite-size rule for every part and every λ; the message lists each failing point."""
    floor = max(_roundoff_floor(problem), _roundoff_floor(replicate(problem, FACTOR)))
    failures = []
    for key in KEYS:
        z, exact = finite_size_z(theories, runs, sizes, floor, key)
        for i in np.flatnonzero(~((np.abs(z) <= nse) | exact)):
            parts = ", ".join(
                f"d={d}: theory {float(getattr(t, key)[i]):.6g}, mc {mc.mean[key][i]:.6g} "
                f"± {mc.stderr[key][i]:.2g}"
                for d, t, mc in zip(sizes, theories, runs, strict=True))
            failures.append(f"{key} at λ={problem['ridge'][i]:.4g}: z = {z[i]:.2f} ({parts})")
    assert not failures, _describe(problem) + "\n" + "\n".join(failures)


def simulate_sizes(problem: dict, seed: int, draws: int
                   ) -> tuple[list[Risk], list[MonteCarloResult], list[int]]:
    """The theory and the Monte Carlo at d (``SMALL_DRAWS·draws`` draws) and at FACTOR·d
    (``draws`` draws), on independent seeds."""
    theories, runs, sizes = [], [], []
    for k, prob in enumerate((problem, replicate(problem, FACTOR))):
        theory = ridge_risk(**prob)
        assert np.all(theory.converged), _describe(problem)
        assert np.all(np.isfinite(theory.test_error)), _describe(problem)
        mc = simulate_ridge(**prob, draws=draws * (SMALL_DRAWS if k == 0 else 1), seed=seed + k)
        assert mc.params["n2"] == round(prob["p2"] * prob["n"])
        theories.append(theory)
        runs.append(mc)
        sizes.append(prob["spectrum"].size)
    # the replicated problem has the same deterministic equivalent (a check of the setup)
    for key in KEYS:
        np.testing.assert_allclose(getattr(theories[1], key), getattr(theories[0], key),
                                   rtol=1e-9, atol=1e-14 * max(1.0, float(
                                       np.max(np.abs(theories[0].test_error)))), err_msg=key)
    return theories, runs, sizes


def check_problem(problem: dict, seed: int, draws: int) -> None:
    assert_agrees(problem, *simulate_sizes(problem, seed, draws), nse=NSE_PROPERTY)


# ----- CI-sized properties (ci profile: derandomised, 8 examples each) -------------------------


@given(ridge_problems(regime="underparameterized", ridgeless=True, **CI), SEEDS)
def test_ridgeless_underparameterized(problem, seed):
    # d < n, λ → 0⁺ (κ = 0: least squares), every p2 choice, both teachers, every spectrum.
    check_problem(problem, seed, CI_DRAWS)


@given(ridge_problems(regime="overparameterized", **CI), SEEDS)
def test_overparameterized_ridgeless_and_ridge(problem, seed):
    # d > n: the min-norm interpolator (λ = 0, κ = root of df1 = n) and three λ > 0.
    check_problem(problem, seed, CI_DRAWS)


#: Half the profile's examples (at least 4): each costs 4× the draws of the other properties.
@settings(max_examples=max(4, settings().max_examples // 2))
@given(
    ridge_problems(regime="underparameterized", ridgeless=False, spectrum="power_law", **CI),
    SEEDS,
)
def test_ridge_power_law_underparameterized(problem, seed):
    # λ > 0 on power-law spectra j^{-β}, d < n.  More draws: with a teacher shift concentrated on
    # the leading directions, ζ per draw is a χ² with few degrees of freedom (heavy right tail),
    # and 30 draws under-estimate both its mean and its standard error.
    check_problem(problem, seed, 4 * CI_DRAWS)


@pytest.mark.parametrize("p2_choice", ["zero", "small", "one"])
@given(data=st.data(), seed=SEEDS)
def test_p2_extremes_fixed_teacher_isotropic(p2_choice, data, seed):
    # p2 = 0 (ζ = 0), a few synthetic rows (n2 ≤ n/10), and p2 = 1 (no real rows), with fixed
    # teachers whose shift δ is Σ-correlated with w1 (the cross term X of Theorem 1).
    problem = data.draw(
        ridge_problems(p2=p2_choice, spectrum="isotropic", teacher="fixed", **CI), label="problem"
    )
    check_problem(problem, seed, CI_DRAWS)


# ----- long sweep ---------------------------------------------------------------------------------


@pytest.mark.slow
@given(ridge_problems(**SLOW), SEEDS)
def test_sweep_all_regimes(problem, seed):
    # The whole default space at half its dimension (d ∈ [100, 150], simulated at d and 2d),
    # φ ∈ [0.3, 2.5] with |φ − 1| ≥ 0.3, every spectrum, teacher and p2 choice, λ = 0 plus three
    # λ > 0.
    check_problem(problem, seed, SLOW_DRAWS)


# ----- explicit regression points ---------------------------------------------------------------


def _isotropic_closed_form(phi, lam, p2, sigma1, sigma2, r2, c2, w1_dot_delta=None):
    """docs/mathematics.md §1 isotropic formulas, from the quadratic for κ (an independent route).

    Random effects (``w1_dot_delta=None``) or fixed vectors with ``‖w1‖² = r2``,
    ``‖δ‖² = c2`` and ``w1ᵀδ = w1_dot_delta`` (cross term ``X``, Σ = I).
    """
    p1 = 1 - p2
    if lam == 0:
        kap = max(phi - 1.0, 0.0)
    else:  # κ² + (1 − φ − λ) κ − λ = 0, positive root
        b = lam + phi - 1
        kap = (b + np.sqrt(b * b + 4 * lam)) / 2
    u = phi / ((1 + kap) ** 2 - phi)
    bias = kap**2 * (1 + u) * r2 / (1 + kap) ** 2
    variance = (p1 * sigma1**2 + p2 * sigma2**2) * u
    zeta = (p2 * (1 + p1 * u) + (p1 + kap) ** 2 * u) * p2 * c2 / (1 + kap) ** 2
    if w1_dot_delta is not None:
        zeta += 2 * p2 * kap * w1_dot_delta / (1 + kap) * (kap * (1 + u) / (1 + kap) - 1)
    return {"bias": bias, "variance": variance, "zeta": zeta, "test_error": bias + variance + zeta}


def _corollary1() -> tuple[dict, dict]:
    # Σ = I, d = 100 (and 200), n = 200 (and 400), φ = 1/2, λ → 0⁺, r² = 1, c² = 0.5,
    # σ1 = σ2 = 1, p2 = 0.2.  Corollary 1: σ²φ/(1−φ) + (p2² + p1p2 φ/(1−φ)) c²
    # = 1 + (0.04 + 0.16)·0.5 = 1.1.
    d = 100
    problem = dict(spectrum=np.ones(d), n=200, p2=0.2, ridge=np.array([0.0]), noise_real=1.0,
                   noise_synth=1.0, gamma=np.full(d, 1 / d), delta=np.full(d, 0.5 / d))
    expected = {"test_error": 1.1, "bias": 0.0, "variance": 1.0, "zeta": 0.1}
    assert _isotropic_closed_form(0.5, 0.0, 0.2, 1.0, 1.0, 1.0, 0.5) == pytest.approx(expected)
    return problem, expected


def _corollary4() -> tuple[dict, dict]:
    # Σ = I, d = 150 (and 300), n = 75 (and 150), φ = 2, λ → 0⁺, r² = 1, c² = 0.5, σ = 1,
    # p2 = 0.2.  Corollary 4: B = r²(1 − 1/φ) = 0.5, V = σ²/(φ − 1) = 1,
    # ζ = (p2c²/φ²)(p2(φ − p2)/(φ − 1) + (φ − p2)²) = 0.025·(0.36 + 3.24) = 0.09.
    d = 150
    problem = dict(spectrum=np.ones(d), n=75, p2=0.2, ridge=np.array([0.0]), noise_real=1.0,
                   noise_synth=1.0, gamma=np.full(d, 1 / d), delta=np.full(d, 0.5 / d))
    expected = {"test_error": 1.59, "bias": 0.5, "variance": 1.0, "zeta": 0.09}
    assert _isotropic_closed_form(2.0, 0.0, 0.2, 1.0, 1.0, 1.0, 0.5) == pytest.approx(expected)
    return problem, expected


def _correlated_teacher() -> tuple[dict, dict]:
    # Σ = I, d = 100 (and 200), n = 160 (and 320), φ = 0.625, λ = 0.4, p2 = 0.25 (40 and 80
    # synthetic rows), σ1 = 0.8, σ2 = 0.4; fixed teachers with ‖w1‖² = 1, ‖δ‖² = 0.6,
    # w1ᵀδ = −0.3 (cross term X ≠ 0; the replicate keeps all three).
    # κ from κ² + (1 − φ − λ)κ − λ = 0 (κ = 0.64507905) and the isotropic Theorem 1 give
    # B = 0.1999375, V = 0.1561535, ζ = 0.0781997 (with X), E = 0.4342908; the effective-teacher
    # form of docs/mathematics.md §1, (1+u)κ²‖w̄‖²/(1+κ)² + σ_eff² u − 2p2κ w̄ᵀδ/(1+κ) + p2²c² with
    # w̄ = w1 + p2δ, σ_eff² = σ² + p1p2c², gives the same E = 0.43429077452488.
    d, n, p2 = 100, 160, 0.25
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal(d), rng.standard_normal(d)
    e1 = a / np.linalg.norm(a)
    b -= (b @ e1) * e1
    e2 = b / np.linalg.norm(b)
    w1 = e1
    delta = np.sqrt(0.6) * (-0.3 / np.sqrt(0.6) * e1 + np.sqrt(1 - 0.15) * e2)
    assert delta @ delta == pytest.approx(0.6) and w1 @ delta == pytest.approx(-0.3)
    problem = dict(spectrum=np.ones(d), n=n, p2=p2, ridge=np.array([0.4]), noise_real=0.8,
                   noise_synth=0.4, w_real=w1, w_synth=w1 + delta)
    expected = _isotropic_closed_form(d / n, 0.4, p2, 0.8, 0.4, 1.0, 0.6, w1_dot_delta=-0.3)
    assert expected["test_error"] == pytest.approx(0.43429077452488, rel=1e-12)
    return problem, expected


def _power_law_mpmath() -> tuple[dict, dict]:
    # Σ ∝ diag(1/j), tr Σ = 1, d = 240 (replicated: 480), n = 160 (320), φ = 1.5, λ = 1e-3,
    # p2 = 0.25, σ1 = 0.5, σ2 = 0.3, Γ = I (tr ΓΣ = 1), Δ = (c²/d) Σ^{-1} with c² = 0.5 (the
    # paper's Fig. 2 choices).  Reference values by mpmath at 40 digits, straight from
    # docs/mathematics.md §1:
    #   import mpmath as mp; mp.mp.dps = 40
    #   d, n, n2, lam, s1, s2, c2 = 240, 160, 40, mp.mpf("1e-3"), mp.mpf("0.5"), mp.mpf("0.3"), 0.5
    #   H = mp.fsum(1 / mp.mpf(j) for j in range(1, d + 1))
    #   s = [1 / (j * H) for j in range(1, d + 1)]
    #   dl = [c2 / (d * x) for x in s]; p2 = mp.mpf(n2) / n; p1 = 1 - p2
    #   df = lambda k, t: mp.fsum((x / (x + t)) ** k for x in s)
    #   kap = mp.findroot(lambda k: k - lam - k * df(1, k) / n, 0.01)
    #   u = df(2, kap) / (n - df(2, kap))
    #   B = kap**2 * (1 + u) * mp.fsum(x / (x + kap) ** 2 for x in s)
    #   V = (p1 * s1**2 + p2 * s2**2) * u
    #   Z = p2**2 * (1 + p1 * u) * mp.fsum(w * x**3 / (x + kap) ** 2 for w, x in zip(dl, s)) \
    #       + p2 * u * mp.fsum(w * x * (p1 * x + kap) ** 2 / (x + kap) ** 2 for w, x in zip(dl, s))
    d = 240
    s = 1.0 / np.arange(1, d + 1)
    s /= s.sum()
    problem = dict(spectrum=s, n=160, p2=0.25, ridge=np.array([1e-3]), noise_real=0.5,
                   noise_synth=0.3, gamma=np.ones(d), delta=0.5 / (d * s))
    expected = {
        "bias": 0.18592695031121194,
        "variance": 0.094225142483015403,
        "zeta": 0.053899659781736685,
        "test_error": 0.33405175257596402,
    }
    assert float(ridge_risk(**problem).kappa[0]) == pytest.approx(0.0026107345941261003, rel=1e-10)
    return problem, expected


#: name: (problem and expected values, draws per size, seed)
REGRESSION = {
    "corollary1": (_corollary1, 60, 2024),
    "corollary4": (_corollary4, 40, 7),
    "correlated_teacher": (_correlated_teacher, 60, 99),
    "power_law_mpmath": (_power_law_mpmath, 60, 31),
}


@cache
def _regression_runs(name: str):
    """``(problem, expected, theories, runs, sizes)`` of a regression point, simulated once per
    session (the rejection test below reuses the draws of the agreement test)."""
    build, draws, seed = REGRESSION[name]
    problem, expected = build()
    theories, runs, sizes = simulate_sizes(problem, seed, draws)
    return problem, expected, theories, runs, sizes


@pytest.mark.parametrize("name", list(REGRESSION))
def test_regression_point(name):
    problem, expected, theories, runs, sizes = _regression_runs(name)
    for theory in theories:  # the closed form / mpmath value, at d and at 2d
        for key, value in expected.items():
            assert float(getattr(theory, key)[0]) == pytest.approx(value, rel=1e-10, abs=1e-14), key
    assert_agrees(problem, theories, runs, sizes)


def test_finite_size_rule_rejects_a_two_percent_error():
    # Corollary 1's point (E = 1.1 at d = 100 and 200), the draws of test_regression_point: the
    # old single-size rule |theory − mc| ≤ 3·se + 0.03·|mc| accepts the test error multiplied by
    # 1.02 at both sizes; the finite-size rule rejects it, and accepts the true theory.
    problem, _, theories, runs, sizes = _regression_runs("corollary1")
    wrong = 1.02 * float(theories[0].test_error[0])
    for mc in runs:
        mean, se = mc.mean["test_error"][0], mc.stderr["test_error"][0]
        assert abs(wrong - mean) <= 3 * se + 0.03 * abs(mean), (wrong, mean, se)
    floor = _roundoff_floor(problem)
    z_true, _ = finite_size_z(theories, runs, sizes, floor, "test_error")
    z_wrong, exact = finite_size_z(theories, runs, sizes, floor, "test_error", scale=1.02)
    assert abs(z_true[0]) <= NSE, z_true
    assert abs(z_wrong[0]) > NSE and not exact[0], z_wrong
