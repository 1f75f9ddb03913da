"""Theorem 2 (corrected): ridge on random projections ``f(x) = vᵀ S x`` (docs/mathematics.md §2).

``S ∈ R^{m×d}`` has iid ``N(0, 1/d)`` entries and the penalty is ``λ‖v‖²``.  Every expression is a
SymPy expression in :class:`~modelcollapse.theory.spectral.SpectralMoment` atoms at the shift
``θ`` (:data:`~modelcollapse.theory.symbols.theta`), plus the scalars ``n, d, m, p2, σ1, σ2`` and
the auxiliary symbols below.  Two parametrisations are carried:

**Nested form.**  ``κ2(t)`` is the positive root of ``κ2 − t d/m = κ2 df1(κ2)/m``
(:data:`KAPPA2_FIXED_POINT`), ``t*`` the root of ``t (1 − df1(κ2(t))/n) = λ``
(:data:`T_FIXED_POINT`) and ``θ = κ2(t*)``.  With ``q_a(t) = (κ2(t)/t) aᵀΣ(Σ+κ2(t))^{-1}a``,
``b(a) = −t*² q_a'(t*)`` and ``D = d/dt [t df1(κ2(t))]`` at ``t*``::

    E_test ≃ [b(w̄) + σ_eff² D/n] / (1 − D/n) − 2 p2 θ w̄ᵀΣ(Σ+θ)^{-1}δ + p2² c²

The derivatives are taken by SymPy (implicit differentiation of the κ2 fixed point); the results
are written with ``g := t* κ2'(t*)`` (:data:`g`) and ``1 + u := 1/(1 − D/n)`` (:data:`u`), e.g.
``b(a) = θ M_a(1, 1) − g M_a(2, 2)``.

**Paper form (Definition 2).**  ``(e, τ)`` solve ``1/e = 1 + ψτ tr̄ΣK^{-1}``,
``1/τ = 1 + tr̄ K0K^{-1}`` with ``K0 = eΣ``, ``K = γτK0 + λI``; ``(u, ω)`` the linear system of
:func:`second_order_system`; ``θ = λ/(γτe)`` and ``ω' = ω/(γτ²)``.  SymPy derives
``e = 1 − df1(θ)/n``, ``τ = 1 − df1(θ)/m`` (:func:`first_order_solution`), the scalar equation
``θ γ τ e = λ`` (:data:`THETA_EQUATION`) and Lemma 1 (:func:`lemma1`)::

    u  = φz/(γ − φz − I22),   ω' = θ² I12/(γ − φz − I22),   z = I22(γ − I22) + θ² I12²

(the transcription of Lemma 1 printed ``θ² I22`` in ω' (docs/mathematics.md §2, erratum E3), which
is not even dimensionally consistent; the linear system
gives ``I12``.)  The two forms agree identically: ``1 + u`` is the same and ``ω' = (θ − g)(1 + u)``.

``form="printed"`` keeps arXiv v2 as printed: ζ's middle term with ``p2`` instead of ``p2²`` and
V without the ``1/n`` (both rejected by Monte Carlo; docs/mathematics.md §2, Errata).

Examples
--------
>>> import sympy as sp
>>> from modelcollapse.theory import random_projection as rp
>>> from modelcollapse.theory.symbols import sigma_sq, u
>>> sp.expand(rp.risk_components("random", form="nested")["variance"] - sigma_sq * u)
0
"""

from __future__ import annotations

from functools import cache
from typing import Literal

import sympy as sp

from .spectral import DD, DELTA, GAMMA, IDENTITY, W1D, W1W1, SpectralMoment, df1, df2
from .symbols import d, lam, m, n, p1, p2, sigma_sq, t, theta, u

__all__ = [
    "Form",
    "Teacher",
    "kappa2",
    "t_star",
    "g",
    "e",
    "tau",
    "omega",
    "omega_prime",
    "KAPPA2_FIXED_POINT",
    "T_FIXED_POINT",
    "kappa2_prime",
    "g_definition",
    "G_STABLE",
    "effective_df",
    "U_DEFINITION",
    "U_STABLE",
    "first_order_solution",
    "THETA_EQUATION",
    "THETA_EQUATION_FACTORED",
    "T_STAR_FROM_TAU",
    "theta_residual",
    "FACTORS_NEAR_THRESHOLD",
    "theta_residual_forms",
    "theta_residual_slopes",
    "second_order_system",
    "lemma1",
    "OMEGA_PRIME_NESTED",
    "b_functional",
    "risk_components",
    "test_error",
]

