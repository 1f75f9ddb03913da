"""Monte Carlo of the exact finite ridge model on a real/synthetic mixture.

The model and the protocol: docs/mathematics.md §0, §1, §5.

Each draw samples the design ``X`` (``n1`` real rows and ``n2`` synthetic rows, ``x ~ N(0, Σ)``
with Σ diagonal in its eigenbasis).  One thin SVD of ``X`` serves every λ of the grid.  The label
noise enters the ridge estimator linearly, so its contribution is integrated out exactly
(conditional on ``X`` and the teachers): the per-draw test error is ``E_ε ‖ŵ − w1‖²_Σ``, the
model's test error averaged over label noise, with a smaller Monte Carlo variance than sampling ε.
Random-effects teachers ``w1 ~ N(0, Γ)``, ``δ ~ N(0, Δ)`` are integrated exactly too
(:func:`ridge_fit_errors_random`); fixed teachers are used as given.

Per draw the split is exact as well: ``bias`` is the error of the noise-free fit on labels from
``w1`` alone, ``variance`` the noise part, ``zeta`` the remainder (what the synthetic shift adds).
"""

from __future__ import annotations

import numpy as np

from modelcollapse.numerics._validate import check_array

from ._draws import check_seed, design, problem_scale, scalar, teacher_sampler, whole_number
from ._linalg import gram
from ._result import MonteCarloResult
from .engine import run_monte_carlo

__all__ = ["simulate_ridge", "ridge_fit_errors", "ridge_fit_errors_random"]


def _rows(n: int, p2: float) -> tuple[int, int]:
    n2 = int(round(p2 * n))
    return n - n2, n2


