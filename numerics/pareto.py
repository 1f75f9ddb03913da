"""Pareto frontiers of (real-only error, mixed error) pairs over a family of models.

Figure 1 of the paper (docs/mathematics.md §4) places every width ``m`` of a random-projections
model at
the point ``(x, y)`` with ``x`` the test error when trained on real data only and ``y`` the test
error when trained on the real/synthetic mix.  Both are to be minimised; the *Pareto frontier*
is the set of points no other point beats on both axes at once.  A width on the frontier is a
sensible model size: any other width is worse on one of the two data regimes.

The functions here work on any pair of arrays (your own grids of widths, ridges, ...).
"""

from __future__ import annotations

import numpy as np

from ._validate import check_array

__all__ = ["pareto_frontier", "pareto_mask"]


def _pair(x, y) -> tuple[np.ndarray, np.ndarray]:
    try:
        xa = np.asarray(x, dtype=float)
        ya = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        # let check_array name the offending argument
        xa = check_array(x, "x")
        ya = check_array(y, "y")
    if xa.ndim != 1:
        raise ValueError(f"x: expected a 1-D array, got shape {xa.shape}")
    if ya.ndim != 1:
        raise ValueError(f"y: expected a 1-D array, got shape {ya.shape}")
    if xa.shape != ya.shape:
        raise ValueError(f"y: expected the length of x ({xa.shape[0]}), got {ya.shape[0]}")
    if np.isnan(xa).any():
        raise ValueError("x: contains NaN (drop unconverged points first)")
    if np.isnan(ya).any():
        raise ValueError("y: contains NaN (drop unconverged points first)")
    return xa, ya


def pareto_frontier(x, y) -> np.ndarray:
    """Indices of the non-dominated points of ``(x, y)``, both to be minimised, sorted by ``x``.

    Point ``i`` is *dominated* if some ``j`` has ``x_j ≤ x_i`` and ``y_j ≤ y_i`` with at least one
    inequality strict.  The frontier is every point that is not dominated; of several identical
    points only the first (lowest index) is returned.  Infinite values (e.g. the interpolation
    threshold ``m = n`` of a ridgeless model) follow the same definition: ``(x, +inf)`` is on the
    frontier only if no other point has an ``x`` as small, so drop such points first if you want
    a frontier of finite errors.

    Parameters
    ----------
    x : array_like, shape (K,)
        First objective, e.g. the test error of each width trained on real data only.
    y : array_like, shape (K,)
        Second objective, e.g. the test error of the same widths trained on the mix.

    Returns
    -------
    ndarray of int, shape (F,)
        Indices into ``x``/``y`` of the frontier, in increasing ``x`` (hence decreasing ``y``).

    Raises
    ------
    ValueError
        If ``x`` or ``y`` is not 1-D numeric, they differ in length, or contain NaN.

    Examples
    --------
    >>> from modelcollapse.numerics.pareto import pareto_frontier
    >>> pareto_frontier([3.0, 1.0, 2.0, 2.5], [1.0, 3.0, 2.0, 2.5]).tolist()
    [1, 2, 0]
    """
    xa, ya = _pair(x, y)
    if xa.size == 0:
        return np.zeros(0, dtype=np.intp)
    # sort by x, ties by y, ties by index (lexsort is stable; last key is primary).  After the
    # sort every earlier point has x ≤ x_i, so i is non-dominated iff its y is strictly below
    # every earlier y (an earlier equal y is either an identical point or a dominating one).
    order = np.lexsort((np.arange(xa.size), ya, xa))
    keep = [int(order[0])]
    best_y = ya[order[0]]
    for i in order[1:]:
        if ya[i] < best_y:
            keep.append(int(i))
            best_y = ya[i]
    return np.asarray(keep, dtype=np.intp)


def pareto_mask(x, y) -> np.ndarray:
    """Boolean mask of the non-dominated points (the same set as :func:`pareto_frontier`).

    Examples
    --------
    >>> from modelcollapse.numerics.pareto import pareto_mask
    >>> pareto_mask([1.0, 2.0, 3.0], [3.0, 1.0, 2.0]).tolist()
    [True, True, False]
    """
    xa, _ = _pair(x, y)
    mask = np.zeros(xa.shape, dtype=bool)
    mask[pareto_frontier(x, y)] = True
    return mask
