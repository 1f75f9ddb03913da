"""The result object every Monte Carlo routine returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["MonteCarloResult"]


@dataclass(frozen=True)
class MonteCarloResult:
    """Means, standard errors and raw draws of simulated risks.

    Attributes
    ----------
    mean : dict[str, ndarray]
        Per quantity (``"test_error"``, ``"bias"``, ``"variance"``, ``"zeta"``), the mean over
        draws; shape of the parameter grid (e.g. the λ grid).
    stderr : dict[str, ndarray]
        Standard error of each mean (sample std / sqrt(draws)).
    draws : dict[str, ndarray]
        The per-draw values, shape ``(n_draws, *grid)``.
    seed : int
        The seed that reproduces the run bit for bit.
    params : dict
        The problem parameters, for the record.
    """

    mean: dict[str, np.ndarray]
    stderr: dict[str, np.ndarray]
    draws: dict[str, np.ndarray]
    seed: int
    params: dict = field(default_factory=dict)

    @classmethod
    def from_draws(cls, draws: dict[str, np.ndarray], seed: int, params: dict | None = None):
        """Summarise per-draw arrays (axis 0 = draws)."""
        mean = {k: v.mean(axis=0) for k, v in draws.items()}
        k0 = next(iter(draws.values())).shape[0]
        stderr = {
            k: (v.std(axis=0, ddof=1) / np.sqrt(k0) if k0 > 1 else np.full(v.shape[1:], np.inf))
            for k, v in draws.items()
        }
        return cls(mean=mean, stderr=stderr, draws=draws, seed=seed, params=dict(params or {}))

    def agrees_with(self, theory, key: str = "test_error", rtol: float = 0.03, nse: float = 3.0):
        """THEORY.md §5 agreement ``|theory − mc| ≤ nse·se + rtol·|mc|``, elementwise."""
        mc, se = self.mean[key], self.stderr[key]
        return np.abs(np.asarray(theory) - mc) <= nse * se + rtol * np.abs(mc)

    def z_scores(self, theory, key: str = "test_error") -> np.ndarray:
        """``(theory − mean)/se`` elementwise."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.asarray(theory) - self.mean[key]) / self.stderr[key]
