"""Exact sign analysis of a rational or algebraic function of one variable under a regime.

``sign_condition(expr, var, regime)`` returns, for every case of the other parameters, the exact
subsets of ``var``'s interval where ``expr`` is positive, negative and zero.  The method:

1. ``expr`` is written as a rational function of ``var`` (or ``A + B·√C`` with ``A, B, C``
   rational, at most one distinct square root of a function of ``var``) and every numerator and
   denominator is factored over the rationals in all symbols;
2. each factor of degree ≤ 2 in ``var`` contributes its real roots (``−b/a``, ``centre ± √ρ``),
   whose existence (discriminant), ordering and position with respect to the interval are
   *decided*: a sign in the parameters is proved when, after the regime's positive
   parametrisation (:mod:`modelcollapse.theory._regime`), every coefficient has the same sign;
   ``sign(A + B√D)`` is reduced to the signs of ``A``, ``B`` and ``A² − B²D``;
3. a sign that cannot be proved splits the analysis into cases: an ordering of two symbols
   (``p2 < φ`` or ``φ < p2``) refines the regime, any other condition
   (``(1 − φ)² < (p2 − φ)/(2p2)``) is carried as an explicit condition;
4. each case gets a numeric witness (a random point of the case, seeded); cases for which none is
   found are reported apart as possibly empty.

Parameter values on the boundary between two cases (a condition with equality) are not covered.
Factors of degree ≥ 3 in ``var`` are handled when their coefficients are numbers (exact real
roots); with symbolic coefficients a :class:`ValueError` asks for numbers.
Private helper of :mod:`modelcollapse.theory.workbench`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath
import numpy as np
import sympy as sp

from ._parse import as_expr
from ._regime import Cell, Regime, relations_name

__all__ = ["Case", "SignAnalysis", "analyse_sign", "Decider", "Branch", "explore", "root_radius",
           "leaves_to_piecewise"]

_Z = sp.S.Zero


class Branch(Exception):  # noqa: N818  (control flow, not an error)
    """Raised when a sign cannot be decided: the analysis splits on ``lhs`` vs ``rhs``."""

    def __init__(self, lhs: sp.Expr, rhs: sp.Expr, order: bool = False):
        super().__init__(f"{lhs} ? {rhs}")
        self.lhs, self.rhs, self.order = lhs, rhs, order


def _num_sign(x: sp.Expr) -> int:
    if x == 0:
        return 0
    if x.is_positive:
        return 1
    if x.is_negative:
        return -1
    val = sp.N(x, 50)
    if val.is_real is False or not val.is_Number:
        raise ValueError(f"cannot decide the sign of the number {x}")
    return 1 if val > 0 else -1


def _radicals(expr: sp.Expr, var: sp.Symbol | None = None) -> list[sp.Expr]:
    """Bases ``B`` of the half-integer powers ``B^(k/2)`` in ``expr`` (depending on ``var``)."""
    out = []
    for p in expr.atoms(sp.Pow):
        if (p.exp.is_Rational and p.exp.q == 2 and not p.base.is_number
                and (var is None or p.base.has(var)) and p.base not in out):
            out.append(p.base)
    return sorted(out, key=sp.default_sort_key)


def _split_radical(expr: sp.Expr, base: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr]:
    """``expr = (a0 + a1 √base)/(b0 + b1 √base)`` with ``a, b`` free of ``√base``."""
    y = sp.Dummy("y", positive=True)
    e = expr.replace(lambda a: a.is_Pow and a.base == base and a.exp.is_Rational
                     and a.exp.q == 2, lambda a: y ** (2 * a.exp))
    num, den = sp.fraction(sp.together(e))
    rel = y**2 - base
    out = []
    for part in (num, den):
        rem = sp.rem(sp.expand(part), rel, y)
        out += [rem.coeff(y, 0), rem.coeff(y, 1)]
    return out[0], out[1], out[2], out[3]


def root_radius(disc: sp.Expr, lead: sp.Expr) -> sp.Expr:
    """``√(disc/(4 lead²))`` kept as one radical (``√((p2 − φ)/(2p2))``, not ``√2·√(…)/2``)."""
    radicand = sp.factor(sp.cancel(disc / (4 * lead**2)))
    if radicand.is_number:
        return sp.sqrt(radicand)
    return sp.Pow(radicand, sp.S.Half, evaluate=False)


def _as_order(f: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    """If ``f > 0`` means ``lo < hi`` for two symbols (or a symbol and a number), ``(lo, hi)``."""
    syms = sorted(f.free_symbols, key=sp.default_sort_key)
    if not 1 <= len(syms) <= 2 or not all(s.is_positive or s.is_nonnegative for s in syms):
        return None
    try:
        poly = sp.Poly(f, *syms)
    except sp.PolynomialError:
        return None
    if poly.total_degree() != 1:
        return None
    coeffs = [poly.coeff_monomial(s) for s in syms]
    const = poly.coeff_monomial(1)
    if len(syms) == 2 and const == 0 and coeffs[0] == -coeffs[1] and coeffs[0].is_number:
        a, b = syms if coeffs[0] > 0 else syms[::-1]
        return b, a
    if len(syms) == 1 and coeffs[0].is_number and const.is_number and const != 0:
        point = -const / coeffs[0]
        if point <= 0:
            return None
        return (point, syms[0]) if coeffs[0] > 0 else (syms[0], point)
    return None


class Decider:
    """Decides signs of expressions in the parameters of one cell under extra assumptions.

    Parameters
    ----------
    cell : Cell
        The regime cell (its parametrisation proves signs).
    assumptions : tuple of (lhs, rhs, sign)
        Extra conditions ``sign(lhs − rhs) = sign``.
    """

    def __init__(self, cell: Cell, assumptions: tuple = ()):
        self.cell = cell
        self.assumptions = assumptions
        self._memo: dict = {}

    # -- proof by the positive parametrisation ----------------------------------------------
    def _generic(self, expr: sp.Expr) -> sp.Expr:
        reps = {}
        for s in expr.free_symbols:
            if s in self.cell.subs:
                continue
            if s.is_nonnegative and not s.is_positive:
                reps[s] = sp.Symbol(f"_{s.name}_pos", positive=True)
        return expr.xreplace(reps)

    def _by_cell(self, expr: sp.Expr) -> int | None:
        e = self._generic(expr.subs(self.cell.subs))
        num, den = sp.fraction(sp.together(e))
        sn, sd = _coeff_sign(num), _coeff_sign(den)
        if sn is None or sd is None:
            return None
        return sn * sd

    def prove(self, expr: sp.Expr) -> int | None:
        """The sign of a rational expression in the parameters, or ``None`` if not provable."""
        expr = sp.cancel(sp.together(expr))
        key = expr
        if key in self._memo:
            return self._memo[key]
        out = self._prove(expr)
        self._memo[key] = out
        return out

    def _prove(self, expr: sp.Expr) -> int | None:
        if expr == 0:
            return 0
        if expr.is_number:
            return _num_sign(expr)
        for lhs, rhs, sgn in self.assumptions:
            ratio = sp.cancel(expr / (lhs - rhs))
            s = _num_sign(ratio) if ratio.is_number else self._by_cell(ratio)
            if s:
                return sgn * s
        num, den = sp.fraction(expr)
        total = 1
        for part in (num, den):
            coeff, factors = sp.factor_list(part)
            total *= _num_sign(coeff)
            for f, mult in factors:
                s = self._prove_factor(f)
                if s is None:
                    return None
                total *= s**mult
        return total

    def _prove_factor(self, f: sp.Expr) -> int | None:
        if f.is_number:
            return _num_sign(f)
        s = self._by_cell(f)
        if s:
            return s
        for lhs, rhs, sgn in self.assumptions:
            g = lhs - rhs
            ratio = sp.cancel(f / g)
            s = _num_sign(ratio) if ratio.is_number else self._by_cell(ratio)
            if s:
                return sgn * s
            # f = k g + (a term of the same sign as g), k > 0
            rest = sp.cancel(sp.together(f - g * _positive_scale(f, g)))
            s = _num_sign(rest) if rest.is_number else self._by_cell(rest)
            if s == sgn or rest == 0:
                return sgn
        return None

    def unprovable_factor(self, expr: sp.Expr) -> sp.Expr:
        """A factor of ``expr`` whose sign is not provable (prefers symbol orderings)."""
        num, den = sp.fraction(sp.cancel(sp.together(expr)))
        bad = []
        for part in (num, den):
            for f, _ in sp.factor_list(part)[1]:
                if self._prove_factor(f) is None:
                    bad.append(f)
        for f in bad:
            if _as_order(f) is not None:
                return f
        return bad[0] if bad else expr

    # -- signs with radicals, comparisons ----------------------------------------------------
    def sign(self, expr: sp.Expr) -> int:
        """Sign of ``expr`` (parameters only); raises :class:`Branch` when undecidable."""
        expr = as_expr(expr, "expr")
        rads = _radicals(expr)
        if not rads:
            s = self.prove(expr)
            if s is None:
                f = self.unprovable_factor(expr)
                order = _as_order(f)
                if order is not None:
                    raise Branch(order[0], order[1], order=True)
                raise Branch(f, _Z)
            return s
        a0, a1, b0, b1 = _split_radical(expr, rads[-1])
        sd = self.sign(rads[-1])
        if sd < 0:
            raise ValueError(f"the square root of {rads[-1]} is not real in this regime")
        num = self.sign_linear(a0, a1, rads[-1]) if sd > 0 else self.sign(a0)
        den = self.sign_linear(b0, b1, rads[-1]) if sd > 0 else self.sign(b0)
        if den == 0:
            raise ValueError(f"division by zero in {expr}")
        return num * den

    def sign_linear(self, a: sp.Expr, b: sp.Expr, radicand: sp.Expr) -> int:
        """``sign(a + b √radicand)`` for ``radicand > 0``."""
        sb = self.sign(b) if b != 0 else 0
        sa = self.sign(a) if a != 0 else 0
        if sb == 0:
            return sa
        if sa == 0 or sa == sb:
            return sb if sa == 0 else sa
        return sa * self.compare(a**2, b**2 * radicand)

    def compare(self, lhs: sp.Expr, rhs: sp.Expr) -> int:
        """``sign(lhs − rhs)``; an undecidable comparison branches on ``lhs`` vs ``rhs``."""
        if lhs == rhs:
            return 0
        if lhs in (sp.oo, -sp.oo) or rhs in (sp.oo, -sp.oo):
            if lhs == rhs:
                return 0
            return 1 if lhs == sp.oo or rhs == -sp.oo else -1
        diff = lhs - rhs
        if _radicals(diff):
            return self.sign(diff)
        s = self.prove(diff)
        if s is not None:
            return s
        f = self.unprovable_factor(diff)
        order = _as_order(f)
        if order is not None:
            raise Branch(order[0], order[1], order=True)
        if lhs == 0 or rhs == 0:  # a sign question: split on the undecided factor alone
            raise Branch(*_tidy_comparison(f, _Z))
        raise Branch(*_tidy_comparison(lhs, rhs))


def _tidy_comparison(lhs: sp.Expr, rhs: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """Cancel a common positive monomial factor of both sides (``16p2²(1−φ)² vs 8p2(p2−φ)``)."""
    lhs, rhs = sp.factor(lhs), sp.factor(rhs)
    if rhs == 0 or lhs == 0:
        return lhs, rhs
    g = sp.gcd(sp.fraction(sp.together(lhs))[0], sp.fraction(sp.together(rhs))[0])
    c, _ = sp.factor_list(g)
    parts = [f**k for f, k in sp.factor_list(g)[1]
             if all(s.is_positive or s.is_nonnegative for s in f.free_symbols)
             and f.is_Symbol]
    scale = abs(c) * sp.Mul(*parts)
    if scale != 0 and scale != 1:
        lhs, rhs = sp.factor(lhs / scale), sp.factor(rhs / scale)
    lead = lhs.as_coeff_Mul()[0]
    if lead.is_Rational and lead > 0 and lead != 1:
        lhs, rhs = sp.factor(lhs / lead), sp.factor(rhs / lead)
    return lhs, rhs


def _positive_scale(f: sp.Expr, g: sp.Expr) -> sp.Expr:
    """The positive number ``k`` with ``f − k·g`` free of the leading term of ``g`` (else 1)."""
    num_g = sp.numer(sp.together(g))
    if sp.denom(sp.together(g)) != 1:
        return sp.S.One
    try:
        gens = sorted(f.free_symbols | num_g.free_symbols, key=sp.default_sort_key)
        lf, lg = sp.Poly(f, *gens).LC(), sp.Poly(num_g, *gens).LC()
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return sp.S.One
    k = sp.cancel(lf / lg) if lg != 0 else sp.S.One
    return k if (k.is_number and k > 0) else sp.S.One


def _coeff_sign(expr: sp.Expr) -> int | None:
    """Sign of a polynomial in positive symbols when all its terms share one sign."""
    expr = sp.expand(expr)
    if expr == 0:
        return None
    if not all(s.is_positive for s in expr.free_symbols):
        return None
    signs = set()
    for term in sp.Add.make_args(expr):
        coeff, rest = term.as_coeff_Mul()
        if not (rest == 1 or rest.is_positive):
            return None
        signs.add(_num_sign(coeff))
        if len(signs) > 1:
            return None
    return signs.pop()


# -- exploration of cases ------------------------------------------------------------------
@dataclass
class _Leaf:
    cell: Cell
    assumptions: tuple
    value: object
    witness: dict | None = None


def explore(regime: Regime, var: sp.Symbol | None, compute, *, max_cases: int = 64,
            seed: int = 0, samples: int = 600) -> list[_Leaf]:
    """Run ``compute(decider, cell)`` on every case (branching as it asks); seeded witnesses."""
    cells = regime.cells_for(var) if var is not None else regime.cells
    states = [(cell, ()) for cell in cells]
    leaves: list[_Leaf] = []
    while states:
        if len(leaves) + len(states) > max_cases:
            raise ValueError(f"more than {max_cases} cases: give a narrower regime")
        cell, assumptions = states.pop(0)
        dec = Decider(cell, assumptions)
        try:
            value = compute(dec, cell)
        except Branch as b:
            if b.order:
                for lo, hi in ((b.lhs, b.rhs), (b.rhs, b.lhs)):
                    try:
                        sub = Regime(cell.name, cell.relations + ((lo, hi),))
                        new = sub.cells_for(var) if var is not None else sub.cells
                    except ValueError:
                        continue
                    states += [(c, assumptions) for c in new]
            else:
                if any(sp.simplify(b.lhs - b.rhs - (a - r)) == 0 for a, r, _ in assumptions):
                    raise RuntimeError(f"undecided twice: {b.lhs} vs {b.rhs}") from None
                for s in (1, -1):
                    states.append((cell, assumptions + ((b.lhs, b.rhs, s),)))
            continue
        leaves.append(_Leaf(cell, assumptions, value))
    rng = np.random.default_rng(seed)
    for leaf in leaves:
        leaf.witness = _witness(leaf, rng, samples, var)
    return leaves


def _witness(leaf: _Leaf, rng, samples: int, var) -> dict | None:
    extra = set()
    for lhs, rhs, _ in leaf.assumptions:
        extra |= (lhs - rhs).free_symbols
    extra -= set(leaf.cell.subs)
    extra.discard(var)
    extra = sorted(extra, key=sp.default_sort_key)
    checks = []
    for lhs, rhs, s in leaf.assumptions:
        syms = sorted((lhs - rhs).free_symbols, key=sp.default_sort_key)
        checks.append((sp.lambdify(syms, lhs - rhs, "mpmath"), syms, s))
    with mpmath.workdps(40):
        for _ in range(samples):
            point = leaf.cell.sample(rng, extra)
            ok = True
            for fn, syms, s in checks:
                val = fn(*[mpmath.mpf(point[x]) for x in syms])
                if not (val > 0 if s > 0 else val < 0):
                    ok = False
                    break
            if ok:
                return point
    return None


# -- sign sets -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One case of a sign analysis: conditions on the parameters and the sets they give.

    Attributes
    ----------
    regime : str
        The ordering of the symbols in this case (e.g. ``"psi<phi<1, phi<p2<1"``).
    conditions : tuple of sympy relationals
        Further conditions on the parameters (empty: none).
    positive, negative, zero : sympy.Set
        Where the expression is > 0, < 0, = 0 (subsets of the variable's interval).
    interval : sympy.Interval
        The variable's range in this case.
    witness : dict or None
        A parameter point of this case (``None``: none was found; the case may be empty).
    """

    regime: str
    relations: tuple
    conditions: tuple
    positive: sp.Set
    negative: sp.Set
    zero: sp.Set
    interval: sp.Set
    witness: dict | None = field(default=None, compare=False)

    def condition(self) -> sp.Basic:
        """Ordering and conditions as one SymPy boolean (positivity left implicit)."""
        from ._regime import UNIT_SYMBOLS

        return sp.And(*(sp.StrictLessThan(a, b) for a, b in self.relations
                        if a != 0 and not (a in UNIT_SYMBOLS and b == 1)), *self.conditions)

    def describe(self, var: sp.Symbol) -> str:
        """Plain-text summary of the case."""
        cond = ", ".join([self.regime] * bool(self.regime) + [str(c) for c in self.conditions])
        out = [f"case {cond or 'always'}:  {var} in {self.interval}"]
        for label, st in (("> 0", self.positive), ("< 0", self.negative), ("= 0", self.zero)):
            if st != sp.S.EmptySet:
                out.append(f"    {label} on {st}")
        return "\n".join(out)


