"""The ridge fixed point κ of Theorem 1, solved for whole grids at once.

κ is the unique positive root of ``κ − λ = κ df1(κ)/n`` (docs/mathematics.md §1, the expression
:data:`modelcollapse.theory.ridge.FIXED_POINT`).  Dividing by κ gives the strictly increasing

    h(κ) = 1 − λ/κ − df1(κ)/n,

compiled, with its slope ``κ ∂h/∂κ``, from the declaration of the ridge model
(:data:`modelcollapse.theory.ridge.MODEL`).
with the bracket ``[λ, λ + tr Σ/n]`` for λ > 0.  For λ = 0 (ridgeless) κ = 0 when ``d < n``; for
``d > n`` κ is the root of ``df1(κ) = n`` in ``[s_min (d − n)/n, tr Σ/n]``; at ``d = n`` κ = 0 and
the risk diverges (status 1, the interpolation threshold).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from modelcollapse.theory.ridge import MODEL

from ._compile import CompiledExpression, compile_expression, evaluate_moments
from ._moments import SpectrumBatch
from ._rootfind import STATUS, bracketed_log_newton
from ._validate import as_positive_spectrum, check_array, check_count
from .result import ConvergenceError

__all__ = ["KappaResult", "solve_kappa", "solve_kappa_batch", "ConvergenceError"]


@cache
def _compiled() -> tuple[tuple[CompiledExpression, ...], CompiledExpression]:
    fp = MODEL.fixed_points[0]
    forms = tuple(compile_expression(sp.Tuple(*terms)) for terms in fp.terms())
    return forms, compile_expression(fp.slope())


def finite_d_forms(forms: tuple, d: float) -> tuple:
    """The declared residual forms usable at dimension ``d``: the rewrites near the threshold
    group ``(n − d)/n`` with ``tr (Σ+κ)^{-1}``, which diverge at ``d = ∞`` (the residual itself
    is then the only form)."""
    return forms if np.isfinite(d) else forms[:1]


def least_cancelling(forms, moments, scalars, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``(h, scale)``: per point, the residual in the form whose terms are smallest
    (``scale = Σ |terms|``), so that ``|h|/scale`` measures how well float64 resolved it."""
    best_h = best_scale = None
    for f in forms:
        terms = [np.broadcast_to(np.asarray(t, dtype=float), (size,)) for t in f(moments,
                                                                                  **scalars)]
        h = np.sum(terms, axis=0)
        scale = np.sum(np.abs(terms), axis=0)
        if best_h is None:
            best_h, best_scale = h, scale
        else:
            better = scale < best_scale
            best_h = np.where(better, h, best_h)
            best_scale = np.where(better, scale, best_scale)
    return best_h, best_scale


@dataclass(frozen=True)
class KappaResult:
    """Result of :func:`solve_kappa`, in the manner of :class:`scipy.optimize.RootResults`.

    Attributes
    ----------
    kappa : ndarray
        κ on the grid (0 where ridgeless with ``d ≤ n``).
    converged : ndarray of bool
        True where κ is a verified root (status 0) or exactly 0 at the threshold (status 1).
    iterations : ndarray of int
        Newton/bisection iterations used per point.
    residual : ndarray
        ``|h(κ)|/Σ|terms|``, ``h = 1 − λ/κ − df1(κ)/n`` re-evaluated at the returned κ in its
        least-cancelling form (near n = d: ``(n − d)/n + κ tr(Σ+κ)^{-1}/n − λ/κ``), relative to
        the size of its terms (0 where κ = 0).
    status : ndarray of int
        0 converged; 1 interpolation threshold (λ = 0, d = n); −1 iteration limit;
        −2 non-finite value met.
    """

    kappa: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray
    status: np.ndarray

    @property
    def at_threshold(self) -> np.ndarray:
        """Grid points at the interpolation threshold (λ = 0 and d = n)."""
        return self.status == 1

    def raise_if_unconverged(self) -> None:
        """Raise :class:`ConvergenceError` naming the failed points, if any."""
        bad = ~np.asarray(self.converged)
        if bad.any():
            idx = np.argwhere(bad)
            first = tuple(int(i) for i in idx[0])
            code = int(np.asarray(self.status)[first])
            raise ConvergenceError(
                f"{idx.shape[0]} grid point(s) did not converge; first at index {first}: "
                f"{STATUS[code]} (residual {float(np.asarray(self.residual)[first]):.3g})"
            )