Teacher = Literal["random", "fixed"]
Form = Literal["nested", "paper", "printed"]

kappa2 = sp.Symbol("kappa2", positive=True)  #: κ2, root of the width-m fixed point
t_star = sp.Symbol("t_star", nonnegative=True)  #: t*, root of t(1 − df1(κ2(t))/n) = λ
g = sp.Symbol("g", nonnegative=True)  #: g = t* κ2'(t*)
e = sp.Symbol("e", nonnegative=True)  #: e of Definition 2 (= 1 − df1(θ)/n)
tau = sp.Symbol("tau", nonnegative=True)  #: τ of Definition 2 (= 1 − df1(θ)/m)
omega = sp.Symbol("omega", nonnegative=True)  #: ω of Definition 2
omega_prime = sp.Symbol("omega_prime", nonnegative=True)  #: ω' = ω/(γτ²)

_kappa2_of_t = sp.Function("kappa2")(t)

#: ``κ2 − t d/m − κ2 df1(κ2)/m = 0``: the ridge fixed point with ``λ' = t d/m`` and ``n' = m``.
KAPPA2_FIXED_POINT: sp.Expr = kappa2 - t * d / m - kappa2 * df1(kappa2) / m

#: ``t (1 − df1(θ)/n) − λ = 0`` with ``θ = κ2(t)``.
T_FIXED_POINT: sp.Expr = t * (1 - df1(theta) / n) - lam


def _M(weight: sp.Symbol, a: int, b: int, x: sp.Expr = theta) -> sp.Expr:
    return SpectralMoment(weight, a, b, x)


def _solve_opaque(eqs: list[sp.Expr], unknowns: list[sp.Symbol]) -> list[dict]:
    """``sympy.solve`` with every moment atom replaced by an opaque symbol (and restored)."""
    atoms = sorted(set().union(*(q.atoms(SpectralMoment) for q in eqs)), key=sp.default_sort_key)
    dummies = [sp.Dummy(f"M{i}") for i in range(len(atoms))]
    fwd = dict(zip(atoms, dummies, strict=True))
    back = dict(zip(dummies, atoms, strict=True))
    sols = sp.solve([q.xreplace(fwd) for q in eqs], unknowns, dict=True)
    return [{k: v.xreplace(back) for k, v in s.items()} for s in sols]


def _at_theta(expr: sp.Expr, deriv: sp.Expr) -> sp.Expr:
    """Replace ``κ2'(t)`` by ``deriv`` and then ``κ2(t)`` by ``θ``, ``t`` by ``t*``."""
    expr = expr.subs(sp.Derivative(_kappa2_of_t, t), deriv)
    return expr.subs(_kappa2_of_t, theta).subs(t, t_star)


@cache
def kappa2_prime() -> sp.Expr:
    """``κ2'(t)`` at ``t = t*`` by implicit differentiation of :data:`KAPPA2_FIXED_POINT`.

    Equal to ``(d/m)/(1 − df2(θ)/m)`` by the identity ``df1 − θ tr Σ(Σ+θ)^{-2} = df2``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.random_projection import kappa2_prime
    >>> from modelcollapse.theory.spectral import df1, SpectralMoment, IDENTITY
    >>> from modelcollapse.theory.symbols import d, m, theta
    >>> m12 = SpectralMoment(IDENTITY, 1, 2, theta)
    >>> sp.simplify(kappa2_prime() - d / (m - df1(theta) + theta * m12))
    0
    """
    fp = KAPPA2_FIXED_POINT.subs(kappa2, _kappa2_of_t)
    dk = sp.Symbol("_dk")
    eq = sp.diff(fp, t).subs(sp.Derivative(_kappa2_of_t, t), dk).subs(_kappa2_of_t, theta)
    slope = _solve_opaque([eq], [dk])[0][dk]
    return sp.simplify(slope)


def g_definition() -> sp.Expr:
    """``g = t* κ2'(t*)`` (by definition; ill-conditioned only through ``t*``)."""
    return t_star * kappa2_prime()


