"""Monte Carlo of iterative mixing and of recursive retraining (docs/mathematics.md §3, §6).

Every step draws fresh designs.  Iterative mixing fits ridgeless least squares (``d`` below the
number of rows), integrates the label noise of the *last* fit exactly and samples earlier steps'
noise (it is frozen into the generator that labels the next step).  Recursive retraining
integrates all Gaussian noise and the random teacher exactly given the designs.
"""

from __future__ import annotations

import numpy as np

from modelcollapse.numerics._validate import as_positive_spectrum, check_array, check_same_length

from ._draws import check_seed, scalar, whole_number
from ._result import MonteCarloResult
from .engine import run_monte_carlo

__all__ = ["simulate_iterative_mixing", "simulate_recursive_retraining"]


def simulate_iterative_mixing(
    *,
    d: int,
    n: int,
    p2: float,
    c0_sq: float,
    noise_real: float,
    noise_synth: float,
    steps: int,
    signal: float = 1.0,
    spectrum=None,
    draws: int = 50,
    seed: int = 0,
    progress: bool | None = None,
    client=None,
) -> MonteCarloResult:
    """``E(t) = ‖g_t − w1‖²`` for t = 0 … steps, where ``g_{t+1}`` is least squares on
    ``n − round(p2 n)`` fresh real rows and ``round(p2 n)`` fresh rows labelled by ``g_t``.

    ``E(t) = ‖g_t − w1‖²_Σ`` with ``x ~ N(0, Σ)``, Σ = diag(``spectrum``) (default ``I``);
    ``w1 ~ N(0, (signal/d) I)``, ``g_0 = w1 + N(0, (c0²/d) Σ^{-1})`` so that ``E(0) ≈ c0²``.
    Result key ``"test_error"``, grid = steps 0 … ``steps``.

    Examples
    --------
    >>> from modelcollapse.verify.montecarlo_iterative import simulate_iterative_mixing
    >>> mc = simulate_iterative_mixing(d=20, n=200, p2=0.5, c0_sq=1.0, noise_real=0.0,
    ...                                noise_synth=0.0, steps=2, draws=5, seed=0)
    >>> mc.mean["test_error"].shape
    (3,)
    """
    d, n = whole_number(d, "d"), whole_number(n, "n")
    steps = whole_number(steps, "steps", minimum=0)
    draws, seed = whole_number(draws, "draws"), check_seed(seed)
    p2f = scalar(p2, "p2", lower=0.0, upper=1.0)
    n2 = int(round(p2f * n))
    n1 = n - n2
    if d >= n:
        raise ValueError(f"d: iterative mixing is simulated ridgeless with d < n, got d={d}, n={n}")
    s1 = scalar(noise_real, "noise_real", lower=0.0)
    s2 = scalar(noise_synth, "noise_synth", lower=0.0)
    c0 = scalar(c0_sq, "c0_sq", lower=0.0)
    signal = scalar(signal, "signal", lower=0.0)
    s = np.ones(d) if spectrum is None else as_positive_spectrum(spectrum, "spectrum")
    if s.shape != (d,):
        raise ValueError(f"spectrum: expected {d} eigenvalues, got shape {s.shape}")
    root = np.sqrt(s)
    noise = np.r_[np.full(n1, s1), np.full(n2, s2)]

    def sample_once(rng: np.random.Generator) -> dict[str, np.ndarray]:
        w1 = rng.standard_normal(d) * np.sqrt(signal / d)
        g = w1 + rng.standard_normal(d) * np.sqrt(c0 / d) / root
        errs = [float(np.sum(s * (g - w1) ** 2))]
        for t in range(steps):
            x = rng.standard_normal((n, d)) * root
            y = np.r_[x[:n1] @ w1, x[n1:] @ g]
            if t == steps - 1:  # last fit: integrate its noise exactly
                g_new = np.linalg.lstsq(x, y, rcond=None)[0]
                pinv = np.linalg.pinv(x)
                err = np.sum(s * (g_new - w1) ** 2) + np.sum(s[:, None] * pinv**2 * noise**2)
                errs.append(float(err))
            else:
                y = y + noise * rng.standard_normal(n)
                g = np.linalg.lstsq(x, y, rcond=None)[0]
                errs.append(float(np.sum(s * (g - w1) ** 2)))
        return {"test_error": np.array(errs)}

    params = dict(model="iterative_mixing", d=d, n=n, n1=n1, n2=n2, c0_sq=c0, steps=steps)
    # only the last step's noise is integrated; earlier steps carry sampled noise
    return run_monte_carlo(sample_once, draws=draws, seed=seed, params=params,
                           coords={"step": np.arange(steps + 1)}, progress=progress,
                           client=client, desc="iterative mixing")


