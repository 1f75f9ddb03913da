"""The three derivations users did by hand, now through the public workbench.

1. For which ψ does a wider random-projection model amplify collapse (∂ζ/∂ψ > 0)?
2. Do free synthetic rows help at a fixed number of real rows?
3. The ridgeless limit and small-λ series of θ, the root of the isotropic θ cubic.

Each derivation is checked against the numeric solver on dense scans and against Monte Carlo
(seeded, small).  Monte Carlo rule (docs/mathematics.md §5): an ordering is *resolved* when the
mean difference exceeds 3 standard errors; a value *agrees* when
``|theory − mc| ≤ 3·se + rtol·scale`` with the finite-size term stated where it is used.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import sympy as sp

from modelcollapse.numerics import ridge_risk, rp_risk
from modelcollapse.theory import random_projection as rp
from modelcollapse.theory import workbench
from modelcollapse.theory._catalog_models import free_rows_error, rp_error_of_theta
from modelcollapse.theory.symbols import c, lam, p2, phi, phi1, psi, q2, r, sigma1, sigma2, theta
from modelcollapse.verify import simulate_ridge, simulate_rp

TIMES: dict[str, float] = {}


def numeric_members(st: sp.Set, grid: np.ndarray) -> np.ndarray:
    """Membership of float points in a union of intervals and points with numeric ends."""
    out = np.zeros(grid.shape, dtype=bool)
    for part in (st.args if isinstance(st, sp.Union) else (st,)):
        if part == sp.S.EmptySet:
            continue
        if isinstance(part, sp.FiniteSet):
            for pt in part:
                out |= np.isclose(grid, float(pt), rtol=0, atol=1e-12)
            continue
        lo, hi = float(part.start), float(part.end)
        left = grid > lo if part.left_open else grid >= lo
        right = grid < hi if part.right_open else grid <= hi
        out |= left & right
    return out


# -- 1. random projections: where does a wider model amplify collapse? ------------------------
@pytest.fixture(scope="module")
def width_sign():
    zeta = rp.isotropic_ridgeless("under")["zeta"]
    start = time.perf_counter()
    res = workbench.sign_condition(sp.diff(zeta, psi), psi,
                                   workbench.REGIONS["random-projections"]["under"])
    TIMES["width"] = time.perf_counter() - start
    return res


def test_width_derivation_is_fast_and_finds_the_window(width_sign):
    assert TIMES["width"] < 60  # seconds (was impossible: sp.solve raised NotImplementedError)
    window = [cs for cs in width_sign.cases if cs.negative != sp.S.EmptySet]
    assert len(window) == 1
    cs = window[0]
    s = sp.sqrt((p2 - phi) / (2 * p2))
    assert sp.simplify(cs.negative.start - (1 - s)) == 0 and cs.negative.end == phi
    assert sp.simplify(cs.positive.end - (1 - s)) == 0
    # every other case: amplification on the whole interval ψ < min(1, φ)
    for other in width_sign.cases:
        if other is not cs:
            assert other.positive == other.interval and other.negative == sp.S.EmptySet


def _window_closed_form(phi_v: float, p2_v: float) -> bool:
    """Independent statement: the window is non-empty iff 1/2 < φ < 1 and
    p2 > φ/(4φ − 2φ² − 1) (from 2p2(1−φ)² < p2 − φ, solved by hand for p2)."""
    return 0.5 < phi_v < 1 and p2_v > phi_v / (4 * phi_v - 2 * phi_v**2 - 1)


def test_window_condition_matches_the_hand_solution(width_sign):
    window = next(cs for cs in width_sign.cases if cs.negative != sp.S.EmptySet)
    inside = sp.lambdify((phi, p2), window.condition())
    rng = np.random.default_rng(3)
    for phi_v, p2_v in zip(rng.uniform(0.01, 1.5, 2000), rng.uniform(0.01, 0.999, 2000),
                           strict=True):
        if abs(2 * p2_v * (1 - phi_v) ** 2 - p2_v + phi_v) < 1e-9 or abs(phi_v - 1) < 1e-9:
            continue  # on a case boundary: floating point decides
        assert bool(inside(phi_v, p2_v)) == _window_closed_form(phi_v, p2_v), (phi_v, p2_v)


@pytest.mark.parametrize("phi_v,p2_v", [(0.9, 0.98), (0.9, 0.5), (0.6, 0.95), (1.4, 0.7),
                                        (0.3, 0.9)])
def test_width_signs_against_the_numeric_solver(width_sign, phi_v, p2_v):
    d = 600
    n = d / phi_v
    top = min(1.0, phi_v)
    grid = np.linspace(0.02 * top, 0.995 * top, 240)
    zeta = rp_risk(np.ones(d), n=n, m=grid * n, p2=p2_v, ridge=0.0, gamma=np.full(d, 1 / d),
                   delta=np.full(d, 1 / d)).zeta
    mid = 0.5 * (grid[1:] + grid[:-1])
    slope_sign = np.sign(np.diff(zeta))
    vals = {phi: sp.nsimplify(phi_v), p2: sp.nsimplify(p2_v)}
    case = next(cs for cs in width_sign.cases if cs.condition().subs(vals) == sp.true)
    pos, neg = case.positive.subs(vals), case.negative.subs(vals)
    edges = [float(b) for b in neg.boundary if b.is_finite]
    step = grid[1] - grid[0]
    keep = np.all([np.abs(mid - b) > step for b in edges], axis=0) if edges else \
        np.ones(mid.shape, bool)  # the interval straddling the turning point is ambiguous
    expected = numeric_members(pos, mid).astype(int) - numeric_members(neg, mid).astype(int)
    np.testing.assert_array_equal(slope_sign[keep], expected[keep])


def test_wide_models_mitigate_and_classical_is_flat():
    over = rp.isotropic_ridgeless("over")["zeta"]
    res = workbench.sign_condition(sp.diff(over, psi), psi,
                                   workbench.REGIONS["random-projections"]["over"])
    assert [cs.negative for cs in res.cases] == [sp.Interval.open(1, sp.oo)]
    classical = rp.isotropic_ridgeless("classical")["zeta"]
    assert sp.diff(classical, psi) == 0


def test_width_window_against_monte_carlo():
    """φ = 0.9, p2 = 0.98 (inside the window region): ζ rises from ψ = 0.5 to ψ = 0.8, then
    falls by ψ = 0.88.  Fixed teachers w1 = 0, ‖δ‖ = 1 (for Σ = I their ζ equals the
    random-effects ζ with c² = 1 and removes the teacher-draw noise); widths are nested in each
    draw, so differences are paired.  Finite-size term: 3 % of the two ζ compared
    (docs/mathematics.md §5, d = 270)."""
    d, phi_v, p2_v = 270, 0.9, 0.98
    n = 300
    widths = np.array([150, 240, 264])  # ψ = 0.5, 0.8, 0.88
    zeta = rp.isotropic_ridgeless("under")["zeta"]
    theory = np.array([float(zeta.subs({phi: phi_v, p2: p2_v, c: 1, psi: w / n}))
                       for w in widths])
    delta = np.random.default_rng(0).standard_normal(d)
    delta /= np.linalg.norm(delta)
    mc = simulate_rp(np.ones(d), n=n, m=widths, p2=p2_v, ridge=0.0, w_real=np.zeros(d),
                     w_synth=delta, draws=40, seed=5)
    z = mc.draws["zeta"]
    for i, j in ((1, 0), (1, 2)):  # ζ(0.8) above ζ(0.5) and above ζ(0.88)
        diff = z[:, i] - z[:, j]
        mean, se = diff.mean(), diff.std(ddof=1) / np.sqrt(len(diff))
        assert theory[i] - theory[j] > 0
        assert mean > 3 * se, (i, j, mean, se)  # the ordering is resolved
        assert abs(mean - (theory[i] - theory[j])) <= 3 * se + 0.03 * (theory[i] + theory[j])


# -- 2. free synthetic rows at a fixed number of real rows ------------------------------------
STORY2 = {phi1: sp.Rational(9, 10), sigma1: sp.Rational(3, 10), sigma2: sp.Rational(7, 10), c: 1,
          r: 1}


@pytest.fixture(scope="module")
def free_rows():
    start = time.perf_counter()
    e = free_rows_error()
    opt = workbench.minimize(e.subs(STORY2), q2, (0, sp.oo))
    TIMES["free_rows"] = time.perf_counter() - start
    return e, opt


def test_free_rows_minimum_is_interior_after_a_bump(free_rows):
    _, opt = free_rows
    assert TIMES["free_rows"] < 60
    kinds = [(s.kind, s.inside) for s in opt.stationary]
    assert kinds == [("minimum", False), ("maximum", True), ("minimum", True)]
    bump, dip = opt.stationary[1], opt.stationary[2]
    assert opt.location == "interior" and opt.argmin == dip.point
    assert opt.ends["lower"] == (0, sp.Rational(81, 100), True)  # real rows only: σ1²φ1/(1−φ1)
    assert opt.ends["upper"][1] == 1 and opt.ends["upper"][2] is False  # → c², not attained
    # independent route: the numeric solver on a dense grid of q2 = n2/n1 (d = 400)
    d = 400
    grid = np.linspace(0.0, 4.0, 4001)
    n1 = d / 0.9
    err = ridge_risk(np.ones(d), n=n1 * (1 + grid), p2=grid / (1 + grid), ridge=0.0,
                     noise_real=0.3, noise_synth=0.7, gamma=np.full(d, 1 / d),
                     delta=np.full(d, 1 / d)).test_error
    i_max = np.argmax(err[: 1000])
    assert float(bump.point) == pytest.approx(grid[i_max], abs=2e-3)
    assert float(dip.point) == pytest.approx(grid[np.argmin(err)], abs=2e-3)
    assert float(opt.value) == pytest.approx(err.min(), rel=1e-6)
    assert float(bump.value) == pytest.approx(err[i_max], rel=1e-6)


def test_free_rows_conditions_against_dense_scans():
    e = free_rows_error()
    slope0 = sp.diff(e, q2).subs(q2, 0)
    hurt = workbench.solve_inequality(sp.StrictGreaterThan(slope0, 0), phi1, "phi1<1")
    helps = workbench.solve_inequality(sp.StrictLessThan(c**2, e.subs(q2, 0)), phi1, "phi1<1")
    assert helps == sp.Interval.open(c**2 / (c**2 + sigma1**2), 1)
    f = sp.lambdify((q2, phi1, sigma1, sigma2, c), e, "numpy")
    pieces = [(sp.lambdify((sigma1, sigma2, c), cond), st) for st, cond in hurt.args]
    rng = np.random.default_rng(7)
    grid = np.linspace(0.01, 0.99, 99)
    h = 1e-7
    for s1, s2, cv in rng.uniform(0.05, 1.0, (60, 3)):
        st = next(st for cond, st in pieces if bool(cond(s1, s2, cv)))
        st = st.subs({sigma1: s1, sigma2: s2, c: cv})
        slope_num = (f(h, grid, s1, s2, cv) - f(0.0, grid, s1, s2, cv)) / h
        clear = np.abs(slope_num) > 1e-4  # away from the boundary of the set
        np.testing.assert_array_equal((slope_num > 0)[clear], numeric_members(st, grid)[clear])
        e_inf_better = cv**2 < f(0.0, grid, s1, s2, cv)
        helps_at = helps.subs({sigma1: s1, c: cv})
        np.testing.assert_array_equal(e_inf_better, numeric_members(helps_at, grid))


def test_free_rows_against_monte_carlo():
    """d = 180, n1 = 200 real rows; n2 = 0, 20, 280 (q2 = 0, 0.1, 1.4).  Orderings: a few
    synthetic rows hurt, a larger batch helps — each difference resolved at 3 standard errors.
    Values: at n2 = 0 the exact finite-n mean is σ1² d/(n1 − d − 1) (Gaussian design, OLS); the
    asymptotic theory is off by the factor (n − d)/(n − d − 1), so the finite-size term is
    rtol = 2/(n − d − 1) (twice that factor's excess, for the ζ terms' like corrections)."""
    d, n1 = 180, 200
    e = free_rows_error().subs(STORY2)
    out = {}
    for n2 in (0, 20, 280):
        n = n1 + n2
        mc = simulate_ridge(np.ones(d), n=n, p2=n2 / n, ridge=[0.0], noise_real=0.3,
                            noise_synth=0.7, gamma=np.full(d, 1 / d), delta=np.full(d, 1 / d),
                            draws=50, seed=11)
        mean, se = mc.mean["test_error"][0], mc.stderr["test_error"][0]
        th = float(e.subs(q2, sp.Rational(n2, n1)))
        assert abs(th - mean) <= 3 * se + 2 / (n - d - 1) * mean, (n2, th, mean, se)
        out[n2] = (mean, se)
    exact0 = 0.09 * d / (n1 - d - 1)
    assert abs(out[0][0] - exact0) <= 3 * out[0][1]
    for hi, lo in ((20, 0), (0, 280)):
        diff = out[hi][0] - out[lo][0]
        assert diff > 3 * np.hypot(out[hi][1], out[lo][1]), (hi, lo, out)


# -- 3. the root of the θ cubic: limit and series through the equation ------------------------
@pytest.fixture(scope="module")
def theta_root():
    return workbench.implicit_root(rp.isotropic_theta_equation(), theta)


def test_theta_limit_through_the_equation(theta_root):
    start = time.perf_counter()
    got = workbench.limit(theta_root, lam, 0, regime="psi<1")
    TIMES["theta_limit"] = time.perf_counter() - start
    assert TIMES["theta_limit"] < 60  # was 329 s through Cardano, with Abs and I in the result
    assert not got.has(sp.I) and not got.has(sp.Abs)
    assert got.subs({phi: 2, psi: sp.Rational(1, 2)}) == 3
    assert got.subs({phi: sp.Rational(1, 4), psi: sp.Rational(1, 2)}) == 0
    for region, theta0 in (("under", phi / psi - 1), ("over", phi - 1), ("classical", 0)):
        reg = workbench.REGIONS["random-projections"][region]
        assert sp.simplify(workbench.limit(theta_root, lam, 0, regime=reg) - theta0) == 0


def test_theta_series_against_the_numeric_solver(theta_root):
    start = time.perf_counter()
    ser = workbench.series(theta_root, lam, 2, regime="psi<1<phi")
    TIMES["theta_series"] = time.perf_counter() - start
    d, n, m = 400, 200, 100  # φ = 2, ψ = 1/2
    f = sp.lambdify(lam, ser.subs({phi: 2, psi: sp.Rational(1, 2)}))
    errs = []
    for lv in (2e-3, 1e-3):
        num = float(rp_risk(np.ones(d), n=n, m=m, p2=0.0, ridge=lv, noise_real=1.0,
                            gamma=np.full(d, 1 / d), delta=np.zeros(d)).theta)
        errs.append(abs(num - f(lv)))
    assert errs[1] < 1e-6
    assert 5 < errs[0] / errs[1] < 11  # remainder O(λ³): halving λ divides it by ≈ 8


def test_small_ridge_slope_against_numerics_and_monte_carlo(theta_root):
    """φ = 2, ψ = 1/2 (m < n < d), p2 = 0.3, σ1 = σ2 = 1/2, c² = r² = 1.  E depends on λ only
    through θ (Σ = I): E(λ) ≈ F(θ0 + θ1λ + θ2λ²).  Monte Carlo: the same seed gives the same
    draws at λ = 0 and λ = 0.01, so E(0.01) − E(0) is paired; finite-size term 3 % of |Δ|."""
    vals = {phi: 2, psi: sp.Rational(1, 2), p2: sp.Rational(3, 10), sigma1: sp.Rational(1, 2),
            sigma2: sp.Rational(1, 2), c: 1, r: 1}
    err = rp_error_of_theta()
    total = (err["bias"] + err["variance"] + err["zeta"]).subs(vals)
    ser = workbench.series(theta_root, lam, 2, regime="psi<1<phi").subs(vals)
    lv = 0.01
    d, n, m = 400, 200, 100
    kw = dict(n=n, m=m, p2=0.3, noise_real=0.5, noise_synth=0.5, gamma=np.full(d, 1 / d),
              delta=np.full(d, 1 / d))
    def delta_series(x):
        return float(total.subs(theta, ser.subs(lam, x)) - total.subs(theta, ser.subs(lam, 0)))

    e0 = float(rp_risk(np.ones(d), ridge=0.0, **kw).test_error)
    gaps = [abs(delta_series(x) - (float(rp_risk(np.ones(d), ridge=x, **kw).test_error) - e0))
            for x in (lv, lv / 2)]
    assert 5 < gaps[0] / gaps[1] < 11 and gaps[0] < 1e-3  # series vs solver: O(λ³)
    assert delta_series(lv) < 0  # a small ridge helps here
    kw_mc = dict(kw, m=[m], draws=40, seed=3)
    a = simulate_rp(np.ones(d), ridge=0.0, **kw_mc)
    b = simulate_rp(np.ones(d), ridge=lv, **kw_mc)
    diff = b.draws["test_error"][:, 0] - a.draws["test_error"][:, 0]
    mean, se = diff.mean(), diff.std(ddof=1) / np.sqrt(len(diff))
    assert mean < -3 * se
    assert abs(mean - delta_series(lv)) <= 3 * se + 0.03 * abs(delta_series(lv))
