"""Series and limits of a root of an implicit (polynomial) equation, taken through the equation.

A root ``y(x)`` of ``F(x, y) = 0`` is expanded about ``x0`` without ever writing the root in
radicals (Cardano): the roots ``y0`` of ``F(x0, y)`` are found by factoring; a simple root is
continued by the implicit function theorem (undetermined coefficients, order by order); a multiple
root by Newton–Puiseux (Newton polygon, characteristic equation, fractional exponents).  The
branch is the model's fixed point: ``"largest"`` (default), ``"smallest"``, ``"positive"`` (the
unique branch positive for ``x`` near ``x0`` on the approach side) or the value ``y0`` of the
branch.  Orderings between roots are decided under the regime (:mod:`._signs`); when the regime
does not decide them, the result is a Piecewise over the cases.  Branches that diverge at the
point (the leading coefficient in ``y`` vanishes there) are not followed.
Private helper of :mod:`modelcollapse.theory.workbench`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ._parse import as_expr
from ._regime import Regime
from ._signs import Decider, _num_sign, explore, leaves_to_piecewise, root_radius

__all__ = ["ImplicitRoot", "root_expansion", "BRANCHES"]

#: Branch selectors (besides an explicit value of the root at the expansion point).
BRANCHES = ("largest", "smallest", "positive")


@dataclass(frozen=True)
class ImplicitRoot:
    """The root ``unknown`` of ``equation = 0`` on the branch ``branch``.

    Pass it to :func:`~modelcollapse.theory.workbench.limit` or
    :func:`~modelcollapse.theory.workbench.series`: they expand it through the equation.

    Attributes
    ----------
    equation : sympy.Expr
        ``F`` with ``F = 0`` (a rational function; its numerator is used).
    unknown : sympy.Symbol
    branch : str or sympy.Expr
        ``"largest"``, ``"smallest"``, ``"positive"`` or the root's value at the expansion point.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory._implicit import ImplicitRoot
    >>> from modelcollapse.theory.workbench import series
    >>> t, y = sp.symbols("t y", positive=True)
    >>> series(ImplicitRoot(y**2 - y - t, y), t, 2)  # the root through 1: 1 + t − t² + …
    -t**2 + t + 1
    """

    equation: sp.Expr
    unknown: sp.Symbol
    branch: object = "largest"

    def __post_init__(self):
        # strings are read by the restricted parser, never evaluated
        object.__setattr__(self, "equation", as_expr(self.equation, "equation"))
        unknown = as_expr(self.unknown, "unknown")
        if not isinstance(unknown, sp.Symbol):
            raise ValueError(f"unknown: expected a symbol, got {unknown}")
        object.__setattr__(self, "unknown", unknown)
        if not (isinstance(self.branch, str) and self.branch in BRANCHES):
            if isinstance(self.branch, str):
                raise ValueError(f"branch: expected one of {BRANCHES} or a value, got "
                                 f"{self.branch!r}")
            object.__setattr__(self, "branch", as_expr(self.branch, "branch"))

    def __str__(self) -> str:
        return f"root {self.unknown} of {self.equation} = 0 ({self.branch} branch)"


@dataclass
class _Branch:
    y0: sp.Expr
    terms: list  # [(coefficient, exponent)] with increasing positive rational exponents
    exact: bool = False  # y == y0 identically (G divisible by z)


def _poly_terms(expr: sp.Expr, t: sp.Symbol, z: sp.Symbol) -> dict[tuple[int, int], sp.Expr]:
    poly = sp.Poly(sp.expand(expr), t, z)
    out = {}
    for (i, j), coeff in poly.terms():
        coeff = sp.cancel(coeff)
        if coeff != 0:
            out[(i, j)] = coeff
    return out


def _lower_hull(points: list[tuple[int, int]]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Edges of the lower convex hull of points ``(j, i)`` from ``j = 0`` to the last point."""
    pts = sorted(points)
    hull: list = []
    for p in pts:
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) <= 0:
                hull.pop()
            else:
                break
        hull.append(p)
    edges = []
    for a, b in zip(hull, hull[1:], strict=False):
        if b[1] < a[1]:
            edges.append((a, b))
    return edges


