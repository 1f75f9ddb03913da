"""Theorem 1: the classical linear (ridge) model trained on a real/synthetic mixture.

Everything here is a SymPy expression in the spectral functionals of
:mod:`modelcollapse.theory.spectral` (docs/mathematics.md §1).  With ``M_W(a, b) = tr W Σ^a (Σ +
κ)^{-b}``:

* fixed point (eq. 8):  ``κ − λ = κ df1(κ) / n``;
* ``u = df2(κ) / (n − df2(κ))``, ``σ² = p1 σ1² + p2 σ2²``;
* random effects (eq. 9–10)::

      B = κ² (1 + u) M_Γ(1, 2)
      V = σ² u
      ζ = p2² (1 + p1 u) M_Δ(3, 2) + p2 u tr ΔΣ(p1Σ + κ)²(Σ + κ)^{-2}

* fixed teachers: ``Γ → w1 w1ᵀ``, ``Δ → δ δᵀ`` and ζ gains the cross term
  ``X = 2 p2 κ w1ᵀΣ(Σ+κ)^{-1}[κ(1+u)(Σ+κ)^{-1} − I]δ``.

The expressions use the free symbol ``u`` (:data:`modelcollapse.theory.symbols.u`) so that a
numeric back end may evaluate ``u`` in its numerically stable form :data:`U_STABLE` (equal to
:data:`U_DEFINITION` on the fixed point, see :func:`u_stable_identity`).
:func:`substitute_u` gives the fully explicit expressions.

Examples
--------
>>> import sympy as sp
>>> from modelcollapse.theory import ridge
>>> from modelcollapse.theory.symbols import p2, sigma1, sigma2, u
>>> sigma_sq = (1 - p2) * sigma1**2 + p2 * sigma2**2
>>> sp.expand(ridge.risk_components("random")["variance"] - u * sigma_sq)
0
"""

from __future__ import annotations

from typing import Literal

import sympy as sp

from . import parameters as par
from ._stable import stable_cross_term
from .model import Auxiliary, FixedPoint, ModelSpec
from .spectral import (
    DD,
    DELTA,
    GAMMA,
    IDENTITY,
    W1D,
    W1W1,
    SpectralMoment,
    at_zero_shift,
    df1,
    df2,
)
from .symbols import d, kappa, lam, n, p1, p2, sigma_sq, u

__all__ = [
    "Teacher",
    "FIXED_POINT",
    "U_DEFINITION",
    "U_STABLE",
    "risk_components",
    "test_error",
    "effective_teacher_test_error",
    "substitute_u",
    "u_stable_identity",
    "U_AUXILIARY",
    "FIXED_POINT_NEAR_THRESHOLD",
    "large_shift_form",
    "LARGE_SHIFT",
    "MODEL",
]

Teacher = Literal["random", "fixed"]

#: Theorem 1 fixed point, ``F(κ) = κ − λ − κ df1(κ)/n = 0`` (eq. 8).
FIXED_POINT: sp.Expr = kappa - lam - kappa * df1(kappa) / n

#: ``u = df2(κ) / (n − df2(κ))`` as printed.
U_DEFINITION: sp.Expr = df2(kappa) / (n - df2(kappa))

#: The same ``u`` without cancellation: on the fixed point ``n − df1 = nλ/κ`` and
#: ``df1 − df2 = κ tr Σ(Σ+κ)^{-2}``, so ``n − df2`` is a sum of non-negative terms.  (Written
#: with ``λ/κ`` as a unit: ``nλ`` would overflow for λ near the largest double.)
U_STABLE: sp.Expr = (df2(kappa) / n) / (lam / kappa
                                         + kappa * SpectralMoment(IDENTITY, 1, 2, kappa) / n)


def _M(weight: sp.Symbol, a: int, b: int) -> sp.Expr:
    return SpectralMoment(weight, a, b, kappa)


def risk_components(teacher: Teacher = "random") -> dict[str, sp.Expr]:
    """Bias B, variance V and collapse term ζ of Theorem 1, in terms of ``κ``, ``u`` and moments.

    Parameters
    ----------
    teacher : {"random", "fixed"}
        ``"random"``: random effects ``w1 ~ N(0, Γ)``, ``δ ~ N(0, Δ)`` (paper's eq. 9–10).
        ``"fixed"``: given vectors ``w1``, ``δ = w2 − w1``; ζ then includes the cross term ``X``.

    Returns
    -------
    dict
        Keys ``"bias"``, ``"variance"``, ``"zeta"``.

    Examples
    --------
    >>> from modelcollapse.theory.ridge import risk_components
    >>> print(risk_components("fixed")["bias"])
    kappa**2*(u + 1)*tr[w1w1·Σ^1(Σ+kappa)^-2]
    """
    if teacher not in ("random", "fixed"):
        raise ValueError(f"teacher must be 'random' or 'fixed', got {teacher!r}")
    g, dl = (GAMMA, DELTA) if teacher == "random" else (W1W1, DD)
    bias = kappa**2 * (1 + u) * _M(g, 1, 2)
    variance = sigma_sq * u
    # tr ΔΣ(p1Σ + κ)²(Σ+κ)^{-2}, expanded into moments
    mixed = p1**2 * _M(dl, 3, 2) + 2 * p1 * kappa * _M(dl, 2, 2) + kappa**2 * _M(dl, 1, 2)
    zeta = p2**2 * (1 + p1 * u) * _M(dl, 3, 2) + p2 * u * mixed
    if teacher == "fixed":
        zeta = zeta + 2 * p2 * kappa * (kappa * (1 + u) * _M(W1D, 1, 2) - _M(W1D, 1, 1))
    return {"bias": bias, "variance": variance, "zeta": zeta}


