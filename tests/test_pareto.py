"""Pareto frontier: checked against the O(K²) definition and hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelcollapse.numerics.pareto import pareto_frontier, pareto_mask


def brute_force(x, y):
    """Definition: i is kept unless some j has x_j ≤ x_i, y_j ≤ y_i, one strict; of identical
    points only the first is kept."""
    keep = []
    for i in range(len(x)):
        dominated = False
        for j in range(len(x)):
            if j == i:
                continue
            if x[j] <= x[i] and y[j] <= y[i] and (x[j] < x[i] or y[j] < y[i]):
                dominated = True
            if x[j] == x[i] and y[j] == y[i] and j < i:
                dominated = True
        if not dominated:
            keep.append(i)
    return sorted(keep, key=lambda i: (x[i], y[i]))


def test_hand_example():
    # (1,3) (2,2) (3,1) are mutually non-dominated; (2.5, 2.5) is beaten by (2, 2)
    idx = pareto_frontier([3.0, 1.0, 2.0, 2.5], [1.0, 3.0, 2.0, 2.5])
    assert idx.tolist() == [1, 2, 0]


def test_ties_and_duplicates():
    # equal x: only the smaller y survives; identical points: only the first
    x = [1.0, 1.0, 2.0, 2.0, 0.5]
    y = [2.0, 1.0, 0.5, 0.5, 5.0]
    assert pareto_frontier(x, y).tolist() == [4, 1, 2]
    assert pareto_mask(x, y).tolist() == [False, True, True, False, True]


def test_single_point_dominates_all():
    x = np.array([1.0, 2.0, 3.0, 0.5])
    y = np.array([1.0, 2.0, 3.0, 0.5])
    assert pareto_frontier(x, y).tolist() == [3]


def test_infinite_values_follow_the_definition():
    # the threshold point (smallest x, y = inf) is non-dominated; (inf, 0) too
    x = [0.1, 1.0, np.inf]
    y = [np.inf, 1.0, 0.0]
    assert pareto_frontier(x, y).tolist() == [0, 1, 2]
    assert pareto_frontier([0.2, 0.1], [np.inf, 1.0]).tolist() == [1]


def test_empty():
    assert pareto_frontier([], []).tolist() == []


@pytest.mark.parametrize(
    "x, y, name",
    [
        ([1.0, 2.0], [1.0], "y"),
        ([[1.0]], [1.0], "x"),
        ([1.0, np.nan], [1.0, 2.0], "x"),
        ([1.0, 2.0], [np.nan, 2.0], "y"),
        (["a", "b"], [1.0, 2.0], "x"),
    ],
)
def test_bad_input_names_parameter(x, y, name):
    with pytest.raises(ValueError, match=rf"^{name}:"):
        pareto_frontier(x, y)


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@given(st.lists(st.tuples(st.sampled_from([0.0, 1.0, 2.0, 3.0]) | finite, finite), max_size=40))
def test_matches_definition(points):
    x = [p[0] for p in points]
    y = [p[1] for p in points]
    got = pareto_frontier(x, y).tolist()
    assert got == brute_force(x, y)
    # frontier is sorted by x increasing and y strictly decreasing
    xs = np.asarray(x)[got]
    ys = np.asarray(y)[got]
    assert np.all(np.diff(xs) > 0) and np.all(np.diff(ys) < 0)


def test_real_pareto_use_case():
    """Frontier of a U-shaped pair of curves over widths: only the widths between the two
    minimisers are on it (each curve is convex in m; x min at m=3, y min at m=6)."""
    m = np.arange(1, 10, dtype=float)
    x = (m - 3.0) ** 2
    y = (m - 6.0) ** 2
    assert m[pareto_frontier(x, y)].tolist() == [3.0, 4.0, 5.0, 6.0]
