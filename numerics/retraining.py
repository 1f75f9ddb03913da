"""Recursive retraining for any spectrum and ridge (THEORY.md §6; theory in ``theory.iterative``).

N generations of OLS generators (``T0`` rows each, label noise σ0) shift the teacher by a
mean-zero ``δ`` with covariance ``N σ0² Σ^{-1}/(T0 − d)``; the downstream ridge fit on ``T`` rows
labelled by generation N is Theorem 1 with ``p2 = 1`` and that ``Δ``
(:func:`modelcollapse.theory.iterative.recursive_retraining_ridge`)::

    E_N ≃ B + V + N σ0² ρ,   ρ = [df2(κ) + u κ² tr (Σ+κ)^{-2}] / (T0 − d)

Both parts are evaluated by the compiled Theorem 1 (:func:`~modelcollapse.numerics.ridge_risk`):
the clean fit (``p2 = 0``) and the unit shift ``Δ = Σ^{-1}`` at ``p2 = 1``, whose ζ is
``(T0 − d) ρ``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ._rootfind import status_notes
from ._validate import as_positive_spectrum, check_array
from .ridge import ridge_risk

__all__ = ["RetrainingRisk", "recursive_retraining_risk"]


@dataclass(frozen=True)
class RetrainingRisk:
    """Deterministic equivalent of the error after N generations of recursive retraining.

    Attributes
    ----------
    test_error : ndarray
        ``E_N ≃ B + V + N σ0² ρ`` (excess risk against the original teacher).
    bias, variance : ndarray
        B and V of the downstream ridge fit on clean data (generation 0).
    rho : ndarray
        ρ, the increase per generation per unit generator noise σ0².
    collapse : ndarray
        ``N σ0² ρ``, what the generations add.
    kappa, u : ndarray
        κ and u of the downstream fit (Theorem 1 with ``n = T``).
    converged, iterations, residual, status : ndarray
        From the κ solver; status codes as in :data:`~modelcollapse.numerics._rootfind.STATUS`.
    """

    test_error: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    rho: np.ndarray
    collapse: np.ndarray
    kappa: np.ndarray
    u: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray
    status: np.ndarray

    def notes(self) -> np.ndarray:
        """A human-readable note per grid point ('' where all is well)."""
        return status_notes(self.status)


def recursive_retraining_risk(
    spectrum,
    *,
    t0,
    t,
    ridge,
    generations,
    noise_generator,
    noise=0.0,
    gamma=None,
    w_real=None,
    on_failure: Literal["raise", "nan"] = "raise",
) -> RetrainingRisk:
    """Test error of ridge trained on labels from the N-th generation of OLS generators.

    Generation 0 is the true teacher ``w``; generation k is least squares on ``t0`` fresh rows
    labelled by generation k − 1 plus ``N(0, σ0²)`` noise; the downstream model is ridge with
    penalty λ on ``t`` fresh rows labelled by generation N plus ``N(0, σ²)`` noise.  Its excess
    risk against ``w`` is ``E_N ≃ B + V + N σ0² ρ``, ``ρ = [df2(κ) + uκ² tr(Σ+κ)^{-2}]/(T0 − d)``
    (THEORY.md §6; Dohmatob, Feng, Kempe 2024).  Every numeric argument broadcasts.

    Parameters
    ----------
    spectrum : array_like, shape (d,) or (*S, d)
        Eigenvalues of Σ (> 0).
    t0 : array_like
        Rows per generator fit, ``T0 > d`` (OLS generators; the deterministic equivalent uses
        ``T0 − d`` where the exact Gaussian value is ``T0 − d − 1``).
    t : array_like
        Downstream rows ``T > 0``.
    ridge : array_like
        Downstream λ ≥ 0 (λ = 0 is the ridgeless limit; infinite at ``T = d``).
    generations : array_like
        Number of generations ``N ≥ 0`` (whole numbers).
    noise_generator, noise : array_like
        Label-noise standard deviations σ0 of the generators and σ of the downstream data.
    gamma : array_like, shape (d,), optional
        Random-effects teacher: diagonal of Γ = cov(w) in Σ's eigenbasis.
    w_real : array_like, shape (d,), optional
        Fixed teacher ``w`` in Σ's eigenbasis (instead of ``gamma``).
    on_failure : {"raise", "nan"}
        As in :func:`~modelcollapse.numerics.ridge_risk`.

    Returns
    -------
    RetrainingRisk

    Examples
    --------
    Isotropic, ridgeless: each generation adds ``σ0² d/(T0 − d)`` (1/3 at d = 100, T0 = 400) to
    the clean ``σ² d/(T − d)`` (1/2 at T = 300, σ = 1):

    >>> import numpy as np
    >>> from modelcollapse.numerics.retraining import recursive_retraining_risk
    >>> d = 100
    >>> res = recursive_retraining_risk(np.ones(d), t0=400, t=300, ridge=0.0,
    ...                                 generations=[0, 1, 3], noise_generator=1.0, noise=1.0,
    ...                                 gamma=np.full(d, 1 / d))
    >>> res.test_error.round(12).tolist()
    [0.5, 0.833333333333, 1.5]
    """
    s = as_positive_spectrum(spectrum, "spectrum")
    d = s.shape[-1]
    t0_arr = check_array(t0, "t0", lower=float(d), strict=True)
    gens = check_array(generations, "generations", lower=0.0)
    if (gens != np.round(gens)).any():
        raise ValueError("generations: expected whole numbers")
    s0 = check_array(noise_generator, "noise_generator", lower=0.0)
    t_arr = check_array(t, "t", lower=0.0, strict=True)
    sig = check_array(noise, "noise", lower=0.0)
    lam = check_array(ridge, "ridge", lower=0.0)
    try:
        np.broadcast_shapes(s.shape[:-1], t0_arr.shape, gens.shape, s0.shape, t_arr.shape,
                            sig.shape, lam.shape)
    except ValueError:
        raise ValueError(
            "t0, t, ridge, generations, noise_generator, noise: shapes do not broadcast "
            f"({t0_arr.shape}, {t_arr.shape}, {lam.shape}, {gens.shape}, {s0.shape}, {sig.shape})"
        ) from None
    if (w_real is None) == (gamma is None):
        raise ValueError("teacher: give exactly one of gamma (random effects) or w_real (fixed)")
    teacher = (
        dict(gamma=gamma, delta=np.zeros(d))
        if w_real is None
        else dict(w_real=w_real, w_synth=w_real)
    )
    clean = ridge_risk(s, n=t_arr, p2=0.0, ridge=lam, noise_real=sig, **teacher,
                       on_failure=on_failure)
    # ζ at p2 = 1 with Δ = Σ^{-1} is (T0 − d) ρ; the teacher does not enter it
    unit = ridge_risk(s, n=t_arr, p2=1.0, ridge=lam, gamma=np.zeros(d), delta=1.0 / s,
                      on_failure=on_failure)
    rho = unit.zeta / (t0_arr - d)
    weight = gens * s0**2
    with np.errstate(invalid="ignore"):  # 0·∞ at the threshold: no generations add nothing
        collapse = np.where(weight == 0, 0.0, weight * rho)
    clean_error = clean.bias + clean.variance
    total = clean_error + collapse
    shape = np.shape(total)

    def out(a) -> np.ndarray:
        return np.array(np.broadcast_to(a, shape))

    return RetrainingRisk(
        test_error=out(total),
        bias=out(clean.bias),
        variance=out(clean.variance),
        rho=out(rho),
        collapse=out(collapse),
        kappa=out(clean.kappa),
        u=out(clean.u),
        converged=out(clean.converged),
        iterations=out(clean.iterations),
        residual=out(clean.residual),
        status=out(clean.status),
    )
