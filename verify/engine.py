"""One Monte Carlo engine around a per-model ``sample_once``.

Every simulator of :mod:`modelcollapse.verify` validates its inputs, builds a function
``sample_once(rng) -> {quantity: array over the grid}`` that simulates one independent draw of the
exact finite model, and hands it to :func:`run_monte_carlo`, which owns what all simulators share:

* **seeding**: draw ``i`` uses its own generator,
  ``default_rng(SeedSequence(seed).spawn(draws)[i])``
  — a draw's numbers depend on ``(seed, i)`` only, never on how draws are scheduled;
* **threads**: BLAS runs one thread per process while drawing (oversubscribed BLAS threads made a
  loaded 2-core machine 20× slower); ``MODELCOLLAPSE_BLAS_THREADS`` overrides it;
* **progress**: a bar when standard error is a terminal (``progress=None``), never in pipes;
* **summary**: means and standard errors in a :class:`MonteCarloResult` that carries the model
  name and the grid's coordinates, for a join with the theory's ``Risk.to_frame()``.

Examples
--------
>>> import numpy as np
>>> from modelcollapse.verify.engine import run_monte_carlo
>>> res = run_monte_carlo(lambda rng: {"test_error": rng.standard_normal(2)}, draws=4, seed=1,
...                       coords={"ridge": np.array([0.1, 1.0])})
>>> res.draws["test_error"].shape, res.coords["ridge"].tolist()
((4, 2), [0.1, 1.0])
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ._result import MonteCarloResult

__all__ = ["run_monte_carlo", "draw_generators", "blas_threads", "show_progress"]

SampleOnce = Callable[[np.random.Generator], Mapping[str, Any]]


def draw_generators(seed: int, draws: int) -> list[np.random.Generator]:
    """The independent generators of draws ``0 … draws − 1`` (``SeedSequence.spawn``)."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(draws)]


def blas_threads() -> int:
    """BLAS threads per simulating process: ``MODELCOLLAPSE_BLAS_THREADS`` or 1."""
    raw = os.environ.get("MODELCOLLAPSE_BLAS_THREADS", "1")
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"MODELCOLLAPSE_BLAS_THREADS: expected a whole number, got {raw!r}"
                         ) from None
    if value < 1:
        raise ValueError(f"MODELCOLLAPSE_BLAS_THREADS: must be ≥ 1, got {value}")
    return value


def _thread_limit():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return nullcontext()
    return threadpool_limits(limits=blas_threads(), user_api="blas")


def show_progress(progress: bool | None) -> bool:
    """``progress`` if given; by default, a bar only when standard error is a terminal."""
    if progress is not None:
        return bool(progress)
    stream = sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


def run_monte_carlo(
    sample_once: SampleOnce,
    *,
    draws: int,
    seed: int,
    params: Mapping[str, Any] | None = None,
    model: str = "",
    coords: Mapping[str, Any] | None = None,
    progress: bool | None = None,
    desc: str = "Monte Carlo",
) -> MonteCarloResult:
    """Run ``draws`` independent draws of ``sample_once`` and summarise them.

    Parameters
    ----------
    sample_once : callable
        ``sample_once(rng) -> {quantity: array}``; every call returns arrays of the same shape.
    draws : int
        Number of independent draws (≥ 1).
    seed : int
        Seed of the draws' :class:`numpy.random.SeedSequence`.
    params, model, coords
        Recorded in the result (see :class:`MonteCarloResult`).
    progress : bool or None
        Show a progress bar (default: only when standard error is a terminal).
    desc : str
        Label of the progress bar.
    """
    gens = draw_generators(seed, draws)
    collected: dict[str, list[np.ndarray]] = {}
    with _thread_limit():
        for rng in tqdm(gens, disable=not show_progress(progress), desc=desc, leave=False):
            for k, v in sample_once(rng).items():
                collected.setdefault(k, []).append(np.asarray(v, dtype=float))
    stacked = {k: np.stack(v) for k, v in collected.items()}
    return MonteCarloResult.from_draws(stacked, seed, params, model=model, coords=coords)
