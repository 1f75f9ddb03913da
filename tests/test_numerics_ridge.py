"""The κ solver and Theorem 1 numerics against closed forms and the 50-digit mpmath reference."""

from __future__ import annotations

import numpy as np
import pytest

from modelcollapse.numerics import ConvergenceError, ridge_risk, solve_kappa
from modelcollapse.numerics.reference import ridge_risk_mp, solve_kappa_mp


def iso_kappa(lam, phi):
    # printed isotropic root of κ − λ = κφ/(1+κ), i.e. κ² + (1 − φ − λ)κ − λ = 0, written without
    # cancellation: (b + √(b² + 4λ))/2 for b = λ + φ − 1 ≥ 0, and 2λ/(√(b² + 4λ) − b) for b < 0.
    b = lam + phi - 1
    root = np.sqrt(b * b + 4 * lam)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b >= 0, (b + root) / 2, 2 * lam / (root - b))


def test_kappa_isotropic_closed_form_over_a_grid():
    d = 300
    lam = np.r_[0.0, np.logspace(-10, 4, 29)]
    n = np.array([50.0, 150.0, 299.0, 301.0, 600.0, 3000.0])[:, None]
    res = solve_kappa(np.ones(d), lam, n)
    assert res.converged.all()
    want = iso_kappa(lam, d / n)
    want[:, 0] = np.where(d / n[:, 0] > 1, d / n[:, 0] - 1, 0.0)
    np.testing.assert_allclose(res.kappa, want, rtol=1e-12, atol=0)
    assert res.iterations.max() < 40
    assert (res.residual <= 1e-12).all()


def test_kappa_threshold_status():
    res = solve_kappa(np.ones(100), [0.0, 1e-9], 100)
    assert res.status.tolist() == [1, 0]
    assert res.converged.all() and res.kappa[0] == 0.0
    assert res.at_threshold.tolist() == [True, False]


def test_kappa_per_point_spectra_match_individual_solves():
    rng = np.random.default_rng(0)
    spectra = rng.uniform(0.1, 2.0, (5, 40))
    lam = rng.uniform(0, 1, 5)
    batch = solve_kappa(spectra, lam, 30.0)
    for i in range(5):
        one = solve_kappa(spectra[i], lam[i], 30.0)
        assert batch.kappa[i] == pytest.approx(float(one.kappa), rel=1e-13, abs=0.0)


@pytest.mark.parametrize("seed", range(6))
def test_kappa_float64_matches_mpmath(seed):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(20, 80))
    s = np.exp(rng.uniform(np.log(1e-4), np.log(1e2), d))
    for lam in [0.0, 1e-9, 1e-3, 1.0, 1e3]:
        for n in [d / 3, d - 1, d + 1, 3 * d]:
            if lam == 0 and n >= d:
                continue
            got = float(solve_kappa(s, lam, n).kappa)
            ref = float(solve_kappa_mp(s, lam, n, dps=50))
            assert got == pytest.approx(ref, rel=1e-12, abs=0)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("teacher", ["random", "fixed"])
def test_ridge_risk_float64_matches_mpmath_1e10(seed, teacher):
    rng = np.random.default_rng(100 + seed)
    d = int(rng.integers(10, 60))
    s = np.exp(rng.uniform(np.log(1e-3), np.log(1e1), d))
    if teacher == "random":
        kw = dict(gamma=rng.uniform(0, 1, d) / d, delta=rng.uniform(0, 1, d) / d)
    else:
        w1 = rng.standard_normal(d) / np.sqrt(d)
        kw = dict(w_real=w1, w_synth=w1 + 0.3 * rng.standard_normal(d) / np.sqrt(d))
    n = float(rng.choice([d / 4, d / 1.5, d * 1.5, d * 4]))
    lam = float(rng.choice([0.0, 1e-8, 1e-2, 3.0]))
    p2 = float(rng.choice([0.0, 0.05, 0.5, 1.0]))
    args = dict(n=n, p2=p2, ridge=lam, noise_real=0.3, noise_synth=0.8, **kw)
    got = ridge_risk(s, **args)
    ref = ridge_risk_mp(s, **args)
    scale = float(abs(ref["test_error"]))
    for key in ("kappa", "bias", "variance", "zeta", "test_error"):
        g, r = float(getattr(got, key)), float(ref[key])
        # relative 1e-10, measured against the total risk for the parts (ζ can cancel to ~0)
        assert abs(g - r) <= 1e-10 * max(abs(r), scale if key != "kappa" else 0.0), key


