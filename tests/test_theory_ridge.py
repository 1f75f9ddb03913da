"""Theorem 1 in SymPy: spectral identities, the isotropic closed forms and the corollaries.

References are the printed closed forms of docs/mathematics.md §1 (typed here, independently of the
code
that derives them), compared symbolically or at random points to 1e-12.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import sympy as sp

from modelcollapse.numerics import ridge_risk
from modelcollapse.theory import ridge
from modelcollapse.theory import ridge_isotropic as iso
from modelcollapse.theory.spectral import (
    DD,
    DELTA,
    GAMMA,
    IDENTITY,
    W1D,
    W1W1,
    SpectralMoment,
    as_finite_sum,
    df1,
    isotropic,
)
from modelcollapse.theory.symbols import c, kappa, lam, n, p1, p2, phi, r, sigma1, sigma2, u

SIGMA_SQ = p1 * sigma1**2 + p2 * sigma2**2
EIGS = list(sp.symbols("s1:4", positive=True))


def random_points(symbols, k=5, seed=0, bounds=None):
    rng = random.Random(seed)
    bounds = bounds or {}
    for _ in range(k):
        yield {s: sp.Rational(rng.randint(1, 10**6), 10**6) * bounds.get(s, 1) for s in symbols}


def assert_equal_at_points(a, b, symbols, *, bounds=None, tol=1e-12, k=6):
    for pt in random_points(symbols, k=k, bounds=bounds):
        va, vb = complex(sp.N(a.subs(pt), 30)), complex(sp.N(b.subs(pt), 30))
        assert abs(va - vb) <= tol * max(1.0, abs(vb)), (pt, va, vb)


def test_moment_derivative_is_minus_b_times_next_moment():
    s1, s2 = sp.symbols("s1 s2", positive=True)
    t = sp.Symbol("t", positive=True)
    expr = SpectralMoment(GAMMA, 2, 3, t)
    weights = {GAMMA: [sp.Symbol("g1"), sp.Symbol("g2")]}
    lhs = as_finite_sum(sp.diff(expr, t), [s1, s2], weights)
    rhs = sp.diff(as_finite_sum(expr, [s1, s2], weights), t)
    assert sp.simplify(lhs - rhs) == 0


def test_u_stable_form_equals_definition_on_the_fixed_point():
    assert sp.simplify(as_finite_sum(ridge.u_stable_identity(), EIGS, {})) == 0


@pytest.mark.parametrize("teacher", ["random", "fixed"])
def test_effective_teacher_reading_equals_theorem1(teacher):
    g = list(sp.symbols("g1:4", positive=True))
    e = list(sp.symbols("e1:4", positive=True))
    x = list(sp.symbols("x1:4"))
    w = {GAMMA: g, DELTA: e} if teacher == "random" else {W1W1: g, DD: e, W1D: x}
    diff = ridge.effective_teacher_test_error(teacher) - ridge.test_error(teacher)
    assert sp.simplify(as_finite_sum(diff, EIGS, w)) == 0


def test_fixed_teacher_with_independent_teachers_averages_to_random_effects():
    # E over w1 ~ N(0, Γ), δ ~ N(0, Δ): w1w1 -> Γ, δδ -> Δ, w1δ -> 0.
    fixed = ridge.test_error("fixed")
    swap = {W1W1: GAMMA, DD: DELTA}

    def average(w, a, b, t):
        if w == W1D:
            return sp.S.Zero
        return SpectralMoment(swap.get(w, w), a, b, t)

    avg = fixed.replace(SpectralMoment, average)
    assert sp.simplify(avg - ridge.test_error("random")) == 0


def test_isotropic_fixed_point_and_root():
    # printed: κ − λ = κφ/(1+κ)
    printed = kappa - lam - kappa * phi / (1 + kappa)
    assert sp.simplify(iso.fixed_point() - printed) == 0
    k = iso.kappa_closed_form()
    assert sp.simplify(printed.subs(kappa, k)) == 0
    # positive: at a few random points the root is > 0
    for pt in random_points([lam, phi], seed=3, bounds={phi: 3}):
        assert float(k.subs(pt)) > 0


def test_isotropic_closed_forms_match_printed():
    comps = iso.components()
    one_k2 = (1 + kappa) ** 2
    u_printed = phi / (one_k2 - phi)
    printed = {
        "bias": kappa**2 * r**2 / (one_k2 - phi),
        "variance": SIGMA_SQ * phi / (one_k2 - phi),
        "zeta": (p2 * (1 + p1 * u_printed) + (p1 + kappa) ** 2 * u_printed) * p2 * c**2 / one_k2,
    }
    assert sp.simplify(iso.u_isotropic() - u_printed) == 0
    for name, expr in printed.items():
        assert sp.simplify(comps[name] - expr) == 0, name


def test_isotropic_theory_matches_general_numeric_solver():
    # The symbolic isotropic answer at κ(λ, φ) against the float path on Σ = I.
    d = 120
    expr = iso.test_error().subs(kappa, iso.kappa_closed_form())
    f = sp.lambdify([lam, phi, p2, r, c, sigma1, sigma2], expr)
    rng = np.random.default_rng(4)
    for _ in range(6):
        nn = float(rng.choice([60, 100, 150, 400]))
        lv, p2v, r2, c2, s1, s2 = rng.uniform(1e-3, 2), rng.uniform(0, 1), *rng.uniform(0.1, 2, 4)
        num = ridge_risk(np.ones(d), n=nn, p2=p2v, ridge=lv, noise_real=s1, noise_synth=s2,
                         gamma=np.full(d, r2 / d), delta=np.full(d, c2 / d))
        ref = f(lv, d / nn, p2v, np.sqrt(r2), np.sqrt(c2), s1, s2)
        assert abs(float(num.test_error) - ref) <= 1e-12 * abs(ref)


def test_corollary1_under_parametrised_ridgeless():
    res = iso.ridgeless_under()
    assert res["kappa"] == 0
    total = res["bias"] + res["variance"] + res["zeta"]
    printed = SIGMA_SQ * phi / (1 - phi) + (p2**2 + p1 * p2 * phi / (1 - phi)) * c**2
    assert sp.simplify(total - printed) == 0
    assert_equal_at_points(total, printed, [phi, p2, c, sigma1, sigma2])


def test_corollary4_over_parametrised_ridgeless_bias_and_variance():
    res = iso.ridgeless_over()
    assert sp.simplify(res["kappa"] - (phi - 1)) == 0
    assert sp.simplify(res["bias"] - r**2 * (1 - 1 / phi)) == 0
    assert sp.simplify(res["variance"] - SIGMA_SQ / (phi - 1)) == 0


def test_corollary4_zeta_printed_form_is_an_erratum():
    """The transcription of Corollary 4 (docs/mathematics.md §1, erratum E1) prints ζ =
    (p2c²/φ²)(p2(φ−p2)/(φ−1) + (φ−p2)²) for φ > 1, λ → 0⁺.

    Theorem 1 gives ζ = p2 c² (φ − p2)/(φ(φ − 1)).  They agree only at φ = 2 (or p2 ∈ {0, φ}).
    Monte Carlo (isotropic, d = 300, n = 100, p2 = 0.2, c² = 1, λ = 0, 400 draws, seed 3) gives
    ζ = 0.0919 ± 0.0015: derived 0.0933 (z = 1.0), printed 0.1804 (z = 60).  The Monte Carlo test
    below re-runs a smaller version of this.
    """
    derived = iso.ridgeless_over()["zeta"]
    assert sp.simplify(derived - p2 * c**2 * (phi - p2) / (phi * (phi - 1))) == 0
    printed = (p2 * c**2 / phi**2) * (p2 * (phi - p2) / (phi - 1) + (phi - p2) ** 2)
    assert sp.simplify((derived - printed).subs(phi, 2)) == 0
    assert sp.simplify((derived - printed).subs({phi: 3, p2: sp.Rational(1, 5)})) != 0


def test_corollary4_zeta_monte_carlo_rejects_printed_form():
    from modelcollapse.verify import simulate_ridge

    d, nn, p2v, c2 = 240, 80, 0.25, 1.0  # φ = 3
    mc = simulate_ridge(np.ones(d), n=nn, p2=p2v, ridge=[0.0], gamma=np.zeros(d),
                        delta=np.full(d, c2 / d), draws=150, seed=11)
    derived = float(iso.ridgeless_over()["zeta"].subs({phi: 3, p2: p2v, c: 1}))
    printed = p2v * c2 / 9 * (p2v * (3 - p2v) / 2 + (3 - p2v) ** 2)
    mean, se = mc.mean["zeta"][0], mc.stderr["zeta"][0]
    assert abs(derived - mean) <= 3 * se + 0.03 * abs(mean)
    assert abs(printed - mean) > 10 * se + 0.03 * abs(mean)


def test_strong_collapse_plateau():
    assert sp.simplify(iso.strong_collapse_limit() - p2**2 * c**2) == 0
    fixed = iso.strong_collapse_limit(ridge_fixed=True)
    assert sp.simplify(fixed - p2**2 * c**2 / (1 + lam) ** 2) == 0


def test_isotropic_substitution_of_df1():
    assert sp.simplify(isotropic(df1(kappa) / n, {IDENTITY: phi * n}) - phi / (1 + kappa)) == 0


def test_bad_teacher_name():
    with pytest.raises(ValueError, match="teacher"):
        ridge.risk_components("bogus")  # type: ignore[arg-type]


def test_u_symbol_substitution():
    assert ridge.substitute_u(u).has(SpectralMoment)


def test_optimal_ridge_plateau_symbolic_and_numeric():
    res = iso.optimal_ridge_plateau()
    printed = r**2 * p2**2 * c**2 / (r**2 + p2**2 * c**2)
    assert sp.simplify(res["plateau"] - printed) == 0
    # numeric: isotropic d = 200 at φ = 1e-4, min over a fine λ grid of the general solver
    d, r2, c2, p2v = 200, 1.0, 0.5, 0.4
    lam_grid = np.logspace(-3, 0, 2001)
    num = ridge_risk(np.ones(d), n=d * 1e4, p2=p2v, ridge=lam_grid, noise_real=0.0,
                     noise_synth=0.0, gamma=np.full(d, r2 / d), delta=np.full(d, c2 / d))
    want = r2 * p2v**2 * c2 / (r2 + p2v**2 * c2)
    assert num.test_error.min() == pytest.approx(want, rel=1e-3)
    assert lam_grid[num.test_error.argmin()] == pytest.approx(p2v**2 * c2 / r2, rel=1e-2)


def test_near_threshold_form_of_the_fixed_point_is_the_fixed_point():
    # (n − d)/n + κ tr(Σ+κ)^{-1}/n − λ/κ equals FIXED_POINT/κ on any finite spectrum
    from modelcollapse.theory.symbols import d as d_sym

    s = sp.symbols("s1:4", positive=True)
    form = as_finite_sum(ridge.FIXED_POINT_NEAR_THRESHOLD.subs(d_sym, 3), list(s), {})
    plain = as_finite_sum(ridge.FIXED_POINT / kappa, list(s), {})
    assert sp.simplify(form - plain) == 0
