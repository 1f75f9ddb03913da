"""Rewrites of theory expressions that avoid cancellation in floating point (stable forms).

Examples
--------
>>> import sympy as sp
>>> from modelcollapse.theory._stable import stable_cross_term
>>> from modelcollapse.theory.spectral import W1D, SpectralMoment
>>> k = sp.Symbol("kappa", positive=True)
>>> expr = k * SpectralMoment(W1D, 1, 2, k) * 2 - SpectralMoment(W1D, 1, 1, k)
>>> print(stable_cross_term(expr, k))
kappa*tr[w1d·Σ^1(Σ+kappa)^-2] - tr[w1d·Σ^2(Σ+kappa)^-2]
"""

from __future__ import annotations

import sympy as sp

from .spectral import W1D, SpectralMoment

__all__ = ["stable_cross_term"]


def stable_cross_term(expr: sp.Expr, shift: sp.Symbol) -> sp.Expr:
    """Fixed teachers: the w1–δ cross terms with ``M(1,1) = M(2,2) + t M(1,2)`` substituted.

    ``(1 + u)t² M(1,2) − t M(1,1)`` (ridge with t = κ, random projections with t = θ) loses
    ``log10(t/s)`` digits when the shift t is far above the spectrum; collected, it is
    ``u t² M(1,2) − t M(2,2)`` — the same function, without the cancellation.
    """
    cross, rest = sp.sift(sp.Add.make_args(sp.expand(expr)), lambda term: term.has(W1D),
                          binary=True)
    if not cross:
        return expr
    m11, m12, m22 = (SpectralMoment(W1D, a, b, shift) for a, b in ((1, 1), (1, 2), (2, 2)))
    part = sp.expand(sp.Add(*cross).xreplace({m11: m22 + shift * m12}))
    return sp.Add(*rest) + sp.collect(part, [m12, m22], sp.factor)
