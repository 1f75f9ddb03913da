"""Shared state of one reproduce run: settings, Monte Carlo cache, seeds and the progress bar."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
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
    """

    settings: Settings
    cache: MonteCarloCache
    seed: int = 0
    tick: Callable[[], None] | None = None

    def simulate(
        self,
        label: str,
        params: Mapping[str, Any],
        run: Callable[[int], MonteCarloResult],
        expect: Mapping[str, tuple[int, ...]] | None = None,
    ) -> MonteCarloResult:
        """Run (or fetch from the cache) ``run(seed)``; ``params`` must determine the result.

        ``expect`` maps each quantity the caller will read to the shape ``(n_draws, *grid)`` of
        its draws; a cached entry that does not hold them is recomputed (see
        :meth:`MonteCarloCache.load`).  Without it only the entry's own consistency is checked.
        """
        seed = derived_seed(self.seed, label)
        result = self.cache.get_or_compute(params, seed, lambda: run(seed), expect=expect)
        if self.tick is not None:
            self.tick()
        return result


@dataclass
class FigureOutput:
    """A finished figure: the matplotlib figure, its agreement rows and what to say about it."""

    name: str
    title: str
    figure: Any
    caption: str
    points: list[AgreementPoint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
