"""The result object every Monte Carlo routine returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
        Standard error of each mean (sample std / sqrt(draws)); NaN with a single draw (no
        verdict can be drawn from it).
    draws : dict[str, ndarray]
        The per-draw values, shape ``(n_draws, *grid)``.
    seed : int
        The seed that reproduces the run bit for bit.
    params : dict
        The problem parameters, for the record.
    model : str
        Registry name of the simulated model (the theory's ``Risk.model``), '' if none.
    coords : dict[str, ndarray]
        The inputs over the grid, named as the theory's (``ridge``, ``m``, ``n``, ``p2`` …), so
        that ``theory.to_frame()`` and :meth:`to_frame` join on them.
    """

    mean: dict[str, np.ndarray]
    stderr: dict[str, np.ndarray]
    draws: dict[str, np.ndarray]
    seed: int
    params: dict = field(default_factory=dict)
    model: str = ""
    coords: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_draws(cls, draws: Mapping[str, np.ndarray], seed: int,
                   params: Mapping[str, Any] | None = None, *, model: str = "",
                   coords: Mapping[str, Any] | None = None) -> MonteCarloResult:
        """Summarise per-draw arrays (axis 0 = draws)."""
        draws = {k: np.asarray(v, dtype=float) for k, v in draws.items()}
        mean = {k: v.mean(axis=0) for k, v in draws.items()}
        k0 = next(iter(draws.values())).shape[0]
        stderr = {
            k: (v.std(axis=0, ddof=1) / np.sqrt(k0) if k0 > 1 else np.full(v.shape[1:], np.nan))
            for k, v in draws.items()
        }
        return cls(mean=mean, stderr=stderr, draws=draws, seed=seed, params=dict(params or {}),
                   model=model, coords={k: np.asarray(v) for k, v in (coords or {}).items()})

    @property
    def n_draws(self) -> int:
        """Number of draws."""
        return int(next(iter(self.draws.values())).shape[0])

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the grid."""
        return tuple(next(iter(self.mean.values())).shape)

    def agrees_with(self, theory, key: str = "test_error", rtol: float = 0.03, nse: float = 3.0,
                    atol: float | None = None):
        """Agreement ``|theory − mc| ≤ nse·se + rtol·|mc| + atol``, elementwise (§5 rule).

        ``atol`` is a floor for exact zeros (e.g. a noise-free, shift-free risk whose simulation
        is 1e-30 of rounding); by default ``1e-12 ×`` the problem's own scale (signal energy plus
        noise variances, ``params["scale"]``, recorded by the simulators of the label-shift
        models; 0 where none is recorded).  A single draw has no standard error: a ValueError,
        never a pass.

        Examples
        --------
        Least squares with more rows than dimensions, no noise and no shift: the exact risk is 0
        and the simulation returns rounding.

        >>> import numpy as np
        >>> from modelcollapse.verify import simulate_ridge
        >>> w = np.ones(20) / np.sqrt(20)
        >>> mc = simulate_ridge(np.ones(20), n=40, p2=0.0, ridge=[0.0], w_real=w, w_synth=w,
        ...                     draws=30, seed=0)
        >>> bool(0 < mc.mean["test_error"][0] < 1e-25)
        True
        >>> bool(mc.agrees_with(0.0, rtol=0, atol=0)[0]), bool(mc.agrees_with(0.0, rtol=0)[0])
        (False, True)
        """
        if self.n_draws < 2:
            raise ValueError(f"draws: a verdict needs at least 2 draws, got {self.n_draws}")
        if atol is None:
            atol = 1e-12 * float(self.params.get("scale", 0.0)) if self.params else 0.0
        mc, se = self.mean[key], self.stderr[key]
        return np.abs(np.asarray(theory) - mc) <= nse * se + rtol * np.abs(mc) + atol

    def z_scores(self, theory, key: str = "test_error") -> np.ndarray:
        """``(theory − mean)/se`` elementwise."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.asarray(theory) - self.mean[key]) / self.stderr[key]

    def to_frame(self):
        """A tidy :class:`pandas.DataFrame`: one row per grid point.

        Columns: the model, the coordinates, ``draws``, and for every quantity its mean (named as
        the quantity: ``test_error``) and standard error (``test_error_se``) — the names of the
        theory's :meth:`~modelcollapse.numerics.Risk.to_frame`, so a join on the coordinates
        puts theory and simulation side by side.

        Examples
        --------
        >>> import numpy as np
        >>> from modelcollapse.verify import simulate_ridge
        >>> mc = simulate_ridge(np.ones(10), n=20, p2=0.5, ridge=[0.1, 1.0], gamma=np.full(10, 0.1),
        ...                     delta=np.zeros(10), draws=3, seed=0)
        >>> list(mc.to_frame().columns)[:4]
        ['model', 'n', 'p2', 'ridge']
        """
        import pandas as pd

        shape = self.shape
        size = int(np.prod(shape))
        cols: dict[str, Any] = {"model": np.full(size, self.model, dtype=object)}
        for k, v in self.coords.items():
            cols[k] = np.broadcast_to(v, shape).reshape(size)
        cols["draws"] = np.full(size, self.n_draws)
        for k in self.mean:
            cols[k] = np.asarray(self.mean[k]).reshape(size)
            cols[f"{k}_se"] = np.asarray(self.stderr[k]).reshape(size)
        return pd.DataFrame(cols)
