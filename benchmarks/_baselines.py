"""Baselines the toolkit is timed against, written the way a user would write them.

Everything here is plain NumPy/SciPy, independent of :mod:`modelcollapse` (it re-types the formulas
of docs/mathematics.md §1–§2 on purpose: it is the independent route the benchmarks check against).

* Theorem 1 (ridge): κ is the positive root of ``κ − λ = κ df1(κ)/n``;
  ``u = df2/(n − df2)``, ``B = κ²(1+u) tr ΓΣ(Σ+κ)^{-2}``, ``V = σ² u``,
  ``ζ = p2²(1+p1u) tr ΔΣ³(Σ+κ)^{-2} + p2 u tr ΔΣ(p1Σ+κ)²(Σ+κ)^{-2}``.
* Theorem 2 (random projections, corrected): θ = κ2(t*) from the nested equations, then
  B, V, ζ of the nested form.
* Monte Carlo: a fresh ``np.linalg.solve`` of ``(XᵀX/n + λI)`` per λ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

__all__ = [
    "TOL",
    "power_law_spectrum",
    "TheoryProblem",
    "theory_problem",
    "RPProblem",
    "rp_problem",
    "df1_pass",
    "ridge_brentq_point",
    "ridge_brentq_distinct",
    "ridge_brentq_subset",
    "ridge_damped",
    "ridge_components",
    "rp_nested_brentq_point",
    "rp_brentq_subset",
    "rp_damped",
    "rp_components",
    "mc_fresh_solve_draw",
]

#: Relative tolerance on κ (and θ) every solver of the comparison is run to.
TOL = 1e-12


def power_law_spectrum(d: int, exponent: float = 1.0) -> np.ndarray:
    """Eigenvalues ``s_j ∝ j^{-exponent}`` normalised to ``tr Σ = 1`` (docs/mathematics.md §4, Fig.
    2).

    >>> s = power_law_spectrum(4)
    >>> round(float(s.sum()), 12), bool(s[0] > s[-1])
    (1.0, True)
    """
    s = np.arange(1, d + 1, dtype=float) ** (-exponent)
    return s / s.sum()


@dataclass(frozen=True)
class TheoryProblem:
    """A grid of ridge problems sharing one spectrum and one random-effects teacher.

    ``lam``, ``n``, ``p2`` are broadcastable grid axes; ``flat()`` gives them as 1-D arrays.
    """

    s: np.ndarray
    gamma: np.ndarray
    delta: np.ndarray
    lam: np.ndarray
    n: np.ndarray
    p2: np.ndarray
    noise_real: float
    noise_synth: float

    @property
    def shape(self) -> tuple[int, ...]:
        return np.broadcast_shapes(self.lam.shape, self.n.shape, self.p2.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sh = self.shape
        return tuple(np.broadcast_to(a, sh).ravel() for a in (self.lam, self.n, self.p2))


def theory_problem(d: int = 1000, shape: tuple[int, int, int] = (25, 20, 20)) -> TheoryProblem:
    """Power-law Σ, ``Γ = I/d``, ``Δ = (c²/d)Σ^{-1}`` with c² = 0.5, σ1 = 0.5, σ2 = 1.

    Grid: λ log-spaced in [1e-4, 1e-1], n log-spaced in [d/10, 10d] (φ from 10 to 0.1),
    p2 in [0, 1].
    """
    s = power_law_spectrum(d)
    nl, nn, np2 = shape
    return TheoryProblem(
        s=s,
        gamma=np.full(d, 1.0 / d),
        delta=0.5 / d / s,
        lam=np.logspace(-4, -1, nl)[:, None, None],
        n=np.logspace(np.log10(d / 10), np.log10(10 * d), nn)[None, :, None],
        p2=np.linspace(0.0, 1.0, np2)[None, None, :],
        noise_real=0.5,
        noise_synth=1.0,
    )


def df1_pass(s: np.ndarray, t: np.ndarray, chunk: int | None = None) -> np.ndarray:
    """``df1(t) = Σ_j s_j/(s_j + t)`` for a vector of shifts (the floor's unit of work)."""
    if chunk is None:
        return (s / (s + t[:, None])).sum(axis=1)
    out = np.empty(t.shape[0])
    for lo in range(0, t.shape[0], chunk):
        tt = t[lo : lo + chunk, None]
        out[lo : lo + chunk] = (s / (s + tt)).sum(axis=1)
    return out


# ----------------------------------------------------------------------------------------------
# Theorem 1
# ----------------------------------------------------------------------------------------------


def ridge_components(s, gamma, delta, kappa, n, p2, noise_real, noise_synth):
    """B, V, ζ of Theorem 1 (random effects) given κ; works per point or over arrays of points."""
    k = np.asarray(kappa, dtype=float)[..., None]
    p2a = np.asarray(p2, dtype=float)
    p1a = 1.0 - p2a
    r = s / (s + k)
    r2 = r * r
    df2 = r2.sum(axis=-1)
    u = df2 / (n - df2)
    bias = k[..., 0] ** 2 * (1 + u) * (gamma * r2 / s).sum(axis=-1)
    sig2 = p1a * noise_real**2 + p2a * noise_synth**2
    variance = sig2 * u
    zeta = p2a**2 * (1 + p1a * u) * (delta * s * r2).sum(axis=-1) + p2a * u * (
        delta * (p1a[..., None] * s + k) ** 2 * r2 / s
    ).sum(axis=-1)
    return bias, variance, zeta


def ridge_brentq_point(s, lam, n, tol=TOL):
    """κ for one point: ``brentq`` on ``κ − λ − κ df1(κ)/n`` over ``[λ, λ + tr Σ/n]``."""

    def f(k):
        return k - lam - k * np.sum(s / (s + k)) / n

    return brentq(f, lam, lam + s.sum() / n, xtol=1e-300, rtol=tol)


def ridge_brentq_subset(prob: TheoryProblem, index: np.ndarray, tol=TOL):
    """Per-point loop (brentq, then B, V, ζ in plain NumPy) over the points ``index`` of the grid.

    Returns κ, B, V, ζ at those points.
    """
    lam, n, p2 = prob.flat()
    out = np.empty((4, index.size))
    for j, i in enumerate(index):
        k = ridge_brentq_point(prob.s, lam[i], n[i], tol)
        b, v, z = ridge_components(
            prob.s, prob.gamma, prob.delta, k, n[i], p2[i], prob.noise_real, prob.noise_synth
        )
        out[:, j] = k, b, v, z
    return out


def ridge_brentq_distinct(prob: TheoryProblem, tol=TOL):
    """brentq once per distinct (λ, n) pair (κ depends on nothing else), then B, V, ζ vectorised
    over the whole grid — the loop a user who noticed that would write.  Returns κ, B, V, ζ."""
    lam, n, p2 = prob.flat()
    pairs, back = np.unique(np.c_[lam, n], axis=0, return_inverse=True)
    k_u = np.array([ridge_brentq_point(prob.s, lv, nv, tol) for lv, nv in pairs])
    k = k_u[back.ravel()]
    b, v, z = ridge_components(prob.s, prob.gamma, prob.delta, k, n, p2, prob.noise_real,
                               prob.noise_synth)
    return k, b, v, z


def _damped_stop(step, prev_step, x, tol):
    """A posteriori stop for a linearly converging iteration: error ≤ step·ρ/(1−ρ) ≤ tol·|x|."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.clip(step / prev_step, 0.0, 0.999999)
        return step * rho / (1 - rho) <= tol * np.abs(x)


def ridge_damped(prob: TheoryProblem, eta: float = 0.5, tol=TOL, maxiter: int = 200_000):
    """Damped fixed-point iteration ``κ ← (1−η)κ + η(λ + κ df1(κ)/n)``, vectorised over the grid.

    Converged points leave the active set.  Returns κ, B, V, ζ (flat) and the iteration counts.
    """
    lam, n, p2 = prob.flat()
    s = prob.s
    kappa = lam + s.sum() / n  # start at the upper bracket end
    prev = np.full(kappa.shape, np.nan)  # no stop before two steps
    its = np.zeros(kappa.shape, dtype=np.int64)
    active = np.arange(kappa.size)
    for _ in range(maxiter):
        if active.size == 0:
            break
        k = kappa[active]
        k_new = (1 - eta) * k + eta * (lam[active] + k * df1_pass(s, k) / n[active])
        step = np.abs(k_new - k)
        kappa[active] = k_new
        its[active] += 1
        done = _damped_stop(step, prev[active], k_new, tol) | (step == 0)
        prev[active] = step
        active = active[~done]
    if active.size:
        raise RuntimeError(f"damped iteration: {active.size} points not converged")
    b, v, z = _chunked_components(prob, kappa, n, p2)
    return kappa, b, v, z, its


def _chunked_components(prob, kappa, n, p2, chunk=1000):
    out = np.empty((3, kappa.size))
    for lo in range(0, kappa.size, chunk):
        sl = slice(lo, lo + chunk)
        out[:, sl] = ridge_components(
            prob.s, prob.gamma, prob.delta, kappa[sl], n[sl], p2[sl], prob.noise_real,
            prob.noise_synth,
        )
    return out[0], out[1], out[2]


# ----------------------------------------------------------------------------------------------
# Theorem 2 (random projections)
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RPProblem:
    """A grid of random-projection problems: width ``m`` × λ × p2 at fixed ``n``."""

    s: np.ndarray
    gamma: np.ndarray
    delta: np.ndarray
    m: np.ndarray
    lam: np.ndarray
    p2: np.ndarray
    n: float
    noise_real: float
    noise_synth: float

    @property
    def shape(self) -> tuple[int, ...]:
        return np.broadcast_shapes(self.m.shape, self.lam.shape, self.p2.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sh = self.shape
        return tuple(np.broadcast_to(a, sh).ravel() for a in (self.m, self.lam, self.p2))


def rp_problem(
    d: int = 1000, n: float = 500.0, shape: tuple[int, int, int] = (100, 10, 10)
) -> RPProblem:
    """Same teacher as :func:`theory_problem`; widths log-spaced in [d/100, 3d] (m ≠ n),
    λ log-spaced in [1e-4, 1e-1], p2 in [0, 1]."""
    s = power_law_spectrum(d)
    nm, nl, np2 = shape
    m = np.logspace(np.log10(d / 100), np.log10(3 * d), nm)
    m = np.where(np.isclose(m, n), m * 1.01, m)
    return RPProblem(
        s=s,
        gamma=np.full(d, 1.0 / d),
        delta=0.5 / d / s,
        m=m[:, None, None],
        lam=np.logspace(-4, -1, nl)[None, :, None],
        p2=np.linspace(0.0, 1.0, np2)[None, None, :],
        n=float(n),
        noise_real=0.5,
        noise_synth=1.0,
    )


def _kappa2(s, t, m, tol):
    """Root of ``κ2 − t d/m = κ2 df1(κ2)/m`` (t > 0) by brentq."""
    a = t * s.size / m

    def f(k):
        return k - a - k * np.sum(s / (s + k)) / m

    return brentq(f, a, a + s.sum() / m, xtol=1e-300, rtol=tol)


def rp_nested_brentq_point(s, lam, n, m, tol=TOL):
    """θ for one point: outer brentq in t on ``t(1 − df1(κ2(t))/n) = λ``, inner brentq for κ2(t).

    The outer bracket starts at t = λ (where the left side is < λ) and doubles its upper end.
    """

    def g(t):
        k2 = _kappa2(s, t, m, tol * 1e-2)
        return t * (1 - np.sum(s / (s + k2)) / n) - lam

    hi = 2 * lam
    while g(hi) <= 0:
        hi *= 2
    t_star = brentq(g, lam, hi, xtol=1e-300, rtol=tol)
    return _kappa2(s, t_star, m, tol * 1e-2)


def rp_components(s, gamma, delta, theta, n, m, p2, noise_real, noise_synth):
    """B, V, ζ of Theorem 2 (nested form, docs/mathematics.md §2) given θ, for random effects.

    ``κ2' = (d/m)/(1 − df2(θ)/m)``, ``t* = θ m τ/d`` with ``τ = 1 − df1(θ)/m``,
    ``D = df1(θ) − t* κ2' tr Σ(Σ+θ)^{-2}``, ``b(a) = (θ − t*κ2') A1 + t* θ κ2' A2`` with
    ``A1 = tr MΣ(Σ+θ)^{-1}``, ``A2 = tr MΣ(Σ+θ)^{-2}`` (``M = Γ`` or ``Δ``), then
    ``E = [b(w̄) + σ_eff² D/n]/(1 − D/n) − 2p2²θ tr ΔΣ(Σ+θ)^{-1} + p2²c²``,
    ``B = b(w1)/(1 − D/n)``, ``V = σ²(D/n)/(1 − D/n)``, ``ζ = E − B − V`` (expanded, so
    that ζ = 0 exactly at p2 = 0).
    """
    d = s.size
    th = np.asarray(theta, dtype=float)[..., None]
    p2a = np.asarray(p2, dtype=float)
    p1a = 1.0 - p2a
    m = np.asarray(m, dtype=float)
    inv = 1.0 / (s + th)
    r1 = s * inv
    r12 = r1 * inv
    df1 = r1.sum(axis=-1)
    df2 = (r1 * r1).sum(axis=-1)
    tr12 = r12.sum(axis=-1)
    t_star = th[..., 0] * m * (1 - df1 / m) / d
    dk2 = (d / m) / (1 - df2 / m)
    g = t_star * dk2
    dof = df1 - g * tr12
    th0 = th[..., 0]

    def b(w):
        return (th0 - g) * (w * r1).sum(axis=-1) + g * th0 * (w * r12).sum(axis=-1)

    c_sq = (delta * s).sum(axis=-1)
    shrink = 1.0 / (1.0 - dof / n)
    sig2 = p1a * noise_real**2 + p2a * noise_synth**2
    b_gamma, b_delta = b(gamma), b(delta)
    bias = b_gamma * shrink
    variance = sig2 * (dof / n) * shrink
    zeta = (p2a**2 * b_delta + p1a * p2a * c_sq * dof / n) * shrink + p2a**2 * (
        c_sq - 2 * th0 * (delta * r1).sum(axis=-1)
    )
    return bias, variance, zeta


def rp_brentq_subset(prob: RPProblem, index: np.ndarray, tol=TOL):
    """Per-point loop (nested brentq, then B, V, ζ) over the points ``index``; rows θ, B, V, ζ."""
    m, lam, p2 = prob.flat()
    out = np.empty((4, index.size))
    for j, i in enumerate(index):
        th = rp_nested_brentq_point(prob.s, lam[i], prob.n, m[i], tol)
        b, v, z = rp_components(
            prob.s, prob.gamma, prob.delta, th, prob.n, m[i], p2[i], prob.noise_real,
            prob.noise_synth,
        )
        out[:, j] = th, b, v, z
    return out


def rp_damped(prob: RPProblem, eta: float = 0.5, tol=TOL, maxiter: int = 200_000):
    """Damped iteration of the paper's (e, τ) system (Definition 2), vectorised over the grid.

    ``e ← (1−η)e + η/(1 + ψτ tr̄ΣK^{-1})``, ``τ ← (1−η)τ + η/(1 + tr̄ K0K^{-1})`` with
    ``K0 = eΣ``, ``K = γτK0 + λI``; then ``θ = λ/(γτe)``.  Returns θ, B, V, ζ and iterations.
    """
    m, lam, p2 = prob.flat()
    s, n = prob.s, prob.n
    d = s.size
    psi, gam = m / n, m / d
    e = np.ones(m.size)
    tau = np.ones(m.size)
    prev = np.full(m.size, np.nan)
    its = np.zeros(m.size, dtype=np.int64)
    active = np.arange(m.size)
    for _ in range(maxiter):
        if active.size == 0:
            break
        ea, ta, ga = e[active], tau[active], gam[active]
        k_inv = 1.0 / (ga[:, None] * ta[:, None] * ea[:, None] * s + lam[active, None])
        tr_sk = (s * k_inv).mean(axis=1)
        e_new = (1 - eta) * ea + eta / (1 + psi[active] * ta * tr_sk)
        t_new = (1 - eta) * ta + eta / (1 + ea * tr_sk)
        step = np.maximum(np.abs(e_new - ea) / ea, np.abs(t_new - ta) / ta)
        e[active], tau[active] = e_new, t_new
        its[active] += 1
        done = _damped_stop(step, prev[active], 1.0, tol) | (step == 0)
        prev[active] = step
        active = active[~done]
    if active.size:
        raise RuntimeError(f"damped (e, τ) iteration: {active.size} points not converged")
    theta = lam / (gam * tau * e)
    out = np.empty((3, m.size))
    for lo in range(0, m.size, 1000):
        sl = slice(lo, lo + 1000)
        out[:, sl] = rp_components(
            s, prob.gamma, prob.delta, theta[sl], n, m[sl], p2[sl], prob.noise_real,
            prob.noise_synth,
        )
    return theta, out[0], out[1], out[2], its


# ----------------------------------------------------------------------------------------------
# Monte Carlo
# ----------------------------------------------------------------------------------------------


def mc_fresh_solve_draw(rng, s, gamma, delta, n1, n2, ridges, noise_real, noise_synth):
    """One Monte Carlo draw the direct way: ``np.linalg.solve(XᵀX/n + λI, Xᵀy/n)`` per λ.

    Three right-hand sides per solve: the noisy labels (sampled test error), the noise-free
    labels and the labels of ``w1`` alone (bias); ``ζ = err(noise-free) − bias``.
    Returns ``test_error``, ``bias``, ``zeta``, ``signal_error`` (each shape (L,)) and the draw's
    ``x``, ``w1``, ``w2``.
    """
    d = s.size
    n = n1 + n2
    w1 = np.sqrt(gamma) * rng.standard_normal(d)
    w2 = w1 + np.sqrt(delta) * rng.standard_normal(d)
    x = rng.standard_normal((n, d)) * np.sqrt(s)
    y_sig = np.r_[x[:n1] @ w1, x[n1:] @ w2]
    noise = np.r_[noise_real * rng.standard_normal(n1), noise_synth * rng.standard_normal(n2)]
    rhs = x.T @ np.column_stack([y_sig + noise, y_sig, x @ w1]) / n
    gram = x.T @ x / n
    eye = np.eye(d)
    errs = np.empty((len(ridges), 3))
    for i, lam in enumerate(ridges):
        w_hat = np.linalg.solve(gram + lam * eye, rhs)
        errs[i] = (((w_hat - w1[:, None]) ** 2) * s[:, None]).sum(axis=0)
    return {
        "test_error": errs[:, 0],
        "signal_error": errs[:, 1],
        "bias": errs[:, 2],
        "zeta": errs[:, 1] - errs[:, 2],
        "x": x,
        "w1": w1,
        "w2": w2,
    }
