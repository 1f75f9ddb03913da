"""rp_risk (float64) against the 50-digit mpmath reference for Theorem 2, and the reference itself.

The reference (:mod:`modelcollapse.numerics.reference_rp`) solves the nested definitions of
docs/mathematics.md §2; here it is also checked against Definition 2 solved from scratch (a second
high-precision route), against numerical derivatives of κ2(t), against ridge in the large-width
limit and against the ridgeless closed forms.
"""

from __future__ import annotations

import os

import mpmath
import numpy as np
import pytest

from modelcollapse.numerics import ridge_risk, rp_risk
from modelcollapse.numerics.reference import ridge_risk_mp, solve_kappa_mp
from modelcollapse.numerics.reference_rp import rp_risk_mp

KEYS = ("theta", "u", "omega_prime", "bias", "variance", "zeta", "test_error")
N_POINTS = 120


def _spectrum(rng: np.random.Generator, family: int, d: int) -> np.ndarray:
    if family == 0:  # eigenvalues spread over six decades
        return np.exp(rng.uniform(np.log(1e-3), np.log(1e3), d))
    if family == 1:  # power law j^{-α}, random scale
        return 10 ** rng.uniform(-1, 1) * np.arange(1, d + 1) ** -rng.uniform(0.5, 2.5)
    # two clusters six decades apart
    return np.where(rng.random(d) < 0.5, 1e-3, 1e3) * rng.uniform(0.5, 2.0, d)


def _teacher(rng: np.random.Generator, s: np.ndarray, fixed: bool) -> dict:
    d = s.size
    if fixed:
        w1 = rng.standard_normal(d) / np.sqrt(d)
        return dict(w_real=w1, w_synth=w1 + rng.uniform(0, 1) * rng.standard_normal(d) / np.sqrt(d))
    delta = rng.uniform(0, 1, d) / d
    if rng.random() < 0.5:
        delta = delta / s  # Δ ∝ Σ^{-1}, as in the paper's figures
    return dict(gamma=rng.uniform(0, 2, d) / d, delta=delta)


