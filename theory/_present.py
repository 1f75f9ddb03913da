"""Presentation: expressions factored with visible signs, and LaTeX names for result keys.

:func:`tidy` factors an expression and orients every factor so that it is positive in the regime
(``−r²(φ − ψ)/(φ(ψ − 1))`` becomes ``r²(φ − ψ)/(φ(1 − ψ))`` when ψ < 1), removes ``|·|`` and
``√(f²)`` whose sign the regime decides (``√((1 − p2)²) = 1 − p2``; ``0 < p2 < 1`` always holds),
and keeps a sum of terms when factoring would make it longer.  :func:`latex_label` turns result
keys such as ``c2_crit`` or ``lambda_to_0_phi_lt_1`` into clean LaTeX left-hand sides.
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


def _deciders(expr: sp.Basic, regime: Regime | None) -> list[Decider]:
    syms = {s for s in expr.free_symbols if isinstance(s, sp.Symbol)}
    reg = regime if regime is not None else Regime("", ())
    reg = reg.including(syms)
    if not reg.relations:
        from ._regime import Cell

        return [Decider(Cell("", (), {}, {}, ()))]
    try:
        return [Decider(cell) for cell in reg.cells]
    except ValueError:
        return []


def _sign(decs: list[Decider], expr: sp.Expr) -> int | None:
    """The sign of ``expr`` when every cell proves the same one."""
    if not decs or expr.has(sp.I):
        return None
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
    """Flip the sign of each Add factor of a product that is negative in the regime."""
    if expr.is_Add:
        return expr
    coeff, factors = expr.as_coeff_mul()
    sign = 1
    out = []
    for f in factors:
        base, exp = f.as_base_exp()
        if base.is_Add and exp.is_Integer:
            base = _collect_noise(base)
            s = _sign(decs, base)
            if s == -1 or (s is None and _minus_first(sp.expand(base))):
                # negative in the regime; or undecided: fewer minus signs
                base = _collect_noise(sp.expand(-base))
                sign *= sp.Integer(-1) ** int(exp)
            out.append(sp.Pow(base, exp))
        elif base.is_Add and exp.is_Rational:
            out.append(sp.Pow(base, exp))
        else:
            out.append(f)
    return sp.Mul(coeff * sign, *out)


def _collect_noise(add: sp.Expr) -> sp.Expr:
    """``σ1² − p2σ1² + p2σ2²`` → ``σ1²(1 − p2) + p2σ2²`` (the noise levels collected)."""
    from .symbols import sigma1, sigma2

    if not (add.has(sigma1) and add.has(sigma2)):
        return add
    collected = sp.collect(sp.expand(add), [sigma1**2, sigma2**2])
    return collected if _size(collected) <= _size(add) + 40 else add


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
    """
    if isinstance(expr, dict):
        return {k: tidy(v, regime) for k, v in expr.items()}
    expr = as_expr(expr, "expr")
    if isinstance(expr, sp.Piecewise):
        pieces = []
        for e, cond in expr.args:
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
        return type(expr)(tidy(expr.lhs, regime), tidy(expr.rhs, regime), evaluate=False)
    if isinstance(expr, sp.And | sp.Or | sp.Not):
        return type(expr)(*[tidy(a, regime) for a in expr.args])
    if not isinstance(expr, sp.Expr) or expr.is_number or expr.is_Symbol:
        return expr
    if expr.has(sp.Order) or expr.has(sp.Derivative) or expr.has(sp.Integral):
        return expr
    decs = _deciders(expr, regime)
    expr = _unsquare(expr, decs)
    # radicals are tidied on their own and kept whole: √((p2 − φ)/(2p2)), not √2·√(…)/2
    rads = {p: sp.Dummy(f"r{i}", positive=True) for i, p in enumerate(sorted(
        (p for p in expr.atoms(sp.Pow) if p.exp.is_Rational and p.exp.q == 2
         and not p.base.is_number), key=sp.default_sort_key))}
    if rads:
        back = {d: (_radical(tidy(p.base, regime), p.exp), p) for p, d in rads.items()}
        return _put_back(tidy(expr.xreplace(rads), regime), back)
    candidates = [sp.factor(expr)]
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
    return min(candidates, key=lambda c: _size(c) * (0.8 if c.is_Add else 1.0))


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
    ``\zeta_{\mathrm{limit,\,fixed\,ridge}}``; anything else is set upright.

    Examples
    --------
    >>> from modelcollapse.theory._present import latex_label
    >>> latex_label("c2_crit")
    'c^2_{\\mathrm{crit}}'
    >>> latex_label("lambda_to_0_phi_lt_1")
    '\\lim_{\\lambda\\to0^+,\\ \\phi<1}'
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
    if len(words) == 1 and words[0] in GREEK | {"psi", "phi", "p2", "lambda"}:
        return rf"{base}_{{{_token(words[0])}}}"
    text = r",\,".join(w for w in words)
    return rf"{base}_{{\mathrm{{{text}}}}}"


class _PositiveFirst:
    """Printer mix-in: in a sum, terms with a minus sign come after the others (φ − p2)."""

    def _as_ordered_terms(self, expr, order=None):
        terms = super()._as_ordered_terms(expr, order=order)
        return sorted(terms, key=lambda t: t.could_extract_minus_sign())


class _Latex(_PositiveFirst, LatexPrinter):
    pass


class _Text(_PositiveFirst, StrPrinter):
    pass


def to_latex(expr) -> str:
    """LaTeX with positive terms first in sums."""
    return _Latex().doprint(expr)


def to_text(expr) -> str:
    """Plain text (SymPy syntax) with positive terms first in sums."""
    return _Text().doprint(expr)