@dataclass(frozen=True)
class SignAnalysis:
    """Result of :func:`analyse_sign`: the exact sign of ``expr`` in ``var``, case by case.

    Attributes
    ----------
    expr : sympy.Expr
    var : sympy.Symbol
    regime : str
    cases : tuple of Case
        Cases with a witness (non-empty).
    unwitnessed : tuple of Case
        Cases no sampled parameter point satisfied (possibly empty).

    Examples
    --------
    >>> from modelcollapse.theory.workbench import sign_condition
    >>> res = sign_condition("(psi - p2) * (psi - 2)", "psi", "psi<1")
    >>> [(case.regime, str(case.negative)) for case in res.cases]
    [('p2<1', 'Interval.open(p2, 1)')]
    """

    expr: sp.Expr
    var: sp.Symbol
    regime: str
    cases: tuple
    unwitnessed: tuple = ()

    def where(self, sign: str) -> list[tuple[sp.Basic, sp.Set]]:
        """``[(condition, set)]`` where the expression is ``"positive"``, ``"negative"`` or
        ``"zero"``."""
        if sign not in ("positive", "negative", "zero"):
            raise ValueError(f"sign: expected 'positive', 'negative' or 'zero', got {sign!r}")
        return [(c.condition(), getattr(c, sign)) for c in self.cases]

    def piecewise(self, sign: str) -> sp.Piecewise:
        """The set where the expression has ``sign`` as a Piecewise over the cases."""
        pairs = self.where(sign)
        return sp.Piecewise(*[(st, cond) for cond, st in pairs], (sp.S.EmptySet, True))

    def __str__(self) -> str:
        head = f"sign of {self.expr} in {self.var}" + (f" under {self.regime}:" if self.regime
                                                          else ":")
        lines = [head] + [c.describe(self.var) for c in self.cases]
        if self.unwitnessed:
            lines.append(f"({len(self.unwitnessed)} further case(s) had no sampled parameter "
                         "point and may be empty: see .unwitnessed)")
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        rows = []
        for c in self.cases:
            cond = _chain_latex(c.regime, c.conditions)
            parts = []
            for label, st in (("> 0", c.positive), ("< 0", c.negative), ("= 0", c.zero)):
                if st != sp.S.EmptySet:
                    parts.append(rf"{label}\ \text{{on}}\ {sp.latex(st)}")
            rows.append(rf"{cond}: & " + r",\quad ".join(parts))
        body = r"\\ ".join(rows)
        return rf"$\displaystyle \begin{{aligned}} {body} \end{{aligned}}$"


