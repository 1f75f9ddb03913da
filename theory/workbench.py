"""Derivation workbench: limits, expansions, signs, inequalities and optima of the model's formulas.

Assumption-aware tools so that a theorist can ask a question of a formula without fighting the
simplifier (docs/mathematics.md for the models):

* **Regimes** are conjunctions of strict inequalities between symbols and numbers, e.g.
  ``"psi<phi<1"``, ``"phi<1<psi"``, ``"0<p2<phi"``, ``"psi<1, psi<phi"`` (every symbol is
  positive; ``0 < p2 < 1`` always holds).  Each is parametrised by positive variables so that
  SymPy can use it (:class:`Regime`); :data:`REGIONS` holds the paper's regions for every model.
* :func:`limit`, :func:`series` (also of an :class:`ImplicitRoot`, through its equation — implicit
  function theorem or Newton–Puiseux, never Cardano), :func:`derivative`,
  :func:`implicit_derivative`.
* :func:`sign_condition` and :func:`solve_inequality`: exact sets (SymPy intervals) where a
  rational or algebraic function of one variable is positive, negative, zero — split into cases
  on the other parameters when needed.
* :func:`minimize` over an interval or a regime (every stationary point classified, the ends
  compared, an infimum at an end reported), :func:`optimum_series` (an optimum expanded in a
  small parameter).
* :func:`tidy`: factored output with the signs visible in the regime.

Formula strings are read by a restricted parser (:func:`parse`: known symbol names, numbers,
arithmetic, ``sqrt``/``exp``/``log``); nothing is ever evaluated as Python code.

Examples
--------
ζ of the ridgeless under-parametrised isotropic model, to first order in φ:

>>> import sympy as sp
>>> from modelcollapse.theory import ridge_isotropic as iso
>>> from modelcollapse.theory.workbench import series
>>> from modelcollapse.theory.symbols import phi, p2
>>> from modelcollapse.theory.symbols import c
>>> zeta = iso.ridgeless_under()["zeta"]
>>> sp.expand(series(zeta, phi, 1) - (p2**2 * c**2 + p2 * (1 - p2) * c**2 * phi))
0

Where a wider random-projection model amplifies collapse (ζ increasing in ψ), ridgeless,
narrow and under-parametrised:

>>> from modelcollapse.theory import random_projection as rp
>>> from modelcollapse.theory.workbench import sign_condition
>>> from modelcollapse.theory.symbols import psi
>>> zeta = rp.isotropic_ridgeless("under")["zeta"]
>>> res = sign_condition(sp.diff(zeta, psi), psi, "psi<phi<1")
>>> [str(case.negative) for case in res.cases if case.negative != sp.S.EmptySet]
['Interval.open(1 - sqrt((p2 - phi)/(2*p2)), phi)']
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp

from . import iterative as _iterative
from . import mixing as _mixing
from ._implicit import ImplicitRoot, root_expansion
from ._optimize import Optimum, Stationary, minimize_on
from ._parse import as_expr, as_symbol
from ._parse import parse as _parse
from ._present import latex_label, to_latex, to_text
from ._present import tidy as _tidy
from ._regime import Cell, Regime
from ._regime import as_regime as _as_regime
from ._signs import Case, SignAnalysis, analyse_sign, leaves_to_piecewise
from .symbols import BY_NAME, p2, phi, psi

__all__ = [
    "Regime",
    "Cell",
    "REGIMES",
    "REGIONS",
    "NAMES",
    "eps",
    "parse",
    "as_regime",
    "in_regime",
    "limit",
    "series",
    "derivative",
    "implicit_derivative",
    "ImplicitRoot",
    "implicit_root",
    "sign_condition",
    "solve_inequality",
    "sets_by_case",
    "SignAnalysis",
    "Case",
    "stationary_points",
    "minimize",
    "Optimum",
    "Stationary",
    "optimum_series",
    "simplify_radicals",
    "tidy",
    "latex_label",
    "to_latex",
    "to_text",
]

#: The generic positive parameter (kept for code written against single-symbol regimes).
eps = sp.Symbol("epsilon", positive=True)

#: Every name a formula or regime string may use: the shared symbols
#: (:data:`~modelcollapse.theory.symbols.BY_NAME`) and those of the mixing and iterative models.
NAMES: dict[str, sp.Expr] = {
    **BY_NAME,
    "alpha": _mixing.alpha, "α": _mixing.alpha, "a1": _mixing.a1, "a2": _mixing.a2,
    "c0": _iterative.c0, "sigma0": _iterative.sigma0, "σ0": _iterative.sigma0,
    "phi0": _iterative.phi0, "φ0": _iterative.phi0, "T0": _iterative.t0,
    "N": _iterative.generations,
}


def parse(text: str, names: Mapping[str, sp.Expr] | None = None, *,
          relational: bool = False) -> sp.Basic:
    """Read a formula string safely (known names, numbers, arithmetic; never evaluates code).

    Examples
    --------
    >>> from modelcollapse.theory.workbench import parse
    >>> parse("p2^2 * c^2 / (1 + lambda)^2")
    c**2*p2**2/(lambda + 1)**2
    """
    return _parse(text, "text", NAMES | dict(names or {}), relational=relational)


def _regime_of(name: str, spec: str, description: str) -> Regime:
    reg = _as_regime(spec, NAMES)
    return Regime(name, reg.relations, description)


#: Predefined regimes by name: single inequalities, the six orderings of ψ, φ and 1, and the
#: paper's regions of every model (also under :data:`REGIONS`).
REGIMES: dict[str, Regime] = {}
for _name, _spec, _desc in (
    ("phi<1", "phi<1", "under-parametrised: φ = d/n < 1"),
    ("phi>1", "phi>1", "over-parametrised: φ = d/n > 1"),
    ("psi<1", "psi<1", "narrow: ψ = m/n < 1"),
    ("psi>1", "psi>1", "wide: ψ = m/n > 1"),
    ("0<p2<1", "0<p2<1", "mixed data: 0 < p2 < 1"),
    ("psi<phi<1", "psi<phi<1", "m < d < n"),
    ("psi<1<phi", "psi<1<phi", "m < n < d"),
    ("phi<psi<1", "phi<psi<1", "d < m < n"),
    ("phi<1<psi", "phi<1<psi", "d < n < m"),
    ("1<phi<psi", "1<phi<psi", "n < d < m"),
    ("1<psi<phi", "1<psi<phi", "n < m < d"),
    ("0<alpha<1", "0<alpha<1", "weighted mixing: 0 < α < 1"),
):
    REGIMES[_name] = _regime_of(_name, _spec, _desc)

#: The paper's regions, per model (docs/mathematics.md §1–§3, §6).
REGIONS: dict[str, dict[str, Regime]] = {
    "ridge": {
        "under": _regime_of("ridge:under", "phi<1", "ridgeless, d < n: κ → 0 (Corollary 1)"),
        "over": _regime_of("ridge:over", "phi>1", "ridgeless, d > n: κ → φ − 1 (Corollary 4)"),
    },
    "random-projections": {
        "under": _regime_of("random-projections:under", "psi<1, psi<phi",
                            "ridgeless, m < min(n, d): θ0 = φ/ψ − 1"),
        "over": _regime_of("random-projections:over", "1<psi, 1<phi",
                           "ridgeless, m > n, d > n: θ0 = φ − 1"),
        "classical": _regime_of("random-projections:classical", "phi<1, phi<psi",
                                "ridgeless, d < min(n, m): θ0 = 0"),
    },
    "mixing": {
        "weights": _regime_of("mixing:weights", "0<alpha<1, 0<p2<1", "weighted mixing, 0 < α < 1"),
        "ridgeless": _regime_of("mixing:ridgeless", "0<alpha<1, 0<p2<1, phi<1",
                                "weighted mixing, ridgeless, d < n"),
    },
    "iterative-mixing": {
        "under": _regime_of("iterative-mixing:under", "phi<1, 0<p2<1",
                            "iterative mixing, ridgeless, d < n"),
    },
    "retraining": {
        "under": _regime_of("retraining:under", "phi<1, phi0<1",
                            "recursive retraining, ridgeless, d < T and d < T0"),
    },
}
for _model, _regions in REGIONS.items():
    for _key, _reg in _regions.items():
        REGIMES.setdefault(f"{_model}:{_key}", _reg)


def as_regime(spec, symbols=()) -> Regime | None:
    """A :class:`Regime` from a name of :data:`REGIMES`, a string such as ``"psi<phi<1"``,
    SymPy inequalities, or ``None``.

    ``symbols``: further symbols a string may name (the workbench functions pass the free symbols
    of the expression they work on).

    Examples
    --------
    >>> from modelcollapse.theory.workbench import as_regime
    >>> [cell.name for cell in as_regime("psi<1, psi<phi").cells]
    ['psi<1<phi', 'psi<phi<1']
    """
    names = NAMES | {s.name: s for s in symbols if isinstance(s, sp.Symbol)}
    try:
        return _as_regime(spec, names, REGIMES)
    except ValueError as exc:
        msg = str(exc)
        if not msg.startswith("regime"):
            msg = f"regime: {msg}"
        raise ValueError(msg) from None


def _free(expr) -> set:
    if isinstance(expr, ImplicitRoot):
        return set(expr.equation.free_symbols) | {expr.unknown}
    return set(getattr(expr, "free_symbols", set()))


def _check_regime(reg: Regime | None) -> Regime | None:
    if reg is not None:
        try:
            reg.cells  # noqa: B018  (validates: contradictions raise here)
        except ValueError as exc:
            raise ValueError(str(exc) if str(exc).startswith("regime") else
                             f"regime: {exc}") from None
    return reg


def in_regime(expr, regime_spec, fn) -> sp.Expr:
    """Apply ``fn`` to ``expr`` with the regime's substitution in force, then substitute back.

    With several cells (the regime leaves an ordering open) the result is a Piecewise.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.symbols import phi
    >>> from modelcollapse.theory.workbench import in_regime
    >>> in_regime(sp.sqrt((phi - 1) ** 2), "phi<1", sp.simplify)
    1 - phi
    """
    reg = _check_regime(as_regime(regime_spec))
    expr = as_expr(expr, "expr", NAMES)
    if reg is None:
        return fn(expr)
    outs = []
    for cell in reg.cells:
        subs, inverse = cell.offset_subs()
        out = fn(expr.subs(subs))
        outs.append(sp.simplify(out.subs(inverse)))
    if len(outs) == 1 or all(sp.simplify(o - outs[0]) == 0 for o in outs[1:]):
        return outs[0]
    return sp.Piecewise(*[(o, cell.condition()) for o, cell in zip(outs, reg.cells,
                                                                   strict=True)],
                        evaluate=False)


def tidy(expr, regime=None):
    """Factor ``expr`` with each factor oriented to be positive in ``regime`` (signs visible).

    ``−r²(φ − ψ)/(φ(ψ − 1))`` becomes ``r²(φ − ψ)/(φ(1 − ψ))`` for ψ < 1; ``λ² + 2λ + 1`` becomes
    ``(λ + 1)²``; ``√((1 − p2)²)`` becomes ``1 − p2``.  Sets, relations and Piecewise are tidied
    piece by piece.

    Examples
    --------
    >>> from modelcollapse.theory.workbench import tidy
    >>> tidy("-r**2*(phi - psi)/(phi*(psi - 1))", "psi<1")
    r**2*(phi - psi)/(phi*(1 - psi))
    """
    if isinstance(expr, str):
        expr = as_expr(expr, "expr", NAMES)
    return _tidy(expr, _check_regime(as_regime(regime, _free(expr))))


def simplify_radicals(expr: sp.Expr) -> sp.Expr:
    """``sqrt(a) → sqrt(factor(a))`` then simplify, so ``sqrt((λ + 1)²)`` becomes ``λ + 1``.

    Examples
    --------
    >>> from modelcollapse.theory.symbols import lam
    >>> from modelcollapse.theory.workbench import simplify_radicals
    >>> simplify_radicals((lam**2 + 2 * lam + 1) ** (1 / sp.Integer(2)))
    lambda + 1
    >>> simplify_radicals("sqrt(lambda^2 + 2*lambda + 1)")   # a formula, read without eval
    lambda + 1
    """
    expr = as_expr(expr, "expr", NAMES)
    expr = expr.replace(
        lambda e: isinstance(e, sp.Pow) and e.exp == sp.S.Half,
        lambda e: sp.sqrt(sp.factor(e.base)),
    )
    return sp.simplify(expr)


def _no_radical_roots(expr: sp.Expr, param: str) -> None:
    if expr.has(sp.I):
        raise ValueError(
            f"{param}: contains the imaginary unit — a root written in radicals (Cardano)? Pass "
            "the equation instead: implicit_root(equation, unknown, branch=...)")


def _direction(direction: str) -> str:
    if direction not in ("+", "-", "+-"):
        raise ValueError(f"direction: expected '+', '-' or '+-', got {direction!r}")
    return direction


def limit(expr, var, point, *, direction: str = "+", regime=None,
          subs: Mapping | None = None) -> sp.Expr:
    """``lim_{var → point} expr`` under a regime.

    Parameters
    ----------
    expr : sympy.Expr, str or ImplicitRoot
        An implicit root is taken through its equation (never through radicals).
    var : sympy.Symbol or str
    point : number, ``sympy.oo`` or str
    direction : {"+", "-", "+-"}
    regime : str, Regime or inequalities, optional
        E.g. ``"phi<1"``, ``"psi<phi<1"``, a name of :data:`REGIMES`.
    subs : mapping, optional
        Substitutions made first (e.g. ``{kappa: kappa_closed_form()}``).

    Examples
    --------
    >>> from modelcollapse.theory import ridge_isotropic as iso
    >>> from modelcollapse.theory import random_projection as rp
    >>> from modelcollapse.theory.symbols import kappa, lam, theta
    >>> from modelcollapse.theory.workbench import implicit_root, limit
    >>> limit(kappa, lam, 0, regime="phi>1", subs={kappa: iso.kappa_closed_form()})
    phi - 1
    >>> limit(implicit_root(rp.isotropic_theta_equation(), theta), lam, 0, regime="psi<1")
    Piecewise(((phi - psi)/psi, psi < phi), (0, phi < psi))
    """
    var = as_symbol(var, "var", NAMES)
    point = as_expr(point, "point", NAMES)
    direction = _direction(direction)
    reg = _check_regime(as_regime(regime, _free(expr) | {var}))
    if isinstance(expr, ImplicitRoot):
        if direction == "+-":
            raise ValueError("direction: an implicit root needs '+' or '-'")
        return tidy(root_expansion(expr, var, point, 0, direction, reg), reg)
    expr = as_expr(expr, "expr", NAMES)
    if subs:
        expr = expr.subs(subs)
    _no_radical_roots(expr, "expr")

    def fn(e):
        return simplify_radicals(sp.limit(simplify_radicals(e), var, point, direction))

    return in_regime(expr, reg, fn)


def series(expr, var, order: int, *, point=0, regime=None, direction: str = "+") -> sp.Expr:
    """Expansion of ``expr`` in ``var`` about ``point`` up to and including ``order``.

    An :class:`ImplicitRoot` is expanded through its equation: the implicit function theorem at a
    simple root, Newton–Puiseux (fractional powers) at a multiple one.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.symbols import phi
    >>> from modelcollapse.theory.workbench import series
    >>> series(1 / (1 - phi), phi, 2)
    phi**2 + phi + 1
    >>> x, y = sp.symbols("x y", positive=True)
    >>> series(ImplicitRoot(y**2 - x - x**2 * y, y), x, 2)
    sqrt(x) + x**2/2
    """
    if not isinstance(order, int) or isinstance(order, bool) or order < 0:
        raise ValueError(f"order: must be an integer ≥ 0, got {order!r}")
    var = as_symbol(var, "var", NAMES)
    point = as_expr(point, "point", NAMES)
    direction = _direction(direction)
    reg = _check_regime(as_regime(regime, _free(expr) | {var}))
    if isinstance(expr, ImplicitRoot):
        return tidy(root_expansion(expr, var, point, order, direction, reg), reg)
    expr = as_expr(expr, "expr", NAMES)
    _no_radical_roots(expr, "expr")

    def fn(e):
        return sp.expand(sp.series(e, var, point, order + 1).removeO())

    return in_regime(expr, reg, fn)


def implicit_root(equation, unknown, branch="largest") -> ImplicitRoot:
    """The root ``unknown`` of ``equation = 0`` on a branch, for :func:`limit` and :func:`series`.

    Parameters
    ----------
    equation : sympy.Expr or str
        Rational in the unknown and in the expansion variable (its numerator is used).
    unknown : sympy.Symbol or str
    branch : {"largest", "smallest", "positive"} or value
        The model's fixed point is the largest root for θ and κ (the default); ``"positive"``
        asks for the unique branch positive near the point; a value picks the branch through it.

    Examples
    --------
    >>> from modelcollapse.theory.workbench import implicit_root, series
    >>> from modelcollapse.theory import ridge_isotropic as iso
    >>> from modelcollapse.theory.symbols import kappa, lam
    >>> series(implicit_root(iso.fixed_point(), kappa), lam, 1, regime="phi<1")
    lambda/(1 - phi)
    """
    equation = as_expr(equation, "equation", NAMES)
    unknown = as_symbol(unknown, "unknown", NAMES)
    if isinstance(branch, str):
        if branch not in ("largest", "smallest", "positive"):
            raise ValueError(f"branch: expected 'largest', 'smallest', 'positive' or a value, "
                             f"got {branch!r}")
    else:
        branch = as_expr(branch, "branch", NAMES)
    return ImplicitRoot(equation, unknown, branch)


def implicit_derivative(equation, y, x) -> sp.Expr:
    """``dy/dx`` for ``y(x)`` defined by ``equation(x, y) = 0``: ``−(∂F/∂x)/(∂F/∂y)``.

    Works on general-spectrum expressions: :class:`~modelcollapse.theory.spectral.SpectralMoment`
    differentiates in its shift.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory import ridge
    >>> from modelcollapse.theory.symbols import kappa, lam
    >>> from modelcollapse.theory.workbench import implicit_derivative
    >>> dk = implicit_derivative(ridge.FIXED_POINT, kappa, lam)
    >>> print(sp.simplify(dk.subs(lam, 0)).func.__name__ in ("Mul", "Pow"))
    True
    """
    equation = as_expr(equation, "equation", NAMES)
    y, x = as_symbol(y, "y", NAMES), as_symbol(x, "x", NAMES)
    return sp.simplify(-sp.diff(equation, x) / sp.diff(equation, y))


def derivative(expr, var, *, through: Mapping | None = None) -> sp.Expr:
    """Total first derivative ``d expr / d var``, chaining through implicit inner variables.

    ``through={kappa: dkappa_dvar}`` adds ``∂expr/∂κ · dκ/dvar`` (see
    :func:`implicit_derivative`), e.g. the exact ``dE/dλ`` of Theorem 1.

    Examples
    --------
    >>> from modelcollapse.theory.symbols import p2
    >>> from modelcollapse.theory.workbench import derivative
    >>> derivative("p2**2 * c**2", p2)
    2*c**2*p2
    """
    expr = as_expr(expr, "expr", NAMES)
    var = as_symbol(var, "var", NAMES)
    out = sp.diff(expr, var)
    for inner, d_inner in (through or {}).items():
        inner = as_symbol(inner, "through", NAMES)
        out = out + sp.diff(expr, inner) * as_expr(d_inner, "through", NAMES)
    return out


def sign_condition(expr, var, regime=None, *, seed: int = 0) -> SignAnalysis:
    """Exact sets of ``var`` where ``expr`` is positive, negative and zero, case by case.

    ``expr`` is a rational function of ``var`` (any coefficients), or one involving a single
    square root of such a function.  The cases split on the other parameters only when the
    regime does not decide an ordering (see :class:`SignAnalysis`).

    Parameters
    ----------
    expr : sympy.Expr or str
    var : sympy.Symbol or str
    regime : optional
        Constrains ``var`` (its interval) and the parameters; ``var > 0`` for a positive symbol.
    seed : int
        Seed of the witness search (each case is checked to be non-empty by sampling).

    Examples
    --------
    >>> from modelcollapse.theory.workbench import sign_condition
    >>> res = sign_condition("(phi - p2) * (psi - 1)", "psi", "psi<phi<1")
    >>> for case in res.cases:
    ...     print(case.regime, case.positive, case.negative)
    p2<phi<1 EmptySet Interval.open(0, phi)
    phi<p2<1 Interval.open(0, phi) EmptySet
    """
    expr = as_expr(expr, "expr", NAMES)
    var = as_symbol(var, "var", NAMES)
    _no_radical_roots(expr, "expr")
    reg = _check_regime(as_regime(regime, expr.free_symbols | {var})) or Regime("", ())
    res = analyse_sign(expr, var, reg, seed=seed)
    return _tidy_analysis(res, reg)


def _tidy_analysis(res: SignAnalysis, reg: Regime) -> SignAnalysis:
    cases = []
    for group in (res.cases, res.unwitnessed):
        out = []
        for c in group:
            reg = Regime(c.regime, c.relations)
            out.append(Case(c.regime, c.relations, tuple(tidy(x, reg) for x in c.conditions),
                            tidy(c.positive, reg), tidy(c.negative, reg), tidy(c.zero, reg),
                            tidy(c.interval, reg), c.witness))
        cases.append(tuple(out))
    return SignAnalysis(_tidy(res.expr, reg if reg.relations else None), res.var, res.regime,
                        cases[0], cases[1])


def solve_inequality(relation, var, regime=None, *, seed: int = 0,
                     include_unconfirmed: bool = False):
    """The exact set of ``var`` where ``relation`` holds, under a regime.

    Returns a SymPy set when there is one case, else a Piecewise ``(set, condition)`` over the
    cases.  Cases for which the witness search found no parameter point (possibly empty, see
    :func:`sign_condition`) are left out unless ``include_unconfirmed``.

    Examples
    --------
    >>> from modelcollapse.theory.workbench import solve_inequality
    >>> solve_inequality("phi**2 > 1/4", "phi", "phi<1")
    Interval.open(1/2, 1)
    >>> solve_inequality("phi > p2", "phi", "phi<1")
    Interval.open(p2, 1)
    """
    rel = as_expr(relation, "relation", NAMES, relational=True)
    if not isinstance(rel, sp.core.relational.Relational) or isinstance(rel, sp.Eq | sp.Ne):
        raise ValueError(f"relation: expected an inequality (<, >, <=, >=), got {rel}")
    var = as_symbol(var, "var", NAMES)
    diff = rel.lhs - rel.rhs if isinstance(rel, sp.StrictGreaterThan | sp.GreaterThan) \
        else rel.rhs - rel.lhs
    res = sign_condition(diff, var, regime, seed=seed)
    with_zero = isinstance(rel, sp.GreaterThan | sp.LessThan)
    return sets_by_case(res, "nonnegative" if with_zero else "positive", include_unconfirmed)


def sets_by_case(analysis: SignAnalysis, sign: str, include_unconfirmed: bool = False):
    """One set from a :class:`SignAnalysis`: where the expression is ``"positive"``,
    ``"negative"``, ``"zero"``, ``"nonnegative"`` or ``"nonpositive"``.

    A single set when it is the same in every case; else a Piecewise whose conditions are the
    cases' (cases with the same set joined by "or").  Parameter values on a boundary between
    cases are not covered (the Piecewise is undefined there).

    Examples
    --------
    >>> from modelcollapse.theory.workbench import sets_by_case, sign_condition
    >>> sets_by_case(sign_condition("phi - p2", "phi", "phi<1"), "positive")
    Interval.open(p2, 1)
    """
    parts = {"positive": ("positive",), "negative": ("negative",), "zero": ("zero",),
             "nonnegative": ("positive", "zero"), "nonpositive": ("negative", "zero")}
    if sign not in parts:
        raise ValueError(f"sign: expected one of {sorted(parts)}, got {sign!r}")
    cases = analysis.cases + (analysis.unwitnessed if include_unconfirmed else ())
    groups: dict = {}
    for case in cases:
        st = sp.Union(*(getattr(case, k) for k in parts[sign]))
        groups.setdefault(st, []).append(case.condition())
    if len(groups) == 1 and not (analysis.unwitnessed and not include_unconfirmed):
        return next(iter(groups))
    return sp.Piecewise(*[(st, sp.Or(*conds)) for st, conds in groups.items()],
                        evaluate=False)


def stationary_points(expr, var) -> list[sp.Expr]:
    """Solutions of ``∂expr/∂var = 0`` that SymPy cannot rule out as non-positive.

    (:func:`minimize` classifies them and compares them with the ends.)

    Examples
    --------
    >>> from modelcollapse.theory.workbench import stationary_points
    >>> stationary_points("(phi - 1/2)**2", "phi")
    [1/2]
    """
    expr = as_expr(expr, "expr", NAMES)
    var = as_symbol(var, "var", NAMES)
    sols = sp.solve(sp.diff(expr, var), var)
    return [sp.simplify(s) for s in sols if s.is_positive is not False]


def _interval(interval, var, reg):
    if interval is None:
        if reg is not None and var in reg.free_symbols:
            cells = reg.cells_for(var)
            bounds = {c.bounds for c in cells}
            if len(bounds) != 1:
                raise ValueError(f"interval: the regime leaves the range of {var} open "
                                 f"({len(bounds)} cases); give interval=(lower, upper)")
            lo, hi = bounds.pop()
            return lo, hi, False, False
        lo = sp.S.Zero if (var.is_positive or var.is_nonnegative) else -sp.oo
        return lo, sp.oo, bool(var.is_nonnegative and not var.is_positive), False
    if isinstance(interval, sp.Interval):
        return interval.start, interval.end, not interval.left_open, not interval.right_open
    try:
        lo, hi = interval
    except (TypeError, ValueError):
        raise ValueError("interval: expected (lower, upper) or a sympy Interval") from None
    lo, hi = as_expr(lo, "interval", NAMES), as_expr(hi, "interval", NAMES)
    return lo, hi, lo not in (-sp.oo, sp.oo), hi not in (-sp.oo, sp.oo)


def minimize(expr, var, interval=None, *, regime=None) -> Optimum:
    """Minimum of ``expr`` over ``var`` in an interval or a regime, with the whole analysis.

    Every real stationary point is found (exactly), classified (minimum / maximum /
    inflection) and kept or discarded (outside the region, with the reason); interior minima are
    compared with the values at the ends (closed, finite ends) or the one-sided limits (open or
    infinite ends).  The result unpacks as ``(argmin, minimum)`` and carries ``.stationary``,
    ``.ends``, ``.location`` (``"interior"``, ``"lower end"``, ``"infimum at upper end"`` …),
    ``.attained`` and :meth:`~Optimum.summary`.

    Parameters
    ----------
    expr : sympy.Expr or str
    var : sympy.Symbol or str
    interval : (lower, upper) or sympy.Interval, optional
        A tuple's finite ends are included.  Default: the range the regime gives ``var``, else
        ``(0, ∞)`` for a positive symbol.
    regime : optional
        Assumptions on the parameters (and possibly ``var``).

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.workbench import minimize
    >>> x, a = sp.symbols("x a", positive=True)
    >>> minimize(x + a / x, x)
    (sqrt(a), 2*sqrt(a))
    >>> opt = minimize(x**3 - 3 * x, x, (0, 3))
    >>> opt.location, [(s.point, s.kind, s.inside) for s in opt.stationary]
    ('interior', [(-1, 'maximum', False), (1, 'minimum', True)])
    >>> minimize(1 / x, x).location
    'infimum at upper end'
    """
    expr = as_expr(expr, "expr", NAMES)
    var = as_symbol(var, "var", NAMES)
    _no_radical_roots(expr, "expr")
    reg = _check_regime(as_regime(regime, expr.free_symbols | {var}))
    lo, hi, lo_closed, hi_closed = _interval(interval, var, reg)
    return minimize_on(expr, var, lo, hi, lo_closed, hi_closed, reg)


def optimum_series(expr, var, small, order: int, *, point=0, branch="smallest",
                   regime=None) -> sp.Expr:
    """A stationary point of ``expr`` in ``var`` expanded in the small parameter ``small``.

    The stationary equation ``∂expr/∂var = 0`` is expanded through itself (implicit function
    theorem / Newton–Puiseux) about ``small = point``; ``branch`` picks the root as in
    :func:`implicit_root`.

    Examples
    --------
    The best synthetic weight of weighted mixing at small φ (docs/mathematics.md §3):

    >>> from modelcollapse.theory import mixing
    >>> from modelcollapse.theory.symbols import phi
    >>> from modelcollapse.theory.workbench import optimum_series
    >>> optimum_series(mixing.small_phi_expansion()["E"], mixing.alpha, phi, 1, branch=0)
    phi*sigma1**2/(c**2*(1 - p2))
    """
    expr = as_expr(expr, "expr", NAMES)
    var = as_symbol(var, "var", NAMES)
    small = as_symbol(small, "small", NAMES)
    if not isinstance(order, int) or isinstance(order, bool) or order < 0:
        raise ValueError(f"order: must be an integer ≥ 0, got {order!r}")
    stationary = sp.numer(sp.together(sp.diff(expr, var)))
    root = implicit_root(stationary, var, branch)
    return series(root, small, order, point=point, regime=regime)


_ = (p2, phi, psi, leaves_to_piecewise, to_latex, to_text, latex_label)
