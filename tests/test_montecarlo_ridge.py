"""The ridge Monte Carlo, checked without the theory (THEORY.md §0, §5).

``ridge_fit_errors`` computes, from one thin SVD, the Σ-weighted test error of ridge fits on a
λ grid with the label noise integrated out.  Here every number is recomputed the direct way:
the estimator ``ŵ = (XᵀX + nλ I)^{-1} Xᵀ y`` by ``np.linalg.solve`` (λ > 0) or the minimum-norm
least-squares solution by ``np.linalg.lstsq`` (λ = 0), and the noise part either by the explicit
trace ``tr Σ A D Aᵀ`` with ``A`` the linear map ``y ↦ ŵ`` built column by column, or by
averaging over many sampled noise vectors.
"""

from __future__ import annotations

import numpy as np
import pytest

from modelcollapse.verify import simulate_ridge
from modelcollapse.verify.montecarlo import ridge_fit_errors


def _direct_fit(x: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """Ridge ``argmin (1/n)‖Xw − y‖² + λ‖w‖²`` (min-norm least squares at λ = 0); y may be 2-D."""
    n, d = x.shape
    if lam == 0.0:
        return np.linalg.lstsq(x, y, rcond=None)[0]
    return np.linalg.solve(x.T @ x + n * lam * np.eye(d), x.T @ y)


def _direct_errors(x, y_signal, w1, spectrum, lam, noise_var_rows):
    """The four parts by direct solves and the explicit trace of the noise term."""
    n = x.shape[0]
    w_hat = _direct_fit(x, y_signal, lam)
    w_bias = _direct_fit(x, x @ w1, lam)
    err = float(((w_hat - w1) ** 2) @ spectrum)
    bias = float(((w_bias - w1) ** 2) @ spectrum)
    a_map = _direct_fit(x, np.eye(n), lam)  # column i: the fit to the i-th unit label vector
    variance = float(np.trace((a_map * noise_var_rows) @ a_map.T * spectrum[:, None]))
    return {"test_error": err + variance, "bias": bias, "variance": variance, "zeta": err - bias}


def _small_problem(n: int, d: int, seed: int, n2: int):
    rng = np.random.default_rng(seed)
    spectrum = np.sort(rng.uniform(0.2, 2.0, d))[::-1]
    x = rng.standard_normal((n, d)) * np.sqrt(spectrum)
    w1 = rng.standard_normal(d) / np.sqrt(d)
    w2 = w1 + 0.7 * rng.standard_normal(d) / np.sqrt(d)
    y_signal = np.r_[x[: n - n2] @ w1, x[n - n2 :] @ w2]
    noise_var = np.r_[np.full(n - n2, 0.8**2), np.full(n2, 0.3**2)]
    return x, y_signal, w1, spectrum, noise_var


@pytest.mark.parametrize(
    ("n", "d"),
    [(40, 12), (12, 40), (30, 29), (29, 30)],
    ids=["d<n", "d>n", "d=n-1", "d=n+1"],
)
def test_fit_errors_match_direct_solves(n, d):
    # λ = 0 is the min-norm interpolator on both sides of d = n; λ > 0 spans four decades.
    ridges = np.array([0.0, 1e-3, 0.1, 2.0])
    x, y_signal, w1, spectrum, noise_var = _small_problem(n, d, seed=n * 100 + d, n2=n // 3)
    got = ridge_fit_errors(x, y_signal, w1, spectrum, ridges, noise_var)
    for i, lam in enumerate(ridges):
        want = _direct_errors(x, y_signal, w1, spectrum, lam, noise_var)
        for key, value in want.items():
            # Near d = n the min-norm solve is ill-conditioned (cond(X) ~ 10²–10³); both routes
            # then agree to ~cond²·eps relative, far inside 1e-7.
            assert got[key][i] == pytest.approx(value, rel=1e-7, abs=1e-12), (key, lam)


def test_fit_errors_noise_part_matches_sampled_noise():
    # Average of ‖ŵ(y_signal + ε) − w1‖²_Σ over 40 000 sampled ε (both routes share nothing but the
    # direct solve): must equal test_error within 4 standard errors.
    n, d, n2 = 30, 10, 12
    x, y_signal, w1, spectrum, noise_var = _small_problem(n, d, seed=7, n2=n2)
    ridges = np.array([0.0, 0.05])
    got = ridge_fit_errors(x, y_signal, w1, spectrum, ridges, noise_var)
    rng = np.random.default_rng(123)
    eps = rng.standard_normal((n, 40_000)) * np.sqrt(noise_var)[:, None]
    for i, lam in enumerate(ridges):
        fits = _direct_fit(x, y_signal[:, None] + eps, lam)  # (d, K)
        errs = (((fits - w1[:, None]) ** 2) * spectrum[:, None]).sum(axis=0)
        mean, se = errs.mean(), errs.std(ddof=1) / np.sqrt(errs.size)
        assert abs(got["test_error"][i] - mean) <= 4 * se, (lam, got["test_error"][i], mean, se)


def test_fit_errors_no_noise_no_shift_is_exact_interpolation():
    # d < n, λ = 0, labels exactly x w1 and no noise: ŵ = w1, every part is 0 (to round-off).
    rng = np.random.default_rng(3)
    x = rng.standard_normal((50, 8))
    w1 = rng.standard_normal(8)
    out = ridge_fit_errors(x, x @ w1, w1, np.ones(8), np.array([0.0]), np.zeros(50))
    for key in ("test_error", "bias", "variance", "zeta"):
        assert abs(out[key][0]) < 1e-20, key


def test_simulate_ridge_draw_matches_direct_recomputation():
    # simulate_ridge's documented sampling (rng draws w1, δ, then X) reproduced by hand for one
    # draw of a random-effects problem, then recomputed with direct solves.
    d, n, p2 = 15, 24, 0.25
    spectrum = np.linspace(0.5, 1.5, d)
    gamma, delta = np.full(d, 1.0 / d), np.linspace(0.01, 0.05, d)
    ridges = np.array([0.0, 0.3])
    mc = simulate_ridge(spectrum, n=n, p2=p2, ridge=ridges, noise_real=0.5, noise_synth=1.2,
                        gamma=gamma, delta=delta, draws=1, seed=11)
    rng = np.random.default_rng(11)
    w1 = np.sqrt(gamma) * rng.standard_normal(d)
    w2 = w1 + np.sqrt(delta) * rng.standard_normal(d)
    x = rng.standard_normal((n, d)) * np.sqrt(spectrum)
    n2 = 6
    y = np.r_[x[: n - n2] @ w1, x[n - n2 :] @ w2]
    noise_var = np.r_[np.full(n - n2, 0.25), np.full(n2, 1.44)]
    for i, lam in enumerate(ridges):
        want = _direct_errors(x, y, w1, spectrum, lam, noise_var)
        for key, value in want.items():
            assert mc.draws[key][0, i] == pytest.approx(value, rel=1e-9, abs=1e-14), (key, lam)


# ----- reproducibility ---------------------------------------------------------------------------

_PROBLEM = dict(
    spectrum=np.linspace(0.2, 1.0, 20),
    n=30,
    p2=0.4,
    ridge=[0.0, 0.1],
    noise_real=1.0,
    noise_synth=0.5,
)


@pytest.mark.parametrize(
    "teacher",
    [
        dict(gamma=np.full(20, 0.05), delta=np.full(20, 0.02)),
        dict(w_real=np.linspace(-1, 1, 20), w_synth=np.linspace(-1, 1.2, 20)),
    ],
    ids=["random", "fixed"],
)
def test_same_seed_is_bit_identical_and_seeds_differ(teacher):
    a = simulate_ridge(**_PROBLEM, **teacher, draws=5, seed=42)
    b = simulate_ridge(**_PROBLEM, **teacher, draws=5, seed=42)
    c = simulate_ridge(**_PROBLEM, **teacher, draws=5, seed=43)
    for key in ("test_error", "bias", "variance", "zeta"):
        assert np.array_equal(a.draws[key], b.draws[key]), key
        assert np.array_equal(a.mean[key], b.mean[key]), key
        assert np.array_equal(a.stderr[key], b.stderr[key]), key
    assert a.seed == 42 and c.seed == 43
    assert not np.array_equal(a.draws["test_error"], c.draws["test_error"])


def test_result_records_rows_and_parameters():
    mc = simulate_ridge(**_PROBLEM, gamma=np.full(20, 0.05), delta=np.full(20, 0.02), draws=3)
    assert (mc.params["n1"], mc.params["n2"], mc.params["d"]) == (18, 12, 20)
    assert mc.params["teacher"] == "random" and mc.params["draws"] == 3
    assert mc.draws["test_error"].shape == (3, 2) and mc.mean["zeta"].shape == (2,)


# ----- bad input ---------------------------------------------------------------------------------

_GOOD = dict(
    spectrum=np.ones(10),
    n=20,
    p2=0.5,
    ridge=[0.1],
    noise_real=1.0,
    noise_synth=1.0,
    gamma=np.full(10, 0.1),
    delta=np.full(10, 0.01),
    draws=2,
)


def _without(*keys, **changes):
    out = {k: v for k, v in _GOOD.items() if k not in keys}
    out.update(changes)
    return out


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (_without(n=-5), "n"),
        (_without(n=0), "n"),
        (_without(n=20.5), "n"),
        (_without(n=float("nan")), "n"),
        (_without(p2=1.5), "p2"),
        (_without(p2=-0.1), "p2"),
        (_without(p2=float("nan")), "p2"),
        (_without(ridge=[0.1, -1.0]), "ridge"),
        (_without(ridge=[[0.1]]), "ridge"),
        (_without(ridge=[float("inf")]), "ridge"),
        (_without(noise_real=-1.0), "noise_real"),
        (_without(noise_synth=float("nan")), "noise_synth"),
        (_without(draws=0), "draws"),
        (_without(spectrum=np.r_[np.ones(9), 0.0]), "spectrum"),
        (_without(spectrum=np.r_[np.ones(9), -1.0]), "spectrum"),
        (_without(spectrum=np.r_[np.ones(9), np.nan]), "spectrum"),
        (_without(spectrum=[]), "spectrum"),
        (_without(spectrum=np.ones((2, 10))), "spectrum"),
        (_without(gamma=np.full(9, 0.1)), "gamma"),
        (_without(delta=np.full(11, 0.1)), "delta"),
        (_without(gamma=np.r_[np.full(9, 0.1), -0.1]), "gamma"),
        (_without(delta=np.r_[np.full(9, 0.1), np.nan]), "delta"),
        (_without("delta"), "delta"),
        (_without("gamma"), "gamma"),
        (_without(w_real=np.ones(10), w_synth=np.ones(10)), "teacher"),
        (_without("gamma", "delta", w_real=np.ones(10)), "w_synth"),
        (_without("gamma", "delta", w_real=np.ones(10), w_synth=np.ones(9)), "w_synth"),
        (_without("gamma", "delta", w_real=[np.nan] * 10, w_synth=np.ones(10)), "w_real"),
        (_without(noise_real="loud"), "noise_real"),
        (_without(n=True), "n"),
    ],
)
def test_bad_input_raises_value_error_naming_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        simulate_ridge(**kwargs)


