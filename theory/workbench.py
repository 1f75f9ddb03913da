"""Derivation workbench: limits, expansions, derivatives and optima of the model's expressions.

Thin, assumption-aware wrappers around SymPy so that a theorist can ask a question of a formula
without fighting the simplifier.  A *regime* carries an assumption that SymPy symbols cannot hold
on their own (``φ < 1``, ``φ > 1``, ``ψ < 1``, ``0 < p2 < 1`` …) by substituting a positive
parameter (``φ = 1 − ε``, ``φ = 1 + ε``, ``p2 = 1/(1 + ε)``) and substituting back at the end.

Examples
--------
ζ of the ridgeless under-parametrised isotropic model, to first order in φ:

>>> import sympy as sp
>>> from modelcollapse.theory import ridge_isotropic as iso
>>> from modelcollapse.theory.workbench import series
>>> from modelcollapse.theory.symbols import c, phi, p2
>>> zeta = iso.ridgeless_under()["zeta"]
>>> sp.expand(series(zeta, phi, 1) - (p2**2 * c**2 + p2 * (1 - p2) * c**2 * phi))
0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from .symbols import p2, phi, psi

__all__ = [
    "Regime",
    "REGIMES",
    "eps",
    "in_regime",
    "limit",
    "series",
    "derivative",
    "implicit_derivative",
    "stationary_points",
    "minimize",
    "simplify_radicals",
]

#: The positive parameter regimes substitute.
eps = sp.Symbol("epsilon", positive=True)


@dataclass(frozen=True)
class Regime:
    """An assumption expressed as a substitution ``symbol = expression(ε)`` with ``ε > 0``.

    Attributes
    ----------
    name : str
    symbol : sympy.Symbol
        The constrained symbol (φ, ψ, p2, …).
    value : sympy.Expr
        Its expression in ``eps`` (e.g. ``1 − ε`` for ``φ < 1`` with ``0 < ε < 1``).
    inverse : sympy.Expr
        ``eps`` in terms of the symbol, to substitute back.
    description : str
    """

    name: str
    symbol: sp.Symbol
    value: sp.Expr
    inverse: sp.Expr
    description: str


_e_unit = sp.Symbol("epsilon_unit", positive=True)

REGIMES: dict[str, Regime] = {
    "phi<1": Regime("phi<1", phi, 1 - eps, 1 - phi, "under-parametrised: φ = d/n < 1"),
    "phi>1": Regime("phi>1", phi, 1 + eps, phi - 1, "over-parametrised: φ = d/n > 1"),
    "psi<1": Regime("psi<1", psi, 1 - eps, 1 - psi, "narrow: ψ = m/n < 1"),
    "psi>1": Regime("psi>1", psi, 1 + eps, psi - 1, "wide: ψ = m/n > 1"),
    "0<p2<1": Regime("0<p2<1", p2, 1 / (1 + eps), 1 / p2 - 1, "mixed data: 0 < p2 < 1"),
}


def _regime(regime: str | Regime | None) -> Regime | None:
    if regime is None or isinstance(regime, Regime):
        return regime
    if regime not in REGIMES:
        raise ValueError(f"regime: unknown {regime!r}; known: {sorted(REGIMES)}")
    return REGIMES[regime]


def in_regime(expr: sp.Expr, regime: str | Regime | None, fn) -> sp.Expr:
    """Apply ``fn`` to ``expr`` with the regime's substitution in force, then substitute back.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.symbols import phi
    >>> from modelcollapse.theory.workbench import in_regime
    >>> in_regime(sp.sqrt((phi - 1) ** 2), "phi<1", sp.simplify)
    1 - phi
    """
    reg = _regime(regime)
    if reg is None:
        return fn(expr)
    out = fn(expr.subs(reg.symbol, reg.value))
    return sp.simplify(out.subs(eps, reg.inverse))


def simplify_radicals(expr: sp.Expr) -> sp.Expr:
    """``sqrt(a) → sqrt(factor(a))`` then simplify, so ``sqrt((λ + 1)²)`` becomes ``λ + 1``."""
    expr = expr.replace(
        lambda e: isinstance(e, sp.Pow) and e.exp == sp.S.Half,
        lambda e: sp.sqrt(sp.factor(e.base)),
    )
    return sp.simplify(expr)


def limit(
    expr: sp.Expr,
    var: sp.Symbol,
    point,
    *,
    direction: str = "+",
    regime: str | Regime | None = None,
    subs: Mapping[sp.Symbol, sp.Expr] | None = None,
) -> sp.Expr:
    """``lim_{var → point} expr`` under a regime assumption.

    Parameters
    ----------
    expr : sympy.Expr
    var : sympy.Symbol
    point : number or ``sympy.oo``
    direction : {"+", "-", "+-"}
    regime : str or Regime, optional
        A key of :data:`REGIMES` (``"phi<1"``, ``"phi>1"``, ``"psi<1"``, ``"psi>1"``,
        ``"0<p2<1"``).
    subs : mapping, optional
        Substitutions made first (e.g. ``{kappa: kappa_closed_form()}``).

    Examples
    --------
    >>> from modelcollapse.theory import ridge_isotropic as iso
    >>> from modelcollapse.theory.symbols import kappa, lam
    >>> from modelcollapse.theory.workbench import limit
    >>> limit(kappa, lam, 0, regime="phi>1", subs={kappa: iso.kappa_closed_form()})
    phi - 1
    """
    if subs:
        expr = expr.subs(subs)

    def fn(e):
        return simplify_radicals(sp.limit(simplify_radicals(e), var, point, direction))

    return in_regime(expr, regime, fn)


def series(
    expr: sp.Expr,
    var: sp.Symbol,
    order: int,
    *,
    point=0,
    regime: str | Regime | None = None,
) -> sp.Expr:
    """Taylor expansion of ``expr`` in ``var`` about ``point`` up to and including ``order``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.symbols import phi
    >>> from modelcollapse.theory.workbench import series
    >>> series(1 / (1 - phi), phi, 2)
    phi**2 + phi + 1
    """
    if order < 0:
        raise ValueError(f"order: must be ≥ 0, got {order}")

    def fn(e):
        return sp.expand(sp.series(e, var, point, order + 1).removeO())

    return in_regime(expr, regime, fn)


def implicit_derivative(equation: sp.Expr, y: sp.Symbol, x: sp.Symbol) -> sp.Expr:
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
    return sp.simplify(-sp.diff(equation, x) / sp.diff(equation, y))


def derivative(
    expr: sp.Expr, var: sp.Symbol, *, through: Mapping[sp.Symbol, sp.Expr] | None = None
) -> sp.Expr:
    """Total first derivative ``d expr / d var``, chaining through implicit inner variables.

    ``through={kappa: dkappa_dvar}`` adds ``∂expr/∂κ · dκ/dvar`` (see
    :func:`implicit_derivative`), e.g. the exact ``dE/dλ`` of Theorem 1.

    Examples
    --------
    >>> from modelcollapse.theory.symbols import p2, c
    >>> from modelcollapse.theory.workbench import derivative
    >>> derivative(p2**2 * c**2, p2)
    2*c**2*p2
    """
    out = sp.diff(expr, var)
    for inner, d_inner in (through or {}).items():
        out = out + sp.diff(expr, inner) * d_inner
    return out


def stationary_points(expr: sp.Expr, var: sp.Symbol) -> list[sp.Expr]:
    """Solutions of ``∂expr/∂var = 0`` that SymPy cannot rule out as non-positive."""
    sols = sp.solve(sp.diff(expr, var), var)
    return [sp.simplify(s) for s in sols if s.is_positive is not False]


def minimize(expr: sp.Expr, var: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """The unique positive stationary point of ``expr`` in ``var`` and the value there.

    Raises :class:`ValueError` if there is not exactly one candidate.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.workbench import minimize
    >>> x, a = sp.symbols("x a", positive=True)
    >>> minimize(x + a / x, x)
    (sqrt(a), 2*sqrt(a))
    """
    pts = stationary_points(expr, var)
    if len(pts) != 1:
        raise ValueError(f"expected one positive stationary point in {var}, got {pts}")
    x_opt = pts[0]
    return x_opt, sp.simplify(sp.factor(expr.subs(var, x_opt)))
