"""Recursive retraining for any spectrum and ridge (docs/mathematics.md §6).

N generations of OLS generators (``T0`` rows each, label noise σ0) shift the teacher by a
mean-zero ``δ`` with covariance ``N σ0² Σ^{-1}/(T0 − d)``; the downstream ridge fit on ``T`` rows
labelled by generation N is Theorem 1 with ``p2 = 1`` and that ``Δ``
(:func:`modelcollapse.theory.iterative.recursive_retraining_ridge`)::

    E_N ≃ B + V + N σ0² ρ,   ρ = [df2(κ) + u κ² tr (Σ+κ)^{-2}] / (T0 − d)

The model is declared in :data:`modelcollapse.theory.iterative.MODEL` (its ζ is ``N σ0² ρ``); the
engine solves the downstream κ with the ridge solver hook.
"""

from __future__ import annotations

from numpy.typing import ArrayLike

from .engine import OnFailure, evaluate
from .result import Risk

__all__ = ["recursive_retraining_risk"]


def recursive_retraining_risk(
    spectrum: ArrayLike,
    *,
    t0: ArrayLike,
    t: ArrayLike,
    ridge: ArrayLike,
    generations: ArrayLike,
    noise_generator: ArrayLike,
    noise: ArrayLike = 0.0,
    gamma: ArrayLike | None = None,
    w_real: ArrayLike | None = None,
    on_failure: OnFailure = "raise",
    maxiter: int = 200,
) -> Risk:
    """Test error of ridge trained on labels from the N-th generation of OLS generators.

    Generation 0 is the true teacher ``w``; generation k is least squares on ``t0`` fresh rows
    labelled by generation k − 1 plus ``N(0, σ0²)`` noise; the downstream model is ridge with
    penalty λ on ``t`` fresh rows labelled by generation N plus ``N(0, σ²)`` noise.  Its excess
    risk against ``w`` is ``E_N ≃ B + V + N σ0² ρ``, ``ρ = [df2(κ) + uκ² tr(Σ+κ)^{-2}]/(T0 − d)``
    (docs/mathematics.md §6; Dohmatob, Feng, Kempe 2024).  Every numeric argument broadcasts.

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
    maxiter : int
        Iteration bound of the κ solver.

    Returns
    -------
    Risk
        ``bias``, ``variance``: B and V of the downstream fit on clean data (generation 0);
        ``zeta = N σ0² ρ``, what the generations add; auxiliaries ``kappa``, ``u`` (of the
        downstream fit) and ``rho`` (ρ, per generation per unit σ0²).

    Examples
    --------
    Isotropic, ridgeless: each generation adds ``σ0² d/(T0 − d)`` (1/3 at d = 100, T0 = 400) to
    the clean ``σ² d/(T − d)`` (1/2 at T = 300, σ = 1):

    >>> import numpy as np
    >>> from modelcollapse.numerics import recursive_retraining_risk
    >>> d = 100
    >>> res = recursive_retraining_risk(np.ones(d), t0=400, t=300, ridge=0.0,
    ...                                 generations=[0, 1, 3], noise_generator=1.0, noise=1.0,
    ...                                 gamma=np.full(d, 1 / d))
    >>> res.test_error.round(12).tolist()
    [0.5, 0.833333333333, 1.5]
    """
    return evaluate("recursive_retraining", spectrum, t0=t0, t=t, ridge=ridge,
                    generations=generations, noise_generator=noise_generator, noise=noise,
                    gamma=gamma, w_real=w_real, on_failure=on_failure, maxiter=maxiter)