def _chain_latex(name: str, conditions: tuple) -> str:
    """``psi<phi<1`` and extra conditions as LaTeX (``\\psi < \\phi < 1,\\ …``)."""
    from ._parse import parse

    parts = []
    for chain in filter(None, name.split(", ")):
        terms = [sp.latex(parse(tok, "regime")) for tok in chain.split("<")]
        parts.append(" < ".join(terms))
    parts += [sp.latex(cnd) for cnd in conditions]
    return r",\ ".join(parts) if parts else r"\text{always}"


@dataclass
class _Factor:
    lead: int
    roots: list
    mult: int


def _var_factors(dec: Decider, part: sp.Expr, var: sp.Symbol) -> tuple[int, list[_Factor]]:
    """Sign of the var-free part and the var-dependent factors of a polynomial ``part``."""
    coeff, factors = sp.factor_list(part)
    sign = _num_sign(coeff)
    out = []
    for f, mult in factors:
        if not f.has(var):
            s = dec.sign(f)
            if s == 0:
                raise ValueError(f"the factor {f} vanishes in this regime")
            sign *= s**mult
            continue
        poly = sp.Poly(f, var)
        deg = poly.degree()
        coeffs = poly.all_coeffs()
        lead = dec.sign(coeffs[0])
        if lead == 0:
            raise ValueError(f"the leading coefficient of {f} in {var} vanishes in this regime")
        if deg == 1:
            out.append(_Factor(lead, [sp.cancel(-coeffs[1] / coeffs[0])], mult))
        elif deg == 2:
            a, b, c = coeffs
            disc = sp.factor(b**2 - 4 * a * c)
            s = dec.sign(disc)
            if s < 0:
                out.append(_Factor(lead, [], mult))
            elif s == 0:
                out.append(_Factor(lead, [sp.cancel(-b / (2 * a))] * 2, mult))
            else:
                centre = sp.cancel(-b / (2 * a))
                rad = root_radius(disc, a)
                out.append(_Factor(lead, [centre - rad, centre + rad], mult))
        elif all(x.is_number for x in coeffs):
            out.append(_Factor(lead, list(sp.real_roots(poly)), mult))
        else:
            raise ValueError(
                f"the factor {f} has degree {deg} in {var} with symbolic coefficients: "
                f"substitute numbers for {sorted(map(str, f.free_symbols - {var}))}")
    return sign, out


