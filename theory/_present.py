"""Presentation: expressions factored with visible signs, and LaTeX names for result keys.

:func:`tidy` factors an expression and orients every factor so that it is positive in the regime
(``−r²(φ − ψ)/(φ(ψ − 1))`` becomes ``r²(φ − ψ)/(φ(1 − ψ))`` when ψ < 1), removes ``|·|`` and
``√(f²)`` whose sign the regime decides (``√((1 − p2)²) = 1 − p2``; ``0 < p2 < 1`` always holds),
and keeps a sum of terms when factoring would make it longer.  Inside sums it collects the scales
and noise levels with factored coefficients (``σ1²(1 − α)(1 − p2)``, ``a1(1 − p2) + a2p2``) and
completes squares that shorten them (``κ² + 2κ + 1 − φ`` → ``(κ + 1)² − φ``); a leading minus
sign is absorbed into a factor whose sign the regime leaves open (``−φ/(φ − (κ + 1)²)`` →
``φ/((κ + 1)² − φ)``).  Powers with symbolic exponents are merged and kept whole
(``a^e b^e`` → ``(ab)^e`` when all but one base are positive; ``β^{-1/(2βr+1)} β^{-2βr/(2βr+1)}``
→ ``1/β``), and conditions of a Piecewise are reduced with the implications the regime proves
(``(A > 0 ∧ B < 0) ∨ A < 0`` → ``B < 0`` when ``B < A``).

:func:`latex_label` turns result keys such as ``c2_crit`` or ``lambda_to_0_phi_lt_1`` into clean
LaTeX left-hand sides; :func:`to_latex` sets multi-letter subscripts upright (``σ_eff``), writes
``x_star`` as ``x^*`` and Riemann's zeta function as ``ζ_R`` (ζ is the collapse term).
Private helper of :mod:`modelcollapse.theory.workbench` and the catalog.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from ._parse import as_expr
from ._regime import Regime
from ._signs import Decider

__all__ = ["tidy", "latex_label", "to_latex", "to_text", "GREEK"]

GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega",
}


#: Deciders (and so their proofs) reused across calls, by the regime's relations.
_DECIDERS: dict = {}
#: :func:`_polish` results, by (sum, depth, deciders); :func:`_implies` results.
_POLISHED: dict = {}
_IMPLIED: dict = {}
#: :func:`_sign` results and the sampled points of the cells.
_SIGNS: dict = {}
_POINTS: dict = {}
_CACHE_SIZE = 512


def _deciders(expr: sp.Basic, regime: Regime | None) -> list[Decider]:
    syms = {s for s in expr.free_symbols if isinstance(s, sp.Symbol)}
    reg = regime if regime is not None else Regime("", ())
    reg = reg.including(syms)
    key = reg.relations
    if key in _DECIDERS:
        return _DECIDERS[key]
    if not reg.relations:
        from ._regime import Cell

        out = [Decider(Cell("", (), {}, {}, ()))]
    else:
        try:
            out = [Decider(cell) for cell in reg.cells]
        except ValueError:
            out = []
    if len(_DECIDERS) > _CACHE_SIZE:
        _DECIDERS.clear()
        _POLISHED.clear()  # keyed by the deciders' identity
        _IMPLIED.clear()
        _SIGNS.clear()
        _POINTS.clear()
    _DECIDERS[key] = out
    return out


def _sign(decs: list[Decider], expr: sp.Expr) -> int | None:
    """The sign of ``expr`` when every cell proves the same one (``None`` at once when sampled
    points of the cells already show both signs)."""
    if not decs or expr.has(sp.I):
        return None
    key = (id(decs), expr)
    if key not in _SIGNS:
        if len(_SIGNS) > 8 * _CACHE_SIZE:
            _SIGNS.clear()
        _SIGNS[key] = None if _both_signs(decs, expr) else _proved_sign(decs, expr)
    return _SIGNS[key]


def _both_signs(decs: list[Decider], expr: sp.Expr, samples: int = 6) -> bool:
    """Whether ``expr`` takes both signs at seeded random points of the regime's cells."""
    import numpy as np

    syms = tuple(sorted(expr.free_symbols, key=sp.default_sort_key))
    if not syms or not all(isinstance(x, sp.Symbol) for x in syms):
        return False
    try:
        fn = sp.lambdify(syms, expr, "math")
    except (TypeError, NameError, SyntaxError):  # pragma: no cover - exotic expressions
        return False
    seen = set()
    for dec in decs:
        key = (id(dec), syms)
        if key not in _POINTS:
            rng = np.random.default_rng(0)
            _POINTS[key] = [dec.cell.sample(rng, syms) for _ in range(samples)]
        for point in _POINTS[key]:
            try:
                value = fn(*[point[x] for x in syms])
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                continue
            except (NameError, AttributeError):  # a function math does not know (CRootOf, …)
                return False
            if isinstance(value, float | int) and value != 0:
                seen.add(value > 0)
        if len(seen) == 2:
            return True
    return False


def _proved_sign(decs: list[Decider], expr: sp.Expr) -> int | None:
    signs = set()
    for dec in decs:
        try:
            s = dec.prove(expr)
        except (ValueError, TypeError, sp.PolynomialError):
            return None
        if s is None:
            return None
        signs.add(s)
    return signs.pop() if len(signs) == 1 else None