#: ``g`` with ``m − df1(θ) = t* d/θ`` (the κ2 fixed point) substituted: every term is ≥ 0.
G_STABLE: sp.Expr = t_star * d * theta / (t_star * d + theta**2 * _M(IDENTITY, 1, 2))


@cache
def effective_df() -> sp.Expr:
    """``D = d/dt [t df1(κ2(t))]`` at ``t*``, written with ``g``: ``df1(θ) − g tr Σ(Σ+θ)^{-2}``.

    ``1 − D/n`` is the derivative of the ``t*`` equation, so ``1 + u = 1/(1 − D/n) = dt*/dλ``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.random_projection import effective_df, g
    >>> from modelcollapse.theory.spectral import df1, SpectralMoment, IDENTITY
    >>> from modelcollapse.theory.symbols import theta
    >>> sp.expand(effective_df() - (df1(theta) - g * SpectralMoment(IDENTITY, 1, 2, theta)))
    0
    """
    deriv = sp.Symbol("_k2p")
    expr = _at_theta(sp.diff(t * df1(_kappa2_of_t), t), deriv)
    return sp.expand(expr.subs(deriv, g / t_star))


def _U_definition() -> sp.Expr:
    big_d = effective_df()
    return big_d / (n - big_d)


#: ``u = D/(n − D)`` (``1 + u = 1/(1 − D/n)``), ``D`` of :func:`effective_df`.
U_DEFINITION: sp.Expr = _U_definition()

#: The same ``u`` with ``n − df1(θ) = n e`` (``e = 1 − df1(θ)/n``): ``n − D = n e + g M(1,2)``,
#: a sum of non-negative terms; ``e`` is supplied in its well-conditioned form by the numerics.
U_STABLE: sp.Expr = effective_df() / (n * e + g * _M(IDENTITY, 1, 2))


@cache
def first_order_solution() -> dict[sp.Symbol, sp.Expr]:
    """Solve Definition 2's ``(e, τ)`` equations given ``θ = λ/(γτe)``.

    With ``K = γτe(Σ + θ)``: ``tr̄ ΣK^{-1} = df1(θ)/(mτe)`` and ``tr̄ K0K^{-1} = df1(θ)/(mτ)``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.random_projection import first_order_solution, e, tau
    >>> from modelcollapse.theory.spectral import df1
    >>> from modelcollapse.theory.symbols import m, n, theta
    >>> sol = first_order_solution()
    >>> sp.expand(sol[e] - (1 - df1(theta) / n)), sp.expand(sol[tau] - (1 - df1(theta) / m))
    (0, 0)
    """
    psi, gam = m / n, m / d
    tr_sigma_kinv = df1(theta) / (d * gam * tau * e)  # tr̄ Σ K^{-1}
    tr_k0_kinv = e * df1(theta) / (d * gam * tau * e)  # tr̄ K0 K^{-1}
    eqs = [1 / e - 1 - psi * tau * tr_sigma_kinv, 1 / tau - 1 - tr_k0_kinv]
    sol = [s for s in _solve_opaque(eqs, [e, tau]) if s[e] != 0 and s[tau] != 0]
    return {k: sp.expand(v) for k, v in sol[0].items()}


def _theta_equation() -> sp.Expr:
    sol = first_order_solution()
    return theta * (m / d) * sol[tau] * sol[e] - lam


#: ``θ γ τ(θ) e(θ) − λ = 0`` with ``τ = 1 − df1(θ)/m``, ``e = 1 − df1(θ)/n``: eliminating ``t``
#: (``t* = θγτ``, ``λ = t* e``) from the nested pair, one scalar equation for ``θ``.
THETA_EQUATION: sp.Expr = _theta_equation()


#: :data:`THETA_EQUATION` before ``e, τ`` are substituted: ``θ (m/d) τ e − λ``.  The numerics
#: solve it for whichever of ``e, τ`` is small (``e`` when ``m > n``, ``τ`` when ``m ≤ n``).
THETA_EQUATION_FACTORED: sp.Expr = theta * (m / d) * tau * e - lam

#: ``t* = θ (m/d) τ``: :data:`KAPPA2_FIXED_POINT` at ``κ2 = θ`` solved for ``t``.
T_STAR_FROM_TAU: sp.Expr = theta * (m / d) * tau