def _position(dec: Decider, points: list, lo, hi, r) -> tuple[str, int]:
    """Where root ``r`` lies: ``("below", 0)``, ``("above", 0)`` or ``("at"/"gap", index)``."""
    if lo != -sp.oo and dec.compare(r, lo) <= 0:
        return "below", 0
    if hi != sp.oo and dec.compare(r, hi) >= 0:
        return "above", 0
    for i, p in enumerate(points):
        c = dec.compare(r, p)
        if c == 0:
            return "at", i
        if c < 0:
            points.insert(i, r)
            return "at", i
    points.append(r)
    return "at", len(points) - 1


def _lin_sign(sa, sb, sq, sc):
    """sign(a + b√c) from the signs of a, b, a² − b²c and c (None: not real)."""
    if sc is None or sc < 0:
        return None
    if sc == 0 or sb == 0:
        return sa
    if sa == 0 or sa == sb:
        return sb if sa == 0 else sa
    return sa * sq


def _compute_sets(dec: Decider, cell: Cell, expr: sp.Expr, var: sp.Symbol):
    lo, hi = cell.bounds
    rads = _radicals(expr, var)
    if len(rads) > 1:
        raise ValueError(f"expr: {len(rads)} distinct square roots depending on {var}; "
                         "supported: rational functions and one square root")
    if rads:
        base = rads[0]
        a0, a1, b0, b1 = _split_radical(expr, base)
        atoms = {"a0": a0, "a1": a1, "qa": a0**2 - a1**2 * base,
                 "b0": b0, "b1": b1, "qb": b0**2 - b1**2 * base, "c": base}
    else:
        atoms = {"e": expr}
    # factor every atom; collect roots
    parsed = {}
    for key, atom in atoms.items():
        atom = sp.cancel(sp.together(atom))
        if atom == 0:
            parsed[key] = None
            continue
        num, den = sp.fraction(atom)
        sn, fn = _var_factors(dec, num, var)
        sd, fd = _var_factors(dec, den, var)
        parsed[key] = (sn * sd, fn, fd)
    points: list = []
    located = {}
    for key, val in parsed.items():
        if val is None:
            continue
        for f in val[1] + val[2]:
            for r in f.roots:
                if (key, id(f), r) not in located:
                    located[(key, id(f), r)] = r
    # locate all roots (decisions may branch)
    where = {}
    for r in {v for v in located.values()}:
        where[r] = None
    for r in sorted(where, key=sp.default_sort_key):
        where[r] = _position(dec, points, lo, hi, r)
    # final index of each root after all insertions
    def index_of(r):
        kind, _ = where[r]
        if kind != "at":
            return kind
        for i, p in enumerate(points):
            if p == r or dec.compare(r, p) == 0:
                return i
        raise RuntimeError("root lost")

    idx = {r: index_of(r) for r in where}
    pieces = []  # ("gap", j) between points[j-1] and points[j]; ("pt", j)
    for j in range(len(points) + 1):
        pieces.append(("gap", j))
        if j < len(points):
            pieces.append(("pt", j))

    def lin_root_sign(r, piece):
        pos = idx[r]
        if pos == "below":
            return 1
        if pos == "above":
            return -1
        kind, j = piece
        if kind == "pt":
            return 0 if pos == j else (1 if pos < j else -1)
        return 1 if pos < j else -1

    def atom_sign(key, piece):
        val = parsed[key]
        if val is None:
            return 0
        s0, fn, fd = val
        s = s0
        for f in fn:
            sf = f.lead
            for r in f.roots:
                sf *= lin_root_sign(r, piece)
            s *= sf**f.mult
        for f in fd:
            sf = f.lead
            for r in f.roots:
                sf *= lin_root_sign(r, piece)
            if sf == 0:
                return None
            s *= sf**f.mult
        return s

    signs = []
    for piece in pieces:
        if rads:
            sc = atom_sign("c", piece)
            num = _lin_sign(atom_sign("a0", piece), atom_sign("a1", piece),
                            atom_sign("qa", piece), sc)
            den = _lin_sign(atom_sign("b0", piece), atom_sign("b1", piece),
                            atom_sign("qb", piece), sc)
            if any(x is None for x in (atom_sign("a0", piece), atom_sign("a1", piece),
                                       atom_sign("b0", piece), atom_sign("b1", piece))):
                signs.append(None)
            elif num is None or den is None or den == 0:
                signs.append(None)
            else:
                signs.append(num * den)
        else:
            signs.append(atom_sign("e", piece))
    bounds = [lo] + points + [hi]
    sets = {}
    for target in (1, -1, 0):
        parts = []
        run = None
        for piece, s in zip(pieces, signs, strict=True):
            kind, j = piece
            if s == target:
                if run is None:
                    run = [piece, piece]
                else:
                    run[1] = piece
            else:
                if run is not None:
                    parts.append(_interval(run, bounds))
                run = None
        if run is not None:
            parts.append(_interval(run, bounds))
        sets[target] = sp.Union(*parts) if parts else sp.S.EmptySet
    interval = sp.Interval.open(lo, hi)
    return sets[1], sets[-1], sets[0], interval


