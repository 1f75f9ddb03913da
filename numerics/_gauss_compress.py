r"""Gauss rules for groups of eigenvalues and their error bound (private helper of ``spectra``).

A long spectrum ``s_1..s_d`` with non-negative weights ``ω_j`` defines the discrete measure
``μ = Σ_j ω_j δ_{s_j}``; every moment is ``∫ g dμ`` with ``g(s) = s^a (s + t)^{-b}``.  The
eigenvalues are cut into groups by ``x = ln s`` (bins of width ``2·BIN_HALF_WIDTH``).  In a
group with centre ``c`` and half-width ``h`` put ``z = (x − c)/h ∈ [−1, 1]``; the group's measure
is replaced by its ``n``-point Gauss rule (nodes ``z_i``, weights ``W_i > 0``), computed by the
Stieltjes procedure (Lanczos on ``diag(z)``) and Golub–Welsch.

Why it is accurate, for every ``t ≥ 0`` at once.  As a function of ``x``,
``g = e^{ax}(e^x + t)^{-b}`` is analytic for ``|Im x| < π`` (the only singularities are where
``e^x = −t``).  Take the Bernstein ellipse of ``[c − h, c + h]`` with semi-minor axis ``Y = π/2``:
``ρ = (Y + sqrt(Y² + h²))/h``, semi-major axis ``A = sqrt(Y² + h²)``.  There
``|e^x + t|² ≥ e^{2 Re x} + t²``, so ``|g| ≤ M := 2^{b/2} max_{|Re x − c| ≤ A} e^{a Re x}
(e^{Re x} + t)^{-b}`` (log-concave in ``Re x``: the maximum is at the critical point or an end).
Chebyshev coefficients obey ``|c_k| ≤ 2Mρ^{-k}`` (Trefethen, *Approximation Theory and
Approximation Practice*, Thm 8.1), so the best polynomial approximation of degree ``2n − 1`` errs
by at most ``2Mρ^{1-2n}/(ρ − 1)`` (Thm 8.2).  The Gauss rule integrates that polynomial exactly and
its weights are positive with sum ``μ(group)``, hence

.. math::  \Bigl|\int g\,d\mu - \sum_i W_i g(z_i)\Bigr| \le \frac{4\mu M\rho^{1-2n}}{\rho - 1}.

With ``L = max(a, |a − b|)`` bounding ``|d ln g/dx|``, ``M ≤ 2^{b/2} e^{L(A+h)} min_{group} g``, so
the bound is at most ``4·2^{b/2} e^{L(A+h)} ρ^{1-2n}/(ρ−1)`` times the group's own contribution:
``n`` is chosen from this to meet the requested relative tolerance for every ``a, b ≤ max_power``
and every ``t ≥ 0``.  Groups with at most ``n`` distinct eigenvalues are kept exactly (duplicates
merged), with no error.  The rounding of the computed rule (Stieltjes inner products, the
tridiagonal eigenproblem) is not covered by this argument; the caller checks the total against
exact sums.

Examples
--------
>>> import numpy as np
>>> from modelcollapse.numerics._gauss_compress import gauss_rule
>>> z = np.linspace(-1, 1, 1001); w = np.ones_like(z)
>>> nodes, weights = gauss_rule(z, w, 5)
>>> bool(abs(weights @ nodes**8 - w @ z**8) < 1e-10 * w.sum())
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import eigh_tridiagonal

__all__ = ["BIN_HALF_WIDTH", "GroupRules", "gauss_rule", "nodes_needed", "compress_measure",
           "group_bounds"]

BIN_HALF_WIDTH = 1.0
_SEMI_MINOR = math.pi / 2
_U = 2.0**-53


def _ellipse(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``ρ`` and semi-major axis ``A`` of the ellipse with semi-minor axis ``π/2`` around an
    interval of half-width ``h``."""
    semi_major = np.hypot(_SEMI_MINOR, h)
    return (semi_major + _SEMI_MINOR) / h, semi_major


def nodes_needed(h: float, rtol: float, max_power: int) -> int:
    """Smallest ``n`` with ``4·2^{b/2} e^{L(A+h)} ρ^{1−2n}/(ρ−1) ≤ rtol`` for all
    ``a, b ≤ max_power`` (the worst is ``L = b = max_power``)."""
    rho, semi_major = _ellipse(np.asarray(h, dtype=float))
    rho, semi_major = float(rho), float(semi_major)
    log_const = (math.log(4) + 0.5 * max_power * math.log(2) + max_power * (semi_major + h)
                 - math.log(rho - 1))
    n = math.ceil(0.5 * (1 + (log_const - math.log(rtol)) / math.log(rho)))
    return max(n, 1)