def simulate_recursive_retraining(
    *,
    d: int,
    t0: int,
    t: int,
    noise_generator: float,
    noise: float,
    generations: int,
    spectrum=None,
    ridge=0.0,
    gamma=None,
    draws: int = 50,
    seed: int = 0,
    progress: bool | None = None,
    client=None,
) -> MonteCarloResult:
    """Downstream ridge error after N = 0 … ``generations`` generations of OLS relabelling.

    Generation k fits least squares on ``t0`` fresh rows ``x ~ N(0, Σ)`` labelled by generation
    k − 1 (generation 0 is the true ``w``) plus noise ``noise_generator``; the downstream model is
    ridge (every λ of ``ridge`` at once, through one SVD) on ``t`` fresh rows labelled by
    generation N plus noise ``noise``; its excess risk against ``w`` is recorded.

    Everything Gaussian is integrated exactly given the designs: the downstream noise, the
    generators' noise (its covariance is ``σ0² Σ_k (X_kᵀX_k)^{-1}``) and ``w ~ N(0, Γ)``.  Each
    draw samples the generator designs and one downstream design (shared by all N).

    Parameters
    ----------
    d, t0, t : int
        Dimension, rows per generator (``t0 > d + 1``: the generators' noise covariance
        ``σ0² Σ^{-1}/(t0 − d − 1)`` is finite), downstream rows.
    noise_generator, noise : float
        σ0 and σ.
    generations : int
        Largest N; the grid is N = 0 … generations.
    spectrum : array_like, shape (d,), optional
        Eigenvalues of Σ (default: all ones).
    ridge : float or 1-D array_like
        Downstream λ ≥ 0 (λ = 0 needs ``t > d``).
    gamma : array_like, shape (d,), optional
        Diagonal of Γ = cov(w) (default ``1/d``).
    draws, seed, progress
        Number of draws, seed, progress bar.
    client : distributed.Client, optional
        Run the draws on a Dask cluster (see :func:`~modelcollapse.verify.simulate_ridge`).

    Returns
    -------
    MonteCarloResult
        Key ``"test_error"``, grid ``(generations + 1,)`` for a scalar λ, else
        ``(generations + 1, len(ridge))``.

    Examples
    --------
    >>> from modelcollapse.verify.montecarlo_iterative import simulate_recursive_retraining
    >>> mc = simulate_recursive_retraining(d=10, t0=50, t=50, noise_generator=1.0, noise=0.0,
    ...                                    generations=2, draws=4, seed=0)
    >>> mc.mean["test_error"].shape
    (3,)
    """
    d, t0, t = whole_number(d, "d"), whole_number(t0, "t0"), whole_number(t, "t")
    if d >= t0 - 1:
        raise ValueError(f"t0: OLS generators need t0 > d + 1 rows, got t0={t0}, d={d}")
    gens = whole_number(generations, "generations", minimum=0)
    s0 = scalar(noise_generator, "noise_generator", lower=0.0)
    sig = scalar(noise, "noise", lower=0.0)
    s = np.ones(d) if spectrum is None else as_positive_spectrum(spectrum, "spectrum")
    if s.shape != (d,):
        raise ValueError(f"spectrum: expected {d} eigenvalues, got shape {s.shape}")
    g = np.full(d, 1.0 / d) if gamma is None else check_array(gamma, "gamma", lower=0.0)
    if g.ndim != 1:
        raise ValueError(f"gamma: expected one diagonal of length {d}, got shape {g.shape}")
    g = check_same_length(g, d, "gamma")
    lam = check_array(ridge, "ridge", lower=0.0)
    lam_grid = np.atleast_1d(lam)
    if lam_grid.ndim != 1:
        raise ValueError("ridge: expected a number or a 1-D grid")
    if (lam_grid == 0).any() and t <= d:
        raise ValueError(f"ridge: λ = 0 needs t > d (least squares), got t={t}, d={d}")
    draws, seed = whole_number(draws, "draws"), check_seed(seed)
    root = np.sqrt(s)

    def sample_once(rng: np.random.Generator) -> dict[str, np.ndarray]:
        out = np.empty((gens + 1, lam_grid.size))
        x = rng.standard_normal((t, d)) * root
        _, sv, vt = np.linalg.svd(x, full_matrices=False)
        v = vt.T  # d × k, k = min(t, d)
        q = v.T @ (s[:, None] * v)  # Vᵀ Σ V
        sq = sv**2
        shrink = sq / (sq + t * lam_grid[:, None])  # (L, k): the fit is P = V diag(f) Vᵀ
        # ‖(P − I)w‖²_Σ averaged over w ~ N(0, Γ): tr PΣPΓ − 2 tr PΓΣ + tr ΣΓ
        gq = v.T @ (g[:, None] * v)
        bias = (np.einsum("lj,jk,lk,kj->l", shrink, q, shrink, gq)
                - 2 * shrink @ np.einsum("ij,i,ij->j", v, g * s, v) + float(s @ g))
        var = sig**2 * (sq / (sq + t * lam_grid[:, None]) ** 2) @ np.diag(q)
        cov = np.zeros((d, d))  # Σ_k (X_kᵀX_k)^{-1}
        for k in range(gens + 1):
            if k > 0:
                z = rng.standard_normal((t0, d))
                cov += np.linalg.inv(z.T @ z) / np.outer(root, root)
            h = v.T @ cov @ v
            gen = s0**2 * np.einsum("lj,jk,lk,kj->l", shrink, q, shrink, h)
            out[k] = bias + var + gen
        return {"test_error": out[:, 0] if lam.ndim == 0 else out}

    params = dict(model="recursive_retraining", d=d, t0=t0, t=t, generations=gens)
    shape = (gens + 1,) if lam.ndim == 0 else (gens + 1, lam_grid.size)
    coords = {"generations": np.arange(gens + 1.0)[:, None], "ridge": lam_grid[None, :],
              "t0": float(t0), "t": float(t), "noise_generator": s0, "noise": sig}
    coords = {k: np.broadcast_to(v, (gens + 1, lam_grid.size)).reshape(shape)
              for k, v in coords.items()}
    return run_monte_carlo(sample_once, draws=draws, seed=seed, params=params,
                           model="recursive_retraining", coords=coords, progress=progress,
                           client=client, desc="retraining")
