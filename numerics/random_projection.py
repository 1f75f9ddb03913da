"""Theorem 2 (corrected) evaluated numerically: ridge on random projections ``f(x) = vᵀSx``.

The model is declared in :data:`modelcollapse.theory.random_projection.MODEL` (its stable forms
included); the engine (:func:`modelcollapse.numerics.engine.evaluate`) solves θ with
:func:`~modelcollapse.numerics._rp_solve.solve_theta` and evaluates the compiled B, V, ζ and the
ridgeless limits on both sides of the interpolation threshold.

Round-off: the corrected B and ζ are evaluated in Definition 2's variables (the same functions,
with ``ω' = (θ − g)(1 + u)``), which are sums of non-negative terms, and ``θ − g`` and
``D = df2 + (θ − g) tr Σ(Σ+θ)^{-2}`` are formed without subtraction; the nested
``θ M(1,1) − g M(2,2)`` loses up to ``log10(θ/(θ − g))`` digits (``m ≫ n``, small λ).  The result
agrees with the 50-digit reference (:mod:`~modelcollapse.numerics.reference_rp`) to 1e-10.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from ._rp_solve import solve_theta
from .engine import OnFailure, Solution, SolverOptions, evaluate
from .result import Risk

__all__ = ["rp_risk", "solve_rp_fixed_point", "RPForm"]

RPForm = Literal["corrected", "paper", "printed"]


def solve_rp_fixed_point(batch, inputs: Mapping[str, np.ndarray], options: SolverOptions
                         ) -> Solution:
    """Solver hook: θ (and e, τ, t*) of Theorem 2 for flat ``lambda``, ``n``, ``m``."""
    sol = solve_theta(batch, inputs["lambda"], inputs["n"], inputs["m"], xtol=options.xtol,
                      maxiter=options.maxiter)
    return Solution({"theta": sol.theta, "e": sol.e, "tau": sol.tau, "t_star": sol.t_star},
                    sol.iterations, sol.residual, sol.status)


def rp_risk(
    spectrum: ArrayLike,
    *,
    n: ArrayLike,
    m: ArrayLike,
    p2: ArrayLike,
    ridge: ArrayLike,
    noise_real: ArrayLike = 0.0,
    noise_synth: ArrayLike = 0.0,
    gamma: ArrayLike | None = None,
    delta: ArrayLike | None = None,
    w_real: ArrayLike | None = None,
    w_synth: ArrayLike | None = None,
    form: RPForm = "corrected",
    on_failure: OnFailure = "raise",
    maxiter: int = 200,
) -> Risk:
    """Theorem 2 test error of ridge on ``m`` random projections, ``n1 = p1 n`` real rows.

    ``f(x) = vᵀSx``, ``S ∈ R^{m×d}`` iid ``N(0, 1/d)``, penalty ``λ‖v‖²`` (docs/mathematics.md §2).
    With ``θ = κ2(t*)``, ``g = t*κ2'(t*)``, ``1 + u = 1/(1 − D/n)``::

        B = b(w1)(1 + u),   b(a) = θ aᵀΣ(Σ+θ)^{-1}a − g aᵀΣ²(Σ+θ)^{-2}a
        V = σ² u
        E_test = b(w̄)(1 + u) + σ_eff² u − 2p2θ w̄ᵀΣ(Σ+θ)^{-1}δ + p2²c²,   ζ = E_test − B − V

    Every numeric argument broadcasts; ``m`` is typically a 1-D width grid.

    Parameters
    ----------
    spectrum : array_like, shape (d,) or (*S, d)
        Eigenvalues of Σ (> 0).
    n : array_like
        Total number of training rows (> 0).
    m : array_like
        Width of the projection (> 0; need not be an integer).
    p2 : array_like
        Fraction of synthetic rows, in [0, 1].
    ridge : array_like
        λ ≥ 0 (λ = 0 is the ridgeless limit λ → 0⁺; it diverges where ``min(m, d) = n``).
    noise_real, noise_synth : array_like
        Label-noise standard deviations σ1, σ2 ≥ 0.
    gamma, delta : array_like, shape (d,) or (*S, d)
        Random effects: diagonals of Γ = cov(w1), Δ = cov(w2 − w1) in Σ's eigenbasis.
    w_real, w_synth : array_like, shape (d,) or (*S, d)
        Fixed teachers w1, w2 in Σ's eigenbasis (instead of ``gamma``/``delta``).
    form : {"corrected", "paper", "printed"}
        ``"corrected"``: nested form (verified by Monte Carlo).  ``"paper"``: Definition 2 with
        the errata applied (identical values).  ``"printed"``: arXiv v2 as printed (ζ middle term
        with ``p2``, V without ``1/n``) — rejected by Monte Carlo, kept for comparison.
    on_failure : {"raise", "nan"}
        Unconverged points raise :class:`~modelcollapse.numerics.ConvergenceError` (default) or
        come back as NaN with their ``status``.
    maxiter : int
        Iteration bound of the θ solver.

    Returns
    -------
    Risk
        Auxiliaries ``theta`` (θ = κ2(t*)), ``e``, ``tau`` (Definition 2's e and τ), ``t_star``,
        ``u`` and ``omega_prime`` (ω' = (θ − g)(1 + u), Lemma 1).

    Examples
    --------
    Ridgeless, isotropic, σ = 1, φ = d/n = 2: for m < n the variance is ``σ² ψ/(1 − ψ)``
    (least squares on m features; 1/3 at ψ = 1/4), it diverges at m = n, and for n < m it is
    ``σ²(φ + ψ − 2)/((φ − 1)(ψ − 1))`` (3 at ψ = 3/2).

    >>> import numpy as np
    >>> from modelcollapse.numerics import rp_risk
    >>> d = 400
    >>> res = rp_risk(np.ones(d), n=200, m=[50, 200, 300], p2=0.0, ridge=0.0, noise_real=1.0,
    ...               gamma=np.full(d, 1 / d), delta=np.zeros(d))
    >>> res.variance.round(12).tolist(), res.status.tolist()
    ([0.333333333333, inf, 3.0], [0, 1, 0])
    """
    return evaluate("random_projection", spectrum, n=n, m=m, p2=p2, ridge=ridge,
                    noise_real=noise_real, noise_synth=noise_synth, gamma=gamma, delta=delta,
                    w_real=w_real, w_synth=w_synth, form=form, on_failure=on_failure,
                    maxiter=maxiter)
