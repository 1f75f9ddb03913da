"""Input checks and teacher draws shared by the Monte Carlo simulators.

Examples
--------
>>> import numpy as np
>>> from modelcollapse.verify._draws import design, teacher_sampler
>>> s, d, n = design([1.0, 2.0], 10)
>>> kind, draw = teacher_sampler(d, gamma=[0.5, 0.5], delta=[0.0, 0.0])
>>> w1, w2 = draw(np.random.default_rng(0))
>>> kind, bool(np.array_equal(w1, w2))
('random', True)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from modelcollapse.numerics._teacher import teacher_weights
from modelcollapse.numerics._validate import as_positive_spectrum, check_array, check_count

__all__ = ["whole_number", "check_seed", "design", "teacher_sampler", "scalar",
           "widths_and_ridge"]


def whole_number(value, name: str, *, minimum: int = 1) -> int:
    """A whole number ≥ ``minimum`` (a ValueError naming ``name`` otherwise)."""
    return check_count(value, name, minimum=minimum)


def scalar(value, name: str, **bounds) -> float:
    """One real number within ``bounds`` (those of :func:`check_array`), else a ValueError."""
    arr = check_array(value, name, **bounds)
    if arr.ndim != 0:
        raise ValueError(f"{name}: expected one number, got an array of shape {arr.shape}")
    return float(arr)


def widths_and_ridge(m, ridge) -> tuple[np.ndarray, float]:
    """A 1-D grid of whole widths and one λ ≥ 0 (the width is the grid axis of a draw)."""
    widths = np.atleast_1d(check_array(m, "m", lower=0.0, strict=True))
    if widths.ndim != 1 or np.any(widths != np.round(widths)):
        raise ValueError("m: expected a 1-D grid of whole widths")
    lam = check_array(ridge, "ridge", lower=0.0)
    if lam.ndim != 0:
        raise ValueError("ridge: expected one λ (the width is the grid axis)")
    return widths.astype(int), float(lam)


def check_seed(seed) -> int:
    """A non-negative integer seed."""
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: must be a non-negative integer, got {seed!r}")
    return int(seed)


def design(spectrum, n) -> tuple[np.ndarray, int, int]:
    """One spectrum (shape (d,)) and a whole number of rows ``n``: returns ``(s, d, n)``."""
    s = as_positive_spectrum(spectrum, "spectrum")
    if s.ndim != 1:
        raise ValueError("spectrum: the Monte Carlo takes one spectrum (shape (d,))")
    n_arr = check_array(n, "n", lower=0.0, strict=True)
    if n_arr.ndim != 0:
        raise ValueError(f"n: the Monte Carlo takes one number of rows, got shape {n_arr.shape}")
    if float(n_arr) != int(n_arr):
        raise ValueError(f"n: the Monte Carlo needs a whole number of rows, got {n}")
    return s, s.shape[0], int(n_arr)


def problem_scale(spectrum: np.ndarray, noises: tuple[float, ...], *, gamma=None, delta=None,
                  w_real=None, w_synth=None) -> float:
    """The problem's own scale: signal ``w1ᵀΣw1 + δᵀΣδ`` (``tr ΓΣ + tr ΔΣ`` for random effects)
    plus the noise variances — what a round-off floor for exact zeros is relative to
    (:meth:`~modelcollapse.verify.MonteCarloResult.agrees_with`)."""
    s = np.asarray(spectrum, dtype=float)
    if gamma is not None:
        signal = float(s @ np.asarray(gamma, dtype=float))
        if delta is not None:
            signal += float(s @ np.asarray(delta, dtype=float))
    else:
        w1 = np.asarray(w_real, dtype=float)
        dw = np.asarray(w_synth, dtype=float) - w1
        signal = float(w1 @ (s * w1) + dw @ (s * dw))
    return signal + float(sum(x * x for x in noises))


def teacher_sampler(
    d: int, *, gamma=None, delta=None, w_real=None, w_synth=None
) -> tuple[str, Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]]]:
    """Validate a teacher and return ``(kind, draw)``; ``draw(rng)`` gives ``(w1, w2)``.

    Fixed teachers are returned as given (no random numbers used); random effects draw
    ``w1 = Γ^{1/2} z1`` then ``w2 = w1 + Δ^{1/2} z2``, in that order.
    """
    kind, weights = teacher_weights(d, gamma=gamma, delta=delta, w_real=w_real, w_synth=w_synth)
    for name, value in (("gamma", gamma), ("delta", delta), ("w_real", w_real),
                        ("w_synth", w_synth)):
        if value is not None and np.ndim(value) != 1:
            raise ValueError(f"{name}: the Monte Carlo takes one teacher (shape (d,))")
    if kind == "fixed":
        w1 = np.asarray(w_real, dtype=float)
        w2 = np.asarray(w_synth, dtype=float)
        return "fixed", lambda rng: (w1, w2)
    sd_g = np.sqrt(weights["Gamma"])
    sd_d = np.sqrt(weights["Delta"])

    def draw(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        w1 = sd_g * rng.standard_normal(d)
        return w1, w1 + sd_d * rng.standard_normal(d)

    return "random", draw
