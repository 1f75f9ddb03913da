"""Workbench tools: safe parsing, regimes, exact signs, bounded minimisation, implicit roots.

Reference values come from closed forms, dense NumPy scans of the same expressions, and mpmath
roots at 50 digits; nothing is copied from the code under test.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from modelcollapse.theory import symbols, workbench
from modelcollapse.theory.symbols import c, lam, p2, phi, psi, sigma1

x = sp.Symbol("x", positive=True)
a = sp.Symbol("a", positive=True)


# -- security: strings are never evaluated as code -----------------------------------------
PAYLOAD = "__import__('os').system('touch {path}')"


@pytest.mark.parametrize("call", [
    lambda s: workbench.parse(s),
    lambda s: workbench.series(s, phi, 1),
    lambda s: workbench.derivative(s, phi),
    lambda s: workbench.implicit_derivative(s, kappa_sym(), lam),
    lambda s: workbench.minimize(s, phi),
    lambda s: workbench.limit(s, phi, 0),
    lambda s: workbench.sign_condition(s, phi),
    lambda s: workbench.solve_inequality(s, phi),
    lambda s: workbench.series(phi, s, 1),
    lambda s: workbench.limit(phi, phi, s),
    lambda s: workbench.minimize(phi, phi, (s, 1)),
    lambda s: workbench.optimum_series(s, phi, lam, 1),
    lambda s: workbench.implicit_root(s, phi),
    lambda s: workbench.ImplicitRoot(s, phi),
    lambda s: workbench.tidy(s),
    lambda s: workbench.simplify_radicals(s),
], ids=["parse", "series", "derivative", "implicit_derivative", "minimize", "limit",
        "sign_condition", "solve_inequality", "series-var", "limit-point", "minimize-interval",
        "optimum_series", "implicit_root", "ImplicitRoot", "tidy", "simplify_radicals"])
def test_string_payload_is_refused_and_never_runs(call, tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(ValueError, match="not allowed|unknown name|cannot read"):
        call(PAYLOAD.format(path=marker))
    assert not marker.exists()


def kappa_sym():
    return symbols.kappa


@pytest.mark.parametrize("text,message", [
    ("phi.__class__", "not allowed"),
    ("[phi for phi in ()]", "only numbers"),
    ("lambda x: x", "cannot read|only numbers"),
    ("9**9**9", "too large"),
    ("1e400", "finite"),
    ("foo + 1", "unknown name 'foo'"),
    ("'text'", "only numbers"),
    ("x" * 3000, "longer than"),
])
def test_parser_rejects_everything_but_arithmetic(text, message):
    with pytest.raises(ValueError, match=message):
        workbench.parse(text)


def test_parser_reads_formulas_exactly():
    assert workbench.parse("c^2*p2**2/(1 + lambda)^2") == c**2 * p2**2 / (1 + lam) ** 2
    assert workbench.parse("0.1*φ + sqrt(psi)") == phi / 10 + sp.sqrt(psi)
    assert workbench.parse("p2 < phi < 1", relational=True) == sp.And(p2 < phi, phi < 1)
    assert workbench.derivative("p2**2 * c**2", "p2") == 2 * c**2 * p2


def test_symbols_star_import_does_not_shadow_user_names():
    namespace: dict = {"n": 7, "d": 3}
    exec("from modelcollapse.theory.symbols import *", namespace)  # noqa: S102  (the test)
    assert namespace["n"] == 7 and namespace["d"] == 3
    assert not {"n", "d", "m", "r", "c", "t", "u"} & set(symbols.__all__)
    assert symbols.n.name == "n" and symbols.c.name == "c"  # still importable by name


# -- regimes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("spec,cells", [
    ("psi<phi<1", ["psi<phi<1"]),
    ("phi<1<psi", ["phi<1<psi"]),
    ("0<p2<phi", ["p2<phi"]),
    ("psi<1, psi<phi", ["psi<1<phi", "psi<phi<1"]),
])
def test_regime_cells_cover_the_region(spec, cells):
    reg = workbench.as_regime(spec)
    assert [cell.name for cell in reg.cells] == cells
    rng = np.random.default_rng(0)
    for cell in reg.cells:
        for _ in range(50):  # every parameter value maps into the region
            point = cell.sample(rng)
            assert reg.contains(point), (cell.name, point)
            assert cell.condition().subs(point) == sp.true
            # and the substitution is undone by the inverse
            for e, inv in cell.inverse.items():
                assert inv.subs(point) > 0, (e, inv)


def test_regime_errors_name_the_parameter():
    with pytest.raises(ValueError, match="regime"):
        workbench.limit(phi, phi, 0, regime="bogus")
    with pytest.raises(ValueError, match="contradictory"):
        workbench.limit(phi, phi, 0, regime="phi<1, 2<phi")
    with pytest.raises(ValueError, match="unknown symbol"):
        workbench.as_regime("zzz<1")


def test_regime_decides_p2_at_most_one():
    assert workbench.tidy(sp.sqrt((1 - p2) ** 2)) == 1 - p2
    assert workbench.in_regime(sp.sqrt((phi - 1) ** 2), "phi<1", sp.simplify) == 1 - phi


# -- exact signs, checked on dense scans -----------------------------------------------------
def numeric_members(st: sp.Set, grid: np.ndarray) -> np.ndarray:
    """Membership of float points in a union of intervals and points with numeric ends."""
    out = np.zeros(grid.shape, dtype=bool)
    for part in (st.args if isinstance(st, sp.Union) else (st,)):
        if part == sp.S.EmptySet:
            continue
        if isinstance(part, sp.FiniteSet):
            for p in part:
                out |= np.isclose(grid, float(p), rtol=0, atol=1e-12)
            continue
        lo, hi = float(part.start), float(part.end)
        left = grid > lo if part.left_open else grid >= lo
        right = grid < hi if part.right_open else grid <= hi
        out |= left & right
    return out


def _scan_check(expr, var, analysis, params, lo, hi, npts=4001):
    """Sign of ``expr`` on a dense grid agrees with the case whose condition ``params`` meet."""
    vals = {k: sp.nsimplify(v, rational=True) for k, v in params.items()}
    hits = [case for case in analysis.cases if case.condition().subs(vals) == sp.true]
    assert len(hits) == 1, (params, [case.condition() for case in analysis.cases])
    case = hits[0]
    f = sp.lambdify(var, expr.subs(vals), "numpy")
    grid = np.linspace(lo, hi, npts)[1:-1]
    pos, neg = case.positive.subs(vals), case.negative.subs(vals)
    edges = [float(b) for b in sp.Union(pos.boundary, neg.boundary) if b.is_finite]
    keep = np.all([np.abs(grid - b) > 1e-9 for b in edges], axis=0) if edges else \
        np.ones(grid.shape, bool)  # a grid point on a root: rounding decides, not the analysis
    grid = grid[keep]
    expected = numeric_members(pos, grid).astype(int) - numeric_members(neg, grid).astype(int)
    np.testing.assert_array_equal(np.sign(f(grid)), expected, err_msg=str((params, case)))


def test_sign_of_a_quadratic_with_parametric_roots():
    expr = (x - a) * (x - 2 * a) * (x - 3)
    res = workbench.sign_condition(expr, x, "a<1")
    assert len(res.cases) == 1  # a < 2a < 3 is decided by a < 1
    case = res.cases[0]
    # three negative factors below a, one between 2a and 3
    assert case.negative == sp.Union(sp.Interval.open(0, a), sp.Interval.open(2 * a, 3))
    assert case.positive == sp.Union(sp.Interval.open(a, 2 * a), sp.Interval.open(3, sp.oo))
    assert case.zero == sp.FiniteSet(a, 2 * a, 3)
    for a_v in (0.1, 0.5, 0.9):
        _scan_check(expr, x, res, {a: a_v}, 0, 5)


def test_case_split_on_an_ordering_and_a_condition():
    # roots 1 ± √(a/2): the analysis splits on where 1 − √(a/2) falls in (0, φ)
    expr = 2 * (x - 1) ** 2 - a
    res = workbench.sign_condition(expr, x, "x<phi<1, a<2")
    negs = {str(case.negative) for case in res.cases}
    assert "Interval.open(1 - sqrt(a/2), phi)" in negs and "EmptySet" in negs
    for params in ({phi: 0.9, a: 0.5}, {phi: 0.3, a: 0.5}, {phi: 0.6, a: 1.9}):
        _scan_check(expr, x, res, params, 0, params[phi])


def test_sign_with_a_square_root():
    expr = sp.sqrt(x + 1) - 2 * x  # zero at x = (1 + √17)/8
    res = workbench.sign_condition(expr, x)
    root = (1 + sp.sqrt(17)) / 8
    assert res.cases[0].positive == sp.Interval.open(0, root)
    assert res.cases[0].negative == sp.Interval.open(root, sp.oo)
    _scan_check(expr, x, res, {}, 0, 3)


def test_solve_inequality_exact_sets():
    assert workbench.solve_inequality("phi**2 > 1/4", "phi", "phi<1") == sp.Interval.open(
        sp.Rational(1, 2), 1)
    assert workbench.solve_inequality("phi > p2", "phi", "phi<1") == sp.Interval.open(p2, 1)
    assert workbench.solve_inequality(x**2 <= 4, x) == sp.Interval.Lopen(0, 2)
    with pytest.raises(ValueError, match="relation"):
        workbench.solve_inequality("phi + 1", "phi")


def test_cubic_with_symbolic_coefficients_asks_for_numbers():
    with pytest.raises(ValueError, match="substitute numbers"):
        workbench.sign_condition(x**3 - a * x + 1, x)
    res = workbench.sign_condition(x**3 - 3 * x + 1, x)  # numeric cubic: exact real roots
    roots = sorted(float(r) for r in np.roots([1, 0, -3, 1]) if r.real > 0)
    bounds = [float(b) for b in res.cases[0].zero]
    assert bounds == pytest.approx(roots, abs=1e-12)


# -- minimisation ----------------------------------------------------------------------------
def test_minimize_keeps_the_old_pair_interface():
    assert workbench.minimize((x - a) ** 2 + 1, x) == (a, 1)
    assert workbench.minimize(x + a / x, x) == (sp.sqrt(a), 2 * sp.sqrt(a))


def test_minimize_classifies_discards_and_compares_ends():
    opt = workbench.minimize(x**3 - 3 * x, x, (0, 3))
    kinds = {s.point: (s.kind, s.inside) for s in opt.stationary}
    assert kinds == {-1: ("maximum", False), 1: ("minimum", True)}
    assert (opt.argmin, opt.value, opt.location) == (1, -2, "interior")
    # on [0, 3] the maximum end value 18 is irrelevant; on [2, 3] the minimum is at the end
    opt = workbench.minimize(x**3 - 3 * x, x, (2, 3))
    assert (opt.argmin, opt.value, opt.location) == (2, 2, "lower end")
    # no minimum: an infimum approached at an open or infinite end
    opt = workbench.minimize(1 / x, x)
    assert (opt.value, opt.location, opt.attained) == (0, "infimum at upper end", False)
    # a local minimum that is not the global one
    f = (x - 1) ** 2 * (x - 4) ** 2 - x
    opt = workbench.minimize(f, x, (0, 10))
    grid = np.linspace(0, 10, 200001)
    vals = (grid - 1) ** 2 * (grid - 4) ** 2 - grid
    assert float(opt.argmin) == pytest.approx(grid[np.argmin(vals)], abs=1e-4)
    assert [s.kind for s in opt.stationary] == ["minimum", "maximum", "minimum"]


def test_minimize_with_parameters_splits_cases():
    # min of (x − a)² on (0, 1): interior if a < 1, else infimum at the upper end
    opt = workbench.minimize((x - a) ** 2, x, sp.Interval.open(0, 1))
    assert isinstance(opt.argmin, sp.Piecewise)
    assert opt.argmin.subs(a, sp.Rational(1, 2)) == sp.Rational(1, 2)
    assert opt.argmin.subs(a, 2) == 1 and opt.value.subs(a, 2) == 1


# -- implicit roots --------------------------------------------------------------------------
def _mp_root(poly_coeffs_of_y, pick):
    roots = [r for r in mpmath.polyroots(poly_coeffs_of_y, maxsteps=200, extraprec=200)
             if abs(mpmath.im(r)) < mpmath.mpf(10) ** -30]
    return pick(sorted(mpmath.re(r) for r in roots))


def test_implicit_function_series_matches_high_precision_roots():
    # y³ + y − 1 − t: simple root; largest real root expanded to order 3
    t = sp.Symbol("t", positive=True)
    y = sp.Symbol("y")
    ser = workbench.series(workbench.implicit_root(y**3 + y - 1 - t, y), t, 3)
    mpmath.mp.dps = 50
    errs = []
    for tv in (mpmath.mpf("1e-2"), mpmath.mpf("5e-3")):
        exact = _mp_root([1, 0, 1, -1 - tv], max)
        errs.append(abs(exact - mpmath.mpf(str(sp.N(ser.subs(t, sp.Float(str(tv), 50)), 50)))))
    # remainder O(t⁴): halving t divides it by ≈ 16
    assert 10 < errs[0] / errs[1] < 22


def test_newton_puiseux_at_a_double_root():
    t = sp.Symbol("t", positive=True)
    y = sp.Symbol("y")
    ser = workbench.series(workbench.implicit_root(y**2 - t - t**2 * y, y), t, 2)
    assert sp.simplify(ser - (sp.sqrt(t) + t**2 / 2)) == 0
    mpmath.mp.dps = 50
    for tv in ("1e-3", "1e-4"):
        tv = mpmath.mpf(tv)
        exact = _mp_root([1, -tv**2, -tv], max)
        approx = mpmath.sqrt(tv) + tv**2 / 2
        assert abs(exact - approx) < 2 * tv ** mpmath.mpf(3.5)


def test_implicit_root_branches_and_errors():
    y = sp.Symbol("y")
    eq = (y - 1) * (y - 2) * (y + 1) + lam
    assert workbench.limit(workbench.implicit_root(eq, y, "largest"), lam, 0) == 2
    assert workbench.limit(workbench.implicit_root(eq, y, "smallest"), lam, 0) == -1
    assert workbench.limit(workbench.implicit_root(eq, y, 1), lam, 0) == 1
    with pytest.raises(ValueError, match="positive branches"):
        workbench.limit(workbench.implicit_root(eq, y, "positive"), lam, 0)
    with pytest.raises(ValueError, match="branch"):
        workbench.implicit_root(eq, y, "middle")
    with pytest.raises(ValueError, match="Cardano|imaginary"):
        workbench.limit(sp.I * lam + 1, lam, 0)


def test_kappa_through_its_equation_matches_the_closed_form():
    from modelcollapse.theory import ridge_isotropic as iso

    root = workbench.implicit_root(iso.fixed_point(), symbols.kappa)
    for reg, k0 in (("phi<1", 0), ("phi>1", phi - 1)):
        ser = workbench.series(root, lam, 2, regime=reg)
        closed = sp.series(iso.kappa_closed_form().subs(phi, sp.Rational(1, 3) if reg ==
                                                        "phi<1" else 3), lam, 0, 3).removeO()
        val = sp.Rational(1, 3) if reg == "phi<1" else 3
        assert sp.simplify(ser.subs(phi, val) - closed) == 0
        assert sp.simplify(ser.subs(lam, 0) - k0) == 0


def test_optimum_series_matches_the_mixing_module():
    from modelcollapse.theory import mixing

    e1 = mixing.small_phi_expansion()["E"]
    got = workbench.optimum_series(e1, mixing.alpha, phi, 1, branch=0)
    assert sp.simplify(got - mixing.optimal_alpha()) == 0
    assert sp.simplify(got - phi * sigma1**2 / ((1 - p2) * c**2)) == 0


# -- presentation ----------------------------------------------------------------------------
def test_tidy_shows_signs_and_factors():
    r = symbols.r
    assert str(workbench.tidy(-r**2 * (phi - psi) / (phi * (psi - 1)), "psi<1")) == \
        "r**2*(phi - psi)/(phi*(1 - psi))"
    assert workbench.tidy(lam**2 + 2 * lam + 1) == (lam + 1) ** 2
    assert workbench.to_text(phi - p2) == "phi - p2"


@pytest.mark.parametrize("key,latex", [
    ("c2_crit", r"c^2_{\mathrm{crit}}"),
    ("lambda_to_0_phi_lt_1", r"\lim_{\lambda\to0^+,\ \phi<1}"),
    ("E_test", r"E_{\mathrm{test}}"),
    ("sigma2", r"\sigma_{2}"),
    ("dzeta_dpsi", r"\frac{\partial \zeta}{\partial \psi}"),
])
def test_latex_labels(key, latex):
    assert workbench.latex_label(key) == latex
