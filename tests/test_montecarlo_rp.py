"""Theorem 2 against Monte Carlo of the finite random-projections model (docs/mathematics.md §2,
§5)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelcollapse.numerics import rp_risk
from modelcollapse.verify import simulate_rp
from modelcollapse.verify.agreement import fit_intercept, replicate
from modelcollapse.verify.montecarlo_rp import rp_fit_errors

KEYS = ("test_error", "bias", "variance", "zeta")


def _power_law(d: int) -> np.ndarray:
    s = 1 / np.arange(1, d + 1)
    return s / s.sum()


def test_fit_errors_match_a_direct_solve():
    rng = np.random.default_rng(5)
    n, d, m, lam = 30, 12, 20, 0.05
    s = rng.uniform(0.5, 2, d)
    x = rng.standard_normal((n, d)) * np.sqrt(s)
    smat = rng.standard_normal((m, d)) / np.sqrt(d)
    w1, w2 = rng.standard_normal(d), rng.standard_normal(d)
    y = np.r_[x[:20] @ w1, x[20:] @ w2]
    noise = np.r_[np.full(20, 0.3), np.full(10, 0.7)]
    z = x @ smat.T
    out = rp_fit_errors(z, smat, y, x @ w1, w1, s, lam, noise)
    a = np.linalg.solve(z.T @ z + n * lam * np.eye(m), z.T)  # v = A y
    beta = smat.T @ (a @ y)
    err = ((beta - w1) ** 2 * s).sum()
    var = np.trace((smat.T @ a).T @ np.diag(s) @ (smat.T @ a) @ np.diag(noise))
    assert out["test_error"] == pytest.approx(err + var, rel=1e-10)
    assert out["variance"] == pytest.approx(var, rel=1e-10)


def test_seeded_and_bit_reproducible():
    d = 40
    kw = dict(n=30, m=[10, 50], p2=0.5, ridge=0.1, noise_real=0.3, gamma=np.full(d, 1 / d),
              delta=np.full(d, 0.5 / d), draws=4)
    a, b = simulate_rp(np.ones(d), seed=7, **kw), simulate_rp(np.ones(d), seed=7, **kw)
    c = simulate_rp(np.ones(d), seed=8, **kw)
    for k in KEYS:
        assert np.array_equal(a.draws[k], b.draws[k])
    assert not np.array_equal(a.draws["test_error"], c.draws["test_error"])
    assert a.params["nested_widths"] and a.params["n2"] == 15


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [(dict(m=[10.5]), "m"), (dict(m=[0]), "m"), (dict(ridge=[0.1, 0.2]), "ridge"),
     (dict(n=20.5), "n"), (dict(draws=0), "draws"), (dict(p2=-0.1), "p2")],
)
def test_bad_input_names_the_parameter(kwargs, name):
    d = 10
    args = dict(n=20, m=[5], p2=0.5, ridge=0.1, gamma=np.ones(d), delta=np.ones(d), **{})
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        simulate_rp(np.ones(d), **args)


@st.composite
def rp_problems(draw):
    """Random-projection problems on both sides of ψ = 1 (d = 100, n = 80)."""
    d, n = 100, 80
    spectrum = draw(st.sampled_from(["isotropic", "power_law"]))
    s = np.full(d, 1 / d) * d if spectrum == "isotropic" else _power_law(d)
    side = draw(st.sampled_from(["under", "over"]))
    widths = [24, 48] if side == "under" else [120, 200]
    p2 = draw(st.sampled_from([0.0, 0.05, 0.7]))
    lam = draw(st.sampled_from([1e-3, 1e-1])) * float(s.mean())
    c_sq = draw(st.sampled_from([0.2, 1.0]))
    teacher = draw(st.sampled_from(["random", "fixed"]))
    if teacher == "random":
        tk = dict(gamma=np.full(d, 1 / d), delta=np.full(d, c_sq / d) * s.mean() / s)
    else:
        rng = np.random.default_rng(draw(st.integers(0, 2**16)))
        w1 = rng.standard_normal(d) / np.sqrt(d)
        dl = rng.standard_normal(d) * np.sqrt(c_sq / d * s.mean() / s)
        tk = dict(w_real=w1, w_synth=w1 + dl)
    return dict(spectrum=s, n=n, m=widths, p2=p2, ridge=lam, noise_real=0.3,
                noise_synth=0.5, **tk)


@given(problem=rp_problems(), seed=st.integers(0, 2**16))
def test_theory_matches_monte_carlo(problem, seed):
    # the finite-size rule (docs §5.3): the problem at d and its replicate at 2d (the same
    # deterministic equivalent), mc − theory = a + b/d extrapolated; no relative slack. A run makes
    # 64 comparisons (8 examples × 4 quantities × 2 widths), so the bound is Bonferroni's: with
    # Student-t tails at 40 draws P(|a|/se(a) > 4) ≈ 3e-4 each, a family-wise false alarm ≈ 2 %
    # (|z| ≤ 3 would fail one run in six with an exact theory)
    big = replicate(problem, 2)
    theory = rp_risk(problem["spectrum"], **{k: v for k, v in problem.items() if k != "spectrum"})
    runs = [simulate_rp(p.pop("spectrum"), draws=40, seed=seed + k, **p)
            for k, p in enumerate((dict(problem), big))]
    for key in KEYS:
        th = np.asarray(getattr(theory, key))
        for i in range(th.size):
            means = [float(mc.mean[key][i]) for mc in runs]
            ses = [float(mc.stderr[key][i]) for mc in runs]
            if all(se == 0 for se in ses):  # an exact zero (ζ at p2 = 0)
                assert max(abs(m - th[i]) for m in means) <= 1e-12 * max(1.0, abs(th[i])), key
                continue
            a, a_se = fit_intercept([100, 200], [m - th[i] for m in means], ses)
            assert abs(a) <= 4 * a_se, (key, i, th[i], means, ses, a, a_se)


def _errata(d, n, widths, draws, seed):
    """Fig. 4 setting (docs/mathematics.md §4): Σ ∝ 1/j with tr Σ = 1, w1 ~ N(0, I/d), Δ =
    (c²/d)Σ^{-1},
    σ = 0.1, λ = 1e-8, p2 = 0.4, c² = 1."""
    s = _power_law(d)
    kw = dict(n=n, m=widths, p2=0.4, ridge=1e-8, noise_real=0.1, noise_synth=0.1,
              gamma=np.full(d, 1 / d), delta=(1.0 / d) / s)
    mc = simulate_rp(s, draws=draws, seed=seed, **kw)
    corrected = rp_risk(s, **kw)
    printed = rp_risk(s, form="printed", **kw)
    for key in KEYS:
        assert mc.agrees_with(getattr(corrected, key), key, rtol=0.03).all(), key
    # the printed ζ (middle term with p2 instead of p2²) is many standard errors off
    z = mc.z_scores(printed.zeta, "zeta")
    assert (z > 6).all(), z
    assert not mc.agrees_with(printed.zeta, "zeta", rtol=0.03).any()
    # the printed V (no 1/n) is off by a factor n
    assert not mc.agrees_with(printed.variance, "variance", rtol=0.03).any()
    return z


def test_errata_printed_form_rejected_small():
    # d = 300, n = 250 (n1 = 150, n2 = 100): the Fig. 4 proportions at half size
    _errata(300, 250, [50, 100, 150], draws=80, seed=11)


@pytest.mark.slow
def test_errata_printed_form_rejected_fig4():
    # the Fig. 4 sizes: d = 600, n1 = 300, n2 = 200
    _errata(600, 500, [100, 250, 400], draws=60, seed=12)


def test_random_teacher_integration_equals_the_average_over_teachers():
    # One design and projection; rp_fit_errors_random against the mean of rp_fit_errors over
    # 20000 teacher draws, narrow (m < n) and wide (m > n) widths, λ = 0 and λ > 0.
    from modelcollapse.verify.montecarlo_rp import rp_fit_errors_random

    rng = np.random.default_rng(9)
    n, d, n1 = 24, 14, 16
    s = np.linspace(0.3, 2.0, d)
    gamma, delta = np.linspace(0.02, 0.1, d), np.linspace(0.05, 0.01, d)
    x = rng.standard_normal((n, d)) * np.sqrt(s)
    noise = np.r_[np.full(n1, 0.3), np.full(n - n1, 0.8)]
    for m, lam in ((8, 0.0), (8, 0.3), (40, 0.0), (40, 0.05)):
        smat = rng.standard_normal((m, d)) / np.sqrt(d)
        z = x @ smat.T
        exact = rp_fit_errors_random(z, smat, x, n1, s, gamma, delta, lam, noise)
        draws = {k: [] for k in exact}
        for _ in range(20000):
            w1 = np.sqrt(gamma) * rng.standard_normal(d)
            w2 = w1 + np.sqrt(delta) * rng.standard_normal(d)
            y = np.r_[x[:n1] @ w1, x[n1:] @ w2]
            for k, v in rp_fit_errors(z, smat, y, x @ w1, w1, s, lam, noise).items():
                draws[k].append(v)
        for k, v in draws.items():
            v = np.array(v)
            mean, se = v.mean(), v.std(ddof=1) / np.sqrt(v.size)
            assert abs(exact[k] - mean) <= 4 * se + 1e-12, (k, m, lam, exact[k], mean, se)
