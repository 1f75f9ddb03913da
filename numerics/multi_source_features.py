r"""Random features on several sources, given the first layer: ``f(x) = vᵀ c σ(Sx/c)``.

The model of :mod:`modelcollapse.theory.random_features` (docs/mathematics.md §2.8) trained on the
sources of :mod:`modelcollapse.theory.multi_source` (§7): source g gives ``p_g n`` rows
``x ~ N(0, C_g)``, ``y = xᵀw_g + σ_g ε``, weight ``a_g`` in the loss
``(1/n) Σ_g a_g Σ_{i∈g} (φ(x_i)ᵀv − y_i)² + λ‖v‖²``; the error is measured on a target
``(C_t, w_t)``: ``E = E_x (φ(x)ᵀv̂ − xᵀw_t)²``.  The first layer ``S`` (m × d) is given: the
result is the deterministic equivalent over the data *conditional on S* (for large m and d it
concentrates over S; averaging over draws of S is the caller's choice).

**Gaussian equivalence given S.**  Under source g the features have the exact second moments
``K_g = E φφᵀ`` (arc-cosine, arcsine or Mehler kernels; every unit at its own pre-activation
variance ``(SC_gSᵀ)_ii/c²``, so sources with different covariances excite different
nonlinearities) and ``Q_g = E φxᵀ = diag(μ1) S C_g`` (Stein's lemma).  Replacing φ by a
Gaussian vector with these moments, the labels split into their best linear prediction from the
features and an independent residual,

    y = φᵀβ_g(w_g) + r + σ_g ε,   β_g(w) = K_g⁺ Q_g w,   E r² = r_g(w) = wᵀC_g w − β_gᵀK_gβ_g,

so the model is the multi-source ridge of §7 in feature space — covariances ``K_g``, teachers
``β_g``, label noise ``σ_g² + r_g`` — and the target error is that model's error on
``(K_t, β_t(w_t))`` plus the part no v reaches, ``r_t(w_t)``.  The split follows the Monte Carlo's:
``V`` is what the label noise σ_g adds, ``B`` the error when every source's teacher is the
target's (their residuals ``r_g(w_t)`` act as noise there), ``ζ = E − B − V``.  For σ(z) = z the
features are exactly Gaussian and only the deterministic equivalent is an approximation.

Examples
--------
>>> import numpy as np
>>> from modelcollapse.numerics import Source
>>> from modelcollapse.numerics.multi_source_features import multi_source_rf_risk
>>> d, m = 60, 90
>>> rng = np.random.default_rng(0)
>>> S = rng.standard_normal((m, d)) / np.sqrt(d)
>>> s = np.ones(d) / d * 20
>>> tail = np.where(np.arange(d) < 15, s, 0.2 * s)
>>> w = rng.standard_normal(d) / np.sqrt(20)
>>> res = multi_source_rf_risk([Source(0.6, s, w, noise=0.3), Source(0.4, tail, w + 0.1)],
...                            projection=S, n=120, ridge=1e-3, activation="relu")
>>> bool(res.converged) and res.model
'multi_source_rf'
>>> bool(abs(res.bias + res.variance + res.zeta - res.test_error) < 1e-12)
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._multi_source_inputs import read_inputs
from ._rf_kernels import feature_moments, feature_scale
from ._threads import thread_limit
from ._validate import check_array
from .engine import OnFailure
from .multi_source import Source, Target, multi_source_risk
from .result import Risk

__all__ = ["multi_source_rf_risk", "feature_problem"]

#: Eigenvalues of a feature kernel below this (relative to the largest) are its null space.
_PINV_RTOL = 1e-12


def _projection(value: Any, d: int) -> np.ndarray:
    arr = check_array(value, "projection")
    if arr.ndim != 2 or arr.shape[1] != d:
        got = f"shape {arr.shape}"
        raise ValueError(f"projection: expected the first layer S as an m × {d} matrix, got {got}")
    if arr.shape[0] < 1:
        raise ValueError("projection: S needs at least one row (width m ≥ 1)")
    return arr


def _teacher_map(k_mat: np.ndarray, q_mat: np.ndarray) -> np.ndarray:
    """``K⁺Q`` (m × d) by the eigendecomposition of the symmetric kernel."""
    vals, vecs = np.linalg.eigh(0.5 * (k_mat + k_mat.T))
    keep = vals > _PINV_RTOL * max(float(vals[-1]), 0.0)
    inv = np.where(keep, 1.0 / np.where(keep, vals, 1.0), 0.0)
    return (vecs * inv) @ (vecs.T @ q_mat)


def feature_problem(sources: Sequence[Source | Mapping[str, Any]], *, projection: ArrayLike,
                    activation: str | Callable = "relu", target: Target | None = None,
                    scale: float | None = None) -> dict[str, Any]:
    """The feature-space ingredients: kernels ``K_g``, maps ``A_g = K_g⁺Q_g`` and the residual
    forms ``R_g = C_g − Q_gᵀK_g⁺Q_g`` (``r_g(w) = wᵀR_gw``), for the sources then the target.

    Returns ``{"kernels", "maps", "residuals", "scale", "inputs"}`` (lists of k + 1 arrays).
    """
    if isinstance(sources, Sequence) and not isinstance(sources, str | bytes):
        for i, src in enumerate(sources):
            teacher = (src.get("teacher") if isinstance(src, Mapping)
                       else getattr(src, "teacher", None))
            if teacher is None:
                raise ValueError(f"sources[{i}].teacher: random features on several sources take "
                                 "fixed teacher vectors (average over teacher draws outside)")
    inp = read_inputs(sources, target, None, np.zeros(()), np.zeros(()))
    d = inp.target_cov.shape[0]
    s_mat = _projection(projection, d)
    covs = [*inp.covs, inp.target_cov]
    c = feature_scale(inp.target_cov) if scale is None else float(
        check_array(scale, "scale", lower=0.0, strict=True))
    kernels, maps, residuals = [], [], []
    with thread_limit():
        _moments_of(covs, activation, s_mat, c, kernels, maps, residuals)
    return {"kernels": kernels, "maps": maps, "residuals": residuals, "scale": c, "inputs": inp}


def _moments_of(covs, activation, s_mat, c, kernels, maps, residuals) -> None:
    for cov in covs:
        k_mat, q_mat = feature_moments(activation, s_mat, cov, scale=c)
        a_mat = _teacher_map(k_mat, q_mat)
        full = np.diag(cov) if cov.ndim == 1 else cov
        kernels.append(k_mat)
        maps.append(a_mat)
        residuals.append(full - q_mat.T @ a_mat)


def multi_source_rf_risk(
    sources: Sequence[Source | Mapping[str, Any]],
    *,
    projection: ArrayLike,
    n: ArrayLike,
    ridge: ArrayLike,
    activation: str | Callable = "relu",
    target: Target | None = None,
    scale: float | None = None,
    on_failure: OnFailure = "raise",
    maxiter: int = 200,
) -> Risk:
    """Test error of ridge on random features ``c σ(Sx/c)`` trained on several sources.

    Parameters
    ----------
    sources : sequence of Source
        As :func:`~modelcollapse.numerics.multi_source.multi_source_risk`, with fixed teachers
        (x-space vectors) and covariances as d eigenvalues or d × d matrices.
    projection : array_like, shape (m, d)
        The first layer S (rows ``s_i``; the model of §2.8 draws them iid ``N(0, I/d)``).
    n, ridge : array_like
        Rows and λ, broadcast together.
    activation : str or callable
        ``"relu"``, ``"tanh"``, ``"erf"``, ``"linear"`` or a callable on arrays.
    target : Target, optional
        The test distribution (default: the first source's covariance and teacher).
    scale : float, optional
        The network's scale ``c`` (default ``√(tr C_t/d)``, the target's).
    on_failure, maxiter
        As the other solvers.

    Returns
    -------
    Risk
        ``test_error``, ``bias``, ``variance``, ``zeta`` over the grid; auxiliary
        ``approximation_error`` (``r_t(w_t)``, the part of the target no v reaches).
    """
    prob = feature_problem(sources, projection=projection, activation=activation, target=target,
                           scale=scale)
    inp = prob["inputs"]
    k = inp.k
    lat = inp.latents
    teach = [inp.coef[g] @ lat for g in range(k + 1)]  # w_g, then w_t
    w_t = teach[k]

    def run(teachers: list[np.ndarray], noise2: list[np.ndarray]) -> Risk:
        srcs = [Source(inp.fraction[..., g], prob["kernels"][g], prob["maps"][g] @ teachers[g],
                       noise=np.sqrt(noise2[g]), weight=inp.weight[..., g]) for g in range(k)]
        tgt = Target(prob["kernels"][k], prob["maps"][k] @ w_t)
        return multi_source_risk(srcs, n=n, ridge=ridge, target=tgt, on_failure=on_failure,
                                 maxiter=maxiter)

    def resid(g: int, w: np.ndarray) -> float:
        return max(float(w @ prob["residuals"][g] @ w), 0.0)

    sig2 = [inp.noise[..., g] ** 2 for g in range(k)]
    full = run(teach[:k], [sig2[g] + resid(g, teach[g]) for g in range(k)])
    noise_only = run(teach[:k], sig2)
    clean = run([w_t] * k, [np.full_like(sig2[g], resid(g, w_t)) for g in range(k)])
    r_t = resid(k, w_t)
    test_error = full.test_error + r_t
    bias = clean.test_error + r_t
    variance = noise_only.variance
    status = np.maximum(np.maximum(full.status, noise_only.status), clean.status)
    coords = {"n": full.coords["n"], "ridge": full.coords["ridge"]}
    for g in range(k):
        coords[f"fraction_{g + 1}"] = full.coords[f"fraction_{g + 1}"]
    return Risk(model="multi_source_rf", test_error=test_error, bias=bias, variance=variance,
                zeta=test_error - bias - variance,
                auxiliary={"approximation_error": np.full(np.shape(test_error), r_t)},
                coords=coords, converged=full.converged & noise_only.converged & clean.converged,
                iterations=full.iterations, residual=np.maximum(full.residual, clean.residual),
                status=status, d=int(inp.target_cov.shape[0]),
                options={"activation": activation if isinstance(activation, str) else "custom"})
