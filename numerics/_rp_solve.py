"""The random-projections shift θ of Theorem 2, solved for whole width grids at once.

Two routes to the same θ (docs/mathematics.md §2):

* :func:`solve_theta` — the scalar equation ``θ γ τ(θ) e(θ) = λ`` with ``τ = 1 − df1(θ)/m``,
  ``e = 1 − df1(θ)/n`` (:data:`~modelcollapse.theory.random_projection.THETA_EQUATION`), divided
  by its well-conditioned factor (:func:`~modelcollapse.theory.random_projection.theta_residual`):
  for ``m ≤ n`` ``h = 1 − λ/(θγe) − df1/m``, for ``m > n`` ``h = 1 − λ/(θγτ) − df1/n``.  Both are
  increasing where the divided-out factor is positive, and the width-``min(m, n)`` ridge κ with
  penalty ``λd/m`` is a lower bracket (``e, τ ≤ 1``); ``λ d/m + tr Σ/m + tr Σ/n`` an upper one.
  Ridgeless (λ = 0): θ is the root of ``df1(θ) = min(m, n)`` (0 if ``d ≤ min(m, n)``); the
  interpolation threshold is ``min(m, d) = n`` (status 1).
* :func:`solve_theta_nested` — the nested definition: ``κ2(t)`` by
  :func:`~modelcollapse.numerics.kappa.solve_kappa` (ridge fixed point with ``λ' = t d/m``,
  ``n' = m``) inside a bracketed Newton solve of ``1 − λ/t − df1(κ2(t))/n = 0`` for ``t*``
  (λ > 0 only).  Slower; used to cross-check.

Both return a :class:`ThetaResult` with ``converged``, ``iterations``, ``residual``, ``status``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from modelcollapse.theory import random_projection as rp
from modelcollapse.theory.symbols import d as d_sym
from modelcollapse.theory.symbols import lam as lam_sym
from modelcollapse.theory.symbols import m as m_sym
from modelcollapse.theory.symbols import n as n_sym
from modelcollapse.theory.symbols import t as t_sym
from modelcollapse.theory.symbols import theta as theta_sym

from ._compile import CompiledExpression, compile_expression, evaluate_moments
from ._moments import SpectrumBatch
from ._rootfind import bracketed_log_newton
from .kappa import KappaResult, solve_kappa_batch


def _rows(batch, rows: np.ndarray):
    """The spectra of ``rows`` (the batch itself when it is shared)."""
    return batch if batch.shared else SpectrumBatch(batch.s[rows])

__all__ = ["ThetaResult", "solve_theta", "solve_theta_nested"]


@dataclass(frozen=True)
class ThetaResult:
    """θ, t*, e, τ on a flat grid, with convergence information.

    ``e`` and ``τ`` are returned in their well-conditioned forms: the larger from its definition
    (``1 − df1/n`` or ``1 − df1/m``), the smaller from ``θγτe = λ``.
    """

    theta: np.ndarray
    t_star: np.ndarray
    e: np.ndarray
    tau: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray
    status: np.ndarray


_SCALARS = [theta_sym, lam_sym, n_sym, m_sym, d_sym]


@cache
def _compiled() -> dict[str, CompiledExpression]:
    out: dict[str, CompiledExpression] = {}
    for branch in ("under", "over"):
        forms = rp.theta_residual_forms(branch)
        slopes = rp.theta_residual_slopes(branch)
        for i, ((a, s), slope) in enumerate(zip(forms, slopes, strict=True)):
            # the terms of A, then S (h = A − S); the two parts of θ ∂h/∂θ
            out[f"h_{branch}_{i}"] = compile_expression(sp.Tuple(*sp.Add.make_args(a), s),
                                                        _SCALARS)
            out[f"dh_{branch}_{i}"] = compile_expression(slope, _SCALARS)
    first = rp.first_order_solution()
    for name, sym in (("e", rp.e), ("tau", rp.tau)):
        for i, form in enumerate((first[sym], rp.FACTORS_NEAR_THRESHOLD[sym])):
            out[f"{name}_{i}"] = compile_expression(sp.Tuple(*sp.Add.make_args(form)), _SCALARS)
    factored = rp.THETA_EQUATION_FACTORED
    tau_from_e = sp.solve(factored, rp.tau)[0]
    e_from_tau = sp.solve(factored, rp.e)[0]
    out["tau_from_e"] = compile_expression(tau_from_e, [*_SCALARS, rp.e])
    out["e_from_tau"] = compile_expression(e_from_tau, [*_SCALARS, rp.tau])
    out["t_star"] = compile_expression(rp.T_STAR_FROM_TAU, [*_SCALARS, rp.tau])
    # nested route: h(t) = 1 − λ/t − df1(κ2)/n with κ2 = κ2(t), and its log-derivative
    h_t = rp.T_FIXED_POINT.subs(t_sym, sp.Symbol("t_")) / sp.Symbol("t_")
    h_t = sp.expand(h_t.subs(sp.Symbol("t_"), t_sym))
    dh_t = t_sym * (sp.diff(h_t, t_sym) + sp.diff(h_t, theta_sym) * rp.kappa2_prime())
    out["h_t"] = compile_expression(h_t, [t_sym, *_SCALARS])
    out["dh_t"] = compile_expression(dh_t.subs(rp.t_star, t_sym), [t_sym, *_SCALARS])
    return out


def _terms(name, mom, sc, size):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return [np.broadcast_to(np.asarray(t, dtype=float), (size,))
                for t in _compiled()[name](mom, **sc)]


def _least_cancelling(names, mom, sc, size, finite_d=True):
    """Per point, the form (of the compiled term tuples ``names``) whose terms are smallest:
    ``(value, scale, index)`` with ``scale = Σ |terms|`` (the near-threshold forms group
    ``(k − d)/k`` with ``tr(Σ+θ)^{-1}``, which diverge at ``d = ∞``: then only the first)."""
    best = scale = pick = None
    for i, name in enumerate(names if finite_d else names[:1]):
        terms = _terms(name, mom, sc, size)
        with np.errstate(invalid="ignore", over="ignore"):
            value = np.sum(terms, axis=0)
            size_i = np.sum(np.abs(terms), axis=0)
        if best is None:
            best, scale, pick = value, size_i, np.zeros(size, dtype=np.int64)
        else:
            better = size_i < scale
            best = np.where(better, value, best)
            scale = np.where(better, size_i, scale)
            pick = np.where(better, i, pick)
    return best, scale, pick


def _residual(branch, n_forms, mom, sc, size):
    """The θ residual ``h = A − S`` of ``branch`` in its least-cancelling form (judged on the
    terms of ``A`` and ``S``), per point: ``(h/scale, φ, dφ)`` with ``φ = log A − log S`` and
    ``dφ = θA'/A − θS'/S`` (NaN where ``A ≤ 0``, below the root).  ``φ`` has the sign of ``h``
    and is close to linear in ``log θ`` whichever term dominates — ``h/scale`` saturates at ±1
    there, and Newton on it would creep (200 steps of 0.5 in log θ at n = m = d, λ = 1e-300)."""
    f = _compiled()
    best = None
    for i in range(n_forms):
        terms = _terms(f"h_{branch}_{i}", mom, sc, size)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            a = np.sum(terms[:-1], axis=0)
            s = terms[-1]
            scale = np.sum(np.abs(terms[:-1]), axis=0) + np.abs(s)
            a_slope, s_slope = (np.broadcast_to(np.asarray(x, dtype=float), (size,))
                                for x in f[f"dh_{branch}_{i}"](mom, **sc))
            phi = np.where(a > 0, np.log(np.where(a > 0, a, 1.0)) - np.log(s), np.nan)
            dphi = a_slope / a + s_slope / s
            cur = ((a - s) / np.where(scale > 0, scale, 1.0), phi, dphi, scale)
        if best is None:
            best = cur
        else:
            better = cur[3] < best[3]
            best = tuple(np.where(better, x, y) for x, y in zip(cur, best, strict=True))
    return best[:3]


def _moments(batch, names, scalars, index=None):
    f = _compiled()
    size = np.shape(scalars["theta"])[0]
    return evaluate_moments(batch, [f[k] for k in names], scalars, size=size, index=index)


def _finish_e_tau(batch, theta, lam, n, m, d, index=None):
    """``e``, ``τ`` and ``t*`` at θ: the larger factor from its definition, the smaller from λ."""
    f = _compiled()
    sc = dict(theta=theta, n=n, m=m, d=d, **{"lambda": lam})
    names = ("e_0", "tau_0", "tau_from_e", "e_from_tau", "t_star")
    mom = _moments(batch, (*names, "e_1", "tau_1") if np.isfinite(d) else names, sc,
                   index=index)
    under = m <= n
    size = theta.shape[0]
    # the larger factor from its definition, in its least-cancelling form ((k − d)/k + θ
    # tr(Σ+θ)^{-1}/k next to k = d: 1 − df1/k would cancel to nothing there)
    e_def = _least_cancelling(("e_0", "e_1"), mom, sc, size, np.isfinite(d))[0]
    tau_def = _least_cancelling(("tau_0", "tau_1"), mom, sc, size, np.isfinite(d))[0]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tau_small = f["tau_from_e"](mom, **sc, e=e_def)
        e_small = f["e_from_tau"](mom, **sc, tau=tau_def)
    e = np.where(under, e_def, e_small)
    tau = np.where(under, tau_small, tau_def)
    # λ = 0: the small factor is exactly 0 (θ is the root of df1 = min(m, n)) unless d ≤ min(m,n);
    # the large one is exact from df1(θ) = min(m, n) (or d at θ = 0), as a difference of the
    # sizes (exact in floating point) rather than 1 − df1/n, which rounds to 0 next to ψ = 1
    ridgeless = lam == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        e_exact = np.where(theta > 0, (n - m) / n, (n - d) / n)
        tau_exact = np.where(theta > 0, (m - n) / m, (m - d) / m)
    e = np.where(ridgeless & ~under, np.where(theta > 0, 0.0, e_exact), e)
    tau = np.where(ridgeless & under, np.where(theta > 0, 0.0, tau_exact), tau)
    e = np.where(ridgeless & under, e_exact, e)
    tau = np.where(ridgeless & ~under, tau_exact, tau)
    e = np.clip(e, 0.0, 1.0)
    tau = np.clip(tau, 0.0, 1.0)
    t_star = np.asarray(f["t_star"](mom, **sc, tau=tau), dtype=float)
    t_star = np.where(ridgeless & under, 0.0, t_star)
    return e, tau, t_star


def solve_theta(
    batch: SpectrumBatch,
    lam: np.ndarray,
    n: np.ndarray,
    m: np.ndarray,
    *,
    xtol: float = 1e-14,
    rtol: float = 1e-10,
    maxiter: int = 200,
) -> ThetaResult:
    """Solve ``θγτe = λ`` elementwise (flat arrays; ``batch`` shared or one row per element).

    Examples
    --------
    Isotropic Σ = I, d = 100, n = 200, m = 50, λ → 0⁺: θ = d/m − 1 = 1, t* = 0, e = 1 − m/n.

    >>> import numpy as np
    >>> from modelcollapse.numerics._moments import SpectrumBatch
    >>> from modelcollapse.numerics._rp_solve import solve_theta
    >>> r = solve_theta(SpectrumBatch(np.ones(100)), np.zeros(1), np.full(1, 200.), np.full(1, 50.))
    >>> r.theta.round(12).tolist(), r.e.tolist(), r.status.tolist()
    ([1.0], [0.75], [0])
    """
    f = _compiled()
    d = batch.d
    size = lam.shape[0]
    trace = np.broadcast_to(batch.trace, (size,))
    theta = np.zeros(size)
    iterations = np.zeros(size, dtype=np.int64)
    status = np.zeros(size, dtype=np.int8)
    residual = np.zeros(size)
    small = np.minimum(m, n)

    ridgeless = lam == 0
    if ridgeless.any():
        r = np.flatnonzero(ridgeless)
        k_r, _, it_r, res_r, st_r = solve_kappa_batch(_rows(batch, r), np.zeros(r.size), small[r])
        theta[r] = k_r
        iterations[r] = it_r
        residual[r] = res_r
        status[r] = np.where(st_r == 1, 0, st_r)
        threshold = np.minimum(m[r], d) == n[r]
        status[r[threshold]] = 1
        theta[r[threshold & (d <= n[r])]] = 0.0

    pos = np.flatnonzero(~ridgeless)
    if pos.size:
        lam_p, n_p, m_p, small_p = lam[pos], n[pos], m[pos], small[pos]
        k_p, conv_p, it_p, _, _ = solve_kappa_batch(_rows(batch, pos), lam_p * d / m_p, small_p)
        lo = np.where(conv_p, k_p, lam_p * d / m_p)
        hi = lam_p * d / m_p + trace[pos] / m_p + trace[pos] / n_p
        lo = np.minimum(lo, hi)
        under = m_p <= n_p
        finite_d = bool(np.isfinite(d))
        n_forms = len(rp.theta_residual_forms("over")) if finite_d else 1

        def evaluate(x: np.ndarray, sub: np.ndarray):
            # h/scale in its least-cancelling form (the reported residual), and φ = log(A/S)
            # with dφ/dlog θ, on which Newton iterates (see _residual)
            rows = pos[sub]
            sc = dict(theta=x, n=n[rows], m=m[rows], d=d, **{"lambda": lam[rows]})
            u_ = under[sub]
            out = [np.empty(x.size) for _ in range(3)]
            for branch, mask in (("under", u_), ("over", ~u_)):
                if not mask.any():
                    continue
                names = [f"{k}_{branch}_{i}" for k in ("h", "dh") for i in range(n_forms)]
                sc_b = {k: (v[mask] if np.ndim(v) else v) for k, v in sc.items()}
                mom = evaluate_moments(batch, [f[k] for k in names], sc_b,
                                       size=int(mask.sum()),
                                       index=None if batch.shared else rows[mask])
                for arr, val in zip(out, _residual(branch, n_forms, mom, sc_b, int(mask.sum())),
                                    strict=True):
                    arr[mask] = val
            return out

        def fun(x: np.ndarray, sub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            r, phi, dphi = evaluate(x, sub)
            # below the root A may be ≤ 0 (no φ): a finite negative value with no slope makes
            # the safeguarded iteration bisect
            below = ~np.isfinite(phi)
            return np.where(below, -1.0, phi), np.where(below, 0.0, dphi)

        out = bracketed_log_newton(fun, lo, hi, x0=lo, xtol=xtol,
                                   ftol=2e-15, maxiter=maxiter)
        # one more Newton step, as a factor on θ: the iteration stops once its step is below
        # xtol in log θ, and where φ is steep (n = m = 1 < d: θ dφ/dθ ≈ 8e3) that last
        # unapplied step is 8e-15 of θ — 1/e times more in e = 1 − df1/m ≈ 2e-4
        _, phi, dphi = evaluate(out.x, np.arange(pos.size))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            polish = -phi / dphi
        ok = (out.status == 0) & np.isfinite(polish) & (dphi > 0) & (np.abs(polish) < 1e-10)
        theta[pos] = np.where(ok, out.x * np.exp(np.where(ok, polish, 0.0)), out.x)
        iterations[pos] = out.iterations + it_p
        status[pos] = out.status
        h = evaluate(theta[pos], np.arange(pos.size))[0]
        residual[pos] = np.abs(h)
        fail = (status[pos] == 0) & ~(residual[pos] <= rtol)
        status[pos[fail]] = -1

    e, tau, t_star = _finish_e_tau(batch, theta, lam, n, m, d)
    return ThetaResult(theta=theta, t_star=t_star, e=e, tau=tau, converged=status >= 0,
                       iterations=iterations, residual=residual, status=status)


def solve_theta_nested(
    batch: SpectrumBatch,
    lam: np.ndarray,
    n: np.ndarray,
    m: np.ndarray,
    *,
    xtol: float = 1e-14,
    rtol: float = 1e-10,
    maxiter: int = 200,
) -> ThetaResult:
    """θ by the nested definition ``θ = κ2(t*)`` (λ > 0 only; flat arrays).

    ``t*`` solves ``h(t) = 1 − λ/t − df1(κ2(t))/n = 0``; ``h`` increases in ``t`` and
    ``t* ∈ [λ, λ + m tr Σ/(d n)]`` (``κ2 ≥ t d/m`` and ``df1(κ) ≤ tr Σ/κ``).  ``dh/dlog t`` uses
    the symbolic ``κ2'`` (:func:`~modelcollapse.theory.random_projection.kappa2_prime`).

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.numerics._moments import SpectrumBatch
    >>> from modelcollapse.numerics._rp_solve import solve_theta, solve_theta_nested
    >>> b = SpectrumBatch(1 / np.arange(1, 51))
    >>> args = (np.full(2, 0.01), np.full(2, 40.0), np.array([20.0, 80.0]))
    >>> bool(np.allclose(solve_theta_nested(b, *args).theta, solve_theta(b, *args).theta,
    ...                  rtol=1e-12))
    True
    """
    if np.any(lam <= 0):
        raise ValueError("ridge: the nested solver needs λ > 0 (use solve_theta for λ = 0)")
    f = _compiled()
    d = batch.d
    size = lam.shape[0]
    trace = np.broadcast_to(batch.trace, (size,))
    inner_iters = np.zeros(size, dtype=np.int64)

    def kappa2(tt: np.ndarray, rows: np.ndarray) -> np.ndarray:
        k2, conv, its, res, st = solve_kappa_batch(_rows(batch, rows), tt * d / m[rows], m[rows])
        KappaResult(k2, conv, its, res, st).raise_if_unconverged()
        inner_iters[rows] += its
        return k2

    def fun(tt: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k2 = kappa2(tt, rows)
        sc = dict(t=tt, theta=k2, n=n[rows], m=m[rows], d=d, **{"lambda": lam[rows]})
        mom = _moments(batch, ("h_t", "dh_t"), sc, index=None if batch.shared else rows)
        return f["h_t"](mom, **sc), f["dh_t"](mom, **sc)

    lo = lam.copy()
    hi = lam + m * trace / (d * n)
    out = bracketed_log_newton(fun, lo, hi, xtol=xtol, ftol=2e-15, maxiter=maxiter)
    status = out.status.copy()
    rows = np.arange(size)
    h, _ = fun(out.x, rows)
    residual = np.abs(h)
    status[(status == 0) & ~(residual <= rtol)] = -1
    theta = kappa2(out.x, rows)
    e, tau, _ = _finish_e_tau(batch, theta, lam, n, m, d)
    return ThetaResult(theta=theta, t_star=out.x, e=e, tau=tau, converged=status >= 0,
                       iterations=out.iterations + inner_iters, residual=residual,
                       status=status)