def test_error(teacher: Teacher = "random") -> sp.Expr:
    """``E_test ≃ B + V + ζ`` (excess risk on the real distribution), Theorem 1.

    Examples
    --------
    >>> from modelcollapse.theory.ridge import test_error
    >>> from modelcollapse.theory.symbols import u
    >>> test_error("random").has(u)
    True
    """
    comps = risk_components(teacher)
    return comps["bias"] + comps["variance"] + comps["zeta"]


def effective_teacher_test_error(teacher: Teacher = "random") -> sp.Expr:
    """The "effective teacher" reading of Theorem 1 (docs/mathematics.md §1), an independent route.

    With ``w̄ = p1 w1 + p2 w2 = w1 + p2 δ`` and ``σ_eff² = σ² + p1 p2 c²``::

        E ≃ (1+u) κ² w̄ᵀΣ(Σ+κ)^{-2}w̄ + σ_eff² u − 2 p2 κ w̄ᵀΣ(Σ+κ)^{-1}δ + p2² c²

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.ridge import effective_teacher_test_error, test_error
    >>> sp.simplify(sp.expand(effective_teacher_test_error() - test_error())) != 0
    True

    (The two agree only after the spectral identities are used; see the tests.)
    """
    if teacher == "random":
        g, dl, cross = GAMMA, DELTA, None
    elif teacher == "fixed":
        g, dl, cross = W1W1, DD, W1D
    else:
        raise ValueError(f"teacher must be 'random' or 'fixed', got {teacher!r}")

    def quad_wbar(a: int, b: int) -> sp.Expr:
        out = _M(g, a, b) + p2**2 * _M(dl, a, b)
        if cross is not None:
            out += 2 * p2 * _M(cross, a, b)
        return out

    def bilinear_wbar_delta(a: int, b: int) -> sp.Expr:
        out = p2 * _M(dl, a, b)
        if cross is not None:
            out += _M(cross, a, b)
        return out

    c_sq = _M(dl, 1, 0)
    return (
        (1 + u) * kappa**2 * quad_wbar(1, 2)
        + (sigma_sq + p1 * p2 * c_sq) * u
        - 2 * p2 * kappa * bilinear_wbar_delta(1, 1)
        + p2**2 * c_sq
    )


test_error.__test__ = False  # a formula, not a pytest test


def substitute_u(expr: sp.Expr) -> sp.Expr:
    """Replace the symbol ``u`` by its definition ``df2/(n − df2)``.

    Examples
    --------
    >>> from modelcollapse.theory.ridge import substitute_u
    >>> from modelcollapse.theory.symbols import u
    >>> print(substitute_u(u))
    tr[Σ^2(Σ+kappa)^-2]/(n - tr[Σ^2(Σ+kappa)^-2])
    """
    return expr.subs(u, U_DEFINITION)


def u_stable_identity() -> sp.Expr:
    """``U_DEFINITION − U_STABLE`` with λ eliminated through the fixed point.

    It vanishes identically once the moments are expanded over any finite spectrum (the tests
    check this with symbolic eigenvalues), which justifies evaluating ``u`` by :data:`U_STABLE`.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.ridge import u_stable_identity
    >>> from modelcollapse.theory.spectral import as_finite_sum
    >>> s = sp.symbols("s1:4", positive=True)
    >>> sp.simplify(as_finite_sum(u_stable_identity(), list(s), {}))
    0
    """
    lam_on_fixed_point = sp.solve(FIXED_POINT, lam)[0]
    return U_DEFINITION - U_STABLE.subs(lam, lam_on_fixed_point)


#: ``u`` as the numerics evaluate it: :data:`U_STABLE`, and ``d/(n − d)`` where κ = 0 (ridgeless,
#: ``d < n``: ``df2(0) = d`` exactly, without the rounding of a moment sum).
U_AUXILIARY = Auxiliary(
    "u", u, U_STABLE, "u = df2(κ)/(n − df2(κ)), the variance-inflation factor",
    at_zero=(kappa, at_zero_shift(U_DEFINITION, kappa, d)),
)


