"""Weighted single-step mixing evaluated numerically (docs/mathematics.md §3).

The model is declared in :data:`modelcollapse.theory.mixing.MODEL`: the two-group fixed point for
the leave-one-out factor δ, ``h(δ) = δ ξ(δ) − df1(λ/ξ(δ))/n = 0`` (strictly increasing in δ),
whose residual and slope this module's solver hook compiles from the declaration.  Ridgeless
(λ = 0): κ = 0 and ``δ ξ(δ) = d/n`` while d is below the number of rows with positive weight; above
it the weighted and unweighted interpolators coincide, and Theorem 1 on the active rows applies
(the model's reduction to ``"ridge"``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from modelcollapse.theory import mixing as theory

from ._compile import CompiledExpression, compile_expression, evaluate_moments
from ._rootfind import bracketed_log_newton
from .engine import OnFailure, Solution, SolverOptions, evaluate
from .kappa import finite_d_forms, least_cancelling
from .result import Risk

__all__ = ["weighted_ridge_risk", "solve_mixing_fixed_point", "check_weights",
           "reduce_to_ridge"]

_REDUCED = 2  # status: evaluated through the reduction to plain ridge


@cache
def _compiled() -> tuple[tuple[CompiledExpression, ...], CompiledExpression, CompiledExpression]:
    fp = theory.MODEL.fixed_points[0]
    forms = tuple(compile_expression(sp.Tuple(*terms)) for terms in fp.terms())
    return forms, compile_expression(fp.slope()), compile_expression(theory.XI)


def _active_share(a1: np.ndarray, a2: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """The fraction of rows with a positive weight."""
    return np.where(a1 > 0, 1 - p2, 0.0) + np.where(a2 > 0, p2, 0.0)


def solve_mixing_fixed_point(batch, inputs: Mapping[str, np.ndarray], options: SolverOptions
                             ) -> Solution:
    """Solver hook: δ of ``δ ξ(δ) = df1(λ/ξ(δ))/n``; status 2 where λ = 0 and d ≥ the active
    rows (the reduction to plain ridge evaluates those points)."""
    forms, slope_fun, xi_fun = _compiled()
    forms = finite_d_forms(forms, batch.d)
    lam, n, p2, a1, a2 = (inputs[k] for k in ("lambda", "n", "p2", "a1", "a2"))
    size = lam.shape[0]
    d = batch.d
    trace = np.broadcast_to(batch.trace, (size,))
    p_active = _active_share(a1, a2, p2)
    ridgeless = lam == 0
    under = ridgeless & (d < n * p_active)
    delta = np.full(size, np.nan)
    iterations = np.zeros(size, dtype=np.int64)
    residual = np.zeros(size)
    status = np.where(ridgeless & ~under, _REDUCED, 0).astype(np.int8)
    idx = np.flatnonzero(~ridgeless | under)
    if idx.size == 0:
        return Solution({"delta_loo": delta}, iterations, residual, status)
    sc_i = {"lambda": lam[idx], "n": n[idx], "p2": p2[idx], "a1": a1[idx], "a2": a2[idx]}

    def xi(x: np.ndarray, sub) -> np.ndarray:
        return xi_fun({}, delta_loo=x, **{k: v[sub] for k, v in sc_i.items()})

    def h_and_slope(x: np.ndarray, sub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # h and dh/dlog δ divided by the scale of h's terms in its least-cancelling form
        sc = {k: v[sub] for k, v in sc_i.items()}
        sc["delta_loo"] = x
        sc["d"] = float(d)
        mom = evaluate_moments(batch, (*forms, slope_fun), sc, size=x.size,
                               index=None if batch.shared else idx[sub])
        h, scale = least_cancelling(forms, mom, sc, x.size)
        scale = np.where(scale > 0, scale, 1.0)
        return h / scale, slope_fun(mom, **sc) / scale

    # brackets: λ > 0: δ ∈ [df1(λ/ξ(δ_hi))/(2n), tr Σ/(λ n)]; λ = 0: δ ξ(δ) = φ needs
    # δ ≥ φ, and δ_hi = φ/((p_active − φ) a_min) makes p_active·x/(1+x) ≥ φ.
    a1i, a2i, li, ni = a1[idx], a2[idx], lam[idx], n[idx]
    all_i = np.arange(idx.size)
    a_min = np.minimum(np.where(a1i > 0, a1i, np.inf), np.where(a2i > 0, a2i, np.inf))
    safe_l = np.where(li > 0, li, 1.0)
    phi_i = d / ni
    gap = np.where(li > 0, 1.0, p_active[idx] - phi_i)
    hi = np.where(li > 0, trace[idx] / safe_l / ni, phi_i / (gap * a_min))
    # below the active rows the ridgeless δ bounds δ for every λ > 0 too (δ ξ(δ) ≥ d/n ≥
    # df1/n there), and stays finite where tr Σ/(λ n) overflows (a subnormal λ)
    fewer = (li > 0) & (p_active[idx] > phi_i)
    with np.errstate(divide="ignore", invalid="ignore"):
        cap = phi_i / ((p_active[idx] - phi_i) * a_min)
    hi = np.where(fewer, np.minimum(hi, cap), hi)
    shift = np.where(li > 0, li / xi(hi, all_i), 1.0)
    df_hi = batch.moments(shift, [("I_d", 1, 1)], index=None if batch.shared else idx)
    lo = np.where(li > 0, 0.5 * df_hi[("I_d", 1, 1)] / ni, d / ni)
    lo = np.minimum(lo, hi)
    out = bracketed_log_newton(h_and_slope, lo, hi, ftol=4e-16, maxiter=options.maxiter)
    delta[idx] = out.x
    iterations[idx] = out.iterations
    status[idx] = out.status
    h_fin, _ = h_and_slope(out.x, all_i)  # relative to the size of its terms
    residual[idx] = np.abs(h_fin)
    status[idx[(out.status == 0) & ~(residual[idx] <= 1e-10)]] = -1
    return Solution({"delta_loo": delta}, iterations, residual, status)


def check_weights(values: Mapping[str, np.ndarray]) -> None:
    """A group with no rows cannot carry weight: p2 = 0 needs α = 0, p2 = 1 needs α = 1."""
    p2, alpha = np.broadcast_arrays(values["p2"], values["alpha"])
    if ((p2 == 0) & (alpha != 0)).any() or ((p2 == 1) & (alpha != 1)).any():
        raise ValueError("alpha: with p2 = 0 (1) the only possible weight is alpha = 0 (1)")


def reduce_to_ridge(run: Callable[[str, dict], Risk], values: Mapping[str, np.ndarray]) -> dict:
    """Ridgeless with d ≥ the active rows: the minimum-norm interpolator of the active rows does
    not depend on the weights — Theorem 1 on those rows (δ = ∞, ξ = 0)."""
    p2, alpha, n = values["p2"], values["alpha"], values["n"]
    with np.errstate(divide="ignore", invalid="ignore"):
        a1 = np.where(p2 < 1, (1 - alpha) / (1 - p2), 0.0)
        a2 = np.where(p2 > 0, alpha / p2, 0.0)
    p_active = _active_share(a1, a2, p2)
    p2_active = np.where(a2 > 0, p2 / p_active, 0.0)
    sub = run("ridge", {"n": n * p_active, "p2": p2_active, "ridge": np.zeros_like(n),
                        "noise_real": values["noise_real"], "noise_synth": values["noise_synth"]})
    out = {k: np.asarray(getattr(sub, k)).reshape(-1) for k in
           ("test_error", "bias", "variance", "zeta", "kappa", "status", "iterations",
            "residual")}
    out.update(delta_loo=np.full(n.shape, np.inf), xi=np.zeros(n.shape),
               teacher_weight=p2_active)
    return out


def weighted_ridge_risk(
    spectrum: ArrayLike,
    *,
    n: ArrayLike,
    p2: ArrayLike,
    alpha: ArrayLike,
    ridge: ArrayLike,
    noise_real: ArrayLike = 0.0,
    noise_synth: ArrayLike = 0.0,
    gamma: ArrayLike | None = None,
    delta: ArrayLike | None = None,
    w_real: ArrayLike | None = None,
    w_synth: ArrayLike | None = None,
    on_failure: OnFailure = "raise",
    maxiter: int = 200,
) -> Risk:
    """Test error of ridge with loss ``((1−α)/n1)Σ_real + (α/n2)Σ_synth + λ‖w‖²``.

    Parameters
    ----------
    spectrum : array_like, shape (d,) or (*S, d)
        Eigenvalues of Σ (> 0).
    n, p2, ridge, noise_real, noise_synth : array_like
        As in :func:`~modelcollapse.numerics.ridge_risk`; all broadcast together with ``alpha``.
    alpha : array_like
        Weight of the synthetic group in the loss, in [0, 1] (α = p2 is plain ridge).  Where
        ``p2 = 0`` (``1``) only ``alpha = 0`` (``1``) makes sense.
    gamma, delta, w_real, w_synth : array_like, shape (d,) or (*S, d)
        Teachers, random effects or fixed vectors.
    on_failure : {"raise", "nan"}
        As in :func:`~modelcollapse.numerics.ridge_risk`.
    maxiter : int
        Iteration bound of the δ solver.

    Returns
    -------
    Risk
        Auxiliaries ``delta_loo`` (the leave-one-out factor δ; ``inf`` where ridgeless with d at
        or above the active rows, where weights are moot), ``kappa`` (κ = λ/ξ), ``xi`` (ξ(δ)) and
        ``teacher_weight`` (θ_w: the effective teacher is ``w1 + θ_w (w2 − w1)``).

    Examples
    --------
    α = p2 is Theorem 1:

    >>> import numpy as np
    >>> from modelcollapse.numerics import ridge_risk, weighted_ridge_risk
    >>> kw = dict(n=400, p2=0.3, ridge=0.1, noise_real=1.0, noise_synth=0.5,
    ...           gamma=np.full(100, 0.01), delta=np.full(100, 0.005))
    >>> a = weighted_ridge_risk(np.ones(100), alpha=0.3, **kw).test_error
    >>> b = ridge_risk(np.ones(100), **kw).test_error
    >>> bool(abs(a - b) < 1e-12 * b)
    True
    """
    return evaluate("weighted_ridge", spectrum, n=n, p2=p2, alpha=alpha, ridge=ridge,
                    noise_real=noise_real, noise_synth=noise_synth, gamma=gamma, delta=delta,
                    w_real=w_real, w_synth=w_synth, on_failure=on_failure, maxiter=maxiter)