# ----- exact finite-n moments (Gaussian designs, Σ = I, λ = 0) ---------------------------------


@pytest.mark.parametrize(("d", "n"), [(30, 60), (60, 30)], ids=["d<n", "d>n"])
def test_ridgeless_isotropic_matches_exact_wishart_moments(d, n):
    # For x ~ N(0, I) the exact finite-n moments are E tr (XᵀX)^{-1} = d/(n − d − 1) (d < n) and
    # E tr (XXᵀ)^{-1} = n/(d − n − 1) (d > n, min-norm interpolator), so with w1 ~ N(0, (r²/d) I),
    # σ1 = σ2 = σ and no shift: V = σ² d/(n−d−1) or σ² n/(d−n−1), B = 0 or r²(1 − n/d) exactly.
    # The O(1/|n − d|) gap to the limits d/(n−d), n/(d−n) (9 se here) is the finite-size bias
    # of THEORY.md §5.
    sigma, r2 = 0.7, 1.3
    mc = simulate_ridge(np.ones(d), n=n, p2=0.3, ridge=[0.0], noise_real=sigma,
                        noise_synth=sigma, gamma=np.full(d, r2 / d), delta=np.zeros(d),
                        draws=400, seed=17)
    if d < n:
        exact = {"variance": sigma**2 * d / (n - d - 1), "bias": 0.0}
    else:
        exact = {"variance": sigma**2 * n / (d - n - 1), "bias": r2 * (1 - n / d)}
    for key, value in exact.items():
        assert abs(mc.mean[key][0] - value) <= 4 * mc.stderr[key][0] + 1e-12, (key, value)
    assert np.all(np.abs(mc.draws["zeta"]) < 1e-12)
