"""Theorem 1 in the isotropic case, and the corollaries SymPy derives from it (docs/mathematics.md
§1).

Isotropic means ``Σ = I_d``, ``Γ = (r²/d) I`` and ``Δ = (c²/d) I`` (random effects), so every moment
is ``M_W(a, b; κ) = tr W / (1 + κ)^b`` with ``tr I = d = φ n``, ``tr Γ = r²``, ``tr Δ = c²``.
Nothing below is typed in: each result is obtained from :mod:`modelcollapse.theory.ridge` by
substitution, ``solve`` and ``limit``; the tests compare them with the printed closed forms.

Regime assumptions are carried by substitution: ``φ = 1 − ε`` (under-parametrised) or
``φ = 1 + ε`` (over-parametrised) with ``ε > 0``, so that ``sqrt((φ − 1)²)`` simplifies.

Examples
--------
>>> import sympy as sp
>>> from modelcollapse.theory import ridge_isotropic as iso
>>> from modelcollapse.theory.symbols import lam, phi
>>> k = iso.kappa_closed_form()
>>> sp.simplify(k - (lam + phi - 1 + sp.sqrt((lam + phi - 1) ** 2 + 4 * lam)) / 2)
0
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from . import ridge
from .spectral import DELTA, GAMMA, IDENTITY, isotropic
from .symbols import c, kappa, lam, n, p1, p2, phi, r, sigma_sq, u

__all__ = [
    "TOTALS",
    "fixed_point",
    "kappa_closed_form",
    "u_isotropic",
    "components",
    "test_error",
    "ridgeless_under",
    "ridgeless_over",
    "strong_collapse_limit",
    "optimal_ridge_plateau",
    "eps",
]

#: ``tr W`` of each weight in the isotropic random-effects model.
TOTALS = {IDENTITY: phi * n, GAMMA: r**2, DELTA: c**2}

#: Distance to the interpolation threshold, ``φ = 1 ∓ ε``.
eps = sp.Symbol("epsilon", positive=True)


def fixed_point() -> sp.Expr:
    """Isotropic fixed point ``κ − λ − κφ/(1+κ)`` (equal to 0 at κ).

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.ridge_isotropic import fixed_point
    >>> from modelcollapse.theory.symbols import kappa, lam, phi
    >>> sp.simplify(fixed_point() - (kappa - lam - kappa * phi / (1 + kappa)))
    0
    """
    return sp.simplify(isotropic(ridge.FIXED_POINT, TOTALS))


@cache
def kappa_closed_form() -> sp.Expr:
    """The positive root κ(λ, φ) of the isotropic fixed point (a quadratic), solved by SymPy.

    Of the two roots of ``(κ − λ)(1 + κ) = κφ``, the product of the roots is ``−λ ≤ 0``, so the
    larger one is the non-negative solution; it is selected symbolically by comparing at λ = 1.
    """
    roots = sp.solve(sp.numer(sp.together(fixed_point())), kappa)
    probe = {lam: 1, phi: sp.Rational(1, 2)}
    return max(roots, key=lambda e: float(e.subs(probe)))


@cache
def u_isotropic() -> sp.Expr:
    """``u = φ / ((1 + κ)² − φ)`` derived from ``u = df2/(n − df2)``."""
    return sp.simplify(isotropic(ridge.U_DEFINITION, TOTALS))


@cache
def components() -> dict[str, sp.Expr]:
    """B, V, ζ for the isotropic random-effects model as functions of κ (u substituted).

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.ridge_isotropic import components
    >>> sp.factor(components()["bias"])
    kappa**2*r**2/(kappa**2 + 2*kappa - phi + 1)
    """
    out = {}
    for name, expr in ridge.risk_components("random").items():
        e = isotropic(expr, TOTALS).subs(u, u_isotropic())
        out[name] = sp.simplify(sp.factor(e))
    return out


def test_error() -> sp.Expr:
    """``E_test = B + V + ζ`` (isotropic, as a function of κ)."""
    comps = components()
    return comps["bias"] + comps["variance"] + comps["zeta"]


test_error.__test__ = False  # not a pytest test when imported into a test module


def _ridgeless(phi_value: sp.Expr) -> dict[str, sp.Expr]:
    k0 = sp.limit(kappa_closed_form().subs(phi, phi_value), lam, 0, "+")
    out = {}
    for name, expr in components().items():
        out[name] = sp.simplify(expr.subs(phi, phi_value).subs(kappa, k0))
    out["kappa"] = k0
    return out


@cache
def ridgeless_under() -> dict[str, sp.Expr]:
    """λ → 0⁺ with φ < 1 (Corollary 1): κ → 0, and B, V, ζ in terms of φ.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.ridge_isotropic import ridgeless_under
    >>> res = ridgeless_under()
    >>> from modelcollapse.theory.symbols import phi, sigma_sq
    >>> res["kappa"], sp.simplify(res["variance"] - sigma_sq * phi / (1 - phi))
    (0, 0)
    """
    res = _ridgeless(1 - eps)
    return {k: sp.simplify(v.subs(eps, 1 - phi)) for k, v in res.items()}


@cache
def ridgeless_over() -> dict[str, sp.Expr]:
    """λ → 0⁺ with φ > 1 (Corollary 4): κ → φ − 1, and B, V, ζ in terms of φ.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.ridge_isotropic import ridgeless_over
    >>> res = ridgeless_over()
    >>> res["kappa"], sp.factor(res["bias"])
    (phi - 1, r**2*(phi - 1)/phi)
    """
    res = _ridgeless(1 + eps)
    return {k: sp.simplify(v.subs(eps, phi - 1)) for k, v in res.items()}


@cache
def strong_collapse_limit(ridge_fixed: bool = False) -> sp.Expr:
    """``lim_{φ → 0⁺} ζ``: the strong-collapse plateau.

    Ridgeless (default): along the φ < 1 ridgeless solution, ``ζ → p2² c²`` — the error stops
    decreasing with more data unless ``p2 → 0``.  With ``ridge_fixed=True`` the limit is taken at
    a fixed λ > 0 along κ(λ, φ) → λ and gives ``p2² c² / (1 + λ)²`` (the fit then converges to
    the shrunk mixture teacher).

    Examples
    --------
    >>> from modelcollapse.theory.ridge_isotropic import strong_collapse_limit
    >>> strong_collapse_limit()
    c**2*p2**2
    >>> strong_collapse_limit(ridge_fixed=True)
    c**2*p2**2/(lambda**2 + 2*lambda + 1)
    """
    if not ridge_fixed:
        return sp.simplify(sp.limit(ridgeless_under()["zeta"], phi, 0, "+"))
    lam_pos = sp.Symbol("lambda", positive=True)
    zeta = components()["zeta"].subs(kappa, kappa_closed_form()).subs(lam, lam_pos)
    limit = sp.simplify(_factor_radicands(sp.limit(zeta, phi, 0, "+")))
    return limit.subs(lam_pos, lam)


@cache
def optimal_ridge_plateau() -> dict[str, sp.Expr]:
    """Strong collapse survives tuning: ``min_λ lim_{φ→0} E = r²p2²c²/(r² + p2²c²)``.

    Derivation (all by SymPy): at fixed λ > 0, φ → 0 sends κ → λ and ``u → 0``, so
    ``E → (λ² r² + p2² c²)/(1 + λ)²``; its stationary point in λ is ``λ* = p2² c²/r²`` and the
    minimum is the plateau.

    Returns
    -------
    dict
        ``"limit_error"`` (E as φ → 0 at fixed λ), ``"ridge_opt"`` (λ*), ``"plateau"`` (E at λ*).

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.ridge_isotropic import optimal_ridge_plateau
    >>> from modelcollapse.theory.symbols import c, p2, r
    >>> res = optimal_ridge_plateau()
    >>> res["ridge_opt"]
    c**2*p2**2/r**2
    >>> sp.simplify(res["plateau"] - r**2 * p2**2 * c**2 / (r**2 + p2**2 * c**2))
    0
    """
    lam_pos = sp.Symbol("lambda", positive=True)
    total = test_error().subs(kappa, kappa_closed_form()).subs(lam, lam_pos)
    limit = sp.simplify(_factor_radicands(sp.limit(total, phi, 0, "+")))
    stationary = [
        s for s in sp.solve(sp.diff(limit, lam_pos), lam_pos) if s.is_positive is not False
    ]
    if len(stationary) != 1:
        raise RuntimeError(f"expected one positive stationary point, got {stationary}")
    lam_opt = sp.simplify(stationary[0])
    plateau = sp.simplify(sp.factor(limit.subs(lam_pos, lam_opt)))
    return {"limit_error": limit.subs(lam_pos, lam), "ridge_opt": lam_opt, "plateau": plateau}


def _factor_radicands(expr: sp.Expr) -> sp.Expr:
    """Rewrite ``sqrt(a)`` as ``sqrt(factor(a))`` so ``sqrt((λ+1)²)`` becomes ``λ + 1``."""
    return expr.replace(
        lambda e: isinstance(e, sp.Pow) and e.exp == sp.S.Half,
        lambda e: sp.sqrt(sp.factor(e.base)),
    )


# symbols used only in docstrings and tests
_ = (p1, p2, sigma_sq)