def ridge_fit_errors(
    x: np.ndarray,
    y_signal: np.ndarray,
    w1: np.ndarray,
    spectrum: np.ndarray,
    ridges: np.ndarray,
    noise_var_rows: np.ndarray,
) -> dict[str, np.ndarray]:
    """Exact test-error parts of ridge fits on one design, for every λ of a grid.

    Parameters
    ----------
    x : ndarray, shape (n, d)
        The design.
    y_signal : ndarray, shape (n,)
        Noise-free labels (``x w1`` on real rows, ``x w2`` on synthetic rows).
    w1 : ndarray, shape (d,)
        The real teacher (test error is measured against it).
    spectrum : ndarray, shape (d,)
        Σ's eigenvalues (Σ is diagonal in this basis).
    ridges : ndarray, shape (L,)
        λ grid; λ = 0 is the minimum-norm interpolator.
    noise_var_rows : ndarray, shape (n,)
        Label-noise variance of each row.

    Returns
    -------
    dict
        ``test_error`` (noise-averaged), ``bias``, ``variance``, ``zeta``, each shape (L,).

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify.montecarlo import ridge_fit_errors
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((50, 5)); w = np.ones(5)
    >>> out = ridge_fit_errors(x, x @ w, w, np.ones(5), np.array([0.0]), np.zeros(50))
    >>> float(out["test_error"][0]) < 1e-20
    True
    """
    n = x.shape[0]
    u_mat, sv, vt = np.linalg.svd(x, full_matrices=False)
    keep = sv > sv.max(initial=0.0) * max(x.shape) * np.finfo(float).eps
    u_mat, sv, vt = u_mat[:, keep], sv[keep], vt[keep]
    lam = np.asarray(ridges, dtype=float)
    sv2 = sv**2
    # ŵ − w1 = Vᵀc − q in the row space V (rows of vt) and its complement: c = f∘(Uᵀy) − V w1,
    # q = w1 − VᵀV w1; so ‖ŵ − w1‖²_Σ = cᵀ G c − 2 cᵀ V Σ q + qᵀ Σ q with G = V Σ Vᵀ (r × r).
    # Nothing of size (λ grid) × d is formed: memory O(r² + chunk·r).
    g = gram(vt, spectrum)
    b_sig = u_mat.T @ y_signal
    v_w1 = vt @ w1
    q = w1 - vt.T @ v_w1
    q_cross = (vt * spectrum) @ q
    q_norm = float(q @ (spectrum * q))
    # E_ε ‖A ε‖²_Σ = Σ_ab f_a f_b (Vᵀ Σ V)_ab (Uᵀ D U)_ab
    k = g * gram(u_mat.T, noise_var_rows)
    out = {key: np.empty(lam.size) for key in ("test_error", "bias", "variance", "zeta")}
    rows = max(1, _CHUNK_ELEMENTS // max(sv.size, 1))
    for lo in range(0, lam.size, rows):
        sl = slice(lo, lo + rows)
        with np.errstate(divide="ignore"):
            filt = sv / (sv2 + n * lam[sl, None])  # (L, r): ŵ = V diag(filt) Uᵀ y
        c = filt * b_sig - v_w1
        c_b = (filt * sv - 1.0) * v_w1
        err = ((c @ g) * c).sum(axis=1) - 2 * c @ q_cross + q_norm
        bias = ((c_b @ g) * c_b).sum(axis=1) - 2 * c_b @ q_cross + q_norm
        variance = ((filt @ k) * filt).sum(axis=1)
        out["test_error"][sl] = err + variance
        out["bias"][sl] = bias
        out["variance"][sl] = variance
        out["zeta"][sl] = err - bias
    return out


_CHUNK_ELEMENTS = 1 << 21


def ridge_fit_errors_random(
    x: np.ndarray,
    n1: int,
    spectrum: np.ndarray,
    gamma: np.ndarray,
    delta: np.ndarray,
    ridges: np.ndarray,
    noise_var_rows: np.ndarray,
) -> dict[str, np.ndarray]:
    """:func:`ridge_fit_errors` averaged exactly over random-effects teachers, given the design.

    Rows ``0 … n1 − 1`` are labelled by ``w1 ~ N(0, Γ)``, the rest by ``w2 = w1 + δ`` with
    ``δ ~ N(0, Δ)`` independent.  With ``X = U S Vᵀ`` (thin), ``ŵ = V F Uᵀ y``, ``F = diag(f)``,
    ``f = s/(s² + nλ)``, ``P = V diag(f s) Vᵀ`` and ``M`` the synthetic rows' selector::

        B = E‖(P − I) w1‖²_Σ = tr (P − I)Σ(P − I)Γ
        ζ = E‖V F Uᵀ M X δ‖²_Σ = Σ_ab f_a f_b (VᵀΣV)_ab (Uᵀ M U S VᵀΔV S UᵀMU)_ab

    and the variance as in :func:`ridge_fit_errors` — the teachers' sampling noise (ζ per draw
    is a χ² with few degrees of freedom when Δ is concentrated) leaves the Monte Carlo.  ``B``
    is evaluated in the form ``Σ (f s − 1)_a (f s − 1)_b (VᵀΣV)_ab (VᵀΓV)_ab`` plus the terms of
    the row-space complement, without cancellation where the fit is nearly exact.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify.montecarlo import ridge_fit_errors_random
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((50, 5))
    >>> out = ridge_fit_errors_random(x, 50, np.ones(5), np.ones(5), np.zeros(5),
    ...                               np.array([0.0]), np.zeros(50))
    >>> float(out["test_error"][0]) < 1e-20  # least squares recovers every teacher exactly
    True
    """
    n = x.shape[0]
    u_mat, sv, vt = np.linalg.svd(x, full_matrices=False)
    keep = sv > sv.max(initial=0.0) * max(x.shape) * np.finfo(float).eps
    u_mat, sv, vt = u_mat[:, keep], sv[keep], vt[keep]
    lam = np.asarray(ridges, dtype=float)
    sv2 = sv**2
    g = gram(vt, spectrum)  # VᵀΣV
    h_gamma = gram(vt, gamma)  # VᵀΓV
    c_diag = (vt**2) @ (spectrum * gamma)  # diag VᵀΣΓV
    gh_diag = (g * h_gamma).sum(axis=1)  # diag VᵀΣV VᵀΓV (both symmetric)
    cross = c_diag - gh_diag  # diag Vᵀ Σ P⊥ Γ V
    outside = float(spectrum @ gamma) - 2 * c_diag.sum() + gh_diag.sum()  # tr P⊥ΣP⊥Γ
    # Uᵀ M U S Vᵀ = Uᵀ M X: the synthetic rows' part of the design in the fit's basis
    k_delta = gram(u_mat[n1:].T @ x[n1:], delta)
    k_noise = gram(u_mat.T, noise_var_rows)
    gg, gk, gn = g * h_gamma, g * k_delta, g * k_noise
    out = {key: np.empty(lam.size) for key in ("test_error", "bias", "variance", "zeta")}
    rows = max(1, _CHUNK_ELEMENTS // max(sv.size, 1))
    for lo in range(0, lam.size, rows):
        sl = slice(lo, lo + rows)
        with np.errstate(divide="ignore"):
            filt = sv / (sv2 + n * lam[sl, None])
        dev = filt * sv - 1.0  # f s − 1
        bias = ((dev @ gg) * dev).sum(axis=1) - 2 * dev @ cross + outside
        zeta = ((filt @ gk) * filt).sum(axis=1)
        variance = ((filt @ gn) * filt).sum(axis=1)
        out["bias"][sl] = bias
        out["zeta"][sl] = zeta
        out["variance"][sl] = variance
        out["test_error"][sl] = bias + variance + zeta
    return out


def simulate_ridge(
    spectrum,
    *,
    n: int,
    p2: float,
    ridge,
    noise_real: float = 0.0,
    noise_synth: float = 0.0,
    gamma=None,
    delta=None,
    w_real=None,
    w_synth=None,
    draws: int = 50,
    seed: int = 0,
    progress: bool | None = None,
    client=None,
) -> MonteCarloResult:
    """Simulate ridge trained on ``n1 = n − round(p2 n)`` real and ``round(p2 n)`` synthetic rows.

    Parameters
    ----------
    spectrum : array_like, shape (d,)
        Eigenvalues of Σ (features are ``x = Σ^{1/2} z`` in Σ's eigenbasis).
    n : int
        Total rows.
    p2 : float
        Synthetic fraction in [0, 1], rounded to ``n2 = round(p2 n)`` whole rows; compare with
        the theory at ``params["p2_effective"] = n2/n``.
    ridge : array_like, shape (L,)
        λ grid; every λ uses the same draws (one SVD per draw).
    noise_real, noise_synth : float
        Label-noise standard deviations σ1, σ2.
    gamma, delta : array_like, shape (d,)
        Random effects: diagonals of Γ and Δ; the teachers are integrated exactly given each
        draw's design (:func:`ridge_fit_errors_random`).
    w_real, w_synth : array_like, shape (d,)
        Fixed teachers (instead of ``gamma``/``delta``).
    draws : int
        Independent draws.
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
        ``mean``, ``stderr`` and ``draws`` of ``test_error``, ``bias``, ``variance``, ``zeta``,
        each over the λ grid; ``coords`` ``n``, ``p2`` (the effective ``n2/n``), ``ridge``,
        ``noise_real``, ``noise_synth``.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify import simulate_ridge
    >>> d = 100
    >>> mc = simulate_ridge(np.ones(d), n=200, p2=0.2, ridge=[0.0], noise_real=1.0,
    ...                     noise_synth=1.0, gamma=np.full(d, 1 / d), delta=np.full(d, 0.5 / d),
    ...                     draws=20, seed=1)
    >>> bool(abs(mc.mean["test_error"][0] - 1.1) < 4 * mc.stderr["test_error"][0] + 0.05)
    True
    """
    s, d, n_int = design(spectrum, n)
    kind, draw_teachers = teacher_sampler(d, gamma=gamma, delta=delta, w_real=w_real,
                                          w_synth=w_synth)
    p2f = scalar(p2, "p2", lower=0.0, upper=1.0)
    lam = np.atleast_1d(check_array(ridge, "ridge", lower=0.0))
    if lam.ndim != 1:
        raise ValueError("ridge: expected a 1-D grid of λ values")
    draws = whole_number(draws, "draws")
    seed = check_seed(seed)
    s1 = scalar(noise_real, "noise_real", lower=0.0)
    s2 = scalar(noise_synth, "noise_synth", lower=0.0)
    n1, n2 = _rows(n_int, p2f)
    noise_rows = np.r_[np.full(n1, s1**2), np.full(n2, s2**2)]
    sqrt_s = np.sqrt(s)
    if kind == "random":
        gamma_d, delta_d = np.asarray(gamma, dtype=float), np.asarray(delta, dtype=float)

    def sample_once(rng: np.random.Generator) -> dict[str, np.ndarray]:
        if kind == "random":  # the teachers are integrated exactly given the design
            x = rng.standard_normal((n_int, d)) * sqrt_s
            return ridge_fit_errors_random(x, n1, s, gamma_d, delta_d, lam, noise_rows)
        w1, w2 = draw_teachers(rng)
        x = rng.standard_normal((n_int, d)) * sqrt_s
        y = np.r_[x[:n1] @ w1, x[n1:] @ w2]
        return ridge_fit_errors(x, y, w1, s, lam, noise_rows)

    params = dict(
        model="ridge", d=d, n=n_int, n1=n1, n2=n2, p2=p2f, p2_effective=n2 / n_int,
        ridge=lam.tolist(),
        noise_real=s1, noise_synth=s2, teacher=kind, draws=draws,
        scale=problem_scale(s, (s1, s2), gamma=gamma, delta=delta, w_real=w_real,
                            w_synth=w_synth),
    )
    coords = dict(n=float(n_int), p2=n2 / n_int, ridge=lam, noise_real=s1, noise_synth=s2)
    return run_monte_carlo(sample_once, draws=draws, seed=seed, params=params, model="ridge",
                           coords={k: np.broadcast_to(v, lam.shape) for k, v in coords.items()},
                           progress=progress, client=client, desc="ridge Monte Carlo")