def _real_roots_in(dec: Decider, poly_expr: sp.Expr, var: sp.Symbol) -> list[tuple[sp.Expr, int]]:
    """Real roots (with multiplicity) of a polynomial in ``var`` with parameter coefficients."""
    coeff, factors = sp.factor_list(sp.expand(poly_expr), var)
    out: list = []
    for f, mult in factors:
        if not f.has(var):
            continue
        poly = sp.Poly(f, var)
        deg = poly.degree()
        cs = poly.all_coeffs()
        if deg == 1:
            out.append((sp.cancel(-cs[1] / cs[0]), mult))
        elif deg == 2:
            a, b, c = cs
            disc = sp.factor(b**2 - 4 * a * c)
            s = dec.sign(disc)
            if s == 0:
                out.append((sp.cancel(-b / (2 * a)), 2 * mult))
            elif s > 0:
                centre = sp.cancel(-b / (2 * a))
                rad = root_radius(disc, a)
                out += [(centre - rad, mult), (centre + rad, mult)]
        elif all(x.is_number for x in cs):
            out += [(r, mult) for r in sp.real_roots(poly)]
        else:
            raise ValueError(f"the equation at the expansion point has the factor {f} of degree "
                             f"{deg} in {var} with symbolic coefficients: give branch= the "
                             "value of the root there")
    merged: list = []
    for r, k in out:
        for i, (q, kq) in enumerate(merged):
            if sp.simplify(r - q) == 0:
                merged[i] = (q, kq + k)
                break
        else:
            merged.append((r, k))
    return merged


def _ift(terms: dict, order: int) -> list[tuple[sp.Expr, int]]:
    """``z(t) = Σ a_k t^k`` solving ``G(t, z) = 0`` for a simple root (``G_z(0,0) ≠ 0``)."""
    coeffs: list[sp.Expr] = []
    a = sp.Dummy("a")
    for k in range(1, order + 1):
        # t^k coefficient of G(t, Σ_{i<k} a_i t^i + a t^k): linear in a
        total = sp.S.Zero
        for (i, j), c in terms.items():
            if j == 0:
                total += c if i == k else 0
            elif k - i >= j:
                total += c * _power_coeff(coeffs + [a], j, k - i)
        total = sp.expand(total)
        slope = total.coeff(a, 1)
        if slope == 0:
            raise ValueError("the implicit-function expansion failed (singular equation)")
        coeffs.append(sp.factor(sp.cancel(-total.coeff(a, 0) / slope)))
    return [(c, k) for k, c in enumerate(coeffs, 1) if c != 0]


def _power_coeff(a: list, j: int, need: int) -> sp.Expr:
    """Coefficient of ``t^need`` in ``(Σ_{m≥1} a_m t^m)^j`` (``a[m-1] = a_m``)."""
    series = [sp.S.Zero] + list(a)  # index = power of t
    series = series[: need + 1] + [sp.S.Zero] * max(0, need + 1 - len(series))
    acc = [sp.S.One] + [sp.S.Zero] * need
    for _ in range(j):
        new = [sp.S.Zero] * (need + 1)
        for p, ap in enumerate(acc):
            if ap == 0:
                continue
            for q in range(1, need + 1 - p):
                if series[q] != 0:
                    new[p + q] += ap * series[q]
        acc = new
    return sp.expand(acc[need])


def _puiseux(dec: Decider, terms: dict, order: sp.Rational, t_scale=sp.S.One,
             depth: int = 0) -> list[list[tuple[sp.Expr, sp.Rational]]]:
    """Real branches ``z = Σ C_k t^{γ_k}`` (``γ_k`` increasing, up to ``order``) of G = 0."""
    if depth > 8:
        raise ValueError("Newton–Puiseux did not terminate (degenerate equation)")
    zero_z = [i for (i, j) in terms if j == 0]
    if not zero_z:  # z = 0 solves G identically in t: z ≡ 0 is a branch
        rest = {(i, j - 1): c for (i, j), c in terms.items()}
        return [[]] + _puiseux(dec, rest, order, t_scale, depth + 1)
    if (0, 1) in terms and not [k for k in terms if k[1] == 0 and k[0] == 0]:
        # simple root: the implicit function theorem gives integer powers
        series = _ift(terms, int(sp.floor(order)))
        return [[(c, sp.Integer(k)) for c, k in series]]
    points = [(j, i) for (i, j) in terms]
    jmin = min(j for (j, i) in points if i == 0) if any(i == 0 for (j, i) in points) else None
    if jmin is None:
        raise ValueError("the expansion point is not a root of the equation")
    points = [(j, i) for (j, i) in points if j <= jmin]
    branches = []
    for (j1, i1), (j2, i2) in _lower_hull(points):
        gamma = sp.Rational(i1 - i2, j2 - j1)
        if gamma > order:
            continue
        cvar = sp.Dummy("C")
        char = sum(terms[(i, j)] * cvar ** (j - j1) for (j, i) in points
                   if sp.Rational(i) + gamma * j == sp.Rational(i1) + gamma * j1)
        for root, _mult in _real_roots_in(dec, char, cvar):
            if root == 0:
                continue
            p, q = gamma.p, gamma.q
            s, w = sp.Symbol("s", positive=True), sp.Dummy("w")
            sub = {}
            for (i, j), c in terms.items():
                expr = c * s ** (q * i) * (s**p * (root + w)) ** j
                for (ii, jj), cc in _poly_terms(expr, s, w).items():
                    sub[(ii, jj)] = sub.get((ii, jj), sp.S.Zero) + cc
            sub = {k: sp.cancel(v) for k, v in sub.items() if sp.cancel(v) != 0}
            low = min(i for (i, j) in sub)
            sub = {(i - low, j): c for (i, j), c in sub.items()}
            rest_order = (order - gamma) * q
            if rest_order <= 0:
                tails = [[]]
            else:
                tails = _puiseux(dec, sub, rest_order, depth=depth + 1)
            for tail in tails:
                branch = [(root, gamma)] + [(c, gamma + sp.Rational(e, q)) for c, e in tail]
                branches.append(branch)
    return branches