def theta_residual(branch: Literal["under", "over"]) -> sp.Expr:
    """The ``θ`` equation divided by its well-conditioned factor, increasing in ``θ``.

    ``"under"`` (``m ≤ n``): ``h = 1 − λ/(θγ e(θ)) − df1(θ)/m`` (i.e. ``τ = λ/(θγe)``);
    ``"over"`` (``m > n``): ``h = 1 − λ/(θγ τ(θ)) − df1(θ)/n``.  Both are ridge-type fixed points
    with an effective penalty, so the κ machinery brackets them.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.random_projection import theta_residual
    >>> from modelcollapse.theory.spectral import df1
    >>> from modelcollapse.theory.symbols import d, lam, m, n, theta
    >>> tau_ = 1 - df1(theta) / m
    >>> sp.simplify(theta_residual("over") - (1 - lam / (theta * m / d * tau_) - df1(theta) / n))
    0
    """
    sol = first_order_solution()
    if branch == "under":
        return 1 - lam / (theta * (m / d) * sol[e]) - df1(theta) / m
    if branch == "over":
        return 1 - lam / (theta * (m / d) * sol[tau]) - df1(theta) / n
    raise ValueError(f"branch must be 'under' or 'over', got {branch!r}")


def _near(size: sp.Expr) -> sp.Expr:
    """``1 − df1(θ)/k`` with ``df1(θ) = d − θ tr(Σ+θ)^{-1}``: ``(k − d)/k + θ tr(Σ+θ)^{-1}/k``."""
    return sp.Add((size - d) / size, theta * _M(IDENTITY, 0, 1) / size)


#: ``e`` and ``τ`` of :func:`first_order_solution` (``1 − df1(θ)/n``, ``1 − df1(θ)/m``) with
#: ``df1(θ) = d − θ tr(Σ+θ)^{-1}``: ``(n − d)/n + θ tr(Σ+θ)^{-1}/n`` and the same with ``m``.
#: Equal to them identically; next to ``n = d`` (resp. ``m = d``) with ``θ ≪ Σ`` their terms are
#: as small as the value, where ``1 − df1/n`` cancels to nothing (the size difference is exact).
FACTORS_NEAR_THRESHOLD: dict[sp.Symbol, sp.Expr] = {e: _near(n), tau: _near(m)}


def _branch_factors(branch: str) -> tuple[sp.Symbol, sp.Symbol]:
    """``(large, divided)``: the factor kept from its definition and the one divided out."""
    if branch == "under":
        return tau, e
    if branch == "over":
        return e, tau
    raise ValueError(f"branch must be 'under' or 'over', got {branch!r}")


@cache
def theta_residual_forms(branch: Literal["under", "over"]) -> tuple[sp.Tuple, ...]:
    """:func:`theta_residual` ``h = A − S`` in its forms, each as the pair ``(A, S)``.

    ``A`` is the factor kept from its definition (``τ`` for ``"under"``, ``e`` for ``"over"``),
    ``S = λ/(θγB)`` the shrinkage term with ``B`` the factor divided out; the numerics judge the
    top-level terms of ``A`` and ``S``.  The first form is the residual as defined
    (``A = 1 − df1/k``); the second has both factors in :data:`FACTORS_NEAR_THRESHOLD` form — for
    ``"over"`` ``h = (n − d)/n + θ tr(Σ+θ)^{-1}/n − λ/(θγτ)``, for ``"under"``
    ``h = (m − d)/m + θ tr(Σ+θ)^{-1}/m − λ/(θγe)``.  ``A − S`` equals :func:`theta_residual`
    identically (the tests check it); next to ``n = d < m`` (resp. ``m = d ≤ n``) the second
    form's terms are as small as θ where the first cancels to nothing.  Solvers evaluate, per
    point, the form whose terms are smallest in magnitude and judge the residual relative to that
    magnitude.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.random_projection import theta_residual_forms, theta_residual
    >>> a, s = theta_residual_forms("over")[0]
    >>> sp.simplify(a - s - theta_residual("over"))
    0
    """
    sol = first_order_solution()
    large, divided = _branch_factors(branch)
    return tuple(sp.Tuple(factors[large], lam / (theta * (m / d) * factors[divided]))
                 for factors in (sol, FACTORS_NEAR_THRESHOLD))