def _points(seed: int = 20250611, count: int = N_POINTS) -> list[tuple[np.ndarray, dict]]:
    """Seeded points; the discrete factors cycle so that every combination occurs."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        d = int(rng.integers(20, 61))
        s = _spectrum(rng, i % 3, d)
        n = d * 10 ** rng.uniform(-2, 2)
        m = n * 10 ** rng.uniform(-2, 2)
        lam = 0.0 if (i // 3) % 4 == 0 else float(10 ** rng.uniform(-8, 3))
        p2 = (0.0, 1.0, float(rng.uniform()))[(i // 2) % 3]
        noise = (dict(noise_real=0.0, noise_synth=0.0) if i % 5 in (0, 3) else
                 dict(noise_real=rng.uniform(0, 1), noise_synth=rng.uniform(0, 1)))
        out.append((s, dict(n=n, m=m, p2=p2, ridge=lam, **noise,
                            **_teacher(rng, s, fixed=i % 2 == 1))))
    return out


POINTS = _points()


def test_sample_covers_the_regimes():
    def count(pred):
        return sum(bool(pred(s.size, kw)) for s, kw in POINTS)

    assert count(lambda d, kw: kw["ridge"] == 0 and min(kw["m"], d) < kw["n"]) >= 5
    assert count(lambda d, kw: kw["ridge"] == 0 and min(kw["m"], d) > kw["n"]) >= 5
    assert count(lambda d, kw: 0 < kw["ridge"] < 1e-6) >= 5
    assert count(lambda d, kw: kw["ridge"] > 1e1) >= 5
    assert count(lambda d, kw: kw["m"] < kw["n"] / 10) >= 5
    assert count(lambda d, kw: kw["m"] > kw["n"] * 10) >= 5
    assert count(lambda d, kw: kw["n"] < d / 10) >= 5
    assert count(lambda d, kw: kw["n"] > d * 10) >= 5
    for p2 in (0.0, 1.0):
        assert count(lambda d, kw, p2=p2: kw["p2"] == p2) >= 20
    assert count(lambda d, kw: "w_real" in kw) >= 50
    assert count(lambda d, kw: kw["noise_real"] == kw["noise_synth"] == 0) >= 20


@pytest.mark.parametrize("index", range(N_POINTS))
def test_float64_matches_mpmath_1e10(index):
    s, kw = POINTS[index]
    got = rp_risk(s, **kw)
    ref = rp_risk_mp(s, **kw)
    assert int(got.status) == 0
    for key in KEYS:
        g, r = float(getattr(got, key)), float(ref[key])
        if ref[key] == 0:
            # exactly 0 in both paths: V = σ²u at σ = 0, ζ at p2 = 0, B and ω' at θ = 0 — every
            # term carries the vanishing factor, so no absolute floor is needed
            assert g == 0.0, key
        else:
            assert abs(g - r) <= 1e-10 * abs(r), (key, g, r)


def _agree(got, ref, keys) -> None:
    for key in keys:
        g, r = float(getattr(got, key)), float(ref[key])
        if ref[key] == 0:
            assert g == 0.0, key
        else:
            assert abs(g - r) <= 1e-10 * abs(r), (key, g, r)


#: long mode (``--run-slow``): this many fresh points per model, seeded like the robustness suite
LONG_POINTS = int(os.environ.get("MODELCOLLAPSE_ROBUSTNESS_MP_POINTS", "150"))
LONG_SEED = int(os.environ.get("MODELCOLLAPSE_ROBUSTNESS_SEED", "0"))


@pytest.mark.slow
def test_float64_matches_mpmath_long():
    """Both models, float64 against 50 digits at 1e-10 on ``LONG_POINTS`` fresh random points."""
    ridge_keys = ("kappa", "u", "bias", "variance", "zeta", "test_error")
    for s, kw in _points(seed=LONG_SEED + 1, count=LONG_POINTS):
        got = rp_risk(s, **kw)
        assert int(got.status) == 0
        _agree(got, rp_risk_mp(s, **kw), KEYS)
        ridge_kw = {k: v for k, v in kw.items() if k != "m"}
        if not (ridge_kw["ridge"] == 0 and s.size == ridge_kw["n"]):
            _agree(ridge_risk(s, **ridge_kw), ridge_risk_mp(s, **ridge_kw), ridge_keys)


def test_threshold_raises_in_reference_and_is_infinite_in_float64():
    rng = np.random.default_rng(7)
    d = 30
    s = _spectrum(rng, 0, d)
    tk = _teacher(rng, s, fixed=False)
    for n, m in [(20.0, 20.0), (30.0, 30.0), (30.0, 45.0)]:  # m = n < d, m = n = d, d = n < m
        kw = dict(n=n, m=m, p2=0.3, ridge=0.0, noise_real=1.0, noise_synth=0.5, **tk)
        with pytest.raises(ValueError, match="interpolation threshold"):
            rp_risk_mp(s, **kw)
        res = rp_risk(s, **kw)
        assert int(res.status) == 1
        assert np.isposinf(res.test_error) and np.isposinf(res.variance)
        # beside the threshold both paths are finite and agree
        near = dict(kw, ridge=1e-6)
        assert float(rp_risk(s, **near).test_error) == pytest.approx(
            float(rp_risk_mp(s, **near)["test_error"]), rel=1e-10)


@pytest.mark.parametrize(("n", "lam"), [(50.0, 0.0), (10.0, 0.0), (50.0, 1e-3), (10.0, 1e-3)])
def test_width_equal_to_dimension(n, lam):
    # m = d: κ2(0) = 0 and κ2(t) ~ sqrt(t), κ2'(0) = ∞ — on both sides of n = d
    rng = np.random.default_rng(3)
    d = 30
    s = _spectrum(rng, 0, d)
    kw = dict(n=n, m=float(d), p2=0.3, ridge=lam, noise_real=0.5, noise_synth=0.2,
              **_teacher(rng, s, fixed=False))
    got, ref = rp_risk(s, **kw), rp_risk_mp(s, **kw)
    for key in KEYS:
        g, r = float(getattr(got, key)), float(ref[key])
        assert (g == 0.0) if ref[key] == 0 else abs(g - r) <= 1e-10 * abs(r), key


@pytest.mark.parametrize(("d", "n", "m", "closed"), [
    (40, 20, 5, (1, 3)),  # m < n: σ²ψ/(1 − ψ), ψ = 1/4
    (40, 20, 30, (3, 1)),  # n < m, φ = 2, ψ = 3/2: σ²(φ + ψ − 2)/((φ − 1)(ψ − 1))
    (40, 80, 120, (1, 1)),  # d < n < m: ordinary least squares σ²φ/(1 − φ), φ = 1/2
])
def test_ridgeless_isotropic_variance_closed_forms(d, n, m, closed):
    kw = dict(n=n, m=m, p2=0.0, ridge=0.0, noise_real=1.0, gamma=np.full(d, 1 / d),
              delta=np.zeros(d))
    ref = rp_risk_mp(np.ones(d), **kw)
    with mpmath.workdps(50):
        assert abs(ref["variance"] - mpmath.mpf(closed[0]) / closed[1]) < mpmath.mpf(10) ** -45
    got = float(rp_risk(np.ones(d), **kw).variance)
    assert got == pytest.approx(closed[0] / closed[1], rel=1e-13, abs=0.0)


@pytest.mark.parametrize("fixed", [False, True])
def test_large_width_limit_is_the_ridge_reference(fixed):
    # ψ → ∞ with λ d/m fixed: Theorem 2 → Theorem 1 (corrections O(d/m) ≈ 2e-38 here). Powers of
    # two keep λ d/m exact in binary: a float 0.05·1e40/25 is off by ~1e-17 relative, which a
    # comparison at 40 digits sees.
    rng = np.random.default_rng(11)
    d = 32
    s = _spectrum(rng, 1, d)
    kw = dict(n=40.0, p2=0.4, noise_real=0.3, noise_synth=0.7, **_teacher(rng, s, fixed))
    m, lam_eff = 2.0**130, 2.0**-4
    rp = rp_risk_mp(s, m=m, ridge=lam_eff * m / d, **kw)
    ridge = ridge_risk_mp(s, ridge=lam_eff, **kw)
    with mpmath.workdps(40):
        assert abs(rp["theta"] / ridge["kappa"] - 1) < 1e-35
        for key in ("u", "bias", "variance", "zeta", "test_error"):
            assert abs(rp[key] / ridge[key] - 1) < 1e-35, key


def _definition2(s, gamma, delta, *, n, m, p2, ridge, noise_real, noise_synth, start):
    """Definition 2 of docs/mathematics.md §2 (errata applied) solved from scratch at the working
    precision.

    ``(e, τ)`` by Newton (analytic Jacobian) from ``start``; ``(u, ω)`` from their linear system.
    """
    d = len(s)
    s = [mpmath.mpf(float(x)) for x in s]
    gam_w = [mpmath.mpf(float(x)) for x in gamma]
    del_w = [mpmath.mpf(float(x)) for x in delta]
    n, m, lam, p2 = (mpmath.mpf(float(x)) for x in (n, m, ridge, p2))
    psi, gam = m / n, m / d
    p1 = 1 - p2
    sig_sq = p1 * mpmath.mpf(float(noise_real)) ** 2 + p2 * mpmath.mpf(float(noise_synth)) ** 2

    def mean(terms):
        return mpmath.fsum(terms) / d

    def f(e, tau):
        k = [gam * tau * e * sj + lam for sj in s]
        return [1 / e - 1 - psi * tau * mean(sj / kj for sj, kj in zip(s, k, strict=True)),
                1 / tau - 1 - mean(e * sj / kj for sj, kj in zip(s, k, strict=True))]

    def jac(e, tau):
        k = [gam * tau * e * sj + lam for sj in s]
        a1 = mean(sj / kj for sj, kj in zip(s, k, strict=True))
        a2 = mean(sj**2 / kj**2 for sj, kj in zip(s, k, strict=True))
        b1 = mean(sj / kj**2 for sj, kj in zip(s, k, strict=True))
        return mpmath.matrix([[-1 / e**2 + psi * gam * tau**2 * a2,
                               -psi * a1 + psi * gam * tau * e * a2],
                              [-lam * b1, -1 / tau**2 + gam * e**2 * a2]])

    tol = mpmath.mpf(10) ** (-2 * mpmath.mp.dps + 10)
    e, tau = mpmath.findroot(f, start, J=jac, tol=tol, maxsteps=50)
    k = [gam * tau * e * sj + lam for sj in s]
    a2 = mean(sj**2 / kj**2 for sj, kj in zip(s, k, strict=True))
    a1 = mean(sj / kj**2 for sj, kj in zip(s, k, strict=True))
    # u = ψe²(γτ²(1+u) A2 + ω A1),  ω = τ²(γωe² A2 + λ²(1+u) A1)
    lhs = mpmath.matrix([[1 - psi * e**2 * gam * tau**2 * a2, -psi * e**2 * a1],
                         [-(tau**2) * lam**2 * a1, 1 - tau**2 * gam * e**2 * a2]])
    rhs = mpmath.matrix([psi * e**2 * gam * tau**2 * a2, tau**2 * lam**2 * a1])
    u, omega = mpmath.lu_solve(lhs, rhs)
    th = lam / (gam * tau * e)
    wp = omega / (gam * tau**2)

    def tr(w, a):  # tr W Σ^a T^{-2}
        return mpmath.fsum(wj * sj**a / (sj + th) ** 2 for sj, wj in zip(s, w, strict=True))

    ones = [mpmath.mpf(1)] * d
    bias = (1 + u) * th**2 * tr(gam_w, 1) + wp * tr(gam_w, 2)
    variance = sig_sq / (n * e) * (tr(ones, 2) + (wp - th * u) * tr(ones, 1))
    tp1 = mpmath.fsum(wj * sj * (p1 * sj + th) ** 2 / (sj + th) ** 2
                      for sj, wj in zip(s, del_w, strict=True))
    zeta = p2**2 * (1 + p1 * u) * tr(del_w, 3) + p2**2 * wp * tr(del_w, 2) + p2 * u * tp1
    # Lemma 1 (closed forms given θ); the transcription of Lemma 1 printed θ² I22 in ω'
    # (docs/mathematics.md §2, erratum E3); the system gives θ² I12
    i12, i22 = tr(ones, 1) / d, tr(ones, 2) / d
    z = i22 * (gam - i22) + th**2 * i12**2
    den = gam - (d / n) * z - i22
    return dict(theta=th, u=u, omega_prime=wp, bias=bias, variance=variance, zeta=zeta,
                test_error=bias + variance + zeta, u_lemma1=(d / n) * z / den,
                omega_prime_lemma1=th**2 * i12 / den)


@pytest.mark.parametrize("seed", range(6))
def test_reference_matches_definition2_to_1e40(seed):
    rng = np.random.default_rng(500 + seed)
    d = int(rng.integers(20, 41))
    s = _spectrum(rng, seed % 3, d)
    tk = _teacher(rng, s, fixed=False)
    n = d * 10 ** rng.uniform(-1, 1)
    m = n * (10 ** rng.uniform(-1.5, -0.1) if seed % 2 else 10 ** rng.uniform(0.1, 1.5))
    kw = dict(n=n, m=m, p2=float(rng.uniform()), ridge=float(10 ** rng.uniform(-8, 2)),
              noise_real=0.4, noise_synth=0.9)
    ref = rp_risk_mp(s, **kw, **tk, dps=60)
    flt = rp_risk(s, **kw, **tk)
    with mpmath.workdps(60):
        paper = _definition2(s, tk["gamma"], tk["delta"], **kw,
                             start=(float(flt.e), float(flt.tau)))
        for key in KEYS:
            assert abs(paper[key] - ref[key]) <= mpmath.mpf(10) ** -40 * abs(ref[key]), key
        assert abs(paper["u_lemma1"] / ref["u"] - 1) < 1e-40
        assert abs(paper["omega_prime_lemma1"] / ref["omega_prime"] - 1) < 1e-40


@pytest.mark.parametrize("seed", range(3))
def test_reference_definitions_by_numerical_differentiation(seed):
    # κ2'(t*) = (d/m)/(1 − df2(θ)/m), D = d/dt[t df1(κ2(t))] and b(w1) = −t² q'(t) at t*, with
    # κ2(t) re-solved at 100 digits and differentiated by central differences (step 1e-25 t*)
    rng = np.random.default_rng(900 + seed)
    d = int(rng.integers(20, 41))
    s = _spectrum(rng, seed, d)
    tk = _teacher(rng, s, fixed=seed == 1)
    n = d * 10 ** rng.uniform(-1, 1)
    kw = dict(n=n, m=n * 10 ** rng.uniform(-1, 1), p2=0.5, ridge=float(10 ** rng.uniform(-4, 1)),
              noise_real=0.5, noise_synth=0.5, **tk)
    ref = rp_risk_mp(s, **kw, dps=60)
    w1w1 = tk["gamma"] if "gamma" in tk else np.asarray(tk["w_real"]) ** 2
    with mpmath.workdps(60):
        sm = [mpmath.mpf(float(x)) for x in s]
        wm = [mpmath.mpf(float(x)) for x in w1w1]
        mm, nn, t_star = mpmath.mpf(kw["m"]), mpmath.mpf(n), ref["t_star"]

        def kappa2(t):
            return solve_kappa_mp(sm, t * d / mm, mm, dps=100)

        def t_df1(t):
            k = kappa2(t)
            return t * mpmath.fsum(sj / (sj + k) for sj in sm)

        def q(t):
            k = kappa2(t)
            return k / t * mpmath.fsum(wj * sj / (sj + k) for sj, wj in zip(sm, wm, strict=True))

        h = t_star * mpmath.mpf(10) ** -25
        assert abs(kappa2(t_star) / ref["theta"] - 1) < 1e-50
        assert abs(t_star * mpmath.diff(kappa2, t_star, h=h) / ref["g"] - 1) < 1e-40
        assert abs(mpmath.diff(t_df1, t_star, h=h) / ref["effective_df"] - 1) < 1e-40
        assert abs(1 + ref["u"] - 1 / (1 - ref["effective_df"] / nn)) < 1e-50 * (1 + ref["u"])
        b_w1 = -(t_star**2) * mpmath.diff(q, t_star, h=h)
        assert abs(b_w1 * (1 + ref["u"]) / ref["bias"] - 1) < 1e-40
        # the t* equation holds: t(1 − df1(θ)/n) = λ
        lhs = t_star * (1 - mpmath.fsum(sj / (sj + ref["theta"]) for sj in sm) / nn)
        assert abs(lhs - kw["ridge"]) < 1e-48 * kw["ridge"]


def test_reference_is_converged_in_precision():
    for s, kw in POINTS[:6]:
        lo, hi = rp_risk_mp(s, **kw), rp_risk_mp(s, **kw, dps=80)
        for key in KEYS:
            assert abs(lo[key] - hi[key]) <= mpmath.mpf(10) ** -45 * abs(hi[key]), key


@pytest.mark.parametrize("factor", [1 - 2**-53, 1 + 2**-52, 1 - 1e-13, 1 + 1e-12])
def test_one_ulp_beside_the_threshold(factor):
    # λ = 0, m one ulp from n < d: e = (n − m)/n must not round to 0 (it did via 1 − df1/n,
    # giving u = ∞ and NaN = 0·∞); the values are huge, finite and still match 50 digits
    n = 0.9990009990009991
    kw = dict(n=n, m=n * factor, p2=0.3, ridge=0.0, noise_real=0.5, noise_synth=0.1,
              w_real=np.array([-0.13]), w_synth=np.array([0.2]))
    got, ref = rp_risk(np.ones(1), **kw), rp_risk_mp(np.ones(1), **kw)
    assert int(got.status) == 0
    _agree(got, ref, ("u", "bias", "variance", "zeta", "test_error"))
    assert float(got.test_error) > 1e10
