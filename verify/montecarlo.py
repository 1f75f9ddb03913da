"""Monte Carlo of the exact finite ridge model on a real/synthetic mixture (THEORY.md §0, §5).

Each draw samples the design ``X`` (``n1`` real rows and ``n2`` synthetic rows, ``x ~ N(0, Σ)``
with Σ diagonal in its eigenbasis) and, for random effects, the teachers ``w1 ~ N(0, Γ)`` and
``δ ~ N(0, Δ)``.  One thin SVD of ``X`` serves every λ of the grid.  The label noise enters the
ridge estimator linearly, so its contribution is integrated out exactly (conditional on ``X`` and
the teachers): the per-draw test error is ``E_ε ‖ŵ − w1‖²_Σ``, which is the model's test error
averaged over label noise, with a smaller Monte Carlo variance than sampling ε.

Per draw the split is exact as well: ``bias`` is the error of the noise-free fit on labels from
``w1`` alone, ``variance`` the noise part, ``zeta`` the remainder (what the synthetic shift adds).
"""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from modelcollapse.numerics._validate import check_array

from ._draws import check_seed, design, teacher_sampler, whole_number
from ._result import MonteCarloResult

__all__ = ["simulate_ridge", "ridge_fit_errors"]


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
    lam = np.asarray(ridges, dtype=float)[:, None]
    sv2 = sv**2
    with np.errstate(divide="ignore"):
        filt = sv / (sv2 + n * lam)  # (L, r): ŵ = V diag(filt) Uᵀ y
    b_sig = u_mat.T @ y_signal
    v_w1 = vt @ w1
    w_hat = (filt * b_sig) @ vt
    w_bias = (filt * sv * v_w1) @ vt
    err = ((w_hat - w1) ** 2 * spectrum).sum(axis=1)
    bias = ((w_bias - w1) ** 2 * spectrum).sum(axis=1)
    # E_ε ‖A ε‖²_Σ = Σ_ab f_a f_b (Vᵀ Σ V)_ab (Uᵀ D U)_ab
    g = (vt * spectrum) @ vt.T
    h = (u_mat.T * noise_var_rows) @ u_mat
    k = g * h
    variance = ((filt @ k) * filt).sum(axis=1)
    return {
        "test_error": err + variance,
        "bias": bias,
        "variance": variance,
        "zeta": err - bias,
    }


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
    progress: bool = False,
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
        Random effects: diagonals of Γ and Δ; teachers redrawn every draw.
    w_real, w_synth : array_like, shape (d,)
        Fixed teachers (instead of ``gamma``/``delta``).
    draws : int
        Independent draws.
    seed : int
        Seed of :func:`numpy.random.default_rng`; same seed, bit-identical result.
    progress : bool
        Show a progress bar.

    Returns
    -------
    MonteCarloResult
        ``mean``, ``stderr`` and ``draws`` of ``test_error``, ``bias``, ``variance``, ``zeta``,
        each over the λ grid.

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
    p2f = float(check_array(p2, "p2", lower=0.0, upper=1.0))
    lam = np.atleast_1d(check_array(ridge, "ridge", lower=0.0))
    if lam.ndim != 1:
        raise ValueError("ridge: expected a 1-D grid of λ values")
    draws = whole_number(draws, "draws")
    seed = check_seed(seed)
    s1 = float(check_array(noise_real, "noise_real", lower=0.0))
    s2 = float(check_array(noise_synth, "noise_synth", lower=0.0))
    n1, n2 = _rows(n_int, p2f)
    noise_rows = np.r_[np.full(n1, s1**2), np.full(n2, s2**2)]
    sqrt_s = np.sqrt(s)
    rng = np.random.default_rng(seed)
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("test_error", "bias", "variance", "zeta")}
    for _ in tqdm(range(draws), disable=not progress, desc="ridge Monte Carlo", leave=False):
        w1, w2 = draw_teachers(rng)
        x = rng.standard_normal((n_int, d)) * sqrt_s
        y = np.r_[x[:n1] @ w1, x[n1:] @ w2]
        errs = ridge_fit_errors(x, y, w1, s, lam, noise_rows)
        for k, v in errs.items():
            out[k].append(v)
    params = dict(
        model="ridge", d=d, n=n_int, n1=n1, n2=n2, p2=p2f, p2_effective=n2 / n_int,
        ridge=lam.tolist(),
        noise_real=s1, noise_synth=s2, teacher=kind, draws=draws,
    )
    return MonteCarloResult.from_draws({k: np.array(v) for k, v in out.items()}, seed, params)