@cache
def theta_residual_slopes(branch: Literal["under", "over"]) -> tuple[sp.Tuple, ...]:
    """``(θ ∂A/∂θ, −θ ∂S/∂θ)`` for each form of :func:`theta_residual_forms`, without cancellation.

    ``θ ∂h/∂θ`` is their sum.  With ``S = λ/(θγB)``: ``−θ ∂S/∂θ = S (1 + θB'/B)``.  ``A'`` and
    ``B'`` are SymPy's derivatives of the defining forms ``1 − df1/k`` (``tr Σ(Σ+θ)^{-2}/k``, one
    term; the near forms are the same functions, and their own derivative would be written
    ``(tr(Σ+θ)^{-1} − θ tr(Σ+θ)^{-2})/k``); ``B`` and ``S`` are those of the form.  No ``θ²`` or
    ``λ/θ²`` is formed — they underflow or overflow when θ ≲ 1e-154 (λ → 0, or ``m → ∞`` where
    θ ≈ λd/m).  Both entries are positive on the solution branch, so ``log A − log S`` is
    increasing in ``log θ`` with slope ``θA'/A − θS'/S``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.random_projection import theta_residual_slopes, theta_residual
    >>> from modelcollapse.theory.symbols import theta
    >>> h = theta_residual("over")
    >>> sp.simplify(sum(theta_residual_slopes("over")[0]) - theta * sp.diff(h, theta))
    0
    """
    sol = first_order_solution()
    large, divided = _branch_factors(branch)
    a_slope = theta * sp.diff(sol[large], theta)
    b_slope = theta * sp.diff(sol[divided], theta)
    return tuple(sp.Tuple(a_slope, lam / (theta * (m / d) * factors[divided])
                          * (1 + b_slope / factors[divided]))
                 for factors in (sol, FACTORS_NEAR_THRESHOLD))


def second_order_system() -> list[sp.Expr]:
    """Definition 2's ``(u, ω)`` equations (each ``= 0``), traces written as moments at ``θ``.

    ``u = ψe² tr̄ Σ(γτ²L' + ωI)K^{-2}``, ``ω = τ² tr̄ (γωK0² + λ²L')K^{-2}``, ``L' = (1+u)Σ``,
    ``K = γτe T``, ``T = Σ + θI``, ``λ = θγτe``.
    """
    psi, gam = m / n, m / d
    scale = (gam * tau * e) ** 2  # K^{-2} = T^{-2}/scale
    i12 = _M(IDENTITY, 1, 2) / d
    i22 = _M(IDENTITY, 2, 2) / d
    lam_theta = theta * gam * tau * e
    eq_u = u - psi * e**2 * (gam * tau**2 * (1 + u) * i22 + omega * i12) / scale
    eq_w = omega - tau**2 * (gam * omega * e**2 * i22 + lam_theta**2 * (1 + u) * i12) / scale
    return [eq_u, eq_w]


@cache
def lemma1() -> dict[sp.Symbol, sp.Expr]:
    """Lemma 1: ``u`` and ``ω'`` solved from :func:`second_order_system` (linear in ``u, ω``).

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.random_projection import lemma1, omega_prime, tau
    >>> from modelcollapse.theory.symbols import d, m, n, theta
    >>> I12, I22 = sp.symbols("I12 I22", positive=True)
    >>> phi, gam = d / n, m / d
    >>> z = I22 * (gam - I22) + theta**2 * I12**2
    >>> closed = theta**2 * I12 / (gam - phi * z - I22)
    >>> from modelcollapse.theory.spectral import SpectralMoment, IDENTITY
    >>> rep = {SpectralMoment(IDENTITY, 1, 2, theta): d * I12,
    ...        SpectralMoment(IDENTITY, 2, 2, theta): d * I22}
    >>> sp.simplify(lemma1()[omega_prime].subs(rep) - closed)
    0
    """
    sol = _solve_opaque(second_order_system(), [u, omega])[0]
    return {
        u: sp.simplify(sol[u]),
        omega_prime: sp.simplify(sol[omega] / ((m / d) * tau**2)),
    }


#: ``ω' = (θ − g)(1 + u)`` — the nested quantities that Definition 2's ``ω'`` equals.
OMEGA_PRIME_NESTED: sp.Expr = (theta - g) * (1 + u)