def _interval(run, bounds):
    (k0, j0), (k1, j1) = run
    if k0 == "gap":
        left, lopen = bounds[j0], True
    else:
        left, lopen = bounds[j0 + 1], False
    if k1 == "gap":
        right, ropen = bounds[j1 + 1], True
    else:
        right, ropen = bounds[j1 + 1], False
    if left == right:
        return sp.FiniteSet(left)
    return sp.Interval(left, right, lopen, ropen)


def analyse_sign(expr: sp.Expr, var: sp.Symbol, regime: Regime, *, seed: int = 0,
                 max_cases: int = 64) -> SignAnalysis:
    """Exact sign of ``expr`` as a function of ``var`` under ``regime`` (see module)."""
    syms = expr.free_symbols | regime.free_symbols
    reg = regime.including(syms)
    if var not in reg.free_symbols and (var.is_positive or var.is_nonnegative):
        reg = Regime(reg.name, reg.relations + ((sp.S.Zero, var),), reg.description)

    def compute(dec, cell):
        return _compute_sets(dec, cell, expr, var)

    leaves = explore(reg, var, compute, seed=seed, max_cases=max_cases)
    cases, unwitnessed = [], []
    for leaf in leaves:
        leaf.assumptions = _irredundant(leaf.cell, leaf.assumptions)
        pos, neg, zero, interval = leaf.value
        conds = tuple(
            (sp.StrictGreaterThan(lhs, rhs, evaluate=False) if s > 0
             else sp.StrictLessThan(lhs, rhs, evaluate=False))
            for lhs, rhs, s in leaf.assumptions)
        rels = tuple((a, b) for a, b in leaf.cell.relations if var not in (a, b))
        case = Case(relations_name(rels), rels, conds, pos, neg, zero, interval, leaf.witness)
        (cases if leaf.witness is not None else unwitnessed).append(case)
    cases = sorted(_merge(cases), key=lambda c: (c.regime, str(c.conditions)))
    unwitnessed = sorted(unwitnessed, key=lambda c: (c.regime, str(c.conditions)))
    return SignAnalysis(expr, var, regime.name, tuple(cases), tuple(unwitnessed))


