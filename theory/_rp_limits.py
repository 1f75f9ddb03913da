"""Derived consequences of Theorem 2: isotropic system, ridgeless limits, ψ → ∞
(docs/mathematics.md §2).

Private helpers of :mod:`modelcollapse.theory.random_projection` (re-exported there).
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from . import random_projection as rp
from .spectral import DELTA, GAMMA, IDENTITY, SpectralMoment, isotropic
from .symbols import c, d, kappa, lam, m, n, phi, psi, r, theta, u

__all__ = ["isotropic_theta_equation", "isotropic_ridgeless", "large_width_limit", "REGIONS"]

#: Ridgeless regions of the isotropic model and their θ0 (largest root with τ, e ≥ 0).
#: ``under``: ψ < 1 and ψ < φ (m < n, m < d); ``over``: ψ > 1 and φ > 1 (m > n, d > n);
#: ``classical``: φ < 1 and φ < ψ (d < n, d < m: the projection is invertible, θ0 = 0).
REGIONS = {"under": phi / psi - 1, "over": phi - 1, "classical": sp.Integer(0)}


def _iso(expr: sp.Expr) -> sp.Expr:
    return isotropic(expr, {IDENTITY: d, GAMMA: r**2, DELTA: c**2})


def _to_ratios(expr: sp.Expr) -> sp.Expr:
    return expr.subs({d: phi * n, m: psi * n})


@cache
def isotropic_theta_equation() -> sp.Expr:
    """Σ = I: numerator of ``θγτe − λ`` — a cubic in θ with coefficients in ``ψ, φ, λ``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.random_projection import isotropic_theta_equation
    >>> from modelcollapse.theory.symbols import theta, lam
    >>> x = sp.Symbol("x")
    >>> poly = sp.Poly(isotropic_theta_equation().subs({lam: 0, theta: x}), x)
    >>> sorted(map(str, sp.roots(poly)))
    ['(phi - psi)/psi', '0', 'phi - 1']
    """
    expr = sp.together(_to_ratios(_iso(rp.THETA_EQUATION)))
    num, _ = sp.fraction(expr)
    return sp.factor(sp.expand(num / n))


def _components_at(theta0: sp.Expr) -> dict[str, sp.Expr]:
    lem = rp.lemma1()
    u0 = _to_ratios(_iso(lem[u])).subs(theta, theta0)
    w0 = _to_ratios(_iso(lem[rp.omega_prime])).subs(theta, theta0)
    e0 = _to_ratios(_iso(rp.first_order_solution()[rp.e])).subs(theta, theta0)
    comps = rp.risk_components("random", "nested")
    # the nested form needs g = θ − ω'/(1 + u)  (ω' = (θ − g)(1 + u))
    g0 = theta0 - w0 / (1 + u0)
    out = {}
    for k, v in comps.items():
        val = _to_ratios(_iso(v)).subs({rp.g: g0, u: u0}).subs(theta, theta0)
        out[k] = sp.factor(sp.simplify(val))
    out.update(theta=theta0, u=sp.factor(sp.simplify(u0)), omega_prime=sp.factor(sp.simplify(w0)),
               e=sp.simplify(e0))
    return out


@cache
def isotropic_ridgeless(region: str) -> dict[str, sp.Expr]:
    """λ → 0⁺ for Σ = I, Γ = (r²/d)I, Δ = (c²/d)I, in one region of :data:`REGIONS`.

    Returns θ0, e0, u, ω', and B, V, ζ as functions of ``ψ, φ, p2, σ1, σ2, r, c``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.random_projection import isotropic_ridgeless
    >>> from modelcollapse.theory.symbols import sigma1, sigma2, p2
    >>> v = isotropic_ridgeless("under")["variance"]
    >>> from modelcollapse.theory.symbols import psi
    >>> sp.simplify(v.subs({p2: 0, sigma1: 1}) - psi / (1 - psi))
    0
    """
    if region not in REGIONS:
        raise ValueError(f"region must be one of {sorted(REGIONS)}, got {region!r}")
    return _components_at(REGIONS[region])


@cache
def large_width_limit(teacher: str = "random") -> dict[str, sp.Expr]:
    """ψ → ∞ with ``λ d/m = κ``-type penalty fixed: B, V, ζ become Theorem 1's at κ = θ.

    ``g`` is :data:`~modelcollapse.theory.random_projection.G_STABLE` with
    ``t* = θ (m/d) τ``, ``τ = 1 − df1(θ)/m``, ``u`` its definition, ``ω' = (θ − g)(1 + u)``; then
    ``m → ∞``.  Returned in the ridge module's variables (``κ``, its ``u``): compare with
    :func:`modelcollapse.theory.ridge.risk_components`.  The θ equation
    ``θ (1 − df1/m)(1 − df1/n) = λ d/m`` tends to the ridge fixed point with ``λ' = λd/m``.
    """
    tau_def = rp.first_order_solution()[rp.tau]
    t_expr = rp.T_STAR_FROM_TAU.subs(rp.tau, tau_def)
    g_expr = rp.G_STABLE.subs(rp.t_star, t_expr)
    u_expr = rp.U_DEFINITION.subs(rp.g, g_expr)
    comps = rp.risk_components(teacher, "nested")  # type: ignore[arg-type]
    atoms = sorted(set().union(*(v.atoms(SpectralMoment) for v in comps.values()),
                               u_expr.atoms(SpectralMoment), g_expr.atoms(SpectralMoment)),
                   key=sp.default_sort_key)
    dummies = [sp.Dummy() for _ in atoms]
    fwd, back = dict(zip(atoms, dummies, strict=True)), dict(zip(dummies, atoms, strict=True))
    g_lim = sp.limit(g_expr.xreplace(fwd), m, sp.oo)
    u_lim = sp.limit(u_expr.xreplace(fwd), m, sp.oo)
    out = {}
    for k, v in comps.items():
        val = v.xreplace(fwd).subs({rp.g: g_lim, u: sp.Symbol("_u")})
        out[k] = val.xreplace(back).subs(theta, kappa)
    u_ridge = u_lim.xreplace(back).subs(theta, kappa)
    out = {k: v.subs(sp.Symbol("_u"), u) for k, v in out.items()}
    out["u"] = u_ridge
    out["theta_equation"] = sp.limit(
        (rp.THETA_EQUATION.subs(lam, sp.Symbol("lam_p") * m / d) * d / m).xreplace(
            {df: dm for df, dm in zip(atoms, dummies, strict=True)}
        ), m, sp.oo).xreplace(back).subs(theta, kappa)
    return out