@cache
def b_functional(weight: sp.Symbol) -> sp.Expr:
    """``b(a) = −t*² q_a'(t*)`` for ``a aᵀ → weight``, derived by SymPy: ``θ M(1,1) − g M(2,2)``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.random_projection import b_functional, g
    >>> from modelcollapse.theory.spectral import GAMMA, SpectralMoment
    >>> from modelcollapse.theory.symbols import theta
    >>> M = lambda a, b: SpectralMoment(GAMMA, a, b, theta)
    >>> sp.expand(b_functional(GAMMA) - (theta * M(1, 1) - g * M(2, 2)))
    0
    """
    deriv = sp.Symbol("_k2p")
    q = _kappa2_of_t / t * SpectralMoment(weight, 1, 1, _kappa2_of_t)
    b = _at_theta(-(t**2) * sp.diff(q, t), deriv).subs(deriv, g / t_star)
    b = sp.expand(b)
    # M(1,1) − θ M(1,2) = M(2,2): collect into the two-moment form (checked in the tests).
    m11, m12, m22 = (_M(weight, 1, 1), _M(weight, 1, 2), _M(weight, 2, 2))
    coeff_11 = b.coeff(m11)
    rest = sp.expand(b - coeff_11 * m11)
    coeff_12 = rest.coeff(m12)
    assert sp.simplify(rest - coeff_12 * m12) == 0
    # coeff_11 M11 + coeff_12 M12 with coeff_11 = θ − g, coeff_12 = g θ:  rewrite M11 = M22 + θM12
    assert sp.simplify(coeff_12 - theta * (theta - coeff_11)) == 0
    return sp.expand(theta * m11 - (theta - coeff_11) * m22)


def _weights(teacher: Teacher) -> tuple[sp.Symbol, sp.Symbol, sp.Symbol | None]:
    if teacher == "random":
        return GAMMA, DELTA, None
    if teacher == "fixed":
        return W1W1, DD, W1D
    raise ValueError(f"teacher must be 'random' or 'fixed', got {teacher!r}")


def _nested(teacher: Teacher) -> dict[str, sp.Expr]:
    gw, dw, cw = _weights(teacher)
    rho = 1 + u
    b_w1 = b_functional(gw)
    b_wbar = b_w1 + p2**2 * b_functional(dw)
    cross_lin = p2 * _M(dw, 1, 1)
    if cw is not None:
        b_wbar += 2 * p2 * b_functional(cw)
        cross_lin += _M(cw, 1, 1)
    c_sq = _M(dw, 1, 0)
    sigma_eff = sigma_sq + p1 * p2 * c_sq
    total = b_wbar * rho + sigma_eff * u - 2 * p2 * theta * cross_lin + p2**2 * c_sq
    bias = b_w1 * rho
    variance = sigma_sq * u
    zeta = sp.expand(total - bias - variance)
    return {"bias": bias, "variance": variance, "zeta": zeta}


def _paper(teacher: Teacher, printed: bool) -> dict[str, sp.Expr]:
    gw, dw, cw = _weights(teacher)
    w = omega_prime

    def tp1_sq(weight):  # tr W Σ (p1Σ + θ)² T^{-2}
        return p1**2 * _M(weight, 3, 2) + 2 * p1 * theta * _M(weight, 2, 2) + theta**2 * _M(
            weight, 1, 2
        )

    bias = (1 + u) * theta**2 * _M(gw, 1, 2) + w * _M(gw, 2, 2)
    v_core = _M(IDENTITY, 2, 2) + (w - theta * u) * _M(IDENTITY, 1, 2)
    variance = sigma_sq * v_core / e if printed else sigma_sq * v_core / (n * e)
    middle = p2 if printed else p2**2
    zeta = (
        p2**2 * (1 + p1 * u) * _M(dw, 3, 2)
        + middle * w * _M(dw, 2, 2)
        + p2 * u * tp1_sq(dw)
    )
    if cw is not None:
        # fixed teachers: the w1–δ cross term of the nested form, in Definition 2's variables
        zeta += 2 * p2 * (
            (1 + u) * theta**2 * _M(cw, 1, 2) + w * _M(cw, 2, 2) - theta * _M(cw, 1, 1)
        )
    return {"bias": bias, "variance": variance, "zeta": zeta}