def large_shift_form(expr: sp.Expr, shift: sp.Symbol = kappa) -> sp.Expr:
    """``expr`` without the shift outside its moments: ``t M_W(a, b) = M_W(a, b−1) − M_W(a+1, b)``.

    The identity is ``t/(s + t) = 1 − s/(s + t)`` under the sum, applied until no power of ``t``
    multiplies a moment; e.g. ``t² M_W(a, 2) = M_W(a, 0) − 2 M_W(a+1, 1) + M_W(a+2, 2)``.  It is the
    form for a shift far above the spectrum (``t ≥ 16 tr Σ``: every ``s/t ≤ 1/16``, so the
    subtracted terms are at most 12 % of the first): there ``t²`` overflows for ``t ≳ 1e154`` and
    ``M_W(a, 2; t) ≈ tr WΣ^a/t²`` underflows, while ``tr WΣ^a`` (the λ → ∞ limit of
    ``t² M_W(a, 2; t)``) and the small corrections are representable.

    Examples
    --------
    >>> from modelcollapse.theory.ridge import large_shift_form
    >>> from modelcollapse.theory.spectral import GAMMA, SpectralMoment
    >>> from modelcollapse.theory.symbols import kappa
    >>> print(large_shift_form(kappa**2 * SpectralMoment(GAMMA, 1, 2, kappa)))
    tr[Gamma·Σ^1(Σ+kappa)^-0] - 2*tr[Gamma·Σ^2(Σ+kappa)^-1] + tr[Gamma·Σ^3(Σ+kappa)^-2]
    """
    out: list[sp.Expr] = []
    todo = list(sp.Add.make_args(sp.expand(expr)))
    while todo:
        term = todo.pop()
        powers = term.as_powers_dict()
        moments = sorted((m for m in term.atoms(SpectralMoment)
                          if m.args[2] >= 1 and m.args[3] == shift and powers.get(m) == 1),
                         key=sp.default_sort_key)
        if powers.get(shift, 0) >= 1 and moments:
            m = moments[0]
            weight, a, b = m.args[:3]
            lower = (SpectralMoment(weight, a, b - 1, shift)
                     - SpectralMoment(weight, a + 1, b, shift))
            todo.extend(sp.Add.make_args(sp.expand(term / (shift * m) * lower)))
        else:
            out.append(term)
    return sp.Add(*out)


#: Where :func:`large_shift_form` is used: κ ≥ 16 tr Σ (every eigenvalue at most κ/16).
LARGE_SHIFT: sp.Expr = sp.Ge(kappa, 16 * SpectralMoment(IDENTITY, 1, 0, kappa))


def _declared_risk(teacher: Teacher, options) -> dict[str, sp.Expr]:
    comps = dict(risk_components(teacher))
    # fixed teachers: κ(1+u)M(1,2) − M(1,1) of the cross term cancels when κ ≫ Σ
    comps["zeta"] = stable_cross_term(comps["zeta"], kappa)
    # κ ≫ Σ (huge λ): κ² overflows and M(a, 2) underflows; the large-shift form has neither
    return {k: sp.Piecewise((large_shift_form(v), LARGE_SHIFT), (v, True)) if
            v.has(kappa**2) else v for k, v in comps.items()}


#: The fixed point divided by κ with ``df1(κ) = d − κ tr(Σ+κ)^{-1}``:
#: ``(n − d)/n + κ tr(Σ+κ)^{-1}/n − λ/κ``.  Equal to ``FIXED_POINT/κ``; near the interpolation
#: threshold (n ≈ d, κ ≪ Σ) its terms are all small, where ``1 − df1(κ)/n`` cancels to nothing.
FIXED_POINT_NEAR_THRESHOLD: sp.Expr = sp.Add(
    (n - d) / n, kappa * SpectralMoment(IDENTITY, 0, 1, kappa) / n, -lam / kappa
)


#: Theorem 1 as a model declaration (docs/mathematics.md §1).
MODEL = ModelSpec(
    name="ridge",
    title="Ridge on a real/synthetic mixture (Theorem 1)",
    doc="Ridge regression on n1 = (1 − p2) n real and n2 = p2 n synthetic rows; the test error "
    "is the excess risk on the real distribution, E ≃ B + V + ζ (Theorem 1, eq. 8–10).",
    parameters=(par.SPECTRUM, par.N_ROWS, par.P2, par.RIDGE, par.NOISE_REAL, par.NOISE_SYNTH,
                par.GAMMA, par.DELTA, par.W_REAL, par.W_SYNTH),
    teachers=par.LABEL_SHIFT_TEACHERS,
    fixed_points=(FixedPoint(kappa, sp.expand(FIXED_POINT / kappa), ("ridge", "n"),
                             "κ, the positive root of κ − λ = κ df1(κ)/n (eq. 8)",
                             forms=(FIXED_POINT_NEAR_THRESHOLD,)),),
    risk=_declared_risk,
    auxiliaries=lambda teacher, options: (U_AUXILIARY,),
    diverging=u,
)