def _irredundant(cell: Cell, assumptions: tuple) -> tuple:
    """Drop each condition that the cell and the other conditions already imply."""
    kept = list(assumptions)
    for item in list(assumptions):
        others = tuple(a for a in kept if a is not item)
        lhs, rhs, sgn = item
        if Decider(cell, others).prove(lhs - rhs) == sgn:
            kept = list(others)
    return tuple(kept)


def _negation(c) -> sp.Basic:
    return sp.StrictLessThan(c.lhs, c.rhs, evaluate=False) if isinstance(
        c, sp.StrictGreaterThan) else sp.StrictGreaterThan(c.lhs, c.rhs, evaluate=False)


def _merge(cases: list[Case]) -> list[Case]:
    """Merge two cases with the same sets whose conditions differ in one condition's sign."""
    changed = True
    while changed:
        changed = False
        for i, a in enumerate(cases):
            for j in range(i + 1, len(cases)):
                b = cases[j]
                if (a.regime != b.regime or len(a.conditions) != len(b.conditions)
                        or (a.positive, a.negative, a.zero) != (b.positive, b.negative, b.zero)):
                    continue
                diff = [k for k, (x, y) in enumerate(zip(a.conditions, b.conditions, strict=True))
                        if x != y]
                if len(diff) == 1 and _negation(a.conditions[diff[0]]) == b.conditions[diff[0]]:
                    conds = a.conditions[:diff[0]] + a.conditions[diff[0] + 1:]
                    merged = Case(a.regime, a.relations, conds, a.positive,
                                  a.negative, a.zero, a.interval, a.witness)
                    cases = cases[:i] + [merged] + cases[i + 1:j] + cases[j + 1:]
                    changed = True
                    break
            if changed:
                break
    return cases