def risk_components(teacher: Teacher = "random", form: Form = "nested") -> dict[str, sp.Expr]:
    """Bias B, variance V and collapse term ζ of Theorem 2.

    Parameters
    ----------
    teacher : {"random", "fixed"}
        Random effects (Γ, Δ) or fixed vectors (``w1 w1ᵀ``, ``δδᵀ``, cross ``w1 δᵀ``).
    form : {"nested", "paper", "printed"}
        ``"nested"``: in ``θ, g, u`` (corrected, as verified by Monte Carlo).
        ``"paper"``: Definition 2 in ``θ, u, ω', e`` (corrected: ``p2²`` middle term, ``1/n`` in V).
        ``"printed"``: Definition 2 exactly as printed in arXiv v2.

    Returns
    -------
    dict
        Keys ``"bias"``, ``"variance"``, ``"zeta"``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.random_projection import risk_components, omega_prime
    >>> from modelcollapse.theory.spectral import GAMMA, SpectralMoment
    >>> from modelcollapse.theory.symbols import theta, u
    >>> M = lambda a, b: SpectralMoment(GAMMA, a, b, theta)
    >>> bias = (1 + u) * theta**2 * M(1, 2) + omega_prime * M(2, 2)
    >>> sp.expand(risk_components("random", "paper")["bias"] - bias)
    0
    """
    if form == "nested":
        return _nested(teacher)
    if form in ("paper", "printed"):
        return _paper(teacher, printed=form == "printed")
    raise ValueError(f"form must be 'nested', 'paper' or 'printed', got {form!r}")


def test_error(teacher: Teacher = "random", form: Form = "nested") -> sp.Expr:
    """``E_test ≃ B + V + ζ`` of Theorem 2 in the chosen parametrisation.

    Examples
    --------
    >>> from modelcollapse.theory.random_projection import test_error, g
    >>> test_error("random", "nested").has(g)
    True
    """
    comps = risk_components(teacher, form)
    return comps["bias"] + comps["variance"] + comps["zeta"]


from ._rp_limits import (  # noqa: E402  (derived consequences use the definitions above)
    REGIONS,
    isotropic_ridgeless,
    isotropic_theta_equation,
    large_width_limit,
)

__all__ += ["REGIONS", "isotropic_ridgeless", "isotropic_theta_equation", "large_width_limit"]

from . import parameters as _par  # noqa: E402
from ._stable import stable_cross_term  # noqa: E402
from .model import Auxiliary, FixedPoint, ModelSpec, Parameter  # noqa: E402

#: ``θ − g``, evaluated without cancellation (it is ≪ θ when ``m ≫ n`` and λ is small).
theta_minus_g = sp.Symbol("theta_minus_g", nonnegative=True)
#: ``(θ − g)/θ²``, the form of θ − g that neither cancels nor underflows (θ³ does at θ ≲ 1e-103).
theta_minus_g_scaled = sp.Symbol("theta_minus_g_scaled", nonnegative=True)

#: The form option of the model: the corrected nested form (verified), Definition 2 with the errata
#: applied (the same values), or Definition 2 as printed in arXiv v2 (rejected by Monte Carlo).
FORM = Parameter("form", "which statement of Theorem 2: 'corrected' (nested, verified), 'paper' "
                 "(Definition 2 with the errata applied; identical values) or 'printed' (arXiv v2 "
                 "as printed, rejected by Monte Carlo)", role="option",
                 choices=("corrected", "paper", "printed"), default="corrected")

_THEORY_FORM = {"corrected": "nested", "paper": "paper", "printed": "printed"}


