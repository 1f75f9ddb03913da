"""Power-law scaling laws with synthetic data (SymPy) against Theorem 1 evaluated directly.

The direct route: the Theorem 1 expressions (``ridge.risk_components``) with every spectral moment
from :class:`PowerLawSpectrum` at ``d = ∞`` (certified to ~1e-14) and κ solved from the fixed point
``κ − λ = κ df1(κ)/n`` by bisection, at n up to 10¹⁴.  The asymptotic formulas drop relative
corrections of order ``κ^{1/β}/C_2`` (Euler–Maclaurin), ``df2/n`` (``u ≈ df2/n``) and, through the
shift gain ``D_Δ(κ) = A C_D κ^{2r_Δ} + 2A ζ(1 + 2r_Δβ − β) κ + …``, ``κ^{1−2r_Δ}``; the tolerances
below are 1.5 to 3 times the sum of those terms, evaluated.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from modelcollapse.numerics.spectra import PowerLawSpectrum
from modelcollapse.theory import power_law as pl
from modelcollapse.theory import ridge
from modelcollapse.theory.spectral import moment_atoms
from modelcollapse.theory.symbols import c, kappa, n, p1, p2, sigma1, sigma2, sigma_sq, u

_COMPONENTS = ridge.risk_components("random")
_TOTAL = _COMPONENTS["bias"] + _COMPONENTS["variance"] + _COMPONENTS["zeta"]
_ATOMS = moment_atoms(_TOTAL)
_SYMS = sp.symbols(f"m0:{len(_ATOMS)}")
_E = sp.lambdify([kappa, u, n, p2, sigma1, sigma2, *_SYMS], _TOTAL.subs(dict(zip(_ATOMS, _SYMS,
                                                                               strict=True))))
_SPECS = [(str(a.args[0]), int(a.args[1]), int(a.args[2])) for a in _ATOMS]


class Problem:
    """A power-law problem: spectrum, teacher (source r), shift (source r_Δ, quality c²)."""

    def __init__(self, beta, r, r_delta, c_sq, p_2, s_1, s_2):
        self.beta, self.r, self.r_delta, self.c_sq, self.p2 = beta, r, r_delta, c_sq, p_2
        self.s1, self.s2 = s_1, s_2
        self.spec = PowerLawSpectrum(beta, gamma=pl.source_diagonal(beta, r),
                                     delta=pl.source_diagonal(beta, r_delta, total=c_sq))
        self.sub = {pl.beta: beta, pl.r_source: r, pl.r_shift: r_delta, c: math.sqrt(c_sq),
                    p2: p_2, sigma1: s_1, sigma2: s_2}
        self.sub[pl.sigma_eff] = math.sqrt(float(pl.effective_noise().subs(self.sub)))
        self.floor = p_2**2 * c_sq

    def value(self, expr):
        return float(expr.subs(self.sub))

    def kappa(self, lam, nn):
        """Root of ``1 − λ/κ − df1(κ)/n`` (increasing in κ) in ``[λ, λ + tr Σ/n]``."""
        lam = np.atleast_1d(np.asarray(lam, dtype=float))
        lo, hi = np.log(lam), np.log(lam + self.spec.trace[0] / nn)
        for _ in range(70):
            mid = 0.5 * (lo + hi)
            k = np.exp(mid)
            f = 1 - lam / k - self.spec.moments(k, [("I_d", 1, 1)])[("I_d", 1, 1)] / nn
            lo, hi = np.where(f < 0, mid, lo), np.where(f < 0, hi, mid)
        return np.exp(0.5 * (lo + hi))

    def error(self, kap, nn):
        """Theorem 1 ``B + V + ζ`` at κ (random effects), ``u = df2/(n − df2)``."""
        kap = np.atleast_1d(kap)
        m = self.spec.moments(kap, [*_SPECS, ("I_d", 2, 2)])
        df2 = m[("I_d", 2, 2)]
        return _E(kap, df2 / (nn - df2), nn, self.p2, self.s1, self.s2, *[m[s] for s in _SPECS])

    def tuned(self, nn, lam_guess):
        """λ minimising the Theorem 1 error (grid in ln λ, then a 1e-3 grid): λ, κ, E − floor."""
        grid = lam_guess * np.exp(np.linspace(-3, 3, 121))
        i = int(np.argmin(self.error(self.kappa(grid, nn), nn)))
        fine = grid[i] * np.exp(np.linspace(-0.06, 0.06, 121))
        kap = self.kappa(fine, nn)
        err = self.error(kap, nn)
        j = int(np.argmin(err))
        return fine[j], kap[j], err[j] - self.floor

    def next_order(self, kap, nn, decay):
        """The relative size of the neglected terms (module docstring)."""
        c_2 = self.value(pl.df_asymptotic(2)["constant"])
        df2 = c_2 * kap ** (-1 / self.beta)
        amp = self.value(pl.SHIFT_AMPLITUDE)
        with mpmath.workdps(20):
            zeta = abs(float(mpmath.zeta(1 + 2 * self.r_delta * self.beta - self.beta)))
        return kap ** (1 / self.beta) / c_2 + df2 / nn + self.p2**2 * 2 * amp * zeta * kap / decay


SMALL_FLOOR = Problem(2.0, 0.25, 0.45, 0.1, 0.05, 0.3, 0.3)  # p2²c² = 2.5e-4: n* ≈ 4e6


def test_effective_noise_and_floor_are_derived():
    assert sp.expand(pl.effective_noise() - (sigma_sq + p1 * p2 * c**2)) == 0
    e = pl.risk_asymptotic_mixed()
    assert e.subs(n, sp.oo).subs(kappa, 0) == c**2 * p2**2
    # p2 = 0 gives back the clean law of risk_asymptotic (σ1 = σ)
    clean = sp.expand(e.subs(p2, 0).subs(sigma1, pl.sigma) - pl.risk_asymptotic())
    assert sp.simplify(clean) == 0


def test_bias_constant_is_finite_at_r_one_half():
    cb = pl.bias_asymptotic()["constant"]
    assert cb.subs(pl.r_source, sp.Rational(1, 2)) == 1 / pl.beta
    for rv in (0.2, 0.5, 0.8):  # Γ(2r)Γ(2−2r)/β, continuous through r = 1/2
        want = math.gamma(2 * rv) * math.gamma(2 - 2 * rv) / 1.5
        assert float(cb.subs({pl.beta: 1.5, pl.r_source: rv})) == pytest.approx(want, rel=1e-14,
                                                                                 abs=0.0)
    # and the sum itself: κ² tr ΓΣ(Σ+κ)^-2 / κ → 1/β at r = 1/2 (s_jΓ_jj = j^{-(1+β)})
    spec = PowerLawSpectrum(1.5, gamma=pl.source_diagonal(1.5, 0.5))
    kap = np.array([1e-4, 1e-6, 1e-8])
    ratio = kap * spec.moments(kap, [("Gamma", 1, 2)])[("Gamma", 1, 2)] * 1.5
    # the sum minus its Mellin integral is κ²ζ(1 − β) + O(κ³) (the pole of Σ κ² j^{β−1}):
    # ratio − 1 = βζ(1 − β)κ (measured −3.1e-5 at κ = 1e-4)
    next_term = 1.5 * float(mpmath.zeta(1 - 1.5)) * kap
    assert np.allclose(ratio - 1, next_term, rtol=0.01, atol=0)


def test_shift_gain_against_the_sum():
    beta, r_delta, c_sq = 1.5, 0.3, 0.7
    spec = PowerLawSpectrum(beta, delta=pl.source_diagonal(beta, r_delta, total=c_sq))
    sub = {pl.beta: beta, pl.r_shift: r_delta, c: math.sqrt(c_sq)}
    lead = sp.lambdify(kappa, pl.shift_gain_asymptotic()["expr"].subs(sub))
    amp = float(pl.SHIFT_AMPLITUDE.subs(sub))
    linear = 2 * amp * float(mpmath.zeta(1 + 2 * r_delta * beta - beta))  # next Mellin pole
    for kap in (1e-4, 1e-6, 1e-8):
        m = spec.moments(np.array([kap]), [("Delta", 2, 2), ("Delta", 1, 2)])
        gain = 2 * kap * m[("Delta", 2, 2)][0] + kap**2 * m[("Delta", 1, 2)][0]  # = c² − M(3,2)
        assert gain == pytest.approx(lead(kap), rel=3 * abs(linear) * kap / lead(kap))
        assert gain == pytest.approx(lead(kap) + linear * kap, rel=kap ** (1 / beta))


def test_mixed_asymptotic_error_against_theorem1():
    prob = Problem(1.5, 0.3, 0.35, 1.0, 0.4, 0.3, 0.5)  # bias, variance and shift gain all visible
    e_asym = sp.lambdify([kappa, n], pl.risk_asymptotic_mixed().subs(prob.sub))
    gain = sp.lambdify(kappa, (p2**2 * pl.shift_gain_asymptotic()["expr"]).subs(prob.sub))
    rels = []
    for kap in (1e-4, 1e-6, 1e-8):
        nn = kap ** -(2 * prob.r + 1 / prob.beta)  # bias and variance of the same order
        decay = prob.error(kap, nn)[0] - prob.floor
        rel = abs(decay / (e_asym(kap, nn) - prob.floor) - 1)
        assert rel <= 1.5 * prob.next_order(kap, nn, decay)  # measured 1.2e-2, 1.4e-3, 2.0e-4
        # (the estimate: 1.4e-2, 1.6e-3, 2.1e-4)
        rels.append(rel)
        # without the shift gain the law is off by far more than the neglected terms
        assert abs(decay / (e_asym(kap, nn) + gain(kap) - prob.floor) - 1) > 5 * rel
    assert rels[0] > rels[1] > rels[2]


def test_optimal_ridge_and_rate_against_theorem1():
    prob = SMALL_FLOOR
    opt = pl.optimal_ridge_mixed()
    k_opt, l_opt, d_opt = (sp.lambdify(n, opt[k].subs(prob.sub))
                           for k in ("kappa_opt", "lambda_opt", "decay_opt"))
    decays = {}
    for nn in (1e6, 1e8, 1e10):
        lam, kap, decay = prob.tuned(nn, l_opt(nn))
        tol = 3 * prob.next_order(kap, nn, decay) + 1e-3  # + the 1e-3 grid in ln λ
        assert lam == pytest.approx(l_opt(nn), rel=tol, abs=0.0)  # measured 5.0e-3, 1.0e-3, 0
        assert kap == pytest.approx(k_opt(nn), rel=tol, abs=0.0)
        assert decay == pytest.approx(d_opt(nn), rel=tol)  # measured 2.5e-3, 2.5e-4, 2.4e-5
        decays[nn] = decay
    rate = prob.value(opt["exponent"])
    assert rate == pytest.approx(2 * 0.25 * 2 / (2 * 0.25 * 2 + 1), rel=1e-15, abs=0.0)
    assert -np.log10(decays[1e10] / decays[1e8]) / 2 == pytest.approx(rate, abs=1e-3)


def test_collapse_onset_tuned():
    prob = SMALL_FLOOR
    n_star = prob.value(pl.collapse_onset()["tuned"])
    assert 1e6 < n_star < 1e7  # measured 3.74e6
    l_opt = sp.lambdify(n, pl.optimal_ridge_mixed()["lambda_opt"].subs(prob.sub))
    _, kap, decay = prob.tuned(n_star, l_opt(n_star))
    # at n* the decaying part equals the floor p2²c² (measured 1.0013)
    assert decay / prob.floor == pytest.approx(1, abs=3 * prob.next_order(kap, n_star, decay))
    # and a decade later the error is within 35 % of the floor: more data barely helps
    _, _, later = prob.tuned(10 * n_star, l_opt(10 * n_star))
    assert later / prob.floor == pytest.approx(10**-0.5, rel=0.01)


@pytest.mark.parametrize("ell_value, limited_by", [(0.5, "bias"), (1.5, "variance")])
def test_schedule_rate_and_onset(ell_value, limited_by):
    prob = SMALL_FLOOR
    sched = pl.schedule_rate_mixed()
    rate = prob.value(sched["exponent"].subs(pl.ell, ell_value))
    assert rate == pytest.approx(min(2 * 0.25 * ell_value, 1 - ell_value / 2.0), rel=1e-15, abs=0.0)
    assert prob.value(sched["ell_opt"]) == pytest.approx(1.0)

    def decay(nn):
        return prob.error(prob.kappa(nn**-ell_value, nn), nn)[0] - prob.floor

    slope = -np.log10(decay(1e10) / decay(1e8)) / 2
    assert slope == pytest.approx(rate, abs=1e-3)  # measured 0.249997 and 0.25020
    n_star = prob.value(pl.collapse_onset()["schedule"].subs(pl.ell, ell_value))
    # bias-limited: n* ≈ 1e14 (κ = 1e-7); variance-limited: n* ≈ 8e9 (κ ≈ 2e-15)
    assert (n_star > 1e13) if limited_by == "bias" else (1e9 < n_star < 1e11)
    kap = float(prob.kappa(n_star**-ell_value, n_star)[0])
    assert decay(n_star) / prob.floor == pytest.approx(
        1, abs=3 * prob.next_order(kap, n_star, prob.floor) + 1e-4)  # measured 1 − 3e-6, 1 + 1e-4


def test_source_diagonal():
    scale, exponent = pl.source_diagonal(1.5, 0.3, total=0.8)
    assert exponent == pytest.approx(1 + 2 * 0.3 * 1.5 - 1.5)
    for dim in (None, 1000):
        spec = PowerLawSpectrum(1.5, dimension=dim,
                                delta=pl.source_diagonal(1.5, 0.3, total=0.8, dimension=dim))
        assert spec.moments([0.0], [("Delta", 1, 0)])[("Delta", 1, 0)][0] == pytest.approx(
            0.8, rel=1e-13, abs=0.0)
    assert pl.source_diagonal(2.0, 0.5) == (1.0, 1.0)
    for args, match in (((1.0, 0.3), "beta"), ((2.0, 0.0), "r"), ((2.0, -1.0), "r"),
                        ((2.0, 0.3, -1.0), "total"), ((2.0, 0.3, 1.0, 0), "dimension")):
        with pytest.raises(ValueError, match=match):
            pl.source_diagonal(*args)