def _bracket(batch, idx, lam, n, trace, smin, d):
    """Bracket and starting point for h(κ) = 1 − λ/κ − df1(κ)/n.

    λ > 0: κ ∈ [λ, λ + tr Σ/n], tightened by the decreasing map T(κ) = λ/(1 − df1(κ)/n), which
    sends a lower bound to an upper bound and back.  λ = 0 (d > n): κ ∈ [s_min (d−n)/n, tr Σ/n];
    the lower end is exact for Σ ∝ I and a good Newton start in general.
    """
    pos = lam > 0
    hi = lam + trace / n
    with np.errstate(invalid="ignore"):
        ridgeless_lo = smin * (d - n) / n if np.isfinite(d) else np.zeros_like(n)
    # d = ∞ (an analytic spectrum, s_min = 0): df1 is unbounded as κ → 0, so a tiny κ brackets
    ridgeless_lo = np.where(ridgeless_lo > 0, ridgeless_lo, hi * 1e-250)
    lo = np.where(pos, lam, ridgeless_lo)
    if pos.any():
        p = np.flatnonzero(pos)

        def one_minus_df1(k):
            """``1 − df1(κ)/n``, or ``(n − d)/n + κ tr(Σ+κ)^{-1}/n`` where that cancels less.

            The second form needs a finite d (tr (Σ+κ)^{-1} diverges at d = ∞).
            """
            if not np.isfinite(d).all():
                mom = batch.moments(k, [("I_d", 1, 1)], index=idx[p])
                return 1 - mom[("I_d", 1, 1)] / n[p]
            mom = batch.moments(k, [("I_d", 1, 1), ("I_d", 0, 1)], index=idx[p])
            f = mom[("I_d", 1, 1)] / n[p]
            g = k * mom[("I_d", 0, 1)] / n[p]
            near = np.abs(n[p] - d) / n[p] + g < 1 + f
            return np.where(near, (n[p] - d) / n[p] + g, 1 - f)

        # T(κ) may overflow where 1 − f underflows; the bracket then keeps its safe end
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            g = one_minus_df1(lam[p])
            hi_p = np.where(g > 0, lam[p] / np.maximum(g, 1e-300), hi[p])
            hi[p] = np.minimum(hi[p], np.maximum(hi_p, lam[p]))
            g = one_minus_df1(hi[p])
            lo_p = np.where(g > 0, lam[p] / np.maximum(g, 1e-300), lo[p])
            lo[p] = np.clip(lo_p, lam[p], hi[p])
    with np.errstate(divide="ignore"):  # geometric mean without overflow
        x0 = np.where(pos | (smin == 0), np.exp(0.5 * (np.log(lo) + np.log(hi))), lo)
    return lo, hi, x0


