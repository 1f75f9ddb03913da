"""Monte Carlo of ridge on random projections ``f(x) = vᵀSx`` (docs/mathematics.md §0, §2, §5).

Each draw samples ``S_max ∈ R^{m_max×d}`` with iid ``N(0, 1/d)`` entries, the design ``X``
(``n1`` real and ``n2`` synthetic rows, ``x ~ N(0, Σ)`` in Σ's eigenbasis) and, for random
effects, the teachers ``w1 ~ N(0, Γ)``, ``δ ~ N(0, Δ)``.  **Nested widths:** the width-``m`` model
of a draw uses the first ``m`` rows of ``S_max`` (each width's ``S`` has the right law; widths of
one draw are correlated, draws are independent).  Per width, one thin SVD of ``Z = X Sᵀ`` gives
``v = (ZᵀZ + nλ)^{-1}Zᵀy`` and the exact test error ``(Sᵀv − w1)ᵀΣ(Sᵀv − w1)``; the label noise is
integrated out exactly as in :mod:`modelcollapse.verify.montecarlo`.  Split per draw: ``bias`` is
the error of the noise-free fit on labels ``x w1`` for every row, ``variance`` the noise part,
``zeta`` the rest.
"""

from __future__ import annotations

import numpy as np

from ._draws import (
    check_seed,
    design,
    problem_scale,
    scalar,
    teacher_sampler,
    whole_number,
    widths_and_ridge,
)
from ._linalg import gram
from ._result import MonteCarloResult
from .engine import run_monte_carlo

__all__ = ["simulate_rp", "rp_fit_errors", "rp_fit_errors_random"]


