"""Minimisation over an interval or a regime: every stationary point, classified, and the ends.

:func:`minimize` finds the real roots of ``∂f/∂x`` exactly (factoring; roots of degree ≤ 2 with
symbolic coefficients, of any degree with numeric coefficients as algebraic numbers), classifies
each one (minimum, maximum, inflection), discards those outside the region (saying why), compares
the interior minima with the values — or one-sided limits — at both ends, and reports where the
minimum is: inside, at an end, or only approached (an infimum at an open or infinite end).  When
the comparisons depend on the parameters, the answer is a Piecewise over the cases.
Private helper of :mod:`modelcollapse.theory.workbench`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ._parse import as_expr
from ._present import to_text
from ._regime import Regime
from ._signs import Decider, _num_sign, explore, leaves_to_piecewise, root_radius

__all__ = ["Stationary", "Optimum", "minimize_on"]


@dataclass(frozen=True)
class Stationary:
    """A stationary point ``x`` of ``f``: value, kind and whether it lies in the region."""

    point: sp.Expr
    value: sp.Expr
    kind: str  # "minimum", "maximum", "inflection"
    inside: bool
    note: str = ""


class Optimum(tuple):
    """``(argmin, minimum)`` — unpacks like a pair — with the whole analysis as attributes.

    Attributes
    ----------
    argmin, value : sympy.Expr
        Where the minimum (or infimum) is and its value; Piecewise when it depends on the
        parameters.
    stationary : tuple of Stationary
        Every real stationary point, in the region or not (``inside``), classified.
    ends : dict
        ``{"lower": (point, value, attained), "upper": (...)}``: the value at a closed end, the
        one-sided limit at an open or infinite one.
    location : str
        ``"interior"``, ``"lower end"``, ``"upper end"`` (attained) or ``"infimum at lower end"``
        / ``"infimum at upper end"`` (approached, not attained); ``"depends"`` with cases.
    attained : bool
    cases : tuple
        Per-case ``(condition, argmin, value, location)`` when the answer depends on the
        parameters.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.workbench import minimize
    >>> x = sp.Symbol("x", positive=True)
    >>> opt = minimize((x - 1) ** 2 * (x - 3) ** 2 - x, x, (0, 4))
    >>> [s.kind for s in opt.stationary], opt.location
    (['minimum', 'maximum', 'minimum'], 'interior')
    >>> argmin, value = opt  # unpacks like a pair
    """

    def __new__(cls, argmin, value, **info):
        obj = super().__new__(cls, (argmin, value))
        obj.argmin, obj.value = argmin, value
        obj.stationary = info.get("stationary", ())
        obj.ends = info.get("ends", {})
        obj.location = info.get("location", "interior")
        obj.attained = info.get("attained", True)
        obj.cases = info.get("cases", ())
        obj.var = info.get("var")
        obj.interval = info.get("interval")
        return obj

    def __reduce__(self):
        return (tuple, (tuple(self),))

    def summary(self) -> str:
        """A readable account of the analysis (algebraic numbers shown to 12 digits)."""
        lines = [f"minimum of f({self.var}) on {self.interval}: {self.location}"]
        lines.append(f"  {self.var}* = {_show(self.argmin)},  f* = {_show(self.value)}"
                     + ("" if self.attained else "  (infimum, not attained)"))
        for s in self.stationary:
            where = "inside" if s.inside else f"outside{(' (' + s.note + ')') if s.note else ''}"
            lines.append(f"  stationary {self.var} = {_show(s.point)}: {s.kind}, {where}, "
                         f"f = {_show(s.value)}")
        for side, (pt, val, att) in self.ends.items():
            how = "value" if att else "limit"
            lines.append(f"  {side} end {self.var} = {_show(pt)}: {how} {_show(val)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _show(x) -> str:
    if isinstance(x, sp.Expr) and x.is_number and x.has(sp.CRootOf):
        return f"{sp.N(x, 12)} (algebraic)"
    return to_text(x)


def _limit(expr, var, point, direction):
    out = sp.limit(expr, var, point, direction)
    return sp.simplify(out) if out.is_finite is not False else out


def _stationary_roots(dec: Decider, num: sp.Expr, var: sp.Symbol):
    coeff, factors = sp.factor_list(num)
    roots = []
    for f, mult in factors:
        if not f.has(var):
            continue
        poly = sp.Poly(f, var)
        deg, cs = poly.degree(), poly.all_coeffs()
        if deg == 1:
            roots.append((sp.cancel(-cs[1] / cs[0]), mult))
        elif deg == 2:
            a, b, c = cs
            disc = sp.factor(b**2 - 4 * a * c)
            s = dec.sign(disc)
            if s == 0:
                roots.append((sp.cancel(-b / (2 * a)), 2 * mult))
            elif s > 0:
                centre = sp.cancel(-b / (2 * a))
                rad = root_radius(disc, a)
                roots += [(centre - rad, mult), (centre + rad, mult)]
        elif all(x.is_number for x in cs):
            roots += [(r, mult) for r in sp.real_roots(poly)]
        else:
            raise ValueError(
                f"the stationary equation has the factor {f} of degree {deg} in {var} with "
                f"symbolic coefficients: substitute numbers for "
                f"{sorted(map(str, f.free_symbols - {var}))}, or expand the optimum in a small "
                "parameter with optimum_series")
    return roots


def _classify(dec: Decider, expr, var, point, mult) -> str:
    if mult % 2 == 0:
        return "inflection"
    second = sp.diff(expr, var, 2).subs(var, point)
    if point.is_number:
        s = _num_sign(sp.nsimplify(second) if second.is_Float else second) if second != 0 else 0
    else:
        s = dec.sign(sp.cancel(sp.together(second)))
    if s > 0:
        return "minimum"
    if s < 0:
        return "maximum"
    # f'' = 0 at a simple root of f': the first non-zero derivative decides
    for k in range(3, 8):
        dk = sp.cancel(sp.together(sp.diff(expr, var, k).subs(var, point)))
        sk = _num_sign(dk) if dk.is_number else dec.sign(dk)
        if sk:
            if k % 2:
                return "inflection"
            return "minimum" if sk > 0 else "maximum"
    return "inflection"


def minimize_on(expr: sp.Expr, var: sp.Symbol, lower, upper, lower_closed: bool,
                upper_closed: bool, regime: Regime | None) -> Optimum:
    """The analysis behind :func:`~modelcollapse.theory.workbench.minimize`."""
    deriv = sp.cancel(sp.together(sp.diff(expr, var)))
    num, den = sp.fraction(deriv)
    try:
        sp.Poly(num, var)
        rational = True
    except sp.PolynomialError:
        rational = False
    syms = (expr.free_symbols | as_expr(lower, "interval").free_symbols
            | as_expr(upper, "interval").free_symbols) - {var}
    reg = (regime or Regime("", ())).including(syms)
    if var in reg.free_symbols:
        reg = Regime(reg.name, tuple((a, b) for a, b in reg.relations if var not in (a, b)),
                     reg.description)

    def compute(dec: Decider, cell):
        if rational:
            roots = _stationary_roots(dec, num, var)
        else:
            roots = [(s, 1) for s in sp.solve(deriv, var) if s.is_real is not False]
        stationary = []
        roots = sorted(roots, key=lambda rm: (float(rm[0]) if rm[0].is_number
                                              else float("inf"), sp.default_sort_key(rm[0])))
        for point, mult in roots:
            point = sp.simplify(point) if not isinstance(point, sp.CRootOf) else point
            inside, note = True, ""
            if lower != -sp.oo:
                c = dec.compare(point, lower)
                if c < 0 or (c == 0 and not lower_closed):
                    inside, note = False, f"below the lower end {lower}"
            if inside and upper != sp.oo:
                c = dec.compare(point, upper)
                if c > 0 or (c == 0 and not upper_closed):
                    inside, note = False, f"above the upper end {upper}"
            if den.has(var) and sp.cancel(den.subs(var, point)) == 0:
                inside, note = False, "a pole"
            value = expr.subs(var, point)
            if not value.has(sp.CRootOf):
                value = sp.simplify(sp.factor(value))
            kind = _classify(dec, expr, var, point, mult)
            stationary.append(Stationary(point, value, kind, inside, note))
        ends = {}
        for side, pt, closed, direction in (("lower", lower, lower_closed, "+"),
                                            ("upper", upper, upper_closed, "-")):
            if closed and pt not in (sp.oo, -sp.oo):
                ends[side] = (pt, sp.simplify(expr.subs(var, pt)), True)
            else:
                ends[side] = (pt, _limit(expr, var, pt, direction), False)
        candidates = [(s.point, s.value, "interior", True) for s in stationary
                      if s.inside and s.kind == "minimum"]
        for side, (pt, val, att) in ends.items():
            loc = f"{side} end" if att else f"infimum at {side} end"
            candidates.append((pt, val, loc, att))
        best = None
        for cand in candidates:
            if cand[1] in (sp.oo, sp.zoo, sp.nan):
                continue
            if best is None:
                best = cand
                continue
            if cand[1] == -sp.oo or best[1] == -sp.oo:
                if cand[1] == -sp.oo and best[1] != -sp.oo:
                    best = cand
                continue
            s = dec.compare(cand[1], best[1])
            if s < 0 or (s == 0 and cand[3] and not best[3]):
                best = cand
        if best is None:
            raise ValueError(f"f has no finite value on the region of {var}")
        return best, tuple(stationary), ends

    leaves = explore(reg, None, compute)
    leaves = [lf for lf in leaves if lf.witness is not None] or leaves
    interval = sp.Interval(lower, upper, not lower_closed, not upper_closed)
    if len(leaves) == 1:
        (argmin, value, loc, att), stationary, ends = leaves[0].value
        return Optimum(argmin, value, stationary=stationary, ends=ends, location=loc,
                       attained=att, var=var, interval=interval)
    argmin = leaves_to_piecewise(leaves, [lf.value[0][0] for lf in leaves], regime)
    value = leaves_to_piecewise(leaves, [lf.value[0][1] for lf in leaves], regime)
    cases = tuple((lf.cell.name, lf.assumptions, *lf.value[0][:3]) for lf in leaves)
    locs = {lf.value[0][2] for lf in leaves}
    loc = locs.pop() if len(locs) == 1 else "depends"
    return Optimum(argmin, value, stationary=leaves[0].value[1], ends=leaves[0].value[2],
                   location=loc, attained=all(lf.value[0][3] for lf in leaves), cases=cases,
                   var=var, interval=interval)