def solve_kappa(
    eigenvalues,
    ridge,
    n,
    *,
    xtol: float = 1e-14,
    rtol: float = 1e-11,
    maxiter: int = 200,
) -> KappaResult:
    """Solve the Theorem 1 fixed point ``κ − λ = κ df1(κ)/n`` over a grid.

    Parameters
    ----------
    eigenvalues : array_like, shape (d,) or (*S, d)
        Eigenvalues of Σ (all > 0).  A leading shape means one spectrum per grid point.
    ridge : array_like
        λ ≥ 0, broadcast against ``n`` and the spectra's leading shape.
    n : array_like
        Number of training rows (> 0; need not be an integer).
    xtol : float
        Relative step in κ at which Newton stops.
    rtol : float
        A root is accepted only if the re-evaluated residual ``|h(κ)|``, relative to the size of
        the terms of ``h`` in its least-cancelling form, is below ``rtol``.
    maxiter : int
        Bound on iterations (the solver cannot hang).

    Returns
    -------
    KappaResult
        Per-point κ, ``converged``, ``iterations``, ``residual``, ``status``.

    Examples
    --------
    Isotropic Σ = I with d = 200, n = 400 (φ = 1/2), λ = 1: κ solves ``κ − 1 = κ φ/(1 + κ)``,
    i.e. ``κ = (λ + φ − 1 + sqrt((λ + φ − 1)² + 4λ))/2 = (1/2 + sqrt(17/4))/2``.

    >>> import numpy as np
    >>> from modelcollapse.numerics import solve_kappa
    >>> res = solve_kappa(np.ones(200), [1.0, 0.0], 400)
    >>> res.kappa.round(12).tolist(), res.converged.tolist()
    ([1.280776406404, 0.0], [True, True])
    """
    s = as_positive_spectrum(eigenvalues, "eigenvalues")
    lam = check_array(ridge, "ridge", lower=0.0)
    nn = check_array(n, "n", lower=0.0, strict=True)
    maxiter = check_count(maxiter, "maxiter")
    for name, value in (("xtol", xtol), ("rtol", rtol)):
        if check_array(value, name, lower=0.0, strict=True).ndim != 0:
            raise ValueError(f"{name}: expected one number > 0")
    spec_shape = s.shape[:-1]
    d = s.shape[-1]
    try:
        shape = np.broadcast_shapes(spec_shape, lam.shape, nn.shape)
    except ValueError:
        raise ValueError(f"eigenvalues, ridge, n: shapes {spec_shape}, {lam.shape}, {nn.shape} "
                         "do not broadcast") from None
    size = int(np.prod(shape))
    lam_f = np.broadcast_to(lam, shape).reshape(size)
    n_f = np.broadcast_to(nn, shape).reshape(size)
    if spec_shape:
        batch = SpectrumBatch(np.broadcast_to(s, (*shape, d)).reshape(size, d))
    else:
        batch = SpectrumBatch(s)
    out = solve_kappa_batch(batch, lam_f, n_f, xtol=xtol, rtol=rtol, maxiter=maxiter)
    return KappaResult(*(np.asarray(a).reshape(shape) for a in out))


def solve_kappa_batch(
    batch: SpectrumBatch,
    lam: np.ndarray,
    n: np.ndarray,
    *,
    xtol: float = 1e-14,
    rtol: float = 1e-11,
    maxiter: int = 200,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`solve_kappa` on flat arrays: ``(kappa, converged, iterations, residual, status)``.

    ``batch`` holds one spectrum (shared) or one per element of ``lam`` and ``n``.
    """
    size = lam.shape[0]
    d = batch.d
    trace = np.broadcast_to(batch.trace, (size,))
    smin = np.broadcast_to(batch.smallest, (size,))
    forms, slope_fun = _compiled()
    forms = finite_d_forms(forms, d)

    kappa = np.zeros(size)
    iterations = np.zeros(size, dtype=np.int64)
    status = np.zeros(size, dtype=np.int8)
    ridgeless = lam == 0
    status[ridgeless & (n == d)] = 1
    solve = ~ridgeless | (n < d)
    idx = np.flatnonzero(solve)

    def h_and_slope(k: np.ndarray, sub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # h and dh/dlog κ, both divided by the scale of h's terms: Newton's step is unchanged
        # and the tolerance on h becomes relative to what float64 resolves
        rows = idx[sub]
        sc = {"kappa": k, "lambda": lam[rows], "n": n[rows], "d": float(d)}
        mom = evaluate_moments(batch, (*forms, slope_fun), sc, size=k.size,
                               index=None if batch.shared else rows)
        h, scale = least_cancelling(forms, mom, sc, k.size)
        scale = np.where(scale > 0, scale, 1.0)
        return h / scale, slope_fun(mom, **sc) / scale

    if idx.size:
        lo, hi, x0 = _bracket(batch, idx, lam[idx], n[idx], trace[idx], smin[idx], d)
        out = bracketed_log_newton(
            h_and_slope, lo, hi, x0=x0, xtol=xtol, ftol=2e-15, maxiter=maxiter
        )
        kappa[idx] = out.x
        iterations[idx] = out.iterations
        status[idx] = out.status
    residual = np.zeros(size)
    if idx.size:
        h, _ = h_and_slope(kappa[idx], np.arange(idx.size))
        residual[idx] = np.abs(h)
        fail = (status[idx] == 0) & ~(residual[idx] <= rtol)
        status[idx[fail]] = -1
    return kappa, status >= 0, iterations, residual, status
