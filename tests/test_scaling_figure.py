"""The scaling-law figure's derived quantities against the solver at d = ∞.

References: ``n*`` and the approach rate 2rβ/(2rβ+1) are SymPy derivations to leading order in
κ → 0 (:mod:`modelcollapse.theory.power_law`); the solver's tuned curve is an independent route.
The leading order's relative corrections are O(κ^{1/β}) and O(df2/n), so the comparison is made
where they are small (n ≥ 10⁶, κ* ≲ 10⁻³) with a tolerance of that order.
"""

from __future__ import annotations

import numpy as np
import pytest

from modelcollapse.verify.reproduce.figures_scaling import (
    BETA,
    R_SOURCE,
    derived_onset,
    tuned_error,
)


@pytest.mark.parametrize("p2, c2", [(0.02, 0.1), (0.02, 1.0)])
def test_collapse_onset_matches_the_tuned_solver(p2, c2):
    n_star = derived_onset(p2, c2)
    assert 1e6 < n_star < 1e9
    n = n_star * np.array([0.98, 1.02])
    err, _ = tuned_error(n, p2, c2, lam_points=240)
    decay = err - p2**2 * c2
    # at the derived n*, E − p2²c² equals the floor to the leading order's accuracy
    ratio = np.exp(np.interp(np.log(n_star), np.log(n), np.log(decay / (p2**2 * c2))))
    assert abs(ratio - 1) < 5e-3


def test_approach_rate_is_the_derived_exponent():
    n = np.array([1e8, 1.1e8])
    exponent = 2 * R_SOURCE * BETA / (2 * R_SOURCE * BETA + 1)
    for p2, c2 in ((0.0, 0.1), (0.2, 0.1)):
        err, _ = tuned_error(n, p2, c2, lam_points=240)
        slope = np.diff(np.log(err - p2**2 * c2)) / np.diff(np.log(n))
        assert abs(slope[0] + exponent) < 2e-3


def test_truncated_spectrum_lowers_the_error_near_d():
    # the finite-d theory (the spectrum truncated at d) drops below d = ∞ as n approaches d
    n = np.array([30.0, 300.0])
    inf, _ = tuned_error(n, 0.0, 0.1, lam_points=60)
    fin, _ = tuned_error(n, 0.0, 0.1, dimension=150, lam_points=60)
    ratio = fin / inf  # measured 0.954 and 0.855
    assert ratio[0] < 1 and ratio[1] < ratio[0] - 0.05
