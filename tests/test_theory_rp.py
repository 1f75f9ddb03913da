"""Theorem 2 (random projections) in SymPy: derivations, identities, both parametrisations."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import brentq

from modelcollapse.numerics import rp_risk
from modelcollapse.numerics._moments import SpectrumBatch
from modelcollapse.numerics._rp_solve import solve_theta, solve_theta_nested
from modelcollapse.theory import random_projection as rp
from modelcollapse.theory import ridge
from modelcollapse.theory.spectral import (
    DELTA,
    GAMMA,
    IDENTITY,
    SpectralMoment,
    as_finite_sum,
    df2,
)
from modelcollapse.theory.symbols import (
    c,
    d,
    kappa,
    lam,
    m,
    n,
    p2,
    phi,
    psi,
    r,
    sigma1,
    sigma2,
    theta,
    u,
)

S3 = list(sp.symbols("s1:4", positive=True))
W3 = list(sp.symbols("w1:4", positive=True))


def _finite(expr):
    return sp.simplify(as_finite_sum(expr, S3, {GAMMA: W3, DELTA: W3}))


def test_kappa2_prime_is_d_over_m_minus_df2():
    closed = (d / m) / (1 - df2(theta) / m)
    assert _finite(rp.kappa2_prime() - closed) == 0


def test_b_functional_two_forms():
    # b(a) = θ M(1,1) − g M(2,2) = θ² M(1,2) + (θ − g) M(2,2)
    M = lambda a, b: SpectralMoment(GAMMA, a, b, theta)  # noqa: E731
    other = theta**2 * M(1, 2) + (theta - rp.g) * M(2, 2)
    assert _finite(rp.b_functional(GAMMA) - other) == 0


def test_first_order_solution_and_theta_equation():
    sol = rp.first_order_solution()
    assert sp.simplify(sol[rp.e] - (1 - SpectralMoment(IDENTITY, 1, 1, theta) / n)) == 0
    assert sp.simplify(sol[rp.tau] - (1 - SpectralMoment(IDENTITY, 1, 1, theta) / m)) == 0
    # eliminating t from the nested pair: t* = θγτ (κ2 fixed point) and λ = t* e (t* equation)
    t_sym = sp.Symbol("t", nonnegative=True)
    t_from_k2 = sp.solve(rp.KAPPA2_FIXED_POINT.subs(rp.kappa2, theta), t_sym)
    assert len(t_from_k2) == 1
    assert sp.simplify(t_from_k2[0] - rp.T_STAR_FROM_TAU.subs(rp.tau, sol[rp.tau])) == 0
    lam_nested = t_from_k2[0] * sol[rp.e]
    assert sp.simplify(rp.THETA_EQUATION + lam - lam_nested) == 0


def test_lemma1_closed_forms():
    i12, i22 = sp.symbols("I12 I22", positive=True)
    gam, ph = m / d, d / n
    rep = {SpectralMoment(IDENTITY, 1, 2, theta): d * i12,
           SpectralMoment(IDENTITY, 2, 2, theta): d * i22}
    z = i22 * (gam - i22) + theta**2 * i12**2
    den = gam - ph * z - i22
    lem = rp.lemma1()
    assert sp.simplify(lem[u].subs(rep) - ph * z / den) == 0
    assert sp.simplify(lem[rp.omega_prime].subs(rep) - theta**2 * i12 / den) == 0
    # the transcription of Lemma 1 printed θ² I22 in ω' (docs/mathematics.md §2, erratum E3) — not
    # what the (u, ω) system gives
    assert sp.simplify(lem[rp.omega_prime].subs(rep) - theta**2 * i22 / den) != 0


def test_lemma1_equals_nested_u_and_omega():
    s2 = S3[:2]
    # u(Lemma 1) = D/(n − D) and ω' = (θ − g)(1 + u) once g = t*κ2' and t* = θγτ are used
    g_val = rp.g_definition().subs(rp.t_star, rp.T_STAR_FROM_TAU).subs(
        rp.tau, rp.first_order_solution()[rp.tau])
    lem = rp.lemma1()
    assert sp.simplify(as_finite_sum(rp.U_DEFINITION.subs(rp.g, g_val) - lem[u], s2, {})) == 0
    w_nested = rp.OMEGA_PRIME_NESTED.subs({rp.g: g_val, u: lem[u]})
    assert sp.simplify(as_finite_sum(w_nested - lem[rp.omega_prime], s2, {})) == 0


def test_stable_forms_equal_definitions_on_the_fixed_points():
    tau_def = rp.first_order_solution()[rp.tau]
    e_def = rp.first_order_solution()[rp.e]
    t_val = rp.T_STAR_FROM_TAU.subs(rp.tau, tau_def)
    assert _finite((rp.G_STABLE - rp.g_definition()).subs(rp.t_star, t_val)) == 0
    assert _finite(rp.U_STABLE.subs(rp.e, e_def) - rp.U_DEFINITION) == 0


def test_printed_form_differences_are_the_errata():
    for teacher in ("random", "fixed"):
        paper = rp.risk_components(teacher, "paper")
        printed = rp.risk_components(teacher, "printed")
        assert sp.simplify(printed["variance"] / paper["variance"]) == n
        diff = sp.expand(printed["zeta"] - paper["zeta"])
        wdelta = DELTA if teacher == "random" else sp.Symbol("dd")
        expected = (p2 - p2**2) * rp.omega_prime * SpectralMoment(wdelta, 2, 2, theta)
        assert sp.simplify(diff - expected) == 0
        assert printed["bias"] == paper["bias"]


def _raw_definition2(s, gdiag, ddiag, lam_v, n_v, m_v, p2_v, sig2):
    """Definition 2 solved from scratch (diagonal Σ, scipy brentq): an independent route."""
    dd_ = s.size
    ps, ga = m_v / n_v, m_v / dd_

    # e given τ: F(e) = 1 − e − ψτ e tr̄ Σ(γτeΣ + λ)^{-1} decreases from 1 to < 0 on (0, 1]
    def e_of(t_):
        f = lambda e_: 1 - e_ - ps * t_ * e_ * np.mean(s / (ga * t_ * e_ * s + lam_v))  # noqa: E731
        return brentq(f, 0.0, 1.0, xtol=1e-300, rtol=1e-15, maxiter=500)

    def tau_eq(log_t):
        t_ = np.exp(log_t)
        e_ = e_of(t_)
        return 1 / t_ - 1 - np.mean(e_ * s / (ga * t_ * e_ * s + lam_v))

    t_ = np.exp(brentq(tau_eq, -60.0, 0.0, xtol=1e-15, rtol=1e-15, maxiter=500))
    e_ = e_of(t_)
    k = ga * t_ * e_ * s + lam_v
    # (u, ω) linear system: u = ψe² tr̄ Σ(γτ²(1+u)Σ + ω)K^{-2}, ω = τ² tr̄ (γωe²Σ² + λ²(1+u)Σ)K^{-2}
    a = np.array([
        [1 - ps * e_**2 * ga * t_**2 * np.mean(s**2 / k**2), -ps * e_**2 * np.mean(s / k**2)],
        [-(t_**2) * lam_v**2 * np.mean(s / k**2), 1 - t_**2 * ga * e_**2 * np.mean(s**2 / k**2)],
    ])
    b = np.array([ps * e_**2 * ga * t_**2 * np.mean(s**2 / k**2),
                  t_**2 * lam_v**2 * np.mean(s / k**2)])
    u_, w_ = np.linalg.solve(a, b)
    th = lam_v / (ga * t_ * e_)
    wp = w_ / (ga * t_**2)
    T = s + th
    p1_v = 1 - p2_v
    bias = (1 + u_) * th**2 * np.sum(gdiag * s / T**2) + wp * np.sum(gdiag * s**2 / T**2)
    var = sig2 / (n_v * e_) * (np.sum(s**2 / T**2) + (wp - th * u_) * np.sum(s / T**2))
    zeta = (p2_v**2 * (1 + p1_v * u_) * np.sum(ddiag * s**3 / T**2)
            + p2_v**2 * wp * np.sum(ddiag * s**2 / T**2)
            + p2_v * u_ * np.sum(ddiag * s * (p1_v * s + th) ** 2 / T**2))
    return dict(theta=th, e=e_, tau=t_, u=u_, omega_prime=wp, bias=bias, variance=var, zeta=zeta)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("m_v", [60.0, 250.0])
def test_nested_and_definition2_agree_on_random_spectra(seed, m_v):
    rng = np.random.default_rng(seed)
    dd_ = 120
    s = rng.gamma(0.7, size=dd_) + 1e-3
    gdiag = rng.uniform(0, 2, dd_) / dd_
    ddiag = rng.uniform(0, 1, dd_) / dd_
    n_v, lam_v, p2_v, s1, s2 = 100.0, 10 ** rng.uniform(-3, 0), 0.3, 0.5, 0.8
    sig2 = (1 - p2_v) * s1**2 + p2_v * s2**2
    kw = dict(n=n_v, m=m_v, p2=p2_v, ridge=lam_v, noise_real=s1, noise_synth=s2, gamma=gdiag,
              delta=ddiag)
    nested = rp_risk(s, **kw)
    paper = rp_risk(s, form="paper", **kw)
    raw = _raw_definition2(s, gdiag, ddiag, lam_v, n_v, m_v, p2_v, sig2)
    for key in ("theta", "e", "tau", "u", "omega_prime"):
        assert float(getattr(nested, key)) == pytest.approx(raw[key], rel=1e-9), key
    for key in ("bias", "variance", "zeta"):
        assert float(getattr(nested, key)) == pytest.approx(float(getattr(paper, key)), rel=1e-10)
        assert float(getattr(nested, key)) == pytest.approx(raw[key], rel=1e-9), key
    # θ by the nested definition (κ2 via solve_kappa inside a bracketed t* solve)
    batch = SpectrumBatch(s)
    args = (np.array([lam_v]), np.array([n_v]), np.array([m_v]))
    a, b = solve_theta(batch, *args), solve_theta_nested(batch, *args)
    assert a.converged.all() and b.converged.all()
    assert b.theta[0] == pytest.approx(a.theta[0], rel=1e-10)
    assert b.t_star[0] == pytest.approx(a.t_star[0], rel=1e-10)


def test_isotropic_theta_cubic_and_ridgeless_roots():
    poly = sp.Poly(rp.isotropic_theta_equation() * n, theta)
    assert poly.degree() == 3
    x = sp.Symbol("x")
    roots0 = sp.roots(sp.Poly(rp.isotropic_theta_equation().subs({lam: 0, theta: x}) * n, x))
    assert {sp.simplify(k) for k in roots0} == {sp.Integer(0), sp.simplify(phi / psi - 1), phi - 1}


def test_isotropic_ridgeless_regions():
    under, over, cls = (rp.isotropic_ridgeless(k) for k in ("under", "over", "classical"))
    sig = sigma1**2  # p2 = 0 for the noise checks
    # m < n: least squares on m random features: V = σ²ψ/(1 − ψ), e0 = 1 − ψ, τ0 = 0
    assert sp.simplify(under["variance"].subs(p2, 0) - sig * psi / (1 - psi)) == 0
    assert sp.simplify(under["e"] - (1 - psi)) == 0
    # d < min(m, n): S invertible, ordinary least squares: V = σ²φ/(1 − φ), B = 0
    assert sp.simplify(cls["variance"].subs(p2, 0) - sig * phi / (1 - phi)) == 0
    assert cls["bias"] == 0
    # divergence at ψ = 1 from both sides
    for key in ("bias", "variance", "zeta"):
        expr_u = under[key].subs({p2: sp.Rational(1, 3), sigma2: 1, sigma1: 1, c: 1, r: 1})
        expr_o = over[key].subs({p2: sp.Rational(1, 3), sigma2: 1, sigma1: 1, c: 1, r: 1})
        assert sp.limit(expr_u.subs(phi, 2), psi, 1, "-") in (sp.oo, -sp.oo)
        assert sp.limit(expr_o.subs(phi, 2), psi, 1, "+") in (sp.oo, -sp.oo)
    # ψ → ∞ in the over-parametrised region: Theorem 1 at λ → 0⁺, κ = φ − 1 (theory/ridge.py)
    from modelcollapse.theory.spectral import isotropic

    ridge_iso = {}
    u_ridge = phi / ((1 + kappa) ** 2 - phi)
    for key, expr in ridge.risk_components("random").items():
        val = isotropic(expr, {IDENTITY: d, GAMMA: r**2, DELTA: c**2}).subs(u, u_ridge)
        ridge_iso[key] = val.subs(kappa, phi - 1)
    for key in ("bias", "variance", "zeta"):
        assert sp.simplify(sp.limit(over[key], psi, sp.oo) - ridge_iso[key]) == 0, key
    # B and V also equal Corollary 4 as printed (docs/mathematics.md §1); its ζ does not (see the
    # report:
    # Theorem 1 and ridge Monte Carlo give c²p2(φ − p2)/(φ(φ − 1)))
    p1 = 1 - p2
    assert sp.simplify(ridge_iso["bias"] - r**2 * (1 - 1 / phi)) == 0
    assert sp.simplify(ridge_iso["variance"] - (p1 * sigma1**2 + p2 * sigma2**2) / (phi - 1)) == 0
    assert sp.simplify(ridge_iso["zeta"] - c**2 * p2 * (phi - p2) / (phi * (phi - 1))) == 0


def test_isotropic_ridgeless_matches_numerics():
    dd_, n_v = 240, 160
    vals = {p2: 0.25, sigma1: 0.7, sigma2: 1.1, r: 1.3, c: 0.8}
    for m_v, region, nv in ((80, "under", n_v), (200, "over", n_v), (300, "classical", 400)):
        res = rp_risk(np.ones(dd_), n=nv, m=m_v, p2=0.25, ridge=0.0, noise_real=0.7,
                      noise_synth=1.1, gamma=np.full(dd_, 1.3**2 / dd_),
                      delta=np.full(dd_, 0.64 / dd_))
        closed = rp.isotropic_ridgeless(region)
        sub = {**vals, phi: sp.Rational(dd_, nv), psi: sp.Rational(m_v, nv)}
        for key in ("bias", "variance", "zeta", "u", "omega_prime", "theta"):
            assert float(getattr(res, key)) == pytest.approx(float(closed[key].subs(sub)),
                                                             rel=1e-10, abs=1e-12), (region, key)


@pytest.mark.parametrize("teacher", ["random", "fixed"])
def test_large_width_recovers_theorem1(teacher):
    lim = rp.large_width_limit(teacher)
    comps = ridge.risk_components(teacher)
    wts = {GAMMA: W3, DELTA: W3}
    for w in ("w1w1", "dd", "w1d"):
        wts[sp.Symbol(w)] = W3
    for key in ("bias", "variance", "zeta"):
        diff = as_finite_sum(lim[key] - comps[key], S3, wts)
        assert sp.simplify(diff) == 0, key
    assert sp.simplify(as_finite_sum(lim["u"] - ridge.U_DEFINITION, S3, {})) == 0
    fixed_point = ridge.FIXED_POINT.subs(lam, sp.Symbol("lam_p"))
    assert sp.simplify(lim["theta_equation"] - fixed_point) == 0


def test_bad_arguments():
    with pytest.raises(ValueError, match="form"):
        rp.risk_components("random", "typo")
    with pytest.raises(ValueError, match="teacher"):
        rp.risk_components("neither")
    with pytest.raises(ValueError, match="region"):
        rp.isotropic_ridgeless("middle")
