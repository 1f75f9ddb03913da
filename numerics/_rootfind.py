"""Vectorised safeguarded Newton iteration for increasing functions of ``log x`` on a bracket.

Every fixed point of the theory can be written ``h(x) = 0`` with ``h`` strictly increasing in
``x > 0`` and an explicit bracket ``[lo, hi]`` with ``h(lo) ≤ 0 ≤ h(hi)``.  We iterate Newton's
method in ``log x`` (scales from 1e-15 to 1e9 in one grid), keep the bracket, and fall back to a
geometric bisection whenever a Newton step would leave it — the ``rtsafe`` strategy, one status
per element as in ``scipy.optimize.elementwise.find_root``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["bracketed_log_newton", "LogNewtonOutput", "STATUS", "status_notes"]

_EPS = float(np.finfo(float).eps)
_NEAR_ROOT = 5e-14  # |h| (relative) below which a Newton step is trusted to finish

#: Status codes shared by every result object of :mod:`modelcollapse.numerics`.
STATUS = {
    0: "converged",
    1: "interpolation threshold: the terms that carry u diverge as ridge -> 0",
    -1: "iteration limit reached before convergence",
    -2: "a non-finite value was met (while iterating, or in the risk: the inputs' magnitudes are "
    "beyond what double precision resolves); no answer",
}


def status_notes(status) -> np.ndarray:
    """A human-readable note per grid point from its status code ('' where converged)."""
    status = np.asarray(status)
    out = np.full(status.shape, "", dtype=object)
    for code, text in STATUS.items():
        if code != 0:
            out[status == code] = text
    return out


@dataclass
class LogNewtonOutput:
    """Raw output of :func:`bracketed_log_newton` (flat arrays)."""

    x: np.ndarray
    iterations: np.ndarray
    status: np.ndarray


def bracketed_log_newton(
    fun: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    x0: np.ndarray | None = None,
    xtol: float = 1e-14,
    ftol: float = 0.0,
    maxiter: int = 200,
) -> LogNewtonOutput:
    """Solve ``h(x) = 0`` elementwise for increasing ``h`` with ``h(lo) ≤ 0 ≤ h(hi)``.

    Parameters
    ----------
    fun : callable
        ``fun(x, idx) -> (h, dh_dlogx)`` evaluated at points ``x`` belonging to the elements
        ``idx`` (indices into the flat problem arrays).
    lo, hi : ndarray
        Positive brackets, shape (K,).
    xtol : float
        Convergence when a step changes ``log x`` by less than ``xtol`` (relative step in x).
    x0 : ndarray, optional
        Starting points inside the brackets (default: their geometric means).
    ftol : float
        Also stop where ``|h| ≤ ftol`` (set it to the rounding level of ``h``).
    maxiter : int
        Iteration bound; elements not converged by then get status ``-1``.
    """
    lo = np.array(lo, dtype=float)
    hi = np.array(hi, dtype=float)
    k = lo.shape[0]
    llo, lhi = np.log(lo), np.log(hi)
    x = 0.5 * (llo + lhi) if x0 is None else np.clip(np.log(x0), llo, lhi)
    iterations = np.zeros(k, dtype=np.int64)
    status = np.full(k, -1, dtype=np.int8)
    tail = np.zeros(k)
    active = np.arange(k)
    degenerate = lhi - llo <= xtol
    status[degenerate] = 0
    active = active[~degenerate]
    for _ in range(maxiter):
        if active.size == 0:
            break
        xa = x[active]
        h, dh = fun(np.exp(xa), active)
        iterations[active] += 1
        bad = ~(np.isfinite(h) & np.isfinite(dh))
        if bad.any():
            status[active[bad]] = -2
        neg = h < 0
        llo[active[neg & ~bad]] = xa[neg & ~bad]
        lhi[active[~neg & ~bad]] = xa[~neg & ~bad]
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(dh > 0, h / dh, np.inf)
        x_new = xa - step
        a_lo, a_hi = llo[active], lhi[active]
        # a Newton step below the spacing of log x (|log x| ε: 8e-14 at x = 1e-150) cannot be
        # taken in log x; near a root (small h: the slope is trusted) it is the last one and is
        # applied to x itself (below)
        unresolved = ((np.abs(step) <= np.maximum(xtol, 4 * _EPS * np.abs(xa)))
                      & (np.abs(h) <= _NEAR_ROOT))
        outside = ~((x_new > a_lo) & (x_new < a_hi)) & ~unresolved
        x_new = np.where(outside, 0.5 * (a_lo + a_hi), x_new)
        exact = np.abs(h) <= ftol
        x_new = np.where(exact | unresolved, xa, x_new)
        done = exact | unresolved | (np.abs(x_new - xa) <= xtol) | (a_hi - a_lo <= xtol)
        x[active] = x_new
        finished = done & ~bad
        last = np.where(unresolved & ~exact, -step, 0.0)
        tail[active[finished]] = last[finished]
        status[active[finished]] = 0
        active = active[~(finished | bad)]
    # the last Newton step as a factor: exp(log x − s) would round to the spacing of log x
    out = np.exp(x) * np.exp(tail)
    # a degenerate bracket is its own answer, in x (not through log and exp)
    start = np.sqrt(lo) * np.sqrt(hi) if x0 is None else np.asarray(x0, dtype=float)
    out[degenerate] = np.clip(start, lo, hi)[degenerate]
    return LogNewtonOutput(x=out, iterations=iterations, status=status)