def _closure(relations) -> set:
    from ._regime import _Order

    return set(_Order(list(relations)).less)


def leaves_to_piecewise(leaves: list, values: list, regime: Regime | None = None) -> sp.Expr:
    """One expression, or a Piecewise over the cases, from per-case ``values``.

    Cases with equal values are merged; a merged piece's condition is the relations its cases
    share when these exclude every other case (exact), else the disjunction of their orderings.
    Relations the regime already states are left out.
    """
    groups: list[tuple[sp.Expr, list]] = []
    for leaf, v in zip(leaves, values, strict=True):
        for g in groups:
            if sp.simplify(g[0] - v) == 0:
                g[1].append(leaf)
                break
        else:
            groups.append((v, [leaf]))
    if len(groups) == 1:
        return groups[0][0]
    given = _closure(regime.relations) if regime is not None and regime.relations else set()
    closures = {id(lf): _closure(lf.cell.relations) for lf in leaves}

    def cond_of(lf):
        rels = [sp.StrictLessThan(a, b) for a, b in lf.cell.relations if (a, b) not in given
                and not (a.is_number and b.is_number) and a != 0]
        rels += [(sp.StrictGreaterThan(lhs, rhs, evaluate=False) if s > 0
                  else sp.StrictLessThan(lhs, rhs, evaluate=False))
                 for lhs, rhs, s in lf.assumptions]
        return sp.And(*rels)

    pieces = []
    for value, members in groups:
        common = set.intersection(*(closures[id(lf)] for lf in members))
        common_assumptions = set.intersection(*(set(lf.assumptions) for lf in members))
        others = [lf for v, ms in groups if ms is not members for lf in ms]
        exact = all(
            any((b, a) in closures[id(o)] for a, b in common)
            or any((lhs, rhs, -s) in o.assumptions for lhs, rhs, s in common_assumptions)
            for o in others)
        if exact:
            keep = {(a, b) for a, b in common if (a, b) not in given and a != 0
                    and not (a.is_number and b.is_number)}
            hasse = {(a, b) for a, b in keep
                     if not any((a, x) in common and (x, b) in common for x in
                                {y for pair in common for y in pair})}
            rels = [sp.StrictLessThan(a, b) for a, b in sorted(
                hasse, key=lambda ab: (sp.default_sort_key(ab[0]), sp.default_sort_key(ab[1])))]
            rels += [(sp.StrictGreaterThan(lhs, rhs, evaluate=False) if s > 0
                      else sp.StrictLessThan(lhs, rhs, evaluate=False))
                     for lhs, rhs, s in common_assumptions]
            cond = sp.And(*rels) if rels else sp.true
        else:
            cond = sp.Or(*(cond_of(lf) for lf in members))
        pieces.append((value, cond))
    return sp.Piecewise(*pieces, evaluate=False)