def _thin_svd(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin SVD of ``z`` from the eigendecomposition of its smaller Gram matrix.

    Several times faster than LAPACK's SVD at these sizes; singular values below
    ``sqrt(eps · max(shape)) · s_max`` (the Gram route's resolution) are dropped, as the SVD route
    drops those below ``eps · max(shape) · s_max``.
    """
    tall = z.shape[0] >= z.shape[1]
    gram = z.T @ z if tall else z @ z.T
    w, vecs = np.linalg.eigh(gram)
    keep = w > w.max(initial=0.0) * max(z.shape) * np.finfo(float).eps
    w, vecs = w[keep], vecs[:, keep]
    sv = np.sqrt(w)
    if tall:
        return (z @ vecs) / sv, sv, vecs.T
    return vecs, sv, ((z.T @ vecs) / sv).T


def rp_fit_errors(
    z: np.ndarray,
    s_mat: np.ndarray,
    y_signal: np.ndarray,
    y_bias: np.ndarray,
    w1: np.ndarray,
    spectrum: np.ndarray,
    ridge: float,
    noise_var_rows: np.ndarray,
) -> dict[str, float]:
    """Exact test-error parts of one random-projections ridge fit.

    Parameters
    ----------
    z : ndarray, shape (n, m)
        Projected design ``X Sᵀ``.
    s_mat : ndarray, shape (m, d)
        The projection ``S``.
    y_signal, y_bias : ndarray, shape (n,)
        Noise-free labels (real rows ``x w1``, synthetic rows ``x w2``) and labels ``x w1``.
    w1 : ndarray, shape (d,)
        Real teacher.
    spectrum : ndarray, shape (d,)
        Σ's eigenvalues.
    ridge : float
        λ ≥ 0 (0: minimum-norm interpolator).
    noise_var_rows : ndarray, shape (n,)
        Label-noise variance of each row.

    Returns
    -------
    dict
        ``test_error`` (noise-averaged), ``bias``, ``variance``, ``zeta``.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify.montecarlo_rp import rp_fit_errors
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((40, 5)); s = rng.standard_normal((8, 5)); w = np.ones(5)
    >>> out = rp_fit_errors(x @ s.T, s, x @ w, x @ w, w, np.ones(5), 0.0, np.zeros(40))
    >>> float(out["test_error"]) < 1e-20
    True
    """
    n = z.shape[0]
    u_mat, sv, vt = _thin_svd(z)
    filt = sv / (sv**2 + n * ridge)  # v = V diag(filt) Uᵀ y
    back = vt @ s_mat  # rows: Sᵀ V columns, shape (r, d)
    beta = (filt * (u_mat.T @ y_signal)) @ back
    beta_bias = (filt * (u_mat.T @ y_bias)) @ back
    err = float(((beta - w1) ** 2 * spectrum).sum())
    bias = float(((beta_bias - w1) ** 2 * spectrum).sum())
    if np.all(noise_var_rows == noise_var_rows[0]):  # Uᵀ D U = σ² I: only diag(g) is needed
        g_diag = (back**2 * spectrum).sum(axis=1)
        variance = float(noise_var_rows[0] * (filt**2 * g_diag).sum()) if n else 0.0
    else:
        g = gram(back, spectrum)
        h = gram(u_mat.T, noise_var_rows)
        variance = float(filt @ (g * h) @ filt)
    return {"test_error": err + variance, "bias": bias, "variance": variance, "zeta": err - bias}


def rp_fit_errors_random(
    z: np.ndarray,
    s_mat: np.ndarray,
    x: np.ndarray,
    n1: int,
    spectrum: np.ndarray,
    gamma: np.ndarray,
    delta: np.ndarray,
    ridge: float,
    noise_var_rows: np.ndarray,
) -> dict[str, float]:
    """:func:`rp_fit_errors` averaged exactly over random-effects teachers, given ``X`` and ``S``.

    With ``Z = X Sᵀ = U diag(s) Vᵀ``, ``f = s/(s² + nλ)``, ``W = Vᵀ S`` (rows: the fit's
    directions in input space), ``C = UᵀX`` and ``C_M = Uᵀ M X`` (``M``: the synthetic rows), the
    fit is ``β = Wᵀ F (C w1 + C_M δ)``, so for ``w1 ~ N(0, Γ)``, ``δ ~ N(0, Δ)``::

        B = Σ_ab f_a f_b (WΣWᵀ)_ab (CΓCᵀ)_ab − 2 Σ_a f_a (C ΓΣ Wᵀ)_aa + tr ΣΓ
        ζ = Σ_ab f_a f_b (WΣWᵀ)_ab (C_M Δ C_Mᵀ)_ab

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify.montecarlo_rp import rp_fit_errors_random
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((40, 5)); s = rng.standard_normal((8, 5))
    >>> out = rp_fit_errors_random(x @ s.T, s, x, 40, np.ones(5), np.ones(5), np.zeros(5), 0.0,
    ...                            np.zeros(40))
    >>> abs(float(out["test_error"])) < 1e-12  # m > d: the projection loses nothing
    True
    """
    n = z.shape[0]
    u_mat, sv, vt = _thin_svd(z)
    filt = sv / (sv**2 + n * ridge)
    back = vt @ s_mat  # W, shape (r, d)
    g = gram(back, spectrum)  # W Σ Wᵀ
    c = u_mat.T @ x  # C
    c_m = u_mat[n1:].T @ x[n1:]  # C_M
    quad = g * gram(c, gamma)
    cross = (c * back * (gamma * spectrum)).sum(axis=1)
    bias = float(filt @ quad @ filt - 2 * filt @ cross + spectrum @ gamma)
    zeta = float(filt @ (g * gram(c_m, delta)) @ filt)
    h = gram(u_mat.T, noise_var_rows)
    variance = float(filt @ (g * h) @ filt)
    return {"test_error": bias + variance + zeta, "bias": bias, "variance": variance,
            "zeta": zeta}


def simulate_rp(
    spectrum,
    *,
    n: int,
    m,
    p2: float,
    ridge: float,
    noise_real: float = 0.0,
    noise_synth: float = 0.0,
    gamma=None,
    delta=None,
    w_real=None,
    w_synth=None,
    draws: int = 20,
    seed: int = 0,
    progress: bool | None = None,
    client=None,
) -> MonteCarloResult:
    """Simulate ridge on random projections for a grid of widths ``m``.

    Parameters
    ----------
    spectrum : array_like, shape (d,)
        Eigenvalues of Σ.
    n : int
        Total rows; ``n2 = round(p2 n)`` synthetic, the rest real.
    m : array_like of int, shape (K,)
        Widths (nested: the first ``m`` rows of one ``S_max`` per draw).
    p2 : float
        Synthetic fraction in [0, 1].
    ridge : float
        λ ≥ 0.
    noise_real, noise_synth : float
        Label-noise standard deviations σ1, σ2.
    gamma, delta : array_like, shape (d,)
        Random effects (diagonals of Γ, Δ); teachers redrawn every draw.
    w_real, w_synth : array_like, shape (d,)
        Fixed teachers (instead of ``gamma``/``delta``).
    draws : int
        Independent draws of ``S``, ``X`` (and teachers).
    seed : int
        Seed of the draws (draw i uses ``SeedSequence(seed).spawn(draws)[i]``); same seed,
        bit-identical result.
    progress : bool or None
        Show a progress bar (default: when run interactively).
    client : distributed.Client, optional
        Run the draws on a Dask cluster (default: the one set by
        :func:`~modelcollapse.verify.engine.use_client`, else in process); the result is the
        same, bit for bit.

    Returns
    -------
    MonteCarloResult
        ``test_error``, ``bias``, ``variance``, ``zeta`` over the width grid.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify import simulate_rp
    >>> d = 60
    >>> mc = simulate_rp(np.ones(d), n=40, m=[10, 80], p2=0.5, ridge=0.1, noise_real=0.5,
    ...                  gamma=np.full(d, 1 / d), delta=np.full(d, 0.2 / d), draws=3, seed=1)
    >>> mc.mean["test_error"].shape, mc.params["m"]
    ((2,), [10, 80])
    """
    s, d, n_int = design(spectrum, n)
    kind, draw_teachers = teacher_sampler(d, gamma=gamma, delta=delta, w_real=w_real,
                                          w_synth=w_synth)
    widths, lam_f = widths_and_ridge(m, ridge)
    p2f = scalar(p2, "p2", lower=0.0, upper=1.0)
    draws = whole_number(draws, "draws")
    seed = check_seed(seed)
    s1 = scalar(noise_real, "noise_real", lower=0.0)
    s2 = scalar(noise_synth, "noise_synth", lower=0.0)
    n2 = int(round(p2f * n_int))
    n1 = n_int - n2
    noise_rows = np.r_[np.full(n1, s1**2), np.full(n2, s2**2)]
    sqrt_s = np.sqrt(s)
    m_max = int(widths.max())
    keys = ("test_error", "bias", "variance", "zeta")

    if kind == "random":
        gamma_d, delta_d = np.asarray(gamma, dtype=float), np.asarray(delta, dtype=float)

    def sample_once(rng: np.random.Generator) -> dict[str, np.ndarray]:
        if kind == "random":  # the teachers are integrated exactly given X and S
            x = rng.standard_normal((n_int, d)) * sqrt_s
            s_max = rng.standard_normal((m_max, d)) / np.sqrt(d)
        else:
            w1, w2 = draw_teachers(rng)
            x = rng.standard_normal((n_int, d)) * sqrt_s
            s_max = rng.standard_normal((m_max, d)) / np.sqrt(d)
            y = np.r_[x[:n1] @ w1, x[n1:] @ w2]
            y_b = x @ w1
        z_max = x @ s_max.T
        out = {k: np.empty(widths.size) for k in keys}
        for j, width in enumerate(widths):
            if kind == "random":
                errs = rp_fit_errors_random(z_max[:, :width], s_max[:width], x, n1, s, gamma_d,
                                            delta_d, lam_f, noise_rows)
            else:
                errs = rp_fit_errors(z_max[:, :width], s_max[:width], y, y_b, w1, s, lam_f,
                                     noise_rows)
            for k in keys:
                out[k][j] = errs[k]
        return out

    params = dict(
        model="random_projection", d=d, n=n_int, n1=n1, n2=n2, p2=p2f, m=widths.tolist(),
        ridge=lam_f, noise_real=s1, noise_synth=s2, teacher=kind, draws=draws,
        nested_widths=True,
        scale=problem_scale(s, (s1, s2), gamma=gamma, delta=delta, w_real=w_real,
                            w_synth=w_synth),
    )
    coords = dict(n=float(n_int), m=widths.astype(float), p2=n2 / n_int, ridge=lam_f,
                  noise_real=s1, noise_synth=s2)
    return run_monte_carlo(sample_once, draws=draws, seed=seed, params=params,
                           model="random_projection",
                           coords={k: np.broadcast_to(v, widths.shape) for k, v in coords.items()},
                           progress=progress, client=client, desc="random-projections Monte Carlo")
