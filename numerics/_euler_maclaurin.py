r"""Power sums ``S(t) = Σ_{j=1}^{N} j^{-q} (j^{-β} + t)^{-b}`` with a certified error bound.

Private helper of :mod:`modelcollapse.numerics.spectra` (``N`` finite or ``∞``; ``β > 1``; real
``q``; integer ``b ≥ 0``; ``t ≥ 0``).  Every spectral moment of a power-law spectrum is such a sum
times a scale.  The work per shift is independent of ``t`` and ``N``: a head of ``J − 1 = 31``
terms, one Horner evaluation of about 35 terms and a handful of ``exp``/``log``.

Method
------
Write ``f(x) = x^{-q}(x^{-β} + t)^{-b} = x^{-p}(1 + y)^{-b}`` with ``p = q − bβ`` and
``y = t x^β``.  If ``N ≤ 4J`` the sum is done term by term.  Otherwise

.. math::  S = \sum_{j<J} f(j) + \int_J^N f + \frac{f(J) + f(N)}{2}
           + \sum_{k=1}^{m} \frac{B_{2k}}{(2k)!}\,\bigl(f^{(2k-1)}(N) - f^{(2k-1)}(J)\bigr) + R_m

(Euler–Maclaurin; the ``N`` terms are absent for ``N = ∞``), with
``|R_m| ≤ |B_{2m}|/(2m)! ∫_J^N |f^{(2m)}|`` because the periodic Bernoulli function obeys
``|B̃_{2m}| ≤ |B_{2m}|``.

*The remainder, uniformly in t.*  ``f`` is analytic in the sector ``|arg z| < π/(2β)``: there
``Re z^{-β} > 0``, so ``z^{-β} + t ≠ 0``.  Fix ``0 < ρ < 1`` with ``θ0 := β·asin ρ < π/2``.  On the
circle ``|z − x| = ρx`` (``x > 0``): ``|z| ∈ [(1−ρ)x, (1+ρ)x]``, ``|arg z| ≤ asin ρ``, so

* ``|z^{-q}| ≤ max((1−ρ)^{-q}, (1+ρ)^{-q}) x^{-q}``,
* ``|z^{-β} + t| ≥ Re z^{-β} + t ≥ cos θ0 |z|^{-β} + t ≥ cos θ0 (1+ρ)^{-β} (x^{-β} + t)``,

hence ``|f(z)| ≤ K f(x)`` with ``K = max((1−ρ)^{-q}, (1+ρ)^{-q}) (1+ρ)^{βb} / cos^b θ0`` — a
constant free of ``t``.  Cauchy's estimate gives ``|f^{(2m)}(x)| ≤ (2m)! K f(x) (ρx)^{-2m}``, so

.. math::  |R_m| \le |B_{2m}|\, K\, (\rho J)^{-2m} \int_J^N f =: \varepsilon_m\, I(J, N),

a *relative* bound on the tail that holds for every ``t ≥ 0``: the summand is smooth on the scale
of ``x`` itself, wherever its own scale ``t^{-1/β}`` lies, so a fixed ``J`` serves all shifts (no
``J ~ t^{-1/β}``, which would be ``10¹¹`` terms at ``t = 10⁻¹²``, ``β = 1.05``).  ``J = 32`` and
``m ≤ 30`` (``ρ`` and ``m`` chosen by minimising ``ε_m``) give ``ε_m ≤ 10⁻¹⁸`` for β up to about 5
(``m = 7..22``); larger β doubles ``J`` until they do.

*The derivatives.*  With ``x = X(1 + h)`` and ``η = y/(1+y)`` (``y = tX^β``),
``f(X(1+h)) / f(X) = (1+h)^{-p} (1 + η((1+h)^β − 1))^{-b} = Σ_k F_k(η) h^k`` where ``F_k`` is a
polynomial in ``η`` of degree ``k`` (Miller's recurrence for a power of a series, done once on the
polynomial coefficients), and ``f^{(k)}(X) = k! f(X) F_k(η) X^{-k}``.  So the correction sum is
``f(X)`` times one polynomial in ``η`` of degree ``2m − 1``, evaluated by Horner's rule.

*The integral, exactly up to stated bounds.*  ``∫_J^N f`` is split by ``y`` into three pieces:

* ``y ≤ 1/4``: ``(1+y)^{-b} = Σ_k C(−b, k) y^k`` term by term; every term integrates to a power,
  computed as ``x0^s expm1(s L)/s`` (``L = ln(x1/x0)``; ``L`` at ``s = 0``) without cancellation;
  the terms ``k ≥ K`` are bounded by ``|C(−b, K)| (1/4)^K / (1 − (b+K)/(4(K+1)))`` times
  ``∫ x^{-p}`` (the ratio ``(b+k)/(k+1)`` decreases for ``b ≥ 1``), and ``∫ x^{-p}`` is at most
  ``(5/4)^b`` times the piece itself.
* ``y ≥ 4``: ``(1+y)^{-b} = y^{-b} Σ_k C(−b, k) y^{-k}``, the same way.
* ``1/4 < y < 4``: in ``v = ln y`` the integrand is ``(1/β) t^{-α} e^{αv} (1 + e^v)^{-b}``
  (``α = (1 − p)/β``), analytic for ``|Im v| < π``; Gauss–Legendre with ``n`` nodes on
  ``[v0, v1] ⊂ [−ln 4, ln 4]`` errs by at most ``(64/15) h M ρ_G^{-2(n−1)}/(ρ_G² − 1)``
  (Trefethen, *Approximation Theory and Approximation Practice*, Thm 19.3; ``h`` the half-length)
  where ``ρ_G`` is the Bernstein ellipse of ``[−ln 4, ln 4]`` with semi-minor axis ``π/2`` (it
  contains the ellipse of every sub-interval with the same ``ρ_G``) and, since
  ``|1 + e^v|² ≥ 1 + e^{2 Re v} ≥ (1 + e^{Re v})²/2`` when ``|Im v| ≤ π/2``,
  ``M ≤ 2^{b/2} max_{|x| ≤ A} e^{αx}(1 + e^x)^{-b}`` (``A`` the semi-major axis; the maximum of a
  log-concave function on an interval is at the critical point or an end).

*Rounding.*  The truncation bounds above are rigorous.  Floating-point error is estimated in the
standard model (each operation within one unit roundoff ``u = 2⁻⁵³``; ``pow``/``exp``/``log``
within one ulp): ``(J + 2b + 6) u`` times the head, ``(8 + 4Λ) u`` times each integral term whose
exponent is a sum of parts of total magnitude ``Λ`` (each part carries at most three roundings,
including the one of ``ln t`` that it inherits, and an error ``εΛ`` in an exponent is a relative
error ``εΛ`` after ``exp``), the number of terms times ``u`` times their absolute sum, and
``(2m + 4) u`` times the absolute Euler–Maclaurin correction.  The reported bound is the sum of
all of these.

Examples
--------
>>> import numpy as np
>>> from modelcollapse.numerics._euler_maclaurin import power_sums
>>> val, bound = power_sums(2.0, None, np.array([0.0]), [(2.0, 0)])[(2.0, 0)]
>>> bool(abs(val[0] - np.pi**2 / 6) <= bound[0] < 1e-13)  # ζ(2)
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import bernoulli, gammaln

__all__ = ["power_sums", "SumPlan", "plan", "UNIT_ROUNDOFF"]

UNIT_ROUNDOFF = 2.0**-53
_U = UNIT_ROUNDOFF
_TARGET = 1e-18  # relative truncation aimed at by every part
_Y_SMALL, _Y_LARGE = 0.25, 4.0
_J_START, _J_MAX = 32, 4096
_M_MAX = 30
_DIRECT_FACTOR = 4  # N ≤ 4J: sum term by term
_HEAD_CHUNK = 1 << 16


def _log_abs_binom(nu: float, k: np.ndarray) -> np.ndarray:
    """``ln |C(nu, k)|`` for real ``nu`` and integers ``k ≥ 0`` (``−inf`` where it vanishes)."""
    k = np.asarray(k, dtype=float)
    out = np.empty_like(k)
    for i, kk in enumerate(k):
        terms = nu - np.arange(int(kk))
        out[i] = -np.inf if np.any(terms == 0) else (
            np.sum(np.log(np.abs(terms))) - gammaln(kk + 1)
        )
    return out


def _binom_series(nu: float, count: int) -> np.ndarray:
    """``C(nu, k)`` for ``k < count`` (generalised binomial coefficients)."""
    out = np.ones(count)
    for k in range(1, count):
        out[k] = out[k - 1] * (nu - k + 1) / k
    return out


def _series_terms(b: int) -> tuple[int, float]:
    """Number ``K`` of binomial-series terms for ratio ``r = 1/4`` and the tail factor
    ``|C(−b, K)| r^K / (1 − (b+K) r/(K+1))`` (relative to ``∫`` of the leading power)."""
    if b == 0:
        return 1, 0.0
    r = _Y_SMALL
    for k in range(1, 400):
        ratio = (b + k) * r / (k + 1)
        if ratio >= 1:
            continue
        tail = math.exp(_log_abs_binom(-b, np.array([k]))[0] + k * math.log(r)) / (1 - ratio)
        if tail * (1 + r) ** b <= _TARGET:
            return k, tail
    raise RuntimeError("binomial series did not reach the target")  # pragma: no cover


@dataclass(frozen=True)
class SumPlan:
    """Everything about ``Σ_{j=1}^{N} j^{-q}(j^{-β}+t)^{-b}`` that does not depend on ``t``."""

    beta: float
    q: float
    b: int
    N: float  #: number of terms (``inf`` for d = ∞)
    direct: bool  #: N ≤ 4J: plain sum
    J: int
    m: int
    rho: float
    em_relative: float  #: ε_m: |R_m| ≤ ε_m ∫_J^N f
    poly_J: np.ndarray  #: Euler–Maclaurin correction at J: polynomial in η (low degree first)
    poly_N: np.ndarray | None
    series_terms: int
    series_tail: float
    gl_nodes: np.ndarray
    gl_weights: np.ndarray
    gl_factor: float  #: (64/15) M ρ^{-2(n-1)}/(ρ²−1); times h t^{-α}/β
    gl_full: float  #: ∫ e^{αv}(1+e^v)^{-b} dv over [−ln 4, ln 4] by the same rule


def _cauchy_constant(beta: float, q: float, b: int, rho: float) -> float:
    theta0 = beta * math.asin(rho)
    return (max((1 - rho) ** -q, (1 + rho) ** -q) * (1 + rho) ** (beta * b)
            / math.cos(theta0) ** b)


def _choose_em(beta: float, q: float, b: int) -> tuple[int, int, float, float]:
    """Smallest ``J`` (power of two from 32) and then ``m`` with ``ε_m ≤ 10⁻¹⁸``."""
    rho_max = min(0.9, 0.999 * math.sin(math.pi / (2 * beta)))
    rhos = rho_max * np.linspace(0.05, 1.0, 40)
    bern = bernoulli(2 * _M_MAX)
    best = None
    J = _J_START
    while J <= _J_MAX:
        for m in range(1, _M_MAX + 1):
            for rho in rhos:
                eps = abs(bern[2 * m]) * _cauchy_constant(beta, q, b, rho) * (rho * J) ** (-2 * m)
                if best is None or eps < best[3]:
                    best = (J, m, float(rho), eps)
                if eps <= _TARGET:
                    return J, m, float(rho), eps
        J *= 2
    return best  # pragma: no cover - only for absurd β


def _correction_polynomial(beta: float, p: float, b: int, m: int, X: float) -> np.ndarray:
    """Coefficients ``c_i`` (in η) with ``Σ_k B_{2k}/(2k)! f^{(2k−1)}(X) = f(X) Σ_i c_i η^i``."""
    deg = 2 * m  # Taylor coefficients F_0 .. F_{2m-1}
    bin_beta = _binom_series(beta, deg)
    # G = (1 + η·Bin(h))^{-b}, Bin = Σ_{j≥1} C(β, j) h^j; P[k, i] = coefficient of h^k η^i
    P = np.zeros((deg, deg))
    P[0, 0] = 1.0
    gam = -b
    for k in range(1, deg):
        acc = np.zeros(deg)
        for j in range(1, k + 1):
            coef = ((gam + 1) * j - k) * bin_beta[j]
            acc[1:] += coef * P[k - j, :-1]
        P[k] = acc / k
    A = _binom_series(-p, deg)  # (1+h)^{-p}
    F = np.array([sum(A[k - l] * P[l] for l in range(k + 1)) for k in range(deg)])
    bern = bernoulli(deg)
    poly = np.zeros(deg)
    for k in range(1, m + 1):
        poly += bern[2 * k] / (2 * k) * X ** (1 - 2 * k) * F[2 * k - 1]
    return poly


def _gauss_middle(alpha: float, b: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Gauss–Legendre nodes for ``∫ e^{αv}(1+e^v)^{-b} dv`` on sub-intervals of
    ``[−ln 4, ln 4]`` and the error factor (see the module docstring)."""
    half = math.log(_Y_LARGE)
    semi_minor = math.pi / 2
    semi_major = math.hypot(semi_minor, half)
    rho = (semi_major + semi_minor) / half

    def log_g(x):
        return alpha * x - b * np.logaddexp(0.0, x)

    cands = [-semi_major, semi_major]
    if 0 < alpha < b:
        cands.append(float(np.clip(math.log(alpha / (b - alpha)), -semi_major, semi_major)))
    log_m = 0.5 * b * math.log(2.0) + max(float(log_g(x)) for x in cands)
    log_min = min(float(log_g(-half)), float(log_g(half)))  # log-concave: min at an end
    for n in range(4, 400):
        log_factor = (math.log(64 / 15) + log_m - 2 * (n - 1) * math.log(rho)
                      - math.log(rho**2 - 1))
        if log_factor - log_min - math.log(2.0) <= math.log(_TARGET):  # relative to 2h·min
            x, w = np.polynomial.legendre.leggauss(n)
            return x, w, math.exp(log_factor)
    raise RuntimeError("Gauss-Legendre did not reach the target")  # pragma: no cover


