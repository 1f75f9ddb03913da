"""Theorem 1 evaluated numerically: test error, B, V, ζ of ridge on a real/synthetic mixture.

The model is declared in :data:`modelcollapse.theory.ridge.MODEL`; the engine
(:func:`modelcollapse.numerics.engine.evaluate`) validates, broadcasts, solves κ
(:func:`~modelcollapse.numerics.kappa.solve_kappa_batch`) and evaluates the compiled B, V, ζ and
their threshold limits.  This module is the documented entry point and the model's solver hook.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from .engine import OnFailure, Solution, SolverOptions, evaluate
from .kappa import solve_kappa_batch
from .result import Risk

__all__ = ["ridge_risk", "solve_ridge_fixed_point"]


def solve_ridge_fixed_point(batch, inputs: Mapping[str, np.ndarray], options: SolverOptions
                            ) -> Solution:
    """Solver hook: κ of ``κ − λ = κ df1(κ)/n`` for flat ``inputs["lambda"]``, ``inputs["n"]``."""
    kappa, _, iterations, residual, status = solve_kappa_batch(
        batch, inputs["lambda"], inputs["n"], xtol=options.xtol, maxiter=options.maxiter
    )
    return Solution({"kappa": kappa}, iterations, residual, status)


def ridge_risk(
    spectrum: ArrayLike,
    *,
    n: ArrayLike,
    p2: ArrayLike,
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
    """Theorem 1 test error of ridge on ``n1 = (1−p2) n`` real and ``n2 = p2 n`` synthetic rows.

    ``E_test ≃ B + V + ζ`` with ``B = κ²(1+u) tr ΓΣ(Σ+κ)^{-2}``, ``V = σ² u`` and ζ of eq. 10
    (docs/mathematics.md §1), evaluated over a grid: every numeric argument broadcasts.

    Parameters
    ----------
    spectrum : array_like, shape (d,) or (*S, d)
        Eigenvalues of Σ (> 0); one spectrum per grid point if it has leading axes.
    n : array_like
        Total number of training rows (> 0).
    p2 : array_like
        Fraction of synthetic rows, in [0, 1].
    ridge : array_like
        λ ≥ 0 (λ = 0 is the ridgeless limit λ → 0⁺).
    noise_real, noise_synth : array_like
        Label-noise standard deviations σ1, σ2 ≥ 0.
    gamma, delta : array_like, shape (d,) or (*S, d)
        Random effects: diagonals of Γ = cov(w1) and Δ = cov(w2 − w1) in Σ's eigenbasis.
    w_real, w_synth : array_like, shape (d,) or (*S, d)
        Fixed teachers w1 and w2 in Σ's eigenbasis (instead of ``gamma``/``delta``).
    on_failure : {"raise", "nan"}
        Unconverged points raise :class:`~modelcollapse.numerics.ConvergenceError` (default),
        or come back as NaN with their ``status``.
    maxiter : int
        Iteration bound of the κ solver.

    Returns
    -------
    Risk
        ``test_error``, ``bias``, ``variance``, ``zeta``; auxiliaries ``kappa`` (κ, eq. 8) and
        ``u`` (``df2(κ)/(n − df2(κ))``, ``+inf`` at the threshold); ``coords``; convergence.

    Examples
    --------
    Isotropic, φ = d/n = 1/2, λ → 0⁺, random effects with r² = 1, c² = 0.5, σ1 = σ2 = 1 and
    p2 = 0.2; Corollary 1 gives ``σ²φ/(1−φ) + (p2² + p1p2 φ/(1−φ)) c² = 1 + 0.1 = 1.1``.

    >>> import numpy as np
    >>> from modelcollapse.numerics import ridge_risk
    >>> d = 100
    >>> res = ridge_risk(np.ones(d), n=200, p2=0.2, ridge=0.0, noise_real=1.0, noise_synth=1.0,
    ...                  gamma=np.full(d, 1 / d), delta=np.full(d, 0.5 / d))
    >>> round(float(res.test_error), 12), round(float(res.zeta), 12)
    (1.1, 0.1)
    """
    return evaluate("ridge", spectrum, n=n, p2=p2, ridge=ridge, noise_real=noise_real,
                    noise_synth=noise_synth, gamma=gamma, delta=delta, w_real=w_real,
                    w_synth=w_synth, on_failure=on_failure, maxiter=maxiter)
