"""Monte Carlo of iterative mixing and of recursive retraining (THEORY.md §3, §6), isotropic Σ.

Every step draws fresh designs; fits are ridgeless least squares (``d`` below the number of rows).
The label noise of the *last* fit is integrated out exactly; earlier generations' noise is
sampled (it is frozen into the generator that labels the next step).
"""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from modelcollapse.numerics._validate import check_array

from ._result import MonteCarloResult

__all__ = ["simulate_iterative_mixing", "simulate_recursive_retraining"]


def _whole(value, name: str) -> int:
    v = float(check_array(value, name, lower=0.0, strict=True))
    if v != int(v):
        raise ValueError(f"{name}: expected a whole number, got {value}")
    return int(v)


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
    draws: int = 50,
    seed: int = 0,
    progress: bool = False,
) -> MonteCarloResult:
    """``E(t) = ‖g_t − w1‖²`` for t = 0 … steps, where ``g_{t+1}`` is least squares on
    ``n − round(p2 n)`` fresh real rows and ``round(p2 n)`` fresh rows labelled by ``g_t``.

    ``w1 ~ N(0, (signal/d) I)``, ``g_0 = w1 + N(0, (c0²/d) I)``.  Result key ``"test_error"``,
    grid = steps 0 … ``steps``.

    Examples
    --------
    >>> from modelcollapse.verify.montecarlo_iterative import simulate_iterative_mixing
    >>> mc = simulate_iterative_mixing(d=20, n=200, p2=0.5, c0_sq=1.0, noise_real=0.0,
    ...                                noise_synth=0.0, steps=2, draws=5, seed=0)
    >>> mc.mean["test_error"].shape
    (3,)
    """
    d, n, steps = _whole(d, "d"), _whole(n, "n"), int(check_array(steps, "steps", lower=0))
    p2f = float(check_array(p2, "p2", lower=0.0, upper=1.0))
    n2 = int(round(p2f * n))
    n1 = n - n2
    if d >= n:
        raise ValueError(f"d: iterative mixing is simulated ridgeless with d < n, got d={d}, n={n}")
    s1 = float(check_array(noise_real, "noise_real", lower=0.0))
    s2 = float(check_array(noise_synth, "noise_synth", lower=0.0))
    c0 = float(check_array(c0_sq, "c0_sq", lower=0.0))
    rng = np.random.default_rng(seed)
    noise = np.r_[np.full(n1, s1), np.full(n2, s2)]
    out = []
    for _ in tqdm(range(int(draws)), disable=not progress, desc="iterative mixing", leave=False):
        w1 = rng.standard_normal(d) * np.sqrt(signal / d)
        g = w1 + rng.standard_normal(d) * np.sqrt(c0 / d)
        errs = [float(np.sum((g - w1) ** 2))]
        for t in range(steps):
            x = rng.standard_normal((n, d))
            y = np.r_[x[:n1] @ w1, x[n1:] @ g]
            if t == steps - 1:  # last fit: integrate its noise exactly
                g_new = np.linalg.lstsq(x, y, rcond=None)[0]
                pinv = np.linalg.pinv(x)
                errs.append(float(np.sum((g_new - w1) ** 2) + np.sum(pinv**2 * noise**2)))
            else:
                y = y + noise * rng.standard_normal(n)
                g = np.linalg.lstsq(x, y, rcond=None)[0]
                errs.append(float(np.sum((g - w1) ** 2)))
        out.append(errs)
    params = dict(model="iterative_mixing", d=d, n=n, n1=n1, n2=n2, c0_sq=c0, steps=steps)
    # only the last step's noise is integrated; earlier steps carry sampled noise
    return MonteCarloResult.from_draws({"test_error": np.array(out)}, seed, params)


def simulate_recursive_retraining(
    *,
    d: int,
    t0: int,
    t: int,
    noise_generator: float,
    noise: float,
    generations: int,
    draws: int = 50,
    seed: int = 0,
    progress: bool = False,
) -> MonteCarloResult:
    """Downstream OLS error after N = 0 … ``generations`` generations of OLS relabelling.

    Generation k fits ``t0`` rows labelled by generation k − 1 (generation 0 is the true ``w``)
    with noise ``noise_generator``; the downstream model fits ``t`` rows labelled by generation N
    with noise ``noise``; its noise is integrated exactly.  Grid = N.

    Examples
    --------
    >>> from modelcollapse.verify.montecarlo_iterative import simulate_recursive_retraining
    >>> mc = simulate_recursive_retraining(d=10, t0=50, t=50, noise_generator=1.0, noise=0.0,
    ...                                    generations=2, draws=4, seed=0)
    >>> mc.mean["test_error"].shape
    (3,)
    """
    d, t0, t = _whole(d, "d"), _whole(t0, "t0"), _whole(t, "t")
    if d >= min(t0, t):
        raise ValueError("d: recursive retraining is simulated with OLS, needs d < t0 and d < t")
    gens = int(check_array(generations, "generations", lower=0))
    s0 = float(check_array(noise_generator, "noise_generator", lower=0.0))
    s = float(check_array(noise, "noise", lower=0.0))
    rng = np.random.default_rng(seed)
    out = []
    for _ in tqdm(range(int(draws)), disable=not progress, desc="retraining", leave=False):
        w = rng.standard_normal(d) / np.sqrt(d)
        g = w.copy()
        errs = []
        for k in range(gens + 1):
            if k > 0:
                x0 = rng.standard_normal((t0, d))
                g = np.linalg.lstsq(x0, x0 @ g + s0 * rng.standard_normal(t0), rcond=None)[0]
            x = rng.standard_normal((t, d))
            fit = np.linalg.lstsq(x, x @ g, rcond=None)[0]
            var = s**2 * float(np.trace(np.linalg.inv(x.T @ x)))
            errs.append(float(np.sum((fit - w) ** 2)) + var)
        out.append(errs)
    params = dict(model="recursive_retraining", d=d, t0=t0, t=t, generations=gens)
    return MonteCarloResult.from_draws({"test_error": np.array(out)}, seed, params)
