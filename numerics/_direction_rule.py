r"""A quadrature over the directions ``j = 1..d`` (``d`` finite or ``∞``) of power-law diagonals.

When every covariance and teacher diagonal is a power law ``c(j) = scale · j^{-β}`` (with an
optional factor from an index on), every quantity of the diagonal multi-source solver is a sum
``Σ_{j=1}^{d} F(j)`` of one smooth function ``F`` of ``j``.  The rule here replaces that sum by
``Σ_i ω_i F(x_i)`` with a few thousand nodes, whatever ``d``:

* a head ``j = 1 … J − 1`` summed exactly (nodes at the integers, weight 1; every break of a
  piecewise diagonal lies in the head);
* the rest by the Euler–Maclaurin formula
  ``Σ_{j=J}^{N} F(j) = ∫_J^N F + (F(J) + F(N))/2 + Σ_{k=1}^{m} B_{2k}/(2k)! (F^{(2k−1)}(N) −
  F^{(2k−1)}(J))``, the derivatives replaced by one-sided differences on ``J … J + p`` (and
  ``N − p … N``), which makes it a rule on integer nodes (Gregory's form);
* the integral in ``u = ln x`` by composite Gauss–Legendre on panels of width
  ``h = π/(2β_max)``: ``F(e^u)`` is analytic in the strip ``|Im u| < π/(2β_max)`` (a sum of
  terms ``a_g e^{-β_g u}`` with ``a_g > 0`` has a positive real part there, so no resolvent
  ``(Σ_g a_g e^{-β_g u} + c)^{-1}`` with ``c ≥ 0`` has a pole), and 14 nodes per panel of half
  the strip's width converge like ``4.2^{-28}``.  At ``d = ∞`` the panels stop where
  ``e^{(1 − β_min)(u − ln J)} < e^{-40}`` (every summand decays at least like ``j^{-β_min}``).

With ``J = 256``, ``m = 3`` and ``p = 8`` the Euler–Maclaurin remainder and the differences'
error are ``≲ (ρJ)^{-7} F(J)`` with ``ρ = sin(π/(2β_max))`` (Cauchy's estimate of the
derivatives, as for :mod:`modelcollapse.numerics._euler_maclaurin`) — below ``10⁻¹⁴`` of the
sum for ``β_max ≤ 4``.  The accuracy is checked in the tests against certified power-law
moments, against plain sums at large finite ``d`` and against mpmath.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache

import numpy as np

__all__ = ["direction_rule", "HEAD"]

#: First index summed by the Euler–Maclaurin part (the exact head is ``1 … HEAD − 1``).
HEAD = 256
_ORDER = 8  # one-sided differences on J … J + p
_TERMS = 3  # Bernoulli terms B_2, B_4, B_6
_GL_NODES = 14
_TAIL_DECAY = 40.0  # stop where the neglected integrand has decayed by e^{-40}
_BERNOULLI = {2: Fraction(1, 6), 4: Fraction(-1, 30), 6: Fraction(1, 42)}


@cache
def _difference_weights(order: int) -> dict[int, tuple[Fraction, ...]]:
    """``c^{(r)}_i``: ``F^{(r)}(0) ≈ Σ_{i=0}^{p} c_i F(i)`` (exact for polynomials of degree p)."""
    size = order + 1
    out = {}
    for r in range(1, 2 * _TERMS, 2):
        # Σ_i c_i i^l = r! [l = r], l = 0..p — solved exactly (Gauss–Jordan on fractions)
        rows = [[Fraction(i) ** l for i in range(size)] + [Fraction(math.factorial(r) if l == r
                                                                    else 0)]
                for l in range(size)]
        for col in range(size):
            piv = next(i for i in range(col, size) if rows[i][col] != 0)
            rows[col], rows[piv] = rows[piv], rows[col]
            lead = rows[col][col]
            rows[col] = [v / lead for v in rows[col]]
            for i in range(size):
                if i != col and rows[i][col] != 0:
                    f = rows[i][col]
                    rows[i] = [a - f * b for a, b in zip(rows[i], rows[col], strict=True)]
        out[r] = tuple(rows[i][size] for i in range(size))
    return out


@cache
def _end_weights() -> np.ndarray:
    """Weights of ``F(J + i)``, ``i = 0..p``, at the lower end (the upper end mirrors them)."""
    diff = _difference_weights(_ORDER)
    w = [Fraction(1, 2) if i == 0 else Fraction(0) for i in range(_ORDER + 1)]
    for k in range(1, _TERMS + 1):
        coef = _BERNOULLI[2 * k] / math.factorial(2 * k)
        for i, c in enumerate(diff[2 * k - 1]):
            w[i] -= coef * c
    return np.array([float(v) for v in w])


def direction_rule(dimension: int | None, beta_max: float, beta_min: float, head: int = 0
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``x`` and weights ``ω`` with ``Σ_{j=1}^{d} F(j) ≈ Σ_i ω_i F(x_i)``.

    Parameters
    ----------
    dimension : int or None
        ``d``; None for ``d = ∞``.
    beta_max, beta_min : float
        Largest and smallest decay exponent among the covariances (the width of the strip of
        analyticity, and the slowest decay of a summand).
    head : int
        Indices ``j < head`` are summed exactly (a break of a piecewise diagonal must lie there);
        the exact head is ``1 … J − 1`` with ``J`` the larger of :data:`HEAD` and the next power
        of two above ``head``.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.numerics._direction_rule import direction_rule
    >>> x, w = direction_rule(None, 2.0, 2.0)
    >>> bool(abs(w @ x**-2.0 - np.pi**2 / 6) < 1e-14)
    True
    >>> x, w = direction_rule(10**6, 2.0, 2.0)
    >>> bool(abs(w.sum() - 10**6) < 1e-7)      # counts the directions
    True
    """
    n = math.inf if dimension is None else int(dimension)
    start = max(HEAD, 1 << max(0, int(head)).bit_length())
    if n <= 4 * start:
        j = np.arange(1, int(n) + 1, dtype=float)
        return j, np.ones_like(j)
    exact = np.arange(1, start, dtype=float)
    ends = _end_weights()
    nodes = [exact, start + np.arange(_ORDER + 1, dtype=float)]
    weights = [np.ones_like(exact), ends]
    if math.isfinite(n):
        nodes.append(n - np.arange(_ORDER + 1, dtype=float))
        weights.append(ends)
    u0 = math.log(start)
    if math.isfinite(n):
        u1 = math.log(n)
    else:
        u1 = u0 + _TAIL_DECAY / (beta_min - 1.0)
    width = math.pi / (2.0 * beta_max)
    panels = max(1, math.ceil((u1 - u0) / width))
    edges = np.linspace(u0, u1, panels + 1)
    gx, gw = np.polynomial.legendre.leggauss(_GL_NODES)
    half = 0.5 * (edges[1:] - edges[:-1])
    mid = 0.5 * (edges[1:] + edges[:-1])
    u = (mid[:, None] + half[:, None] * gx[None]).ravel()
    wu = (half[:, None] * gw[None]).ravel()
    nodes.append(np.exp(u))
    weights.append(wu * np.exp(u))
    return np.concatenate(nodes), np.concatenate(weights)