def _compare_branches(dec: Decider, a: _Branch, b: _Branch) -> int:
    """sign(a − b) for t → 0⁺."""
    s = dec.compare(a.y0, b.y0)
    if s:
        return s
    ta, tb = list(a.terms), list(b.terms)
    while ta or tb:
        ca, ea = ta[0] if ta else (sp.S.Zero, sp.oo)
        cb, eb = tb[0] if tb else (sp.S.Zero, sp.oo)
        if ea == eb:
            s = dec.compare(ca, cb)
            ta, tb = ta[1:], tb[1:]
            if s:
                return s
        elif ea < eb:
            return dec.sign(ca)
        else:
            return -dec.sign(cb)
    return 0


def _select(dec: Decider, branches: list[_Branch], branch) -> _Branch:
    if isinstance(branch, str):
        if branch not in BRANCHES:
            raise ValueError(f"branch: expected one of {BRANCHES} or a value, got {branch!r}")
        if branch == "positive":
            zero = _Branch(sp.S.Zero, [])
            pos = [b for b in branches if _compare_branches(dec, b, zero) > 0]
            if len(pos) != 1:
                raise ValueError(f"branch='positive': {len(pos)} positive branches here; "
                                 "use 'largest', 'smallest' or the value at the point")
            return pos[0]
        best = branches[0]
        for b in branches[1:]:
            s = _compare_branches(dec, b, best)
            if (s > 0) if branch == "largest" else (s < 0):
                best = b
        return best
    value = as_expr(branch, "branch")
    match = [b for b in branches if dec.compare(b.y0, value) == 0]
    if not match:
        raise ValueError(f"branch: no root equals {value} at the expansion point")
    if len(match) > 1:
        raise ValueError(f"branch: {len(match)} branches start at {value}; use 'largest', "
                         "'smallest' or 'positive'")
    return match[0]


def _branches(dec: Decider, num: sp.Expr, y: sp.Symbol, t: sp.Symbol,
              order: sp.Rational) -> list[_Branch]:
    base = sp.expand(num.subs(t, 0))
    if base == 0:
        raise ValueError("the equation vanishes identically at the expansion point")
    out = []
    for y0, mult in _real_roots_in(dec, base, y):
        z = sp.Dummy("z")
        terms = _poly_terms(num.subs(y, y0 + z), t, z)
        if mult == 1 and (0, 1) in terms:
            series = _ift(terms, int(sp.floor(order)))
            out.append(_Branch(y0, [(c, sp.Integer(k)) for c, k in series]))
        else:
            for br in _puiseux(dec, terms, order):
                out.append(_Branch(y0, br))
    if not out:
        raise ValueError("no finite real root of the equation at the expansion point (a branch "
                         "that diverges there is not followed)")
    return out


def root_expansion(root: ImplicitRoot, x: sp.Symbol, point, order, direction: str,
                   regime: Regime) -> sp.Expr:
    """``y0 + Σ C_k (x − x0)^{γ_k}`` up to ``order`` (0: the limit) on the chosen branch."""
    y = root.unknown
    t = sp.Symbol("t_expansion", positive=True)
    if point in (sp.oo, -sp.oo):
        sub = 1 / t if point == sp.oo else -1 / t
        back = 1 / x if point == sp.oo else -1 / x
    else:
        sub = point + t if direction == "+" else point - t
        back = (x - point) if direction == "+" else (point - x)
    eq = sp.together(as_expr(root.equation, "equation").subs(x, sub))
    num = sp.numer(eq)
    try:
        sp.Poly(num, t, y)
    except sp.PolynomialError:
        raise ValueError(f"the equation must be rational in {x} and {y}") from None
    order = sp.Rational(order)

    def compute(dec, cell):
        brs = _branches(dec, num, y, t, order)
        chosen = _select(dec, brs, root.branch)
        return chosen.y0 + sum((c * t**e for c, e in chosen.terms if e <= order), sp.S.Zero)

    syms = num.free_symbols - {t, y}
    reg = regime.including(syms) if regime is not None else Regime("", ()).including(syms)
    leaves = explore(reg, None, compute)
    leaves = [lf for lf in leaves if lf.witness is not None] or leaves
    values = [lf.value.subs(t, back) for lf in leaves]
    return leaves_to_piecewise(leaves, values, regime)


_ = _num_sign