def gauss_rule(z: np.ndarray, w: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``n``-point Gauss rule of the discrete measure ``Σ w_j δ_{z_j}`` (``z`` in [−1, 1]).

    Stieltjes procedure (three-term recurrence of the orthonormal polynomials evaluated at the
    points, ``O(n·len(z))`` work and ``O(len(z))`` memory), then Golub–Welsch.
    """
    mu = float(w.sum())
    q_prev = np.zeros_like(z)
    q = np.sqrt(w / mu)
    alpha = np.empty(n)
    beta = np.zeros(n)
    for k in range(n):
        zq = z * q
        alpha[k] = q @ zq
        r = zq - alpha[k] * q - (beta[k - 1] * q_prev if k else 0.0)
        if k == n - 1:
            break
        beta[k] = math.sqrt(float(r @ r))
        if beta[k] <= 1e-14:  # the measure has ≤ k+1 points: the rule is exact already
            n = k + 1
            alpha, beta = alpha[:n], beta[:n]
            break
        q_prev, q = q, r / beta[k]
    if n == 1:
        return alpha[:1].copy(), np.array([mu])
    theta, vec = eigh_tridiagonal(alpha[:n], beta[: n - 1])
    return np.clip(theta, -1.0, 1.0), mu * vec[0] ** 2


@dataclass(frozen=True)
class GroupRules:
    """A compressed measure: quadrature nodes (eigenvalues) and weights, and per Gauss group the
    numbers that bound its error (centre, half-width, ρ, semi-major axis A, nodes, mass)."""

    nodes: np.ndarray
    weights: np.ndarray
    center: np.ndarray
    half_width: np.ndarray
    rho: np.ndarray
    semi_major: np.ndarray
    count: np.ndarray
    mass: np.ndarray


def compress_measure(s: np.ndarray, w: np.ndarray, rtol: float, max_power: int) -> GroupRules:
    """Compress ``Σ w_j δ_{s_j}`` (``s ≥ 0`` sorted ascending, ``w ≥ 0``) group by group."""
    keep = w > 0
    s, w = s[keep], w[keep]
    nodes: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    info: list[tuple] = []
    zero = s == 0
    if np.any(zero):
        nodes.append(np.zeros(1))
        weights.append(np.array([w[zero].sum()]))
        s, w = s[~zero], w[~zero]
    if s.size:
        x = np.log(s)
        bins = np.floor((x[-1] - x) / (2 * BIN_HALF_WIDTH)).astype(np.int64)
        cuts = np.flatnonzero(np.diff(bins)) + 1
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, x.size], strict=True):
            xg, wg = x[lo:hi], w[lo:hi]
            first = np.r_[True, np.diff(xg) != 0]
            xu = xg[first]
            h = 0.5 * (xu[-1] - xu[0])
            n = nodes_needed(h, rtol, max_power) if h > 0 else 1
            if xu.size <= n:
                nodes.append(np.exp(xu))
                weights.append(np.add.reduceat(wg, np.flatnonzero(first)))
                continue
            c = 0.5 * (xu[-1] + xu[0])
            z = np.clip((xg - c) / h, -1.0, 1.0)
            zn, wn = gauss_rule(z, wg, n)
            rho, semi_major = _ellipse(np.asarray(h))
            nodes.append(np.exp(c + h * zn))
            weights.append(wn)
            info.append((c, h, float(rho), float(semi_major), len(zn), float(wg.sum())))
    cols = list(zip(*info, strict=True)) if info else [()] * 6
    arrays = [np.asarray(col, dtype=float) for col in cols]
    return GroupRules(
        np.concatenate(nodes) if nodes else np.zeros(0),
        np.concatenate(weights) if weights else np.zeros(0),
        *arrays,
    )


def group_bounds(rules: GroupRules, t: np.ndarray, a: int, b: int) -> np.ndarray:
    """The bound of the module text, summed over the Gauss groups, for every shift ``t``."""
    out = np.zeros(t.shape)
    if rules.center.size == 0:
        return out
    with np.errstate(divide="ignore"):
        log_t = np.log(t)[:, None]
    lo = (rules.center - rules.semi_major)[None, :]
    hi = (rules.center + rules.semi_major)[None, :]

    def log_g(x):
        return a * x - b * np.logaddexp(x, log_t)

    cands = [log_g(lo), log_g(hi)]
    if 0 < a < b:
        crit = np.clip(log_t + math.log(a / (b - a)), lo, hi)
        cands.append(log_g(crit))
    log_m = 0.5 * b * math.log(2) + np.maximum.reduce(cands)
    rho, n = rules.rho, rules.count
    return np.exp(log_m) @ (4 * rules.mass * rho ** (1 - 2 * n) / (rho - 1))
