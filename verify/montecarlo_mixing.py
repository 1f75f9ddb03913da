"""Monte Carlo of weighted single-step mixing (docs/mathematics.md §3, paper eq. 16).

Weighted ridge with per-row weights ``a_i`` is plain ridge on the rescaled rows
``√a_i x_i, √a_i y_i`` (same ``1/n`` normalisation), so one SVD per draw serves the whole λ grid
(:func:`modelcollapse.verify.montecarlo.ridge_fit_errors`) and the label noise (and random-effects
teachers) are integrated out exactly, as for :func:`~modelcollapse.verify.simulate_ridge`.
"""

from __future__ import annotations

import numpy as np

from modelcollapse.numerics._validate import check_array

from ._draws import check_seed, design, problem_scale, scalar, teacher_sampler, whole_number
from ._result import MonteCarloResult
from .engine import run_monte_carlo
from .montecarlo import ridge_fit_errors, ridge_fit_errors_random

__all__ = ["simulate_weighted_ridge"]


def simulate_weighted_ridge(
    spectrum,
    *,
    n: int,
    p2: float,
    alpha: float,
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
    """Simulate ridge with loss ``((1−α)/n1)Σ_real + (α/n2)Σ_synth + λ‖w‖²``.

    Same parameters as :func:`~modelcollapse.verify.simulate_ridge` plus ``alpha`` ∈ [0, 1];
    ``n2 = round(p2 n)`` synthetic rows.  Returns the test error (against w1) over the λ grid.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify.montecarlo_mixing import simulate_weighted_ridge
    >>> mc = simulate_weighted_ridge(np.ones(20), n=200, p2=0.5, alpha=1.0, ridge=[0.0],
    ...                              gamma=np.full(20, 0.05), delta=np.full(20, 0.05),
    ...                              draws=30, seed=0)
    >>> bool(abs(mc.mean["test_error"][0] - 1.0) < 0.3)  # ≈ c² (+ finite-n terms)
    True
    """
    s, d, n_int = design(spectrum, n)
    kind, draw_teachers = teacher_sampler(d, gamma=gamma, delta=delta, w_real=w_real,
                                          w_synth=w_synth)
    p2f = scalar(p2, "p2", lower=0.0, upper=1.0)
    al = scalar(alpha, "alpha", lower=0.0, upper=1.0)
    lam = np.atleast_1d(check_array(ridge, "ridge", lower=0.0))
    if lam.ndim != 1:
        raise ValueError("ridge: expected a 1-D grid of λ values")
    draws = whole_number(draws, "draws")
    seed = check_seed(seed)
    s1 = scalar(noise_real, "noise_real", lower=0.0)
    s2 = scalar(noise_synth, "noise_synth", lower=0.0)
    n2 = int(round(p2f * n_int))
    n1 = n_int - n2
    if (n2 == 0 and al != 0) or (n1 == 0 and al != 1):
        raise ValueError("alpha: a group with no rows cannot carry weight")
    a1 = (1 - al) * n_int / n1 if n1 else 0.0
    a2 = al * n_int / n2 if n2 else 0.0
    row_w = np.r_[np.full(n1, a1), np.full(n2, a2)]
    sqrt_w = np.sqrt(row_w)
    noise_rows = row_w * np.r_[np.full(n1, s1**2), np.full(n2, s2**2)]
    sqrt_s = np.sqrt(s)
    if kind == "random":
        gamma_d, delta_d = np.asarray(gamma, dtype=float), np.asarray(delta, dtype=float)

    def sample_once(rng: np.random.Generator) -> dict[str, np.ndarray]:
        if kind == "random":  # the teachers are integrated exactly given the design
            x = rng.standard_normal((n_int, d)) * sqrt_s
            return ridge_fit_errors_random(x * sqrt_w[:, None], n1, s, gamma_d, delta_d, lam,
                                           noise_rows)
        w1, w2 = draw_teachers(rng)
        x = rng.standard_normal((n_int, d)) * sqrt_s
        y = np.r_[x[:n1] @ w1, x[n1:] @ w2]
        return ridge_fit_errors(x * sqrt_w[:, None], y * sqrt_w, w1, s, lam, noise_rows)

    params = dict(model="weighted_ridge", d=d, n=n_int, n1=n1, n2=n2, alpha=al,
                  ridge=lam.tolist(), noise_real=s1, noise_synth=s2, teacher=kind,
                  draws=draws,
                  scale=problem_scale(s, (s1, s2), gamma=gamma, delta=delta, w_real=w_real,
                                      w_synth=w_synth))
    coords = dict(n=float(n_int), p2=n2 / n_int, alpha=al, ridge=lam, noise_real=s1,
                  noise_synth=s2)
    return run_monte_carlo(sample_once, draws=draws, seed=seed, params=params,
                           model="weighted_ridge",
                           coords={k: np.broadcast_to(v, lam.shape) for k, v in coords.items()},
                           progress=progress, client=client, desc="weighted mixing")
