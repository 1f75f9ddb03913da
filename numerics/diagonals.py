r"""Power-law diagonals for the multi-source model: covariances and teacher variances at d = ∞.

A :class:`PowerLawDiagonal` is the diagonal ``c_j = scale · j^{-power_law}``, ``j = 1..d``
(``d`` finite or ``∞``), optionally multiplied by ``tail_scale`` from the index ``tail_from`` on —
the covariate shift of a generator that keeps the head of the spectrum and shrinks (or loses) its
tail (docs/mathematics.md §7).  Given as the covariances (and ``gamma``/``delta``) of
:func:`~modelcollapse.numerics.multi_source.multi_source_risk`, every sum over the ``d``
directions is evaluated by a quadrature of about a thousand nodes (an exact head, Euler–Maclaurin
in Gregory's form and Gauss–Legendre in ``ln j``; :mod:`modelcollapse.numerics._direction_rule`),
so ``d = 10⁹`` or ``d = ∞`` costs what ``d ≈ 1000`` costs.

Examples
--------
>>> import math
>>> from modelcollapse.numerics.diagonals import PowerLawDiagonal
>>> c = PowerLawDiagonal(2.0, tail_from=11, tail_scale=0.3)
>>> [round(v, 15) for v in c.values([1, 10, 11]).tolist()]  # 0.3/11² from j = 11 on
[1.0, 0.01, 0.002479338842975]
>>> c.dimension is None and c.trace() > 0
True
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["PowerLawDiagonal", "MAX_TAIL_FROM"]

#: Largest ``tail_from`` (the head up to it is summed exactly).
MAX_TAIL_FROM = 1 << 16


def _real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value!r:.60}")
    return float(value)


@dataclass(frozen=True)
class PowerLawDiagonal:
    r"""The diagonal ``c_j = scale · j^{-power_law} · (tail_scale if j ≥ tail_from else 1)``.

    Parameters
    ----------
    power_law : float
        The exponent (a covariance at ``d = ∞`` needs ``power_law > 1``: a finite trace).
    scale : float
        ``≥ 0``.
    dimension : int or None
        ``d``; None for ``d = ∞``.  Every diagonal of one problem has the same.
    tail_from : int or None
        First index of the tail (``2 … 65536``); None for a pure power law.
    tail_scale : float
        The tail's factor, ``≥ 0`` (0: the source does not see the tail directions).
    """

    power_law: float
    scale: float = 1.0
    dimension: int | None = None
    tail_from: int | None = None
    tail_scale: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "power_law", _real(self.power_law, "power_law"))
        scale = _real(self.scale, "scale")
        if scale < 0:
            raise ValueError(f"scale: must be ≥ 0, got {scale!r}")
        object.__setattr__(self, "scale", scale)
        d = self.dimension
        if d is not None and (isinstance(d, bool) or not isinstance(d, numbers.Integral)
                              or d < 1):
            raise ValueError(f"dimension: expected a positive integer or None (d = ∞), got {d!r}")
        if d is not None:
            object.__setattr__(self, "dimension", int(d))
        k = self.tail_from
        if k is not None and (isinstance(k, bool) or not isinstance(k, numbers.Integral)
                              or not 2 <= k <= MAX_TAIL_FROM):
            raise ValueError(f"tail_from: expected an index from 2 to {MAX_TAIL_FROM}, got {k!r}")
        tail = _real(self.tail_scale, "tail_scale")
        if tail < 0:
            raise ValueError(f"tail_scale: must be ≥ 0, got {tail!r}")
        object.__setattr__(self, "tail_scale", tail)

    def values(self, j: ArrayLike) -> np.ndarray:
        """``c_j`` at the (possibly non-integer) positions ``j ≥ 1``."""
        j = np.asarray(j, dtype=float)
        out = self.scale * j ** -self.power_law
        if self.tail_from is not None:
            out = np.where(j >= self.tail_from, self.tail_scale * out, out)
        return out

    def trace(self) -> float:
        """``Σ_j c_j`` (by the same quadrature the solver uses)."""
        from ._direction_rule import direction_rule

        if self.dimension is None and self.power_law <= 1 and self.scale > 0:
            return math.inf
        x, w = direction_rule(self.dimension, max(self.power_law, 1.0),
                              max(self.power_law, 1.0 + 1e-3), self.head())
        return float(w @ self.values(x))

    def head(self) -> int:
        """The smallest exact head the quadrature needs (past ``tail_from``)."""
        return 0 if self.tail_from is None else int(self.tail_from)
