"""Monte Carlo of weighted single-step mixing (THEORY.md §3, paper eq. 16).

Weighted ridge with per-row weights ``a_i`` is plain ridge on the rescaled rows
``√a_i x_i, √a_i y_i`` (same ``1/n`` normalisation), so one SVD per draw serves the whole λ grid
(:func:`modelcollapse.verify.montecarlo.ridge_fit_errors`) and the label noise is integrated out
exactly, as for :func:`~modelcollapse.verify.simulate_ridge`.
"""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from modelcollapse.numerics._validate import check_array

from ._draws import check_seed, design, teacher_sampler, whole_number
from ._result import MonteCarloResult
from .montecarlo import ridge_fit_errors

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
    progress: bool = False,
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
    p2f = float(check_array(p2, "p2", lower=0.0, upper=1.0))
    al = float(check_array(alpha, "alpha", lower=0.0, upper=1.0))
    lam = np.atleast_1d(check_array(ridge, "ridge", lower=0.0))
    draws = whole_number(draws, "draws")
    seed = check_seed(seed)
    s1 = float(check_array(noise_real, "noise_real", lower=0.0))
    s2 = float(check_array(noise_synth, "noise_synth", lower=0.0))
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
    rng = np.random.default_rng(seed)
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("test_error", "bias", "variance", "zeta")}
    for _ in tqdm(range(draws), disable=not progress, desc="weighted mixing", leave=False):
        w1, w2 = draw_teachers(rng)
        x = rng.standard_normal((n_int, d)) * sqrt_s
        y = np.r_[x[:n1] @ w1, x[n1:] @ w2]
        errs = ridge_fit_errors(x * sqrt_w[:, None], y * sqrt_w, w1, s, lam, noise_rows)
        for k, v in errs.items():
            out[k].append(v)
    params = dict(model="weighted_ridge", d=d, n=n_int, n1=n1, n2=n2, alpha=al,
                  ridge=lam.tolist(), noise_real=s1, noise_synth=s2, teacher=kind,
                  draws=draws)
    return MonteCarloResult.from_draws({k: np.array(v) for k, v in out.items()}, seed, params)
