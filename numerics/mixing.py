"""Weighted single-step mixing evaluated numerically (THEORY.md §3; theory in ``theory.mixing``).

Solves the two-group fixed point for the leave-one-out factor δ,
``h(δ) = δ ξ(δ) − df1(λ/ξ(δ))/n = 0`` (strictly increasing in δ), and evaluates the compiled
test error of :func:`modelcollapse.theory.mixing.test_error`.  Ridgeless (λ = 0): κ = 0 and
``δ ξ(δ) = d/n`` while d is below the number of rows with positive weight; above it the weighted
and unweighted interpolators coincide, and Theorem 1 on the active rows applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from modelcollapse.theory import mixing as theory
from modelcollapse.theory.symbols import kappa, n, p2, sigma1, sigma2

from ._compile import CompiledExpression, compile_expression
from ._moments import SpectrumBatch
from ._rootfind import STATUS, bracketed_log_newton, status_notes
from ._validate import as_positive_spectrum, check_array
from .kappa import ConvergenceError
from .ridge import ridge_risk, ridge_teacher

__all__ = ["MixingRisk", "weighted_ridge_risk"]


@dataclass(frozen=True)
class MixingRisk:
    """Deterministic equivalent of weighted-mixing ridge on a grid.

    Attributes
    ----------
    test_error : ndarray
        ``E_test`` on the real distribution (``+inf`` at an interpolation threshold).
    bias, variance, zeta : ndarray
        The split of :func:`modelcollapse.theory.mixing.risk_components` (Theorem 1's B, V, ζ
        when α = p2).
    kappa, delta, theta, xi : ndarray
        κ = λ/ξ, the leave-one-out factor δ, the effective-teacher weight θ and ξ(δ)
        (δ = ``inf``, ξ = 0 in the over-parametrised ridgeless case, where weights are moot).
    converged, iterations, residual, status : ndarray
        Solver report, as for :class:`~modelcollapse.numerics.RidgeRisk`.
    """

    test_error: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    zeta: np.ndarray
    kappa: np.ndarray
    delta: np.ndarray
    theta: np.ndarray
    xi: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray
    status: np.ndarray

    def notes(self) -> np.ndarray:
        """A human-readable note per grid point ('' where all is well)."""
        return status_notes(self.status)


@cache
def _compiled(kind: str) -> dict[str, CompiledExpression]:
    scalars = [kappa, theory.delta_loo, theory.a1, theory.a2, p2, sigma1, sigma2, n]
    comps = theory.risk_components(kind)  # type: ignore[arg-type]
    return {k: compile_expression(comps[k], scalars) for k in ("test_error", "bias", "variance")}


def _xi(delta, a1, a2, p2v):
    return (1 - p2v) * a1 / (1 + a1 * delta) + p2v * a2 / (1 + a2 * delta)


def weighted_ridge_risk(
    spectrum,
    *,
    n,
    p2,
    alpha,
    ridge,
    noise_real=0.0,
    noise_synth=0.0,
    gamma=None,
    delta=None,
    w_real=None,
    w_synth=None,
) -> MixingRisk:
    """Test error of ridge with loss ``((1−α)/n1)Σ_real + (α/n2)Σ_synth + λ‖w‖²``.

    Parameters
    ----------
    spectrum : array_like, shape (d,)
        Eigenvalues of Σ (> 0), shared by the grid.
    n, p2, ridge, noise_real, noise_synth : array_like
        As in :func:`~modelcollapse.numerics.ridge_risk`; all broadcast together with ``alpha``.
    alpha : array_like
        Weight of the synthetic group in the loss, in [0, 1] (α = p2 is plain ridge).  Where
        ``p2 = 0`` (``1``) only ``alpha = 0`` (``1``) makes sense.
    gamma, delta, w_real, w_synth : array_like, shape (d,)
        Teachers, random effects or fixed vectors.

    Returns
    -------
    MixingRisk
        Raises :class:`~modelcollapse.numerics.ConvergenceError` if a point does not converge.

    Examples
    --------
    α = p2 is Theorem 1:

    >>> import numpy as np
    >>> from modelcollapse.numerics import ridge_risk
    >>> from modelcollapse.numerics.mixing import weighted_ridge_risk
    >>> kw = dict(n=400, p2=0.3, ridge=0.1, noise_real=1.0, noise_synth=0.5,
    ...           gamma=np.full(100, 0.01), delta=np.full(100, 0.005))
    >>> a = weighted_ridge_risk(np.ones(100), alpha=0.3, **kw).test_error
    >>> b = ridge_risk(np.ones(100), **kw).test_error
    >>> bool(abs(a - b) < 1e-12 * b)
    True
    """
    s = as_positive_spectrum(spectrum, "spectrum")
    if s.ndim != 1:
        raise ValueError("spectrum: weighted mixing takes one spectrum of shape (d,)")
    d = s.shape[0]
    teacher = ridge_teacher(d, gamma=gamma, delta=delta, w_real=w_real, w_synth=w_synth)
    arrs = {
        "n": check_array(n, "n", lower=0.0, strict=True),
        "p2": check_array(p2, "p2", lower=0.0, upper=1.0),
        "alpha": check_array(alpha, "alpha", lower=0.0, upper=1.0),
        "ridge": check_array(ridge, "ridge", lower=0.0),
        "noise_real": check_array(noise_real, "noise_real", lower=0.0),
        "noise_synth": check_array(noise_synth, "noise_synth", lower=0.0),
    }
    shape = np.broadcast_shapes(*(a.shape for a in arrs.values()))
    size = int(np.prod(shape))
    f = {k: np.broadcast_to(v, shape).reshape(size).astype(float) for k, v in arrs.items()}
    p2v, al, lam, nn = f["p2"], f["alpha"], f["ridge"], f["n"]
    if ((p2v == 0) & (al != 0)).any() or ((p2v == 1) & (al != 1)).any():
        raise ValueError("alpha: with p2 = 0 (1) the only possible weight is alpha = 0 (1)")
    with np.errstate(divide="ignore", invalid="ignore"):
        a1 = np.where(p2v < 1, (1 - al) / (1 - p2v), 0.0)
        a2 = np.where(p2v > 0, al / p2v, 0.0)
    p_active = np.where(a1 > 0, 1 - p2v, 0.0) + np.where(a2 > 0, p2v, 0.0)
    batch = SpectrumBatch(s, teacher.weights)
    trace = float(s.sum())

    dlt = np.full(size, np.nan)
    kap = np.zeros(size)
    iters = np.zeros(size, dtype=np.int64)
    status = np.zeros(size, dtype=np.int8)
    residual = np.zeros(size)
    ridgeless = lam == 0
    under = ridgeless & (d < nn * p_active)
    over = ridgeless & ~under  # interpolating the active rows: weights are moot
    pos = ~ridgeless

    idx = np.flatnonzero(pos | under)
    if idx.size:
        a1i, a2i, p2i, li, ni = a1[idx], a2[idx], p2v[idx], lam[idx], nn[idx]

        def h_and_slope(x: np.ndarray, sub: np.ndarray):
            a_1, a_2, q2, lr, nr = a1i[sub], a2i[sub], p2i[sub], li[sub], ni[sub]
            xi = _xi(x, a_1, a_2, q2)
            eta = (1 - q2) * a_1**2 / (1 + a_1 * x) ** 2 + q2 * a_2**2 / (1 + a_2 * x) ** 2
            dxd = (1 - q2) * a_1 / (1 + a_1 * x) ** 2 + q2 * a_2 / (1 + a_2 * x) ** 2
            k = lr / xi
            mom = batch.moments(k, [("I_d", 1, 1), ("I_d", 1, 2)])
            h = x * xi - np.where(lr > 0, mom[("I_d", 1, 1)], d) / nr
            slope = x * (dxd + np.where(lr > 0, mom[("I_d", 1, 2)] * lr * eta / (nr * xi**2), 0))
            return h, slope

        # brackets: λ > 0: δ ∈ [df1(λ/ξ(δ_hi))/(2n), tr Σ/(λ n)]; λ = 0: δ ξ(δ) = φ needs
        # δ ≥ φ, and δ_hi = φ/((p_active − φ) a_min) makes p_active·x/(1+x) ≥ φ.
        a_min = np.minimum(np.where(a1i > 0, a1i, np.inf), np.where(a2i > 0, a2i, np.inf))
        safe_l = np.where(li > 0, li, 1.0)
        phi_i = d / ni
        gap = np.where(li > 0, 1.0, p_active[idx] - phi_i)
        hi = np.where(li > 0, trace / safe_l / ni, phi_i / (gap * a_min))
        xi_hi = _xi(hi, a1i, a2i, p2i)
        df_hi = batch.moments(np.where(li > 0, li / xi_hi, 1.0), [("I_d", 1, 1)])[("I_d", 1, 1)]
        lo = np.where(li > 0, 0.5 * df_hi / ni, d / ni)
        lo = np.minimum(lo, hi)
        out = bracketed_log_newton(h_and_slope, lo, hi, ftol=4e-16, maxiter=200)
        dlt[idx] = out.x
        iters[idx] = out.iterations
        status[idx] = out.status
        h_fin, _ = h_and_slope(out.x, np.arange(idx.size))
        residual[idx] = np.abs(h_fin) / np.maximum(out.x * _xi(out.x, a1i, a2i, p2i), 1e-300)
        status[idx[(out.status == 0) & ~(residual[idx] <= 1e-10)]] = -1
        kap[idx] = np.where(li > 0, li / _xi(dlt[idx], a1i, a2i, p2i), 0.0)

    if (status < 0).any():
        bad = int(np.flatnonzero(status < 0)[0])
        raise ConvergenceError(
            f"{int((status < 0).sum())} grid point(s) did not converge; first at flat index "
            f"{bad}: {STATUS[int(status[bad])]}"
        )

    total = np.full(size, np.nan)
    bias = np.full(size, np.nan)
    variance = np.full(size, np.nan)
    theta = np.full(size, np.nan)
    xi_v = np.zeros(size)
    ok = pos | under
    if ok.any():
        j = np.flatnonzero(ok)
        fns = _compiled(teacher.kind)
        mom = batch.moments(kap[j], sorted({sp for f in fns.values() for sp in f.specs}))
        args = dict(kappa=kap[j], delta=dlt[j], a1=a1[j], a2=a2[j], p2=p2v[j],
                    sigma1=f["noise_real"][j], sigma2=f["noise_synth"][j], n=nn[j])
        total[j] = fns["test_error"](mom, **args)
        bias[j] = fns["bias"](mom, **args)
        variance[j] = fns["variance"](mom, **args)
        xi_v[j] = _xi(dlt[j], a1[j], a2[j], p2v[j])
        theta[j] = (p2v[j] * a2[j] / (1 + a2[j] * dlt[j])) / xi_v[j]
    if over.any():
        j = np.flatnonzero(over)
        # the minimum-norm interpolator of the active rows does not depend on the weights
        n_act = nn[j] * p_active[j]
        p2_act = np.where(a2[j] > 0, p2v[j] / p_active[j], 0.0)
        sub = ridge_risk(s, n=n_act, p2=p2_act, ridge=0.0, noise_real=f["noise_real"][j],
                         noise_synth=f["noise_synth"][j], **_teacher_kwargs(gamma, delta,
                                                                           w_real, w_synth))
        total[j] = sub.test_error
        bias[j] = sub.bias
        variance[j] = sub.variance
        kap[j] = sub.kappa
        status[j] = sub.status
        dlt[j] = np.inf
        theta[j] = p2_act
    with np.errstate(invalid="ignore"):
        zeta = total - bias - variance
    return MixingRisk(
        test_error=total.reshape(shape),
        bias=bias.reshape(shape),
        variance=variance.reshape(shape),
        zeta=np.where(np.isinf(total), total, zeta).reshape(shape),
        kappa=kap.reshape(shape),
        delta=dlt.reshape(shape),
        theta=theta.reshape(shape),
        xi=xi_v.reshape(shape),
        converged=(status >= 0).reshape(shape),
        iterations=iters.reshape(shape),
        residual=residual.reshape(shape),
        status=status.reshape(shape),
    )


def _teacher_kwargs(gamma, delta, w_real, w_synth) -> dict:
    if gamma is not None:
        return {"gamma": gamma, "delta": delta}
    return {"w_real": w_real, "w_synth": w_synth}
