"""One row of the agreement table: a Monte Carlo point against its theory value
(docs/mathematics.md §5)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from .._result import MonteCarloResult

__all__ = ["AgreementPoint", "compare", "NSE"]

#: Standard errors allowed by docs/mathematics.md §5.
NSE = 3.0


@dataclass(frozen=True)
class AgreementPoint:
    """Theory vs Monte Carlo at one point: ``|theory − mc| ≤ 3·se + rtol·|mc|``.

    Attributes
    ----------
    figure, series, quantity : str
        Where the point belongs (e.g. ``"fig2"``, ``"c²=0.1"``, ``"zeta"``).
    x_name : str
        Name of the swept parameter (``"m"``, ``"n"``, ``"psi"``, ...).
    x : float
        Its value in the simulation.
    d : int
        Dimension of the simulation.
    theory, mc, se : float
        Theory at the simulated size, Monte Carlo mean and its standard error.
    rtol : float
        Relative allowance for the O(1/d) finite-size bias.
    atol : float
        Float64 rounding allowance (1e-12 × the run's largest theory value): quantities that are
        exactly 0 in theory (e.g. the bias of a ridgeless fit with n > d) come out ~1e-30.
    draws : int
        Number of independent draws.
    """

    figure: str
    series: str
    quantity: str
    x_name: str
    x: float
    d: int
    theory: float
    mc: float
    se: float
    rtol: float
    draws: int
    atol: float = 0.0

    @property
    def tolerance(self) -> float:
        return NSE * self.se + self.rtol * abs(self.mc) + self.atol

    @property
    def z(self) -> float:
        """``(theory − mc)/se``."""
        if self.se > 0:
            return (self.theory - self.mc) / self.se
        return 0.0 if self.theory == self.mc else math.inf

    @property
    def agree(self) -> bool:
        return bool(
            np.isfinite(self.theory)
            and np.isfinite(self.mc)
            and abs(self.theory - self.mc) <= self.tolerance
        )

    def as_row(self) -> dict:
        """A flat dict with the derived columns (``z``, ``tolerance``, ``agree``)."""
        row = asdict(self)
        row.update(z=self.z, tolerance=self.tolerance, agree=self.agree)
        return row


def compare(
    *,
    figure: str,
    series: str,
    x_name: str,
    x: Sequence[float],
    theory: dict[str, np.ndarray],
    mc: MonteCarloResult,
    quantities: Sequence[str],
    rtol: float,
    d: int,
) -> list[AgreementPoint]:
    """Agreement rows for every grid point and quantity of one Monte Carlo run.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify import MonteCarloResult
    >>> from modelcollapse.verify.reproduce._agreement import compare
    >>> mc = MonteCarloResult.from_draws({"test_error": np.array([[1.0], [1.2]])}, 0)
    >>> rows = compare(figure="f", series="s", x_name="n", x=[10], d=5, rtol=0.02,
    ...                theory={"test_error": np.array([1.05])}, mc=mc,
    ...                quantities=["test_error"])
    >>> rows[0].agree, round(rows[0].z, 3)
    (True, -0.5)
    """
    draws = next(iter(mc.draws.values())).shape[0]
    scale = max(float(np.nanmax(np.abs(np.asarray(theory[q], dtype=float)))) for q in quantities)
    atol = 1e-12 * scale if np.isfinite(scale) else 0.0
    rows = []
    for q in quantities:
        th = np.broadcast_to(np.asarray(theory[q], dtype=float), np.shape(x))
        for i, xv in enumerate(x):
            rows.append(
                AgreementPoint(
                    figure=figure,
                    series=series,
                    quantity=q,
                    x_name=x_name,
                    x=float(xv),
                    d=int(d),
                    theory=float(th[i]),
                    mc=float(mc.mean[q][i]),
                    se=float(mc.stderr[q][i]),
                    rtol=float(rtol),
                    draws=int(draws),
                    atol=atol,
                )
            )
    return rows
