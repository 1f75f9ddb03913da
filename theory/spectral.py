"""Scalar spectral functionals of the covariance Σ — the vocabulary of every formula.

All the deterministic equivalents of docs/mathematics.md are rational functions of a handful of
scalar
functionals of the spectrum of Σ, all of the form

.. math::  M_W(a, b; t) = \\operatorname{tr} W \\Sigma^{a} (\\Sigma + t I)^{-b},

where ``W`` is a *weight*: the identity (giving the degrees of freedom
``df_k(t) = M_I(k, k; t)``), a teacher covariance (Γ, Δ in the random-effects description) or a
teacher outer product (``w1 w1ᵀ``, ``δ δᵀ``, ``w1 δᵀ`` for fixed teachers).  In the eigenbasis of Σ
(eigenvalues ``s_j``) with diagonal weights ``ω_j`` this is ``Σ_j ω_j s_j^a / (s_j + t)^b``.

:class:`SpectralMoment` is an unevaluated SymPy function that knows its derivative in ``t``, so
implicit differentiation (∂/∂λ through κ(λ)) works.  The helpers turn expressions written with it
into the isotropic case (:func:`isotropic`) or into explicit finite sums (:func:`as_finite_sum`).
Numerics never re-types a formula: it replaces each moment by a number
(:func:`moment_atoms` lists the ones an expression needs).

Examples
--------
>>> import sympy as sp
>>> from modelcollapse.theory.spectral import df1, isotropic, IDENTITY
>>> k, phi, n = sp.symbols("kappa phi n", positive=True)
>>> sp.simplify(isotropic(df1(k) / n, {IDENTITY: phi * n}))
phi/(kappa + 1)
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from sympy.core.function import ArgumentIndexError

__all__ = [
    "SpectralMoment",
    "IDENTITY",
    "GAMMA",
    "DELTA",
    "W1W1",
    "DD",
    "W1D",
    "WEIGHTS",
    "df1",
    "df2",
    "moment_atoms",
    "isotropic",
    "as_finite_sum",
    "at_zero_shift",
]

#: Weight tags.  Each is a SymPy symbol standing for a (d×d) matrix that commutes with nothing in
#: particular; only its diagonal in Σ's eigenbasis enters.
IDENTITY = sp.Symbol("I_d")
GAMMA = sp.Symbol("Gamma")  #: random-effects covariance of w1
DELTA = sp.Symbol("Delta")  #: random-effects covariance of δ = w2 − w1
W1W1 = sp.Symbol("w1w1")  #: fixed teacher: w1 w1ᵀ
DD = sp.Symbol("dd")  #: fixed teacher: δ δᵀ
W1D = sp.Symbol("w1d")  #: fixed teacher: w1 δᵀ (cross term)
WEIGHTS = (IDENTITY, GAMMA, DELTA, W1W1, DD, W1D)

_LATEX_WEIGHT = {
    IDENTITY: "",
    GAMMA: r"\Gamma ",
    DELTA: r"\Delta ",
    W1W1: r"w_1 w_1^\top ",
    DD: r"\delta\delta^\top ",
    W1D: r"\delta w_1^\top ",
}


class SpectralMoment(sp.Function):
    r"""``M_W(a, b; t) = tr W Σ^a (Σ + t I)^{-b}`` as an unevaluated SymPy function.

    Arguments are ``(W, a, b, t)``: a weight tag from :data:`WEIGHTS`, integer powers ``a ≥ 0``
    and ``b ≥ 0``, and the shift ``t`` (κ for ridge, θ for random projections).  The derivative
    in ``t`` is ``∂_t M_W(a, b; t) = −b M_W(a, b+1; t)``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.spectral import SpectralMoment, GAMMA
    >>> k = sp.Symbol("kappa", positive=True)
    >>> sp.diff(SpectralMoment(GAMMA, 1, 2, k), k) == -2 * SpectralMoment(GAMMA, 1, 3, k)
    True
    """

    nargs = 4

    def fdiff(self, argindex=4):  # noqa: D102 - SymPy hook
        if argindex != 4:
            raise ArgumentIndexError(self, argindex)
        weight, a, b, t = self.args
        return -b * SpectralMoment(weight, a, b + 1, t)

    def _latex(self, printer):
        weight, a, b, t = self.args
        sig = "" if a == 0 else (r"\Sigma " if a == 1 else rf"\Sigma^{{{printer._print(a)}}} ")
        res = "" if b == 0 else rf"(\Sigma + {printer._print(t)} I)^{{-{printer._print(b)}}}"
        return rf"\operatorname{{tr}}\, {_LATEX_WEIGHT.get(weight, str(weight))}{sig}{res}"

    def _sympystr(self, printer):
        weight, a, b, t = self.args
        w = {IDENTITY: ""}.get(weight, f"{weight}·")
        return f"tr[{w}Σ^{a}(Σ+{printer._print(t)})^-{b}]"


def df1(t: sp.Expr) -> sp.Expr:
    """First-order degrees of freedom ``df1(t) = tr Σ (Σ + t I)^{-1}`` (docs/mathematics.md §0)."""
    return SpectralMoment(IDENTITY, 1, 1, t)


def df2(t: sp.Expr) -> sp.Expr:
    """Second-order degrees of freedom ``df2(t) = tr Σ² (Σ + t I)^{-2}`` (docs/mathematics.md
    §0)."""
    return SpectralMoment(IDENTITY, 2, 2, t)


def moment_atoms(expr: sp.Expr) -> list[SpectralMoment]:
    """The distinct :class:`SpectralMoment` atoms of ``expr``, in a deterministic order.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.spectral import df1, df2, moment_atoms
    >>> k = sp.Symbol("kappa")
    >>> [str(m) for m in moment_atoms(df1(k) + df2(k) ** 2)]
    ['tr[Σ^1(Σ+kappa)^-1]', 'tr[Σ^2(Σ+kappa)^-2]']
    """
    atoms = expr.atoms(SpectralMoment)
    return sorted(atoms, key=sp.default_sort_key)


def isotropic(expr: sp.Expr, totals: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
    """Evaluate every moment for ``Σ = I``: ``M_W(a, b; t) = tr(W) / (1 + t)^b``.

    Parameters
    ----------
    expr : sympy.Expr
        An expression in :class:`SpectralMoment` atoms.
    totals : mapping
        ``tr W`` for each weight tag that occurs, e.g. ``{IDENTITY: d, GAMMA: r**2,
        DELTA: c**2}`` for ``Γ = (r²/d) I`` and ``Δ = (c²/d) I``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.spectral import SpectralMoment, isotropic, DELTA
    >>> k, c = sp.symbols("kappa c", positive=True)
    >>> isotropic(SpectralMoment(DELTA, 3, 2, k), {DELTA: c**2})
    c**2/(kappa + 1)**2
    """

    def repl(weight, a, b, t):
        if weight not in totals:
            raise ValueError(f"isotropic: no trace given for weight {weight}")
        return totals[weight] / (1 + t) ** b

    return expr.replace(SpectralMoment, repl)


def as_finite_sum(
    expr: sp.Expr,
    eigenvalues: list[sp.Expr],
    weights: Mapping[sp.Symbol, list[sp.Expr]],
) -> sp.Expr:
    """Expand every moment into the explicit sum ``Σ_j ω_j s_j^a / (s_j + t)^b``.

    Useful to check spectral identities symbolically on a small ``d`` (any number of symbolic
    eigenvalues).  ``weights[W]`` is the diagonal of ``W`` in Σ's eigenbasis; the identity weight
    defaults to ones.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.spectral import df1, df2, SpectralMoment, IDENTITY, as_finite_sum
    >>> s1, s2, t = sp.symbols("s1 s2 t", positive=True)
    >>> lhs = df1(t) - df2(t) - t * SpectralMoment(IDENTITY, 1, 2, t)
    >>> sp.simplify(as_finite_sum(lhs, [s1, s2], {}))
    0
    """
    d = len(eigenvalues)
    table = {IDENTITY: [sp.Integer(1)] * d, **dict(weights)}

    def repl(weight, a, b, t):
        w = table[weight]
        if len(w) != d:
            raise ValueError(f"as_finite_sum: weight {weight} has {len(w)} entries, expected {d}")
        return sp.Add(*[w[j] * eigenvalues[j] ** a / (eigenvalues[j] + t) ** b for j in range(d)])

    return expr.replace(SpectralMoment, repl)


def at_zero_shift(expr: sp.Expr, shift: sp.Symbol, dimension: sp.Expr | None = None) -> sp.Expr:
    """``expr`` with the shift set to 0 inside every moment: ``M_W(a, b; 0) = tr W Σ^{a−b}``.

    The ridgeless value of a moment (Σ > 0).  ``tr Σ^0 = d`` becomes ``dimension`` when given.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.spectral import at_zero_shift, df2
    >>> k, n, d = sp.symbols("kappa n d", positive=True)
    >>> at_zero_shift(df2(k) / (n - df2(k)), k, d)
    d/(-d + n)
    """

    def repl(weight, a, b, t):
        if t != shift:
            return SpectralMoment(weight, a, b, t)
        if weight == IDENTITY and a == b and dimension is not None:
            return dimension
        return SpectralMoment(weight, a - b, 0, sp.Integer(0))

    return expr.replace(SpectralMoment, repl)