@lru_cache(maxsize=512)
def plan(beta: float, q: float, b: int, N: float) -> SumPlan:
    """The ``t``-independent part of the computation (cached)."""
    J, m, rho, eps = _choose_em(beta, q, b)
    direct = math.isfinite(N) and N <= _DIRECT_FACTOR * J
    p = q - b * beta
    poly_J = _correction_polynomial(beta, p, b, m, float(J))
    poly_N = (None if not math.isfinite(N) or direct
              else _correction_polynomial(beta, p, b, m, float(N)))
    k_series, tail = _series_terms(b)
    alpha = (1 - p) / beta
    gl_x, gl_w, gl_factor = _gauss_middle(alpha, b)
    v = math.log(_Y_LARGE) * gl_x
    gl_full = math.log(_Y_LARGE) * float(gl_w @ np.exp(alpha * v - b * np.log1p(np.exp(v))))
    return SumPlan(beta, q, b, N, direct, J, m, rho, eps, poly_J, poly_N, k_series, tail,
                   gl_x, gl_w, gl_factor, gl_full)


def _log_phi(s: np.ndarray, L: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``ln ∫_0^L e^{s u} du = ln((e^{sL} − 1)/s)`` (``ln L`` at ``s = 0``; ``L`` may be ``inf``
    when ``s < 0``; ``−inf`` at ``L = 0``), and the magnitude of the exponent it involves (for
    the rounding estimate)."""
    s, L = np.broadcast_arrays(np.asarray(s, dtype=float), np.asarray(L, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        z = np.where(L == 0, 0.0, s * L)
        pos = z + np.log(-np.expm1(-z)) - np.log(s)
        neg = np.log(np.expm1(z) / s)
        out = np.where(z > 0, pos, np.where(z < 0, neg, np.log(L)))
        mag = np.where(np.isfinite(z), np.abs(z), 0.0) + np.abs(np.log(np.where(s == 0, 1.0,
                                                                                 np.abs(s))))
    return out, mag


def _series_piece(log_pref, lx0, lx1, ly0, ly1, s0, sign, beta, b, count, tail, fixed0, fixed1):
    """``e^{log_pref} Σ_k C(−b, k) ∫_{x0}^{x1} x^{s0 − 1} y^{sign·k} dx`` (``y = t x^β``) for the
    rows with ``x1 > x0``: the small-y piece (``sign = +1``, ``s0 = 1 − p``) or the large-y piece
    (``sign = −1``, ``s0 = 1 − q``, ``log_pref = −b ln t``).

    Term ``k`` integrates to ``[x^{s0} y^{sign·k}]_{x0}^{x1} / s_k`` with
    ``s_k = s0 + sign·kβ``, so the whole series is the difference of one polynomial in ``y^{sign}``
    (Horner) at the two ends; ``fixed0``/``fixed1`` mark the rows whose end lies on a piece
    boundary, where ``y^{sign} = 1/4`` exactly and the polynomial is a constant.  A term with
    ``|s_k| < 1/2`` would cancel badly in that form and is done as ``x0^{s_k} expm1(s_k L)/s_k``
    instead (``L = ln(x1/x0)``).

    Returns ``(value, truncation bound, rounding allowance)``, zero where ``x1 ≤ x0``.
    """
    K = lx0.shape[0]
    value, trunc, rnd = np.zeros(K), np.zeros(K), np.zeros(K)
    active = lx1 > lx0
    if not np.any(active):
        return value, trunc, rnd
    lp, x0, x1 = log_pref[active], lx0[active], lx1[active]
    y0, y1 = ly0[active], ly1[active]
    L = x1 - x0
    k = np.arange(count)
    coef = _binom_series(-b, count)
    s = s0 + sign * beta * k
    near = np.abs(s) < 0.5
    poly = np.where(near, 0.0, coef / np.where(near, 1.0, s))
    on_boundary = float(np.polynomial.polynomial.polyval(_Y_SMALL, poly))
    mag = float(np.sum(np.abs(poly) * _Y_SMALL ** k))  # |poly|(z) for every z ≤ 1/4
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        val = np.zeros(L.shape)
        err = np.zeros(L.shape)
        for lx, ly, end_sign, fixed in ((x1, y1, 1.0, fixed1[active]),
                                        (x0, y0, -1.0, fixed0[active])):
            scale = np.exp(lp + s0 * lx)  # 0 at x1 = ∞ (s0 < 0 there)
            acc = np.full(L.shape, on_boundary)
            free = ~fixed & (scale > 0)
            if np.any(free):
                z = np.exp(sign * ly[free])  # y or 1/y, at most 1/4 where used
                horner = np.full(z.shape, poly[-1])
                for c in poly[-2::-1]:
                    horner *= z
                    horner += c
                acc[free] = horner
            lam = np.abs(lp) + np.abs(np.where(np.isfinite(lx), s0 * lx, 0.0))
            val += end_sign * np.where(scale > 0, scale * acc, 0.0)
            err += (2 * count + 8 + 4 * lam) * mag * scale
        for kk in np.flatnonzero(near):
            log_phi, mag_phi = _log_phi(np.full(L.shape, s[kk]), L)
            ky = np.zeros_like(y0) if kk == 0 else sign * kk * y0
            live = np.isfinite(ky)  # y0 = 0 (t = 0): the terms k ≥ 1 vanish
            expo = np.where(live, lp + s0 * x0 + ky + log_phi, -np.inf)
            term = coef[kk] * np.exp(expo)
            lam = np.abs(lp) + np.abs(s0 * x0) + np.where(live, np.abs(ky), 0) + mag_phi
            val = val + term
            err = err + np.where(term != 0, (8 + 4 * lam) * np.abs(term), 0.0)
    value[active] = val
    rnd[active] = _U * err
    if tail:  # the piece is at least (5/4)^{-b} times the integral of its leading power
        trunc[active] = tail * (1 + _Y_SMALL) ** b * np.abs(val)
    return value, trunc, rnd


def _integral(pl: SumPlan, log_t: np.ndarray, lJ: float, lN: float):
    """``∫_J^N f`` for every shift: value, truncation bound, rounding allowance."""
    beta, q, b = pl.beta, pl.q, pl.b
    p = q - b * beta
    K = log_t.shape[0]
    finite_t = np.isfinite(log_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        lxs = np.where(finite_t, (math.log(_Y_SMALL) - log_t) / beta, np.inf)
        lxl = np.where(finite_t, (math.log(_Y_LARGE) - log_t) / beta, np.inf)

    def log_y(lx):
        with np.errstate(invalid="ignore"):
            return np.where(finite_t, log_t + beta * lx, -np.inf)

    # small y: x in [J, min(N, xs)]
    lo = np.full(K, lJ)
    hi = np.minimum(lN, lxs)
    value, trunc, rnd = _series_piece(np.zeros(K), lo, hi, log_y(lo), log_y(hi), 1 - p, 1.0,
                                      beta, b, pl.series_terms, pl.series_tail,
                                      np.zeros(K, dtype=bool), finite_t & (hi == lxs))
    # large y: x in [max(J, xl), N] (only for t > 0)
    lo = np.where(finite_t, np.maximum(lJ, lxl), lN)
    hi = np.full(K, lN)
    log_pref = np.where(finite_t, -b * np.where(finite_t, log_t, 0.0), 0.0)
    v, tr, rd = _series_piece(log_pref, lo, hi, log_y(lo), log_y(hi), 1 - q, -1.0,
                              beta, b, pl.series_terms, pl.series_tail,
                              finite_t & (lo == lxl), np.zeros(K, dtype=bool))
    value += v
    trunc += tr
    rnd += rd
    # middle: x in [max(J, xs), min(N, xl)], integrated in v = ln y.  Where the whole interval
    # [ln 1/4, ln 4] lies inside [J, N] (every t outside a window of width 16 around J^{-β} and
    # N^{-β}), the integral is t^{-α}/β times a constant of the plan.
    lo = np.maximum(lJ, lxs)
    hi = np.minimum(lN, lxl)
    mid = finite_t & (hi > lo)
    alpha = (1 - p) / beta
    full = mid & (lo == lxs) & (hi == lxl)
    part = mid & ~full
    half_full = math.log(_Y_LARGE)
    n_gl = len(pl.gl_nodes)
    if np.any(full):
        lt = log_t[full]
        scale = np.exp(-alpha * lt) / beta
        value[full] += scale * pl.gl_full
        trunc[full] += pl.gl_factor * half_full * scale
        rnd[full] += _U * (8 + n_gl + 4 * (abs(alpha) * (np.abs(lt) + half_full) + b * 1.7)) * (
            scale * pl.gl_full)
    if np.any(part):
        lt = log_t[part]
        v0 = lt + beta * lo[part]
        v1 = lt + beta * hi[part]
        h = 0.5 * (v1 - v0)
        c = 0.5 * (v1 + v0)
        nodes = c[:, None] + h[:, None] * pl.gl_nodes[None, :]
        soft = b * np.log1p(np.exp(nodes))
        expo = alpha * (nodes - lt[:, None]) - soft
        vals = h * (np.exp(expo) @ pl.gl_weights) / beta
        value[part] += vals
        trunc[part] += pl.gl_factor * h * np.exp(-alpha * lt) / beta
        lam = np.max(np.abs(alpha * nodes) + soft, axis=1) + abs(alpha) * np.abs(lt)
        rnd[part] += _U * (8 + n_gl + 4 * lam) * np.abs(vals)
    return value, trunc, rnd


def _head(beta: float, keys: list[tuple[float, int]], t: np.ndarray, count: int):
    """``Σ_{j=1}^{count} j^{-q}(j^{-β}+t)^{-b}`` for every key, and its rounding allowance."""
    j = np.arange(1, count + 1, dtype=float)
    s = j**-beta
    by_b: dict[int, list[float]] = {}
    for q, b in keys:
        by_b.setdefault(b, []).append(q)
    out: dict[tuple[float, int], np.ndarray] = {key: np.empty(t.size) for key in keys}
    cols = {b: np.stack([j**-q for q in qs], axis=1) for b, qs in by_b.items()}
    rows = max(1, _HEAD_CHUNK // count)
    for lo in range(0, t.size, rows):
        hi = min(t.size, lo + rows)
        inv = 1.0 / (s[None, :] + t[lo:hi, None])
        power = np.ones_like(inv)
        for b in range(0, max(by_b) + 1):
            if b:
                power = power * inv
            if b in by_b:
                vals = power @ cols[b]
                for i, q in enumerate(by_b[b]):
                    out[(q, b)][lo:hi] = vals[:, i]
    rnd = {key: (count + 2 * key[1] + 6) * _U * out[key] for key in keys}
    return out, rnd


def _endpoint(pl: SumPlan, t: np.ndarray, X: float, poly: np.ndarray):
    """``f(X)`` and ``f(X)·poly(η)``, and the rounding allowance of the latter."""
    q, b, beta = pl.q, pl.b, pl.beta
    sX = X**-beta
    fX = X**-q / (sX + t) ** b
    eta = t / (sX + t)
    val = np.zeros_like(t)
    mag = np.zeros_like(t)
    for c in poly[::-1]:
        val = val * eta + c
        mag = mag * eta + abs(c)
    return fX, fX * val, (2 * len(poly) + 4) * _U * fX * mag


def power_sums(beta: float, N: int | None, t: np.ndarray,
               keys: Iterable[tuple[float, int]]) -> dict[tuple[float, int], tuple]:
    """``S_{q,b}(t) = Σ_{j=1}^{N} j^{-q}(j^{-β}+t)^{-b}`` and its error bound, per key ``(q, b)``.

    ``N = None`` means ``∞`` (the caller checks convergence: ``q > 1``, and ``q − bβ > 1``
    where ``t = 0``).  Returns ``{(q, b): (value, bound)}`` with arrays shaped like ``t``.
    Values beyond the range of doubles overflow to ``inf`` or underflow to 0 (e.g.
    ``t^{-b}`` at ``t = 10⁻³⁰⁰``), silently.
    """
    with np.errstate(over="ignore", under="ignore"):
        return _power_sums(beta, N, t, keys)


def _power_sums(beta, N, t, keys):
    t = np.asarray(t, dtype=float)
    keys = list(dict.fromkeys((float(q), int(b)) for q, b in keys))
    N_f = math.inf if N is None else float(N)
    out: dict[tuple[float, int], tuple] = {}
    plans = {key: plan(float(beta), key[0], key[1], N_f) for key in keys}
    direct = [key for key in keys if plans[key].direct]
    if direct:
        head, rnd = _head(beta, direct, t, int(N_f))
        for key in direct:
            out[key] = (head[key], rnd[key])
    by_J: dict[int, list] = {}
    for key in keys:
        if not plans[key].direct:
            by_J.setdefault(plans[key].J, []).append(key)
    with np.errstate(divide="ignore"):
        log_t = np.log(t)
    for J, group in by_J.items():
        head, head_rnd = _head(beta, group, t, J - 1)
        for key in group:
            pl = plans[key]
            lN = math.log(N_f) if math.isfinite(N_f) else math.inf
            integral, trunc, rnd = _integral(pl, log_t, math.log(J), lN)
            fJ, corrJ, rndJ = _endpoint(pl, t, float(J), pl.poly_J)
            tail = integral + 0.5 * fJ - corrJ
            rnd = rnd + rndJ + (2 * pl.b + 6) * _U * fJ
            if pl.poly_N is not None:
                fN, corrN, rndN = _endpoint(pl, t, N_f, pl.poly_N)
                tail = tail + 0.5 * fN + corrN
                rnd = rnd + rndN + (2 * pl.b + 6) * _U * fN
            value = head[key] + tail
            em = pl.em_relative * (integral + trunc)
            bound = trunc + em + rnd + head_rnd[key] + 4 * _U * np.abs(value)
            out[key] = (value, bound)
    return out
