"""Monte Carlo of random features ``c σ(Sx/c)`` on several sources, the first layer S given.

Each draw samples every source's rows from its own covariance (as
:mod:`modelcollapse.verify.montecarlo_multi`), labels them with its teacher and noise, computes
the features with the true activation (no linearisation), fits weighted ridge on them for every λ
of a grid (one thin SVD of the rescaled features), and evaluates the error on the target exactly:
``E_x(φᵀv − xᵀw_t)² = vᵀK_tv − 2vᵀQ_tw_t + w_tᵀC_tw_t`` with the target's kernels ``K_t = E φφᵀ``,
``Q_t = E φxᵀ`` (closed forms; :mod:`modelcollapse.numerics._rf_kernels`), computed once since S is
fixed.  Label noise is integrated exactly given the design.  The split is the theory's: ``bias``
with every row labelled by the target's teacher (no noise), ``variance`` the noise part, ``zeta``
the rest.

The theory it checks is :func:`modelcollapse.numerics.multi_source_features.multi_source_rf_risk`
(given the same S).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from modelcollapse.numerics._rf_kernels import feature_moments
from modelcollapse.numerics.multi_source_features import feature_problem
from modelcollapse.theory._activations import activation_function

from ._linalg import gram
from ._result import MonteCarloResult
from .engine import run_monte_carlo
from .montecarlo_multi import _factor, checked_run, row_counts

__all__ = ["simulate_multi_source_rf"]


def simulate_multi_source_rf(
    sources: Sequence[Any],
    *,
    projection,
    n: int,
    ridge,
    activation: str | Callable = "relu",
    target: Any = None,
    scale: float | None = None,
    draws: int = 50,
    seed: int = 0,
    progress: bool | None = None,
    client=None,
) -> MonteCarloResult:
    """Simulate ridge on random features with the true activation, trained on several sources.

    Parameters
    ----------
    sources, target
        As :func:`modelcollapse.numerics.multi_source_features.multi_source_rf_risk` (fixed
        teachers; one number per fraction, weight and noise).
    projection : array_like, shape (m, d)
        The first layer S, the same in every draw.
    n : int
        Total rows (source g gets ``n_g`` whole rows, :func:`~.montecarlo_multi.row_counts`).
    ridge : array_like, shape (L,)
        λ grid, every λ on the same draws.
    activation, scale
        As the theory.
    draws, seed, progress, client
        As the other simulators.

    Returns
    -------
    MonteCarloResult
        ``test_error``, ``bias``, ``variance``, ``zeta`` over the λ grid; ``coords`` ``n``,
        ``ridge`` and the realised fractions ``fraction_g``.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.numerics import Source
    >>> from modelcollapse.verify.montecarlo_multi_rf import simulate_multi_source_rf
    >>> d, m = 30, 40
    >>> S = np.random.default_rng(0).standard_normal((m, d)) / np.sqrt(d)
    >>> s = np.ones(d)
    >>> mc = simulate_multi_source_rf([Source(0.5, s, np.ones(d) / 6, noise=0.2),
    ...                                Source(0.5, 0.5 * s, np.ones(d) / 5)],
    ...                               projection=S, n=60, ridge=[1e-3, 1e-1], draws=4, seed=1)
    >>> mc.mean["test_error"].shape
    (2,)
    """
    n_int, lam, draws, seed, inp = checked_run(sources, target, None, n, ridge, draws, seed)
    prob = feature_problem(sources, projection=projection, activation=activation, target=target,
                           scale=scale)  # validates S, the teachers, the activation
    s_mat = np.asarray(projection, dtype=float)
    c = prob["scale"]
    sigma = activation_function(activation) if isinstance(activation, str) else activation
    k = inp.k
    rows = row_counts(inp.fraction.reshape(-1), n_int)
    a = inp.weight.reshape(-1)
    sig = inp.noise.reshape(-1)
    group = np.repeat(np.arange(k), rows)
    sqrt_w = np.sqrt(a[group])
    noise_rows = (a * sig**2)[group]
    teachers = [inp.coef[g] @ inp.latents for g in range(k + 1)]
    w_t = teachers[k]
    ct = inp.target_cov
    k_t, q_t = feature_moments(activation, s_mat, ct, scale=c)
    qw = q_t @ w_t
    const = float(w_t @ (ct * w_t if ct.ndim == 1 else ct @ w_t))
    factors = [_factor(cov) for cov in inp.covs]
    d = ct.shape[0]

    def err(v: np.ndarray) -> float:
        return float(v @ k_t @ v - 2 * v @ qw + const)

    def sample_once(rng: np.random.Generator) -> dict[str, np.ndarray]:
        blocks = []
        for g in range(k):
            z = rng.standard_normal((rows[g], d))
            f = factors[g]
            blocks.append(z * f if f.ndim == 1 else z @ f.T)
        x = np.vstack(blocks)
        y = np.concatenate([x[group == g] @ teachers[g] for g in range(k)])
        y_b = x @ w_t
        phi = c * sigma(x @ s_mat.T / c) * sqrt_w[:, None]
        u_mat, sv, vt = np.linalg.svd(phi, full_matrices=False)
        keep = sv > sv.max(initial=0.0) * max(phi.shape) * np.finfo(float).eps
        u_mat, sv, vt = u_mat[:, keep], sv[keep], vt[keep]
        b_sig, b_b = u_mat.T @ (y * sqrt_w), u_mat.T @ (y_b * sqrt_w)
        k_noise = (vt @ k_t @ vt.T) * gram(u_mat.T, noise_rows)
        out = {key: np.empty(lam.size) for key in ("test_error", "bias", "variance", "zeta")}
        for j, lm in enumerate(lam):
            with np.errstate(divide="ignore"):
                filt = sv / (sv**2 + n_int * lm)
            variance = float(filt @ k_noise @ filt)
            total = err(vt.T @ (filt * b_sig))
            bias = err(vt.T @ (filt * b_b))
            out["test_error"][j] = total + variance
            out["bias"][j] = bias
            out["variance"][j] = variance
            out["zeta"][j] = total - bias
        return out

    act_name = activation if isinstance(activation, str) else "custom"
    params = dict(model="multi_source_rf", d=d, m=int(s_mat.shape[0]), n=n_int,
                  rows=rows.tolist(), ridge=lam.tolist(), activation=act_name, scale=c,
                  draws=draws)
    coords: dict[str, Any] = {"n": float(n_int), "ridge": lam}
    for g in range(k):
        coords[f"fraction_{g + 1}"] = rows[g] / n_int
    return run_monte_carlo(sample_once, draws=draws, seed=seed, params=params,
                           model="multi_source_rf",
                           coords={key: np.broadcast_to(v, lam.shape) for key, v in
                                   coords.items()},
                           progress=progress, client=client,
                           desc="multi-source random-features Monte Carlo")