def test_corollary1_and_4_numbers():
    d = 200
    kw = dict(noise_real=1.0, noise_synth=0.5, gamma=np.full(d, 2.0 / d), delta=np.full(d, 0.3 / d))
    p2 = 0.3
    sig = 0.7 * 1.0 + 0.3 * 0.25
    # φ = 0.4: Corollary 1
    e = float(ridge_risk(np.ones(d), n=500, p2=p2, ridge=0.0, **kw).test_error)
    phi = 0.4
    cor1 = sig * phi / (1 - phi) + (p2**2 + 0.7 * p2 * phi / (1 - phi)) * 0.3
    assert e == pytest.approx(cor1, rel=1e-13, abs=0.0)
    # φ = 2.5: Corollary 4 (B, V as printed; ζ as derived, see test_theory_ridge)
    res = ridge_risk(np.ones(d), n=80, p2=p2, ridge=0.0, **kw)
    phi = 2.5
    assert float(res.kappa) == pytest.approx(phi - 1, rel=1e-13)
    assert float(res.bias) == pytest.approx(2.0 * (1 - 1 / phi), rel=1e-13)
    assert float(res.variance) == pytest.approx(sig / (phi - 1), rel=1e-13, abs=0.0)
    assert float(res.zeta) == pytest.approx(p2 * 0.3 * (phi - p2) / (phi * (phi - 1)), rel=1e-13,
                                            abs=0.0)


def test_threshold_gives_inf_and_note_and_limit_from_the_side():
    d = 100
    kw = dict(gamma=np.full(d, 1 / d), delta=np.full(d, 0.5 / d), noise_real=1.0, noise_synth=1.0)
    res = ridge_risk(np.ones(d), n=100, p2=0.3, ridge=[0.0, 1e-6, 1e-4], **kw)
    assert np.isinf(res.test_error[0]) and "threshold" in res.notes()[0]
    # beside the threshold: V = σ²φ/((1+κ)² − φ) ~ σ²/(2κ) with κ ~ sqrt(λ) → grows like λ^{-1/2}
    ratio = res.variance[1] / res.variance[2]
    assert ratio == pytest.approx(10.0, rel=0.02)


def test_threshold_degenerate_noiseless_p2_one_is_finite():
    # σ = 0 and p2 = 1 (p1 p2 c² = 0): the λ → 0⁺ limit at d = n is ζ = p2² c², B = V = 0.
    d = 50
    kw = dict(gamma=np.full(d, 1 / d), delta=np.full(d, 0.5 / d))
    at = ridge_risk(np.ones(d), n=50, p2=1.0, ridge=0.0, **kw)
    near = ridge_risk(np.ones(d), n=50, p2=1.0, ridge=1e-12, **kw)
    assert float(at.test_error) == pytest.approx(0.5, rel=1e-14, abs=0.0)
    assert float(near.test_error) == pytest.approx(0.5, rel=1e-5)


def test_on_failure_raise(monkeypatch):
    # force non-convergence with a one-iteration budget through the public solver
    res = solve_kappa(np.logspace(-3, 3, 50), 1e-7, 20.0, maxiter=1)
    assert not res.converged.all()
    with pytest.raises(ConvergenceError, match="did not converge"):
        res.raise_if_unconverged()


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(n=-1), "n"),
        (dict(p2=1.5), "p2"),
        (dict(p2=float("nan")), "p2"),
        (dict(ridge=-0.1), "ridge"),
        (dict(noise_real=float("inf")), "noise_real"),
        (dict(spectrum=[1.0, 0.0, 2.0]), "spectrum"),
        (dict(spectrum=[]), "spectrum"),
        (dict(gamma=[1.0, 1.0]), "gamma"),
        (dict(w_real=[1.0, 1.0, 1.0]), "teacher"),
        (dict(delta=None), "delta"),
        (dict(on_failure="ignore"), "on_failure"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, field):
    base = dict(spectrum=[1.0, 2.0, 3.0], n=10, p2=0.5, ridge=0.1, gamma=[1.0] * 3, delta=[1.0] * 3)
    base.update(kwargs)
    spectrum = base.pop("spectrum")
    with pytest.raises(ValueError, match=field):
        ridge_risk(spectrum, **base)
