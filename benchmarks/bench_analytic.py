"""Power-law spectra at d = ∞ against the same grid on a d = 10⁶ array.

* toolkit: ``ridge_risk`` on ``PowerLawSpectrum(1.5, None, …)`` over a 10⁴-point (λ, n) grid
  (100 λ × 100 n, n from 10² to 10⁹): every (λ, n) is distinct, so 10⁴ fixed points are solved;
* baseline: the same on the eigenvalue array of d = 10⁶, timed on 100 points of the grid and
  extrapolated linearly (the array path is O(d) per point and per Newton step);
* checks: agreement of the analytic spectrum at d = 10⁶ with the array (same sums, ≤ 1e-12 is
  expected), and the d = ∞ values against the d = 10⁶ ones (they differ by the truncated tail);
* the same for the multi-source model (a generator that multiplies the tail from j = 11 by 0.3)
  with power-law diagonals, over a 50 × 50 grid.
"""

from __future__ import annotations

import numpy as np
from _timing import Row, interleaved_min

__all__ = ["run_analytic"]


def run_analytic(d: int = 10**6, points: int = 100, reps: int = 2) -> tuple[list[Row], dict]:
    """Rows: d = ∞ over ``points²`` (λ, n) against the array of length ``d``."""
    from modelcollapse.numerics import ridge_risk
    from modelcollapse.numerics.spectra import PowerLawSpectrum

    beta, ge, de, ds = 1.5, 0.5, 0.7, 0.02
    kw = dict(p2=0.3, noise_real=0.5, noise_synth=0.4)
    lam = np.logspace(-9, -1, points)[:, None]
    n = np.logspace(2, 9, points)[None, :]
    spec_inf = PowerLawSpectrum(beta, None, gamma=(1.0, ge), delta=(ds, de))
    spec_d = PowerLawSpectrum(beta, d, gamma=(1.0, ge), delta=(ds, de))
    j = np.arange(1, d + 1.0)
    arrays = dict(gamma=j**-ge, delta=ds * j**-de)
    s = j**-beta
    pick = np.random.default_rng(0).choice(points * points, size=points, replace=False)
    lam_sub = np.broadcast_to(lam, (points, points)).reshape(-1)[pick]
    n_sub = np.broadcast_to(n, (points, points)).reshape(-1)[pick]

    def analytic():
        return ridge_risk(spec_inf, ridge=lam, n=n, **kw)

    def array_subset():
        return ridge_risk(s, ridge=lam_sub, n=n_sub, **arrays, **kw)

    analytic()
    t = interleaved_min({"analytic": analytic, "array": array_subset}, reps)
    t_array = t["array"] * points  # linear in the number of points
    full_d = ridge_risk(spec_d, ridge=lam_sub, n=n_sub, **kw).test_error
    arr = array_subset().test_error
    inf = ridge_risk(spec_inf, ridge=lam_sub, n=n_sub, **kw).test_error
    same = float(np.max(np.abs(full_d / arr - 1)))
    tail = float(np.max(np.abs(inf / arr - 1)))
    rows = [Row(f"ridge, d = ∞ power law vs a d = {d:.0e} array, {points * points} (λ, n) points",
                t["analytic"], t_array, "speedup", 1000,
                [f"array path timed on {points} points and extrapolated ×{points}",
                 f"analytic at d = {d:.0e} vs the array: max rel. gap {same:.1e}; d = ∞ vs "
                 f"d = {d:.0e}: {tail:.1e} (the truncated tail)"])]
    multi, checks = _multi_source(d, points, reps)
    return rows + multi, {"same": same, "tail": tail, **checks}


def _multi_source(d: int, points: int, reps: int) -> tuple[list[Row], dict]:
    """The multi-source model, a generator that shrinks the tail: d = ∞ against a d array."""
    from modelcollapse.numerics import PowerLawDiagonal, Source, multi_source_risk

    side = max(2, points // 2)
    lam = np.logspace(-9, -1, side)[:, None]
    n = np.logspace(2, 9, side)[None, :]
    j = np.arange(1, d + 1.0)
    pick = np.random.default_rng(1).choice(side * side, size=side, replace=False)
    lam_sub = np.broadcast_to(lam, (side, side)).reshape(-1)[pick]
    n_sub = np.broadcast_to(n, (side, side)).reshape(-1)[pick]

    def problem(dim, form, ridge, size):
        def P(*args, **kw):
            return form(PowerLawDiagonal(*args, dimension=dim, **kw))
        return multi_source_risk(
            [Source(0.6, P(1.5), noise=0.5),
             Source(0.4, P(1.5, tail_from=11, tail_scale=0.3), delta=P(0.7, 0.02), noise=0.4)],
            gamma=P(0.5), ridge=ridge, n=size)

    def analytic():
        return problem(None, lambda x: x, lam, n)

    def array_subset():
        return problem(d, lambda x: x.values(j), lam_sub, n_sub)

    analytic()
    t = interleaved_min({"analytic": analytic, "array": array_subset}, reps)
    t_array = t["array"] * side
    arr = array_subset().test_error
    full_d = problem(d, lambda x: x, lam_sub, n_sub).test_error
    inf = problem(None, lambda x: x, lam_sub, n_sub).test_error
    same = float(np.max(np.abs(full_d / arr - 1)))
    tail = float(np.max(np.abs(inf / arr - 1)))
    rows = [Row(f"multi-source (tail ×0.3), d = ∞ vs a d = {d:.0e} array, {side * side} (λ, n) "
                "points", t["analytic"], t_array, "speedup", 1000,
                [f"array path timed on {side} points and extrapolated ×{side}",
                 f"power-law diagonals at d = {d:.0e} vs the array: max rel. gap {same:.1e}; "
                 f"d = ∞ vs d = {d:.0e}: {tail:.1e} (the truncated tail)"])]
    return rows, {"multi_same": same, "multi_tail": tail}
