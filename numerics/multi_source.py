"""Several data sources with their own covariances, evaluated (docs/mathematics.md §7).

The model is declared in :data:`modelcollapse.theory.multi_source.MODEL`: k sources, source g
with a share ``p_g`` of the ``n`` rows drawn from ``N(0, C_g)``, a teacher, label noise ``σ_g``
and a row weight ``a_g``; the test error is measured on a target ``(C_t, w_t)`` (by default the
first source).  Its inputs are structured (a list of sources of any length, covariances that may
be full matrices that do not commute), so the engine hands them whole to this module
(:attr:`~modelcollapse.numerics.engine.NumericModel.evaluate`): diagonal covariances are solved
vectorised over the grid of ``n``, ``ridge`` and the sources' fractions, weights and noises; full
matrices by d × d Cholesky inverses and products (two sources at d = 2000: about 10 s on one
core, some 20 times the cost of one d × d matrix product).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._multi_source_inputs import read_inputs
from ._multi_source_solve import evaluate_inputs
from .engine import OnFailure, SolverOptions, evaluate
from .result import Risk

__all__ = ["Source", "Target", "multi_source_risk", "evaluate_multi_source"]


@dataclass(frozen=True)
class Source:
    """One data source.

    Attributes
    ----------
    fraction : array_like
        ``p_g``, its share of the ``n`` rows, in [0, 1] (the fractions of all sources sum to 1);
        broadcasts with the grid.
    covariance : array_like, shape (d,) or (d, d), or PowerLawDiagonal
        ``C_g``: d eigenvalues in a basis common to every covariance (≥ 0), or a symmetric
        positive semi-definite matrix, or a power law
        (:class:`~modelcollapse.numerics.diagonals.PowerLawDiagonal`, ``d`` finite or ``∞``:
        then every covariance, ``gamma`` and ``delta`` is one, and the teachers are random
        effects).
    teacher : array_like, shape (d,), optional
        ``w_g``, a fixed teacher (every source, or none: random effects).
    delta : array_like, shape (d,) or (d, d), optional
        Random effects: the covariance ``Δ_g`` of ``w_g − w_0`` (default 0), with
        ``w_0 ~ N(0, Γ)`` given by ``gamma=``.
    noise : array_like
        ``σ_g ≥ 0``, the label-noise standard deviation (default 0).
    weight : array_like
        ``a_g ≥ 0``, the weight of its rows in the loss (default 1).
    """

    fraction: ArrayLike
    covariance: ArrayLike
    teacher: ArrayLike | None = None
    delta: ArrayLike | None = None
    noise: ArrayLike = 0.0
    weight: ArrayLike = 1.0


@dataclass(frozen=True)
class Target:
    """The distribution the error is measured on (default: the first source's).

    Attributes
    ----------
    covariance : array_like, shape (d,) or (d, d)
        ``C_t``.
    teacher : array_like, shape (d,), optional
        ``w_t`` (fixed teachers; default the first source's teacher).
    delta : array_like, optional
        Random effects: ``w_t = w_0 + δ_t`` with ``δ_t ~ N(0, Δ_t)`` independent of the sources'
        (default: the first source's teacher).
    """

    covariance: ArrayLike
    teacher: ArrayLike | None = None
    delta: ArrayLike | None = None


def evaluate_multi_source(values: Mapping[str, np.ndarray], extra: dict[str, Any],
                          options: SolverOptions) -> Risk:
    """The engine's hook: ``values`` holds the validated grid (``n``, ``ridge``), ``extra`` the
    structured inputs (``sources``, ``target``, ``gamma``)."""
    sources = extra.pop("sources", None)
    target = extra.pop("target", None)
    gamma = extra.pop("gamma", None)
    if extra:
        raise ValueError(f"{', '.join(map(str, extra))}: not a parameter of model 'multi_source' "
                         "(its parameters: sources, n, ridge, target, gamma)")
    if sources is None:
        raise ValueError("sources: missing (a list of sources: fraction, covariance, teacher)")
    inp = read_inputs(sources, target, gamma, np.asarray(values["n"], dtype=float),
                      np.asarray(values["ridge"], dtype=float))
    out = evaluate_inputs(inp, options.maxiter)
    shape, k = inp.shape, inp.k
    auxiliary: dict[str, np.ndarray] = {}
    for g in range(k):
        auxiliary[f"e_{g + 1}"] = out["e"][:, g].reshape(shape)
    for g in range(k):
        auxiliary[f"delta_loo_{g + 1}"] = out["delta_loo"][:, g].reshape(shape)
    coords: dict[str, np.ndarray] = {"n": inp.n, "ridge": inp.ridge}
    for g in range(k):
        coords[f"fraction_{g + 1}"] = inp.fraction[..., g]
        coords[f"weight_{g + 1}"] = inp.weight[..., g]
        coords[f"noise_{g + 1}"] = inp.noise[..., g]
    status = out["status"].reshape(shape)
    return Risk(model="multi_source", test_error=out["test_error"].reshape(shape),
                bias=out["bias"].reshape(shape), variance=out["variance"].reshape(shape),
                zeta=out["zeta"].reshape(shape), auxiliary=auxiliary, coords=coords,
                converged=status >= 0, iterations=out["iterations"].reshape(shape),
                residual=out["residual"].reshape(shape), status=status, d=inp.d)


def multi_source_risk(
    sources: Sequence[Source | Mapping[str, Any]],
    *,
    n: ArrayLike,
    ridge: ArrayLike,
    target: Target | Mapping[str, Any] | None = None,
    gamma: ArrayLike | None = None,
    on_failure: OnFailure = "raise",
    maxiter: int = 200,
) -> Risk:
    """Test error of ridge trained on several sources, each with its own covariance.

    ``ŵ = argmin (1/n) Σ_g a_g Σ_{rows of g} (xᵀw − y)² + λ‖w‖²``; ``E = E‖ŵ − w_t‖²_{C_t}``
    by the deterministic equivalent of docs/mathematics.md §7:
    ``e_g = 1/(1 + a_g δ_g)``, ``δ_g = (1/n) tr C_g R``, ``R = (Σ_g p_g a_g e_g C_g + λ)^{-1}``,
    ``E ≃ b_t + Σ_g η_g t_g (b_g + σ_g²)`` split as ``B + V + ζ`` (``B``: every teacher the
    target's; ``V``: label noise; ``ζ``: what the teachers' shifts add).

    Parameters
    ----------
    sources : sequence of Source (or mappings with the same fields)
        k ≥ 1 sources; every source's ``fraction``, ``weight`` and ``noise`` broadcast with
        ``n`` and ``ridge``.  Fixed teachers: every source has ``teacher``.  Random effects:
        ``gamma`` and optional per-source ``delta``.
    n : array_like
        Rows (> 0, need not be whole).
    ridge : array_like
        λ ≥ 0 (0: the ridgeless limit λ → 0⁺).
    target : Target or mapping, optional
        The test distribution (default the first source: its covariance and teacher).
    gamma : array_like, shape (d,) or (d, d), optional
        Random effects: ``Γ``, the covariance of the common part ``w_0`` of the teachers.
    on_failure : {"raise", "nan"}
        Unconverged points raise :class:`~modelcollapse.numerics.result.ConvergenceError`
        (default) or come back as NaN with their ``status``.
    maxiter : int
        Iteration bound of the fixed-point solver.

    Returns
    -------
    Risk
        Components over the grid; auxiliaries ``e_g`` (the leave-one-out factors) and
        ``delta_loo_g`` (δ_g; ``inf`` ridgeless with fewer active rows than dimensions), for
        ``g = 1 … k``; coordinates ``n``, ``ridge``, ``fraction_g``, ``weight_g``, ``noise_g``.

    Examples
    --------
    Two sources with one covariance are Theorem 1:

    >>> import numpy as np
    >>> from modelcollapse.numerics import ridge_risk
    >>> from modelcollapse.numerics.multi_source import Source, multi_source_risk
    >>> s = np.linspace(0.5, 1.5, 50)
    >>> w1, w2 = np.full(50, 0.1), np.full(50, 0.15)
    >>> res = multi_source_risk([Source(0.7, s, w1, noise=0.5), Source(0.3, s, w2, noise=0.2)],
    ...                         n=[40, 200], ridge=0.1)
    >>> ref = ridge_risk(s, n=[40, 200], p2=0.3, ridge=0.1, noise_real=0.5, noise_synth=0.2,
    ...                  w_real=w1, w_synth=w2)
    >>> bool(np.allclose(res.test_error, ref.test_error, rtol=1e-12, atol=0))
    True

    A generator that loses the tail of the spectrum (eigenvalues past index 10 shrunk tenfold),
    the covariances as matrices in a rotated basis:

    >>> q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((50, 50)))
    >>> tail = np.where(np.arange(50) < 10, s, 0.1 * s)
    >>> res = multi_source_risk([Source(0.5, q @ np.diag(s) @ q.T, q @ w1),
    ...                          Source(0.5, q @ np.diag(tail) @ q.T, q @ w2)], n=100, ridge=0.05)
    >>> diag = multi_source_risk([Source(0.5, s, w1), Source(0.5, tail, w2)], n=100, ridge=0.05)
    >>> bool(abs(res.test_error - diag.test_error) < 1e-12 * diag.test_error)
    True

    The same covariate shift at d = ∞ (``s_j = j^{-1.5}``, the tail from j = 11 shrunk
    tenfold), n up to 10¹², in milliseconds:

    >>> from modelcollapse.numerics.diagonals import PowerLawDiagonal
    >>> res = multi_source_risk(
    ...     [Source(0.6, PowerLawDiagonal(1.5)),
    ...      Source(0.4, PowerLawDiagonal(1.5, tail_from=11, tail_scale=0.1),
    ...             delta=PowerLawDiagonal(0.6, 0.05))],
    ...     gamma=PowerLawDiagonal(0.8), n=[1e3, 1e12], ridge=1e-12)
    >>> res.d, bool(res.converged.all())
    (inf, True)

    At n = 10¹² it sits on the floor θ_head² c²_head + θ_tail² c²_tail of the corollary
    :func:`modelcollapse.theory.multi_source.tail_plateau` (θ_head = p2 = 0.4,
    θ_tail = 0.4·0.1/(0.6 + 0.04); the shift's energies by Hurwitz's ζ):

    >>> from scipy.special import zeta
    >>> c2_head = 0.05 * (zeta(2.1) - zeta(2.1, 11))
    >>> c2_tail = 0.05 * zeta(2.1, 11)
    >>> floor = 0.4**2 * c2_head + (0.04 / 0.64)**2 * c2_tail
    >>> bool(abs(res.test_error[1] / floor - 1) < 1e-3)
    True
    """
    return evaluate("multi_source", sources=sources, n=n, ridge=ridge, target=target,
                    gamma=gamma, on_failure=on_failure, maxiter=maxiter)