def _declared_auxiliaries(teacher: Teacher, options) -> tuple[Auxiliary, ...]:
    # u = D/(n e + g M(1,2)) with D = df1 − g M(1,2) = df2 + (θ − g) M(1,2) (as df1 − θ M(1,2)
    # = df2): non-negative terms, where df1 − g M(1,2) cancels when θ ≫ Σ
    m12 = SpectralMoment(IDENTITY, 1, 2, theta)
    big_d = sp.expand(effective_df().subs(g, theta - theta_minus_g)
                      .subs(df1(theta), df2(theta) + theta * m12))
    u_den = sp.factor(effective_df() / U_STABLE)
    return (
        Auxiliary("g", g, sp.Piecewise((G_STABLE, t_star > 0), (0, True)),
                  "g = t* κ2'(t*) (0 where t* = 0)", report=False),
        Auxiliary("theta_minus_g_scaled", theta_minus_g_scaled,
                  sp.Piecewise((sp.factor((theta - G_STABLE) / theta**2), t_star > 0), (0, True)),
                  "(θ − g)/θ² = θ M(1,2)/(t* d + θ² M(1,2)): θ³ underflows where θ ≲ 1e-103 "
                  "(n = d < m, λ ≲ 1e-206) while θ − g does not", report=False),
        Auxiliary("theta_minus_g", theta_minus_g,
                  sp.Piecewise((theta**2 * theta_minus_g_scaled, t_star > 0), (theta, True)),
                  "θ − g = θ² · θ M(1,2)/(t* d + θ² M(1,2)), without cancellation", report=False),
        Auxiliary("u", u, big_d / u_den, "1 + u = 1/(1 − D/n), Lemma 1's u"),
        Auxiliary("omega_prime", omega_prime,
                  OMEGA_PRIME_NESTED.subs(g, theta - theta_minus_g),
                  "ω' = ω/(γτ²) = (θ − g)(1 + u) (Lemma 1)"),
    )


def _declared_risk(teacher: Teacher, options) -> dict[str, sp.Expr]:
    form = options.get("form", "corrected")
    comps = dict(risk_components(teacher, _THEORY_FORM[form]))
    paper = risk_components(teacher, "paper")
    if form == "corrected":
        # B and ζ of Definition 2 (errata applied) are the nested ones with ω' = (θ − g)(1 + u),
        # identically, and sums of non-negative terms (fixed-teacher cross terms aside); the
        # nested θ M(1,1) − g M(2,2) and ζ's expanded c² − 2θ M(1,1) + … cancel catastrophically
        # when θ − g ≪ θ or ζ ≪ c².  V = σ² u stays nested (Definition 2's V carries a 1/e).
        comps.update(bias=paper["bias"], zeta=stable_cross_term(paper["zeta"], theta))
    else:
        # Definition 2's V has a 0/0 at e = 0 (λ = 0, m > n); there it is evaluated through the
        # identity V_paper = σ² u and the structural ratio of the chosen form to the paper's.
        ratio = sp.simplify(comps["variance"] / paper["variance"])
        nested = risk_components(teacher, "nested")["variance"]
        comps["variance"] = sp.Piecewise((ratio * nested, sp.Eq(e, 0)),
                                         (comps["variance"], True))
    return comps


def _threshold_risk(teacher: Teacher, options) -> dict[str, sp.Expr]:
    # At the threshold V is σ² u in every form (the paper's and printed V carry 1/e with e = 0)
    return {"variance": risk_components(teacher, "nested")["variance"]}


#: Theorem 2 (corrected) as a model declaration (docs/mathematics.md §2).
MODEL = ModelSpec(
    name="random_projection",
    title="Ridge on random projections on a real/synthetic mixture (Theorem 2, corrected)",
    doc="f(x) = vᵀSx with S ∈ R^{m×d} iid N(0, 1/d), ridge λ‖v‖² on n1 = p1 n real and "
    "n2 = p2 n synthetic rows; E ≃ B + V + ζ with θ = κ2(t*) (Theorem 2, nested form, errata "
    "applied).",
    parameters=(_par.SPECTRUM, _par.N_ROWS, _par.WIDTH, _par.P2, _par.RIDGE, _par.NOISE_REAL,
                _par.NOISE_SYNTH, _par.GAMMA, _par.DELTA, _par.W_REAL, _par.W_SYNTH, FORM),
    teachers=_par.LABEL_SHIFT_TEACHERS,
    fixed_points=(FixedPoint(theta, THETA_EQUATION, ("ridge", "n", "m"),
                             "θ = κ2(t*): θ γ τ(θ) e(θ) = λ (Definition 2)",
                             also=(e, tau, t_star)),),
    risk=_declared_risk,
    auxiliaries=_declared_auxiliaries,
    diverging=u,
    threshold_rewrite=lambda options: {omega_prime: theta_minus_g * (1 + u)},
    threshold_risk=_threshold_risk,
)

__all__ += ["theta_minus_g", "theta_minus_g_scaled", "FORM", "MODEL"]