def _unsquare(expr: sp.Expr, decs: list[Decider]) -> sp.Expr:
    """``|f| → ±f`` and ``√(f² g) → ±f √g`` where the regime decides the sign of ``f``."""
    def fix_abs(a):
        s = _sign(decs, a.args[0])
        return a.args[0] * s if s else a

    def fix_root(p):
        num, den = sp.fraction(sp.together(p.base))
        outside, inside = sp.S.One, sp.S.One
        for part, power in ((num, 1), (den, -1)):
            try:
                coeff, factors = sp.factor_list(part)
            except sp.PolynomialError:
                return p
            inside *= sp.Integer(coeff) ** power if sp.Integer(coeff) == coeff else coeff**power
            for f, k in factors:
                s = _sign(decs, f) if k >= 2 else None
                if s:
                    outside *= ((s * f) ** (k // 2)) ** power
                    inside *= (f ** (k % 2)) ** power
                else:
                    inside *= (f**k) ** power
        inside = _orient(sp.factor(inside), decs)
        if outside == 1 and inside == p.base:
            return p
        return (outside * sp.sqrt(inside)) ** (2 * p.exp)

    expr = expr.replace(lambda a: isinstance(a, sp.Abs), fix_abs)
    return expr.replace(lambda a: a.is_Pow and a.exp.is_Rational and a.exp.q == 2
                        and not a.base.is_number, fix_root)


def _orient(expr: sp.Expr, decs: list[Decider]) -> sp.Expr:
    """Flip the sign of each Add factor of a product that is negative in the regime.

    A factor whose sign the regime leaves open keeps the orientation with fewer minus signs
    (an even power: the one with a positive constant term, ``(1 − φ)²``); a minus sign left in
    front of the product is then absorbed into such a factor, preferably in the denominator
    (``−φ/(φ − (κ + 1)²)`` → ``φ/((κ + 1)² − φ)``).
    """
    if expr.is_Add:
        return expr
    coeff, factors = expr.as_coeff_mul()
    sign = 1
    out = []
    open_factors = []  # (position, base, exponent) of odd powers of undecided sign
    for f in factors:
        base, exp = f.as_base_exp()
        if base.is_Add and exp.is_Integer:
            base = _polish(base, decs)
            s = _sign(decs, base)
            if s is None and exp % 2 == 0:
                flip = _minus_first(sp.expand(base)) or (
                    not _minus_first(sp.expand(-base)) and _constant(base) < 0)
            else:
                # negative in the regime; or undecided: fewer minus signs
                flip = s == -1 or (s is None and _minus_first(sp.expand(base)))
            if flip:
                base = _polish(sp.expand(-base), decs)
                sign *= sp.Integer(-1) ** int(exp)
            if s is None and exp % 2 == 1:
                open_factors.append((len(out), base, exp))
            out.append(sp.Pow(base, exp))
        elif base.is_Add and exp.is_Rational:
            out.append(sp.Pow(base, exp))
        else:
            out.append(f)
    if (coeff * sign).is_negative and open_factors:
        # the denominator first: −a/(b − c) reads better as a/(c − b)
        pos, base, exp = sorted(open_factors, key=lambda t: (bool(t[2] > 0), t[0]))[0]
        out[pos] = sp.Pow(_polish(sp.expand(-base), decs), exp)
        sign = -sign
    return sp.Mul(coeff * sign, *out)


def _constant(add: sp.Expr) -> sp.Expr:
    """The constant term of a polynomial (0 if it has none or is not a polynomial)."""
    const = sp.expand(add).as_coeff_Add()[0]
    return const if const.is_number else sp.S.Zero


#: Symbols a sum is collected by: scales, noise levels and weights (``σ1²(1 − p2) + p2σ2²``,
#: ``a1(1 − p2) + a2p2``); their coefficients are factored and oriented.
_COLLECT = {"c", "r", "sigma", "sigma0", "sigma1", "sigma2", "sigma_eff", "c0", "c_head",
            "c_tail", "a1", "a2", "mu1", "mu_*", "mu_star"}


def _coefficient(coeff: sp.Expr, decs: list[Decider], depth: int) -> sp.Expr:
    """A coefficient of a collected sum: factored, polished if a sum, its sign in front when the
    regime proves it negative (``σ1²(p2 − 1)`` → ``−σ1²(1 − p2)``)."""
    out = sp.factor(coeff)
    if not out.is_Add:
        return _orient(out, decs)
    out = _polish(out, decs, depth)
    sign = _sign(decs, out)
    flipped = sp.expand(-out)
    if sign == -1 or sign is None and _constant(out) < 0 and not _minus_first(flipped):
        # negative in the regime; or undecided with a negative constant: −p2(1 − ρ), not p2(ρ − 1)
        return sp.Mul(-1, _polish(flipped, decs, depth), evaluate=False)
    return out


def _group(add: sp.Expr, decs: list[Decider], depth: int = 0) -> sp.Expr:
    """``σ1² − p2σ1² + p2σ2²`` → ``σ1²(1 − p2) + p2σ2²``: collected by the scales, noise levels
    and weights, each coefficient factored with its signs visible."""
    syms = sorted((s for s in add.free_symbols if isinstance(s, sp.Symbol)
                   and s.name in _COLLECT), key=lambda s: s.name)
    if not syms:
        return add
    try:
        poly = sp.Poly(sp.expand(add), *syms)
    except sp.PolynomialError:
        return add
    terms = poly.terms()
    if len(terms) < 2:
        return add
    parts = []
    for powers, coeff in terms:
        mono = sp.Mul(*[s**k for s, k in zip(syms, powers, strict=True)])
        parts.append(mono * _coefficient(coeff, decs, depth + 1))
    grouped = sp.Add(*parts)
    return grouped if _size(grouped) <= _size(add) + 40 else add


def _collect_by(add: sp.Expr, x: sp.Symbol, decs: list[Decider], depth: int) -> sp.Expr | None:
    """``λ²p2 + 2λp2 + p2 − 4λp2φ + …`` collected by one symbol, coefficients polished."""
    try:
        poly = sp.Poly(add, x)
    except sp.PolynomialError:
        return None
    terms = poly.terms()
    if len(terms) < 2 or all(len(sp.Add.make_args(cf)) < 2 for _, cf in terms):
        return None
    return sp.Add(*[x**k * _coefficient(cf, decs, depth + 1) for (k,), cf in terms])


def _complete_square(add: sp.Expr, decs: list[Decider]) -> sp.Expr:
    """``κ² + 2κ + 1 − φ`` → ``(κ + 1)² − φ``: a square completed in one variable when that
    shortens the sum (leading coefficient 1, no fractions); a positive remainder preferred."""
    best, best_key = add, (_size(add), 1)
    for x in sorted(add.free_symbols, key=sp.default_sort_key):
        try:
            poly = sp.Poly(add, x)
        except sp.PolynomialError:
            continue
        if poly.degree() != 2 or poly.LC() != 1:
            continue
        _, b, c0 = poly.all_coeffs()
        half = sp.expand(b / 2)
        if any(not k.is_Integer for k in sp.Poly(half, *half.free_symbols or {x}).coeffs()):
            continue
        rest = sp.expand(c0 - half**2)
        if rest == 0:
            continue  # a perfect square: factor() writes it
        root = x + half
        if _minus_first(sp.expand(root)):
            root = sp.expand(-root)
        rest = _orient(sp.factor(rest), decs)
        cand = sp.Add(sp.Pow(root, 2), rest)
        key = (_size(cand), 1 if rest.could_extract_minus_sign() else 0)
        if key[0] < _size(add) and key < best_key:
            best, best_key = cand, key
    return best


#: Collecting by one symbol is tried on sums of at most this many terms, this deep.
_COLLECT_TERMS, _COLLECT_DEPTH = 24, 2


def _polish(add: sp.Expr, decs: list[Decider], depth: int = 0) -> sp.Expr:
    """A sum collected by the scales (:func:`_group`); otherwise the shortest of the sum, the sum
    with a square completed and the sum collected by one of its symbols (it must be shorter)."""
    if not add.is_Add:
        return add
    key = (add, depth, id(decs))
    if key not in _POLISHED:
        if len(_POLISHED) > _CACHE_SIZE:
            _POLISHED.clear()
        _POLISHED[key] = _polish_uncached(add, decs, depth)
    return _POLISHED[key]


def _polish_uncached(add: sp.Expr, decs: list[Decider], depth: int) -> sp.Expr:
    grouped = _group(add, decs, depth)
    if grouped is not add:
        return grouped
    best = _complete_square(add, decs)
    n_terms = len(sp.Add.make_args(sp.expand(add)))
    if depth < _COLLECT_DEPTH and n_terms <= _COLLECT_TERMS and add.is_polynomial():
        expanded = sp.expand(add)
        for x in sorted(add.free_symbols, key=sp.default_sort_key):
            for cand in (_collect_by(expanded, x, decs, depth),
                         _collect_shifted(expanded, x, decs, depth)):
                if cand is not None and _size(cand) < min(0.9 * _size(add), _size(best)):
                    best = cand
    return best


#: Variables that enter as ``1 + x`` (effective regularisations and the ridge).
_SHIFTED = {"kappa", "theta", "lambda"}


def _collect_shifted(add: sp.Expr, x: sp.Symbol, decs: list[Decider],
                     depth: int) -> sp.Expr | None:
    """Collected in powers of ``x + 1`` (the natural variable of ``1 + κ``, ``1 + θ``):
    ``ψθ³ + 3ψθ² + … − φ²θ`` → ``ψ(θ + 1)³ − φ(φ + ψ + 1)(θ + 1) + 2φ²``."""
    if x.name not in _SHIFTED or sp.Poly(add, x).degree() < 1:
        return None
    y = sp.Dummy("y", positive=True)
    cand = _collect_by(sp.expand(add.xreplace({x: y - 1})), y, decs, depth)
    if cand is None:
        return None
    return cand.xreplace({y: sp.Add(x, 1)})


# -- powers with symbolic exponents -------------------------------------------------------------
def _symbolic_power(e: sp.Basic) -> bool:
    return e.is_Pow and not e.exp.is_number


def _positive(b: sp.Expr, decs: list[Decider]) -> bool:
    """Whether ``b`` is provably positive (or non-negative) by its assumptions or the regime."""
    if b.is_positive or b.is_nonnegative:
        return True
    if b.is_number or not b.is_rational_function():
        return False
    return _sign(decs, b) == 1


def _power_items(f: sp.Expr, decs: list[Decider]) -> list[tuple] | None:
    """``f = ∏ b_i^{e_i}`` with symbolic exponents, as ``(b_i, e_i, b_i > 0)``; ``None`` when
    ``f`` is not such a power.  ``(xy)^e = x^e y^e`` needs all but one base positive, and
    ``(x^k)^e = x^{ke}`` needs ``x > 0`` unless ``k`` is 1 or 1/2 (principal branches)."""
    base, exp = f.as_base_exp()
    if exp.is_number:
        return None
    items, unknown = [], 0
    for g in sp.Mul.make_args(base):
        gb, ge = g.as_base_exp()
        if not ge.is_Rational:
            gb, ge = g, sp.S.One
        if gb.is_Rational and gb > 0 and gb != 1:
            num, den = sp.fraction(gb)
            for part, sgn in ((num, 1), (den, -1)):
                for prime, k in sp.factorint(int(part)).items():
                    items.append((sp.Integer(prime), sgn * k * ge * exp, True))
            continue
        pos = _positive(gb, decs)
        if not pos:
            unknown += 1
            if ge not in (sp.S.One, sp.S.Half):
                return [(base, exp, _positive(base, decs))]
        items.append((gb, ge * exp, pos))
    if unknown > 1:
        return [(base, exp, False)]
    return items


def _exponent(e: sp.Expr) -> sp.Expr:
    """``1/(2r + 1/β)`` → ``β/(2βr + 1)``."""
    return sp.factor(sp.together(e))


def _merge_class(items: list[tuple]) -> sp.Expr:
    """``∏ b_i^{k_i E}`` (``k_i`` rational) as one power ``(∏ b_i^{k_i})^E`` when that is valid
    (at most one base of unknown sign, with ``k = 1``) and has integer ``k_i`` (numbers may take
    rational ones: ``4^{-1/2} = 1/2``)."""
    if len(items) > 1:
        exps = sorted({e for _, e, _ in items}, key=lambda e: (e.could_extract_minus_sign(),
                                                               _size(e)))
        for big in exps:
            big = -big if big.could_extract_minus_sign() else big
            ratios = [sp.cancel(e / big) for _, e, _ in items]
            unknown = [k for (_, _, pos), k in zip(items, ratios, strict=True) if not pos]
            if len(unknown) > 1 or any(k != 1 for k in unknown):
                continue
            ok = all(k.is_Integer or (b.is_Rational and (b**k).is_Rational)
                     for (b, _, _), k in zip(items, ratios, strict=True))
            if ok:
                base = sp.Mul(*[b**k for (b, _, _), k in zip(items, ratios, strict=True)])
                return sp.Pow(base, big, evaluate=False)
    return sp.Mul(*[sp.Pow(b, e, evaluate=False) for b, e, _ in items])


def _merge_mul(mul: sp.Expr, decs: list[Decider]) -> sp.Expr:
    """The symbolic powers of a product merged: same bases added up, same exponents (up to a
    rational factor) multiplied into one base."""
    items, rest = [], []
    for f in sp.Mul.make_args(mul):
        found = _power_items(f, decs)
        if found is None:
            rest.append(f)
        else:
            items.extend(found)
    if not items:
        return mul
    by_base: dict = {}
    for b, e, pos in items:
        old = by_base.get(b, (sp.S.Zero, pos))
        by_base[b] = (old[0] + e, pos)
    classes: list[list[tuple]] = []
    for b, (e, pos) in by_base.items():
        e = _exponent(e)
        if e.is_number:
            rest.append(b**e)
            continue
        for cl in classes:
            if sp.cancel(e / cl[0][1]).is_Rational:
                cl.append((b, e, pos))
                break
        else:
            classes.append([(b, e, pos)])
    merged = [_merge_class(cl) for cl in classes]
    return sp.Mul(*rest, *merged, evaluate=False) if merged else sp.Mul(*rest)


def _merge_powers(expr: sp.Expr, decs: list[Decider]) -> sp.Expr:
    """:func:`_merge_mul` applied from the leaves up."""
    if expr.is_Atom or not expr.args:
        return expr
    args = [_merge_powers(a, decs) for a in expr.args]
    if expr.is_Mul or _symbolic_power(expr):
        node = sp.Mul(*args, evaluate=False) if expr.is_Mul else sp.Pow(*args, evaluate=False)
        return _merge_mul(node, decs)
    return expr.func(*args)


def _protect_powers(expr: sp.Expr, regime: Regime | None, table: dict) -> sp.Expr:
    """Each power with a symbolic exponent → a positive dummy (its base tidied, its exponent
    simplified; ``x^{-e}`` → ``1/d``), recorded in ``table`` for :func:`_put_back`."""
    if expr.is_Atom or not expr.args:
        return expr
    if _symbolic_power(expr) and expr.base.is_Atom:
        return sp.Pow(expr.base, _exponent(expr.exp))  # κ^{2r}: nothing inside to tidy
    if _symbolic_power(expr):
        exp = _exponent(expr.exp)
        neg = exp.could_extract_minus_sign()
        exp = -exp if neg else exp
        base = tidy(expr.base, regime)
        display = sp.Pow(base, exp, evaluate=False)
        dummy = sp.Dummy("pw", positive=True)
        table[dummy] = (display, display)
        return 1 / dummy if neg else dummy
    args = [_protect_powers(a, regime, table) for a in expr.args]
    return expr.func(*args)


# -- conditions ---------------------------------------------------------------------------------
def _atom(rel: sp.Basic) -> tuple[sp.Expr, bool] | None:
    """A strict inequality as ``(g, True)`` for ``g > 0`` or ``(g, False)`` for ``g < 0``, with
    ``g`` in a canonical orientation (so ``a < b`` and ``b < a`` share it)."""
    if isinstance(rel, sp.StrictGreaterThan):
        g = rel.lhs - rel.rhs
    elif isinstance(rel, sp.StrictLessThan):
        g = rel.rhs - rel.lhs
    else:
        return None
    g = sp.cancel(sp.together(g))
    flip = sp.default_sort_key(sp.expand(-g)) < sp.default_sort_key(sp.expand(g))
    return (sp.expand(-g), False) if flip else (sp.expand(g), True)


def _sign_pairs(decs: list[Decider], exprs: list[sp.Expr], samples: int = 16) -> dict:
    """``(gj, sj, gi) → {signs of gi}`` seen at random points of the regime's cells where
    ``sign(gj) = sj`` (seeded): refutes most implications before a proof is attempted."""
    import numpy as np

    syms = sorted(set().union(*(e.free_symbols for e in exprs)), key=sp.default_sort_key)
    fns = [sp.lambdify(syms, e, "math") for e in exprs]
    rng = np.random.default_rng(0)
    seen: dict = {}
    for dec in decs:
        for _ in range(samples):
            point = dec.cell.sample(rng, syms)
            try:
                vals = [np.sign(f(*[point[x] for x in syms])) for f in fns]
            except (ZeroDivisionError, ValueError, OverflowError):
                continue
            for j, gj in enumerate(exprs):
                for i, gi in enumerate(exprs):
                    if i != j and vals[j] != 0 and vals[i] != 0:
                        seen.setdefault((gj, int(vals[j]), gi), set()).add(int(vals[i]))
    return seen


def _implies(decs_for, gj: sp.Expr, sj: int, gi: sp.Expr) -> int | None:
    """The sign of ``gi`` wherever ``sign(gj) = sj`` (``None`` when not proved in every cell)."""
    key = (id(decs_for), gj, sj, gi)
    if key not in _IMPLIED:
        _IMPLIED[key] = _implies_uncached(decs_for, gj, sj, gi)
    return _IMPLIED[key]


def _implies_uncached(decs_for, gj: sp.Expr, sj: int, gi: sp.Expr) -> int | None:
    signs = set()
    given = (gj, sp.S.Zero, 1) if sj == 1 else (sp.expand(-gj), sp.S.Zero, 1)
    for dec in decs_for:
        try:
            in_cell = dec.prove(gj)
            if in_cell == -sj:
                continue  # gj never has that sign in this cell: nothing to prove
            s = (dec if in_cell == sj else Decider(dec.cell, dec.assumptions + (given,))).prove(gi)
        except (ValueError, TypeError, NotImplementedError, sp.PolynomialError):
            return None
        if s is None:
            return None
        signs.add(s)
    return signs.pop() if len(signs) == 1 else None


def _reduce_condition(cond: sp.Basic, regime: Regime | None) -> sp.Basic:
    """A boolean combination of strict inequalities simplified with what the regime proves:
    each atom's sign where another one holds (``B > 0 ⟹ A > 0`` when ``A − B = σ1² ≥ 0``) makes
    the contradictory combinations don't-cares of :func:`sympy.simplify_logic`.  Boundaries
    (``g = 0``) are ignored, as in the sign analysis that produced the condition."""
    if not isinstance(cond, sp.And | sp.Or):
        return cond
    rels = sorted(cond.atoms(sp.StrictLessThan, sp.StrictGreaterThan), key=sp.default_sort_key)
    keys: dict = {}
    table, originals = {}, {}
    for rel in rels:
        found = _atom(rel)
        if found is None or not all(x.is_rational_function() for x in rel.args):
            return cond
        g, positive = found
        if g not in keys:
            keys[g] = sp.Dummy("b")
        literal = keys[g] if positive else sp.Not(keys[g])
        table[rel] = literal
        originals.setdefault(literal, rel)
    if len(keys) > 6:
        return cond
    decs = _deciders(sp.Add(*keys), regime)
    if not decs:
        return cond
    seen = _sign_pairs(decs, list(keys))
    dontcare = []
    for gi, bi in keys.items():
        alone = _sign(decs, gi)
        if alone in (1, -1):
            dontcare.append(sp.Not(bi) if alone == 1 else bi)
        for gj, bj in keys.items():
            if gi is gj:
                continue
            for sj in (1, -1):
                if {1, -1} <= seen.get((gj, sj, gi), set()):
                    continue  # both signs of gi occur where gj has sign sj: no implication
                si = _implies(decs, gj, sj, gi)
                if si in (1, -1):
                    lit_j = bj if sj == 1 else sp.Not(bj)
                    lit_i = sp.Not(bi) if si == 1 else bi
                    dontcare.append(sp.And(lit_j, lit_i))
    logic = cond.xreplace(table)
    simple = _minimal_dnf(logic, list(keys.values()), sp.Or(*dontcare))
    if simple is None:
        return cond
    back = {b: sp.StrictGreaterThan(g, 0) for g, b in keys.items()}
    out = _from_logic(simple, back, originals)
    if out is None or len(out.atoms(sp.core.relational.Relational)) >= len(rels):
        return cond
    return out


def _minimal_dnf(logic: sp.Basic, variables: list, dontcare: sp.Basic) -> sp.Basic | None:
    """The shortest disjunction of conjunctions (fewest literals) equal to ``logic`` wherever
    ``dontcare`` is false; by enumeration (a handful of variables), ``None`` if none of up to
    four terms is found."""
    import itertools

    k = len(variables)
    points = list(itertools.product((False, True), repeat=k))

    def value(expr, point):
        return bool(expr.xreplace(dict(zip(variables, point, strict=True))))

    care = [pt for pt in points if not value(dontcare, pt)]
    true = {pt for pt in care if value(logic, pt)}
    if not true:
        return sp.false
    if len(true) == len(care):
        return sp.true
    cubes = []
    for cube in itertools.product((None, False, True), repeat=k):
        inside = [pt for pt in care if all(c is None or c == v
                                            for c, v in zip(cube, pt, strict=True))]
        if inside and all(pt in true for pt in inside):
            cubes.append((cube, frozenset(inside)))
    primes = [(c, cov) for c, cov in cubes
              if not any(cov < cov2 and all(x is None or x == y for x, y in zip(c2, c,
                                                                              strict=True))
                         for c2, cov2 in cubes)]
    best = None
    for size in range(1, 5):
        for combo in itertools.combinations(primes, size):
            if frozenset().union(*(cov for _, cov in combo)) >= true:
                cost = sum(x is not None for c, _ in combo for x in c)
                if best is None or cost < best[0]:
                    best = (cost, combo)
        if best is not None:
            break
    if best is None:
        return None
    terms = [sp.And(*[v if x else sp.Not(v) for v, x in zip(variables, c, strict=True)
                      if x is not None]) for c, _ in best[1]]
    return sp.Or(*terms)


def _from_logic(expr: sp.Basic, back: dict, originals: dict) -> sp.Basic | None:
    """Literals back to inequalities (as written in the condition where possible): ``b`` →
    ``g > 0``, ``¬b`` → ``g < 0``."""
    if expr in (sp.true, sp.false):
        return expr
    if expr in originals:
        return originals[expr]
    if isinstance(expr, sp.Not):
        rel = back[expr.args[0]]
        return sp.StrictLessThan(rel.lhs, 0)
    if expr in back:
        return back[expr]
    if isinstance(expr, sp.And | sp.Or):
        args = [_from_logic(a, back, originals) for a in expr.args]
        if any(a is None for a in args):
            return None
        return type(expr)(*args)
    return None


def _relation(rel: sp.Basic, regime: Regime | None) -> sp.Basic:
    """A tidied inequality with the negative terms moved across: ``c² + σ2² − 2σ1² < 0`` →
    ``c² + σ2² < 2σ1²``."""
    lhs, rhs = tidy(rel.lhs, regime), tidy(rel.rhs, regime)
    if rhs == 0 and lhs.is_Add or lhs == 0 and rhs.is_Add:
        side = lhs if rhs == 0 else rhs
        neg = [t for t in sp.Add.make_args(side) if t.could_extract_minus_sign()]
        pos = [t for t in sp.Add.make_args(side) if not t.could_extract_minus_sign()]
        if neg and pos:
            a, b = sp.Add(*pos), sp.Add(*[-t for t in neg])
            lhs, rhs = (a, b) if rhs == 0 else (b, a)
    return type(rel)(lhs, rhs, evaluate=False)


def _with_condition(regime: Regime | None, cond: sp.Basic) -> Regime | None:
    """``regime`` refined by the orderings of symbols and numbers stated in ``cond``."""
    rels = []
    for atom in (cond.args if isinstance(cond, sp.And) else (cond,)):
        if isinstance(atom, sp.StrictLessThan | sp.StrictGreaterThan):
            a, b = (atom.lhs, atom.rhs) if isinstance(atom, sp.StrictLessThan) else \
                (atom.rhs, atom.lhs)
            if all(x.is_Symbol or x.is_number for x in (a, b)):
                rels.append((a, b))
    if not rels:
        return regime
    base = regime.relations if regime is not None else ()
    try:
        out = Regime("", tuple(base) + tuple(rels))
        out.cells  # noqa: B018  (checks consistency)
    except ValueError:
        return regime
    return out


def _put_back(expr: sp.Basic, back: dict) -> sp.Basic:
    """``xreplace`` that rebuilds sums and products unevaluated (keeps radicals whole)."""
    if expr in back:
        return back[expr][0]
    if not expr.args or not (expr.free_symbols & set(back)):
        return expr
    if expr.is_Pow and expr.base in back and expr.exp.is_Integer:
        display, original = back[expr.base]
        power = original.exp * expr.exp
        if power.is_Integer:  # (√b)² = b: no radical left
            return original.base**power
        return sp.Pow(display, expr.exp, evaluate=False)
    args = [_put_back(a, back) for a in expr.args]
    if isinstance(expr, sp.Add | sp.Mul | sp.Pow):
        return expr.func(*args, evaluate=False)
    return expr.func(*args)


def _number(x: sp.Expr) -> sp.Expr:
    """``√2/(2√π)`` → ``1/√(2π)``: a positive number whose square is simpler, as one root."""
    if not (x.is_positive and x.has(sp.Pow)) or not any(
            p.exp.is_Rational and p.exp.q == 2 for p in x.atoms(sp.Pow)):
        return x
    num, den = sp.fraction(sp.cancel(sp.together(x**2)))
    if num.has(sp.Pow) or den.has(sp.Pow) or den == 1:
        return x
    if num == 1:
        return sp.Pow(sp.Pow(den, sp.S.Half, evaluate=False), -1, evaluate=False)
    return sp.Pow(sp.Mul(num, sp.Pow(den, -1, evaluate=False), evaluate=False), sp.S.Half,
                  evaluate=False)


def _radical(base: sp.Expr, exp: sp.Rational) -> sp.Expr:
    if base.is_number:
        return base**exp
    root = sp.Pow(base, sp.S.Half, evaluate=False)
    k = int(2 * exp)
    return root if k == 1 else sp.Pow(root, k, evaluate=False)


#: Scales whose terms read best apart: collapse c², signal r², generator noise σ0², quality c0².
_SCALES = {"c", "r", "sigma0", "c0"}


def _by_scale(expr: sp.Expr) -> list[sp.Expr] | None:
    """A rational expression split by its degree in the scales (c, r, σ0, c0): the collapse
    part (c²…), the bias part (r²…), … and the rest (noise), each over the common denominator."""
    scales = sorted((s for s in expr.free_symbols if isinstance(s, sp.Symbol)
                     and s.name in _SCALES), key=lambda s: s.name)
    if not scales:
        return None
    num, den = sp.fraction(sp.cancel(sp.together(expr)))
    try:
        poly = sp.Poly(sp.expand(num), *scales)
    except sp.PolynomialError:
        return None
    groups: dict = {}
    for powers, coeff in poly.terms():
        groups[powers] = groups.get(powers, 0) + coeff * sp.Mul(
            *[s**k for s, k in zip(scales, powers, strict=True)])
    if len(groups) < 2:
        return None
    return [g / den for _, g in sorted(groups.items(), key=lambda kv: kv[0], reverse=True)]


def _minus_first(add: sp.Expr) -> bool:
    terms = sp.Add.make_args(add)
    neg = sum(1 for t in terms if t.could_extract_minus_sign())
    return neg > len(terms) - neg


def _size(expr: sp.Basic) -> int:
    return len(sp.srepr(expr))


def tidy(expr, regime: Regime | None = None):
    """Factor ``expr`` and orient its factors to be positive in ``regime`` (see module).

    Sets, relationals, booleans and Piecewise are tidied element by element.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory._present import tidy
    >>> from modelcollapse.theory._regime import as_regime
    >>> from modelcollapse.theory.symbols import lam, p2, phi, psi, r
    >>> tidy(-r**2 * (phi - psi) / (phi * (psi - 1)), as_regime("psi<1"))
    r**2*(phi - psi)/(phi*(1 - psi))
    >>> tidy(lam**2 + 2 * lam + 1)
    (lambda + 1)**2
    >>> tidy(sp.sqrt((1 - p2) ** 2))
    1 - p2
    >>> from modelcollapse.theory.symbols import kappa, sigma1, sigma2
    >>> tidy(-phi / (phi - kappa**2 - 2 * kappa - 1))  # square completed, minus absorbed
    phi/(-phi + (kappa + 1)**2)
    >>> tidy(sigma1**2 - p2 * sigma1**2 + p2 * sigma2**2)
    p2*sigma2**2 + sigma1**2*(1 - p2)
    """
    if isinstance(expr, dict):
        return {k: tidy(v, regime) for k, v in expr.items()}
    expr = as_expr(expr, "expr")
    if isinstance(expr, sp.Piecewise):
        pieces = []
        for e, cond in expr.args:
            cond = _reduce_condition(cond, regime)
            local = _with_condition(regime, cond)
            pieces.append((tidy(e, local), tidy(cond, local)))
        return sp.Piecewise(*pieces, evaluate=False)
    if isinstance(expr, sp.Interval):
        return sp.Interval(tidy(expr.start, regime), tidy(expr.end, regime), expr.left_open,
                           expr.right_open)
    if isinstance(expr, sp.Union | sp.Intersection | sp.Complement):
        return type(expr)(*[tidy(a, regime) for a in expr.args], evaluate=False)
    if isinstance(expr, sp.FiniteSet):
        return sp.FiniteSet(*[tidy(a, regime) for a in expr.args])
    if isinstance(expr, sp.core.relational.Relational):
        return _relation(expr, regime)
    if isinstance(expr, sp.And):
        local = _with_condition(regime, expr)
        return sp.And(*[tidy(a, local) for a in expr.args])
    if isinstance(expr, sp.Or):  # each alternative in its own refined regime
        return sp.Or(*[tidy(a, _with_condition(regime, a)) for a in expr.args])
    if isinstance(expr, sp.Not):
        return sp.Not(tidy(expr.args[0], regime))
    if isinstance(expr, sp.Expr) and expr.is_number:
        return _number(expr)
    if not isinstance(expr, sp.Expr) or expr.is_Symbol:
        return expr
    return _tidy_expr(expr, regime, {})


def _tidy_expr(expr: sp.Expr, regime: Regime | None, shown: dict,
               powers: bool = True) -> sp.Expr:
    """:func:`tidy` of an expression; ``shown`` maps the dummies standing for protected powers
    and radicals to what they display (so that a candidate repeating them counts as long);
    ``powers=False`` once the symbolic powers are merged."""
    if expr.is_number or expr.is_Symbol:
        return expr
    if expr.has(sp.Order) or expr.has(sp.Derivative) or expr.has(sp.Integral):
        return expr
    decs = _deciders(expr, regime)
    expr = _unsquare(expr, decs)
    if powers and any(_symbolic_power(p) for p in expr.atoms(sp.Pow)):
        # powers with symbolic exponents: merged, their bases tidied, kept whole
        table: dict = {}
        protected = _protect_powers(_merge_powers(expr, decs), regime, table)
        inner = {**shown, **{d: v[0] for d, v in table.items()}}
        return _put_back(_tidy_expr(protected, regime, inner, powers=False), table)
    # radicals are tidied on their own and kept whole: √((p2 − φ)/(2p2)), not √2·√(…)/2
    rads = {p: sp.Dummy(f"r{i}", positive=True) for i, p in enumerate(sorted(
        (p for p in expr.atoms(sp.Pow) if p.exp.is_Rational and p.exp.q == 2
         and not p.base.is_number), key=sp.default_sort_key))}
    if rads:
        back = {d: (_radical(tidy(p.base, regime), p.exp), p) for p, d in rads.items()}
        inner = {**shown, **{d: v[0] for d, v in back.items()}}
        return _put_back(_tidy_expr(expr.xreplace(rads), regime, inner, powers), back)

    def size(c):
        return _size(c.xreplace(shown) if shown else c)

    candidates = [sp.factor(expr)]
    if expr.is_Add and expr.is_polynomial():
        candidates.append(_polish(sp.expand(expr), decs))
    grouped = _by_scale(expr)
    if grouped is not None:
        candidates.append(sp.Add(*[_orient(sp.factor(g), decs) for g in grouped]))
    if expr.is_Add:
        terms = [_orient(sp.factor(t), decs) for t in sp.Add.make_args(expr)]
        candidates.append(sp.Add(*terms))
        try:
            candidates.append(sp.Add(*[_orient(sp.factor(t), decs)
                                       for t in sp.Add.make_args(sp.apart(sp.cancel(expr)))]))
        except (sp.PolynomialError, NotImplementedError, ValueError):
            pass
    candidates = [_orient(c, decs) for c in candidates]
    # a sum of factored terms reads better than one long fraction unless it is much longer
    best = min(candidates, key=lambda c: size(c) * (0.8 if c.is_Add else 1.0))
    if best.is_Add:  # λ/2 + φ/2 + R/2 − 1/2 → (λ + φ + R − 1)/2
        content, primitive = best.as_content_primitive()
        if content != 1 and primitive.is_Add and all(
                abs(t.as_coeff_Mul()[0]) == content for t in sp.Add.make_args(best)):
            best = sp.Mul(content, primitive, evaluate=False)
    return best


_SUFFIX_WORDS = {"crit", "opt", "inf", "limit", "lim", "min", "max", "test", "eff", "star",
                 "total", "window", "set", "exact", "printed", "iso", "rp", "ridge", "mc"}
_RELATIONS = {"lt": "<", "gt": ">", "le": r"\le", "ge": r"\ge"}
_POINTS = {"oo": r"\infty", "inf": r"\infty", "0": "0", "1": "1"}


def _token(tok: str) -> str:
    if tok in GREEK:
        return "\\" + tok
    m = re.fullmatch(r"([A-Za-z]+)(\d+)", tok)
    if m:
        word = m.group(1)
        head = "\\" + word if word in GREEK else (word if len(word) == 1
                                                    else rf"\mathrm{{{word}}}")
        return f"{head}_{{{m.group(2)}}}"
    if len(tok) == 1 or tok.isdigit():
        return tok
    return rf"\mathrm{{{tok}}}"


def latex_label(key: str) -> str:
    r"""A LaTeX left-hand side for a result key.

    ``kappa`` → ``\kappa``; ``E_test`` → ``E_{\mathrm{test}}``; ``c2_crit`` →
    ``c^2_{\mathrm{crit}}``; ``lambda_to_0_phi_lt_1`` →
    ``\lim_{\lambda\to0^+,\ \phi<1}``; ``zeta_limit_fixed_ridge`` →
    ``\zeta_{\mathrm{limit,\,fixed\,ridge}}``; ``sigma_eff_sq`` → ``\sigma_{\mathrm{eff}}^2``;
    ``n_star_tuned`` → ``n^*_{\mathrm{tuned}}``; anything else is set upright.

    Examples
    --------
    >>> from modelcollapse.theory._present import latex_label
    >>> latex_label("c2_crit")
    'c^2_{\\mathrm{crit}}'
    >>> latex_label("lambda_to_0_phi_lt_1")
    '\\lim_{\\lambda\\to0^+,\\ \\phi<1}'
    >>> latex_label("sigma_eff_sq"), latex_label("n_star")
    ('\\sigma_{\\mathrm{eff}}^2', 'n^*')
    """
    parts = key.split("_")
    if "to" in parts:  # a limit: VAR_to_POINT[_COND...]
        i = parts.index("to")
        var = "_".join(parts[:i])
        point = parts[i + 1] if i + 1 < len(parts) else ""
        side = "^+" if point == "0" else ""
        sub = rf"{_token(var) if var else ''}\to{_POINTS.get(point, _token(point))}{side}"
        rest = parts[i + 2:]
        if len(rest) == 3 and rest[1] in _RELATIONS:
            sub += rf",\ {_token(rest[0])}{_RELATIONS[rest[1]]}{_token(rest[2])}"
        elif rest:
            sub += rf",\ \mathrm{{{' '.join(rest)}}}"
        return rf"\lim_{{{sub}}}"
    if len(parts) == 2 and all(p.startswith("d") and p[1:] in GREEK | {"p2", "alpha"}
                               for p in parts):
        num, den = _token(parts[0][1:]), _token(parts[1][1:])
        return rf"\frac{{\partial {num}}}{{\partial {den}}}"
    head = parts[0]
    if key == "sigma_sq":
        return r"\sigma^2"
    if head in ("c2", "r2"):
        base = head[0] + "^2"
    elif head in ("E", "B", "V"):
        base = head
    else:
        base = _token(head)
    if len(parts) == 1:
        return base
    words = parts[1:]
    squared = words[-1] == "sq"  # sigma_eff_sq → σ_eff², not σ_{eff, sq}
    if squared:
        words = words[:-1]
    if "star" in words:  # n_star → n^* (the paper's μ_* for mu_star)
        words = [w for w in words if w != "star"]
        base = r"\mu_*" if head == "mu" else f"{base}^*"
    if not words:
        out = base
    elif len(words) == 1 and words[0] in GREEK | {"psi", "phi", "p2", "lambda"}:
        out = rf"{base}_{{{_token(words[0])}}}"
    else:
        text = r",\,".join(w for w in words)
        out = rf"{base}_{{\mathrm{{{text}}}}}"
    if squared:
        out = f"{{{out}}}^2" if "^" in out else f"{out}^2"
    return out


class _PositiveFirst:
    """Printer mix-in: in a sum, terms with a minus sign come after the others (φ − p2)."""

    def _as_ordered_terms(self, expr, order=None):
        terms = super()._as_ordered_terms(expr, order=order)
        return sorted(terms, key=lambda t: t.could_extract_minus_sign())


#: Symbols whose LaTeX is the paper's rather than the rule's (μ_*, not μ^*).
_SYMBOL_LATEX = {"mu_star": r"\mu_{*}", "mu_*": r"\mu_{*}"}


class _Latex(_PositiveFirst, LatexPrinter):
    """LaTeX: ``sigma_eff`` → ``\\sigma_{\\mathrm{eff}}``, ``kappa_star`` → ``\\kappa^{*}``,
    Riemann's ``zeta(s)`` → ``\\zeta_{\\mathrm{R}}(s)`` (ζ alone is the collapse term)."""

    def _print_Symbol(self, expr, style="plain"):
        if expr.name in _SYMBOL_LATEX:
            return _SYMBOL_LATEX[expr.name]
        head, sep, tail = expr.name.partition("_")
        if sep and head and not isinstance(expr, sp.Dummy):
            if tail == "star":
                return f"{self._deal_with_super_sub(head, style)}^{{*}}"
            if tail.isalpha() and len(tail) > 1 and tail not in GREEK:
                return rf"{self._deal_with_super_sub(head, style)}_{{\mathrm{{{tail}}}}}"
        return super()._print_Symbol(expr, style)

    def _print_zeta(self, expr, exp=None):
        args = ", ".join(self._print(a) for a in expr.args)
        head = r"\zeta_{\mathrm{R}}" if exp is None else rf"\zeta_{{\mathrm{{R}}}}^{{{exp}}}"
        return rf"{head}\left({args}\right)"


class _Text(_PositiveFirst, StrPrinter):
    """Plain text: spectral moments as ``tr[Γ·Σ(Σ+κ)^-2]`` (``Σ^0``, ``Σ^1``, ``(…)^-0`` left
    out), ``mu_*`` as ``mu_star``."""

    def _print(self, expr, **kwargs):
        from .spectral import IDENTITY, SpectralMoment

        if isinstance(expr, SpectralMoment):
            weight, a, b, t = expr.args
            w = "" if weight == IDENTITY else f"{weight}·"
            sig = "" if a == 0 else ("Σ" if a == 1 else f"Σ^{a}")
            res = "" if b == 0 else f"(Σ+{self._print(t)})^-{b}"
            body = f"{w}{sig}{res}" or "I"
            return f"tr[{body.rstrip('·')}]"
        return super()._print(expr, **kwargs)

    def _print_Symbol(self, expr):
        return super()._print_Symbol(expr).replace("*", "star")


def to_latex(expr) -> str:
    """LaTeX with positive terms first in sums."""
    return _Latex().doprint(expr)


def to_text(expr) -> str:
    """Plain text (SymPy syntax) with positive terms first in sums."""
    return _Text().doprint(expr)
