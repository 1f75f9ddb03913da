"""Shared state of one reproduce run: settings, Monte Carlo cache, seeds and the progress bar."""

from __future__ import annotations

import contextvars
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._result import MonteCarloResult
from ._agreement import AgreementPoint
from ._cache import MonteCarloCache
from ._settings import Settings

__all__ = ["Context", "FigureOutput", "derived_seed"]


def derived_seed(seed: int, label: str) -> int:
    """A reproducible per-run seed from the job seed and the run's label.

    Examples
    --------
    >>> from modelcollapse.verify.reproduce._context import derived_seed
    >>> derived_seed(0, "fig3") == derived_seed(0, "fig3") != derived_seed(1, "fig3")
    True
    """
    ss = np.random.SeedSequence([int(seed), zlib.crc32(label.encode())])
    return int(ss.generate_state(1, dtype=np.uint32)[0])


@dataclass
class Context:
    """What every figure function receives.

    Attributes
    ----------
    settings : Settings
    cache : MonteCarloCache
        Use ``MonteCarloCache(None)`` for no cache.
    seed : int
        Job seed; each Monte Carlo run gets :func:`derived_seed` of it and its label.
    tick : callable, optional
        Called once per finished Monte Carlo run (advances the job's progress bar).
    executor : concurrent.futures.Executor, optional
        Where :meth:`submit` starts runs.  ``None`` (the default, and the in-process job) runs
        each at once; on a Dask cluster the job passes a thread pool, so that the draws of the
        next runs queue on the workers while a figure waits for one run or computes its theory
        (a run that waits for its last draws would otherwise leave workers idle).
    """

    settings: Settings
    cache: MonteCarloCache
    seed: int = 0
    tick: Callable[[], None] | None = None
    executor: Executor | None = None
    _started: dict = field(default_factory=dict, init=False, repr=False)

    def submit(
        self,
        label: str,
        params: Mapping[str, Any],
        run: Callable[[int], MonteCarloResult],
        expect: Mapping[str, tuple[int, ...]] | None = None,
    ) -> Future:
        """Start ``run(seed)`` (or its fetch from the cache); a future of its result.

        ``params`` must determine the result.  ``expect`` maps each quantity the caller will
        read to the shape ``(n_draws, *grid)`` of its draws; a cached entry that does not hold
        them is recomputed (see :meth:`MonteCarloCache.load`).  Without it only the entry's own
        consistency is checked.  The seed depends on ``label`` only, so the result is the same
        whichever runs overlap.  A run submitted twice (the same label and parameters) is run
        once: the second call gets the first call's future — so the job can start a figure's
        runs early (:data:`~modelcollapse.verify.reproduce.job.PREFETCH`) and the figure, when
        it comes, finds them under way.
        """
        seed = derived_seed(self.seed, label)
        key = self.cache.key(params, seed)
        if key in self._started:
            return self._started[key]

        def job() -> MonteCarloResult:
            result = self.cache.get_or_compute(params, seed, lambda: run(seed), expect=expect)
            if self.tick is not None:
                self.tick()
            return result

        if self.executor is None:
            future: Future = Future()
            future.set_result(job())
        else:  # the thread sees the caller's context (the Dask client of use_client)
            future = self.executor.submit(contextvars.copy_context().run, job)
        self._started[key] = future
        return future

    def simulate(
        self,
        label: str,
        params: Mapping[str, Any],
        run: Callable[[int], MonteCarloResult],
        expect: Mapping[str, tuple[int, ...]] | None = None,
    ) -> MonteCarloResult:
        """:meth:`submit` and wait for the result."""
        return self.submit(label, params, run, expect).result()


@dataclass
class FigureOutput:
    """A finished figure: the matplotlib figure, its agreement rows and what to say about it."""

    name: str
    title: str
    figure: Any
    caption: str
    points: list[AgreementPoint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
