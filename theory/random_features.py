"""Random features with an activation, ``f(x) = vᵀφ(x)``, through the Gaussian equivalence
(docs/mathematics.md §2; the linear case σ(z) = z is Theorem 2).

**Normalisation.**  ``S ∈ R^{m×d}`` has iid ``N(0, 1/d)`` entries, as in Theorem 2, and

    φ(x) = c σ(h/c),   h = S x,   c = √(tr Σ/d),

so the pre-activation ``h_i/c`` has variance ``d sᵢᵀΣsᵢ/tr Σ``, equal to 1 on average over S
(with ``tr Σ = 1`` and no scaling, ``h_i`` would be O(1/√d) and every activation would act in its
linear range).  The outer factor ``c`` keeps the features at the scale of Theorem 2's ``Sx``: for
σ(z) = z the model *is* Theorem 2, at the same λ.  For ReLU, ``c σ(h/c) = σ(h)``: the
normalisation does not matter.

**Gaussian equivalence.**  With μ0, μ1, μ* of σ at unit variance
(:mod:`modelcollapse.theory._activations`), ``φ(x) ≈ c μ0 1 + μ1 S x + c μ* ξ`` with ξ standard
normal, independent of x, fresh for every x.  The constant direction is a rank-one change of the
feature covariance (an intercept) and is dropped.  The feature covariance is then

    Φ = μ1² SΣSᵀ + η I_m,   η = μ*² tr Σ/d,

and the cross-covariance with x is ``μ1 SΣ``: the extra ``η I_m`` is a ridge-like term in feature
space that the target cannot use.

**Deterministic equivalent (derived here).**  Given S, ridge on Gaussian features with covariance
Φ and a misspecified linear target is Theorem 1 in feature space: with the feature-space effective
ridge ``t`` (``t(1 − df1^Φ(t)/n) = λ``), ``E ≃ [b(w̄) + σ_eff² D/n]/(1 − D/n) − 2p2 (…)δ + p2²c²``
where ``b`` is the population error at ridge t and ``D = df2^Φ(t)``.  Since
``(Φ + t)^{-1} = μ1^{-2}(SΣSᵀ + s)^{-1}`` with ``s = (t + η)/μ1²``, every S-trace is Theorem 2's
at the shift s: ``θ = κ2(s)``, and

    df1^Φ(t) = df1(θ) + η (m − df1(θ))/(t + η) = df1(θ) + ρ/θ,   ρ = (μ*/μ1)² tr Σ.

Writing ``DF(θ) = df1(θ) + ρ/θ``, ``τ = 1 − DF/m``, ``e = 1 − DF/n`` and ``γ = m/d``:

    θ equation:   μ1² θ γ τ e = λ,          t* = μ1² θ γ τ,
    g  = t* κ2'(s)/μ1² = θ mτ/(mτ + θ M12 + ρ/θ),     θ − g = (θ² M12 + ρ)/(mτ + θ M12 + ρ/θ),
    D  = df2(θ) + (θ − g)(M12 + ρ/θ²),       1 + u = n/(n − D),  n − D = n e + g (M12 + ρ/θ²),
    b(a) = θ² aᵀΣ(Σ+θ)^{-2}a + (θ − g) aᵀΣ²(Σ+θ)^{-2}a,

(``M12 = tr Σ(Σ+θ)^{-2}``) and B, V, ζ are Theorem 2's corrected expressions in (θ, g, u): the
model is Theorem 2 on the spectrum of Σ augmented by a continuum of infinitesimal eigenvalues of
total mass ρ, at ridge λ/μ1².  :func:`derive_nested` obtains these from the definitions by SymPy
(implicit differentiation of κ2), and the tests check them against the stable forms declared below;
at μ1 = 1, μ* = 0 every expression is Theorem 2's (:func:`reduces_to_theorem2`).

**Interpolation threshold.**  With μ* > 0, ``DF(θ) → ∞`` as θ → 0, so the ridgeless θ is the root
of ``DF(θ) = min(m, n)`` for every d: nonlinear features have full rank m even when m > d, and the
ridgeless risk diverges at **m = n** whatever d (with μ* = 0 it is Theorem 2's ``min(m, d) = n``).
Below it ``u = ψ/(1 − ψ)`` (least squares on m features).

Examples
--------
>>> import sympy as sp
>>> from modelcollapse.theory.random_features import THETA_EQUATION, mu1, mu_star
>>> from modelcollapse.theory.random_projection import THETA_EQUATION as THEOREM2
>>> sp.simplify(THETA_EQUATION.subs({mu1: 1, mu_star: 0}) - THEOREM2)
0
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from . import parameters as _par
from . import random_projection as rp
from ._activations import ACTIVATIONS
from ._stable import stable_cross_term
from .model import Auxiliary, FixedPoint, ModelSpec, Parameter
from .spectral import GAMMA, IDENTITY, SpectralMoment, df1, df2
from .symbols import d, lam, m, n, theta, u

__all__ = [
    "mu1",
    "mu_star",
    "NONLINEAR_MASS",
    "DF",
    "TAU",
    "E",
    "THETA_EQUATION",
    "T_STAR",
    "G_STABLE",
    "THETA_MINUS_G",
    "EFFECTIVE_DF",
    "U_STABLE",
    "b_functional",
    "derive_nested",
    "collect_identities",
    "theta_residual",
    "risk_components",
    "reduces_to_theorem2",
    "ACTIVATION",
    "MODEL",
]

mu1 = sp.Symbol("mu1", positive=True)  #: μ1 = E z σ(z) (only μ1² enters: its absolute value)
mu_star = sp.Symbol("mu_star", nonnegative=True)  #: μ* (μ*² = E σ² − μ0² − μ1²)

_e, _tau, _t_star, _g = rp.e, rp.tau, rp.t_star, rp.g


def _M(a: int, b: int, weight: sp.Symbol = IDENTITY) -> sp.Expr:
    return SpectralMoment(weight, a, b, theta)


_TRACE = SpectralMoment(IDENTITY, 1, 0, theta)  # tr Σ (the shift does not enter at b = 0)

#: ``ρ = (μ*/μ1)² tr Σ``: the total mass of the infinitesimal eigenvalues the nonlinear part adds.
NONLINEAR_MASS: sp.Expr = mu_star**2 / mu1**2 * _TRACE

#: ``DF(θ) = df1(θ) + ρ/θ = df1^Φ(t*)``, the feature-space degrees of freedom.
DF: sp.Expr = df1(theta) + NONLINEAR_MASS / theta

#: ``τ = 1 − DF/m`` and ``e = 1 − DF/n`` (Theorem 2's τ and e when μ* = 0).
TAU: sp.Expr = 1 - DF / m
E: sp.Expr = 1 - DF / n

#: ``μ1² θ (m/d) τ e − λ = 0``: one scalar equation for θ.
THETA_EQUATION: sp.Expr = sp.expand(mu1**2 * theta * (m / d) * TAU * E - lam)

#: ``t* = μ1² θ (m/d) τ``: the effective ridge in feature space (``λ = t* e``).
T_STAR: sp.Expr = mu1**2 * theta * (m / d) * _tau

_M12 = _M(1, 2)
_EXTRA = _M12 + NONLINEAR_MASS / theta**2  # tr over the augmented spectrum of Σ(Σ+θ)^{-2}

#: ``g`` with ``mτ = t* d/(μ1² θ)``: every term ≥ 0 (0 where t* = 0).
G_STABLE: sp.Expr = _t_star * d * theta / (_t_star * d + mu1**2 * (theta**2 * _M12
                                                                  + NONLINEAR_MASS))

#: ``θ − g = μ1² θ (θ² M12 + ρ)/(t* d + μ1²(θ² M12 + ρ))``, without cancellation.
THETA_MINUS_G: sp.Expr = (mu1**2 * theta * (theta**2 * _M12 + NONLINEAR_MASS)
                          / (_t_star * d + mu1**2 * (theta**2 * _M12 + NONLINEAR_MASS)))

_theta_minus_g = rp.theta_minus_g


def _u_parts(extra: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    big_d = df2(theta) + _theta_minus_g * extra
    return big_d, big_d / (n * _e + _g * extra)


#: ``D = df2(θ) + (θ − g)(M12 + ρ/θ²)``, a sum of non-negative terms.
EFFECTIVE_DF: sp.Expr = _u_parts(_EXTRA)[0]

#: ``u = D/(n − D)`` with ``n − D = n e + g (M12 + ρ/θ²)`` (non-negative terms).
U_STABLE: sp.Expr = _u_parts(_EXTRA)[1]

# ρ/θ² is 0/0 where μ* = 0 and θ = 0 (σ affine, d ≤ min(m, n), ridgeless): the declaration says 0
_EXTRA_DECLARED = _M12 + sp.Piecewise((NONLINEAR_MASS / theta**2, mu_star > 0), (0, True))


def b_functional(weight: sp.Symbol) -> sp.Expr:
    """``b(a) = θ² M_a(1,2) + (θ − g) M_a(2,2)``: the population error of the feature-space ridge
    at ``t*`` on the teacher ``a`` (``a aᵀ → weight``).  :func:`derive_nested` derives it."""
    return theta**2 * _M(1, 2, weight) + _theta_minus_g * _M(2, 2, weight)


@cache
def derive_nested() -> dict[str, sp.Expr]:
    """The random-features equations derived from their definitions (see the module docstring).

    Works with ``s = (t + η)/μ1²`` as the variable, ``κ2 = κ2(s)`` an unknown function with
    ``κ2'(s)`` from implicit differentiation of Theorem 2's κ2 fixed point
    (:func:`modelcollapse.theory.random_projection.kappa2_prime`), ``η = μ*² tr Σ/d`` and
    ``t = μ1² s − η``; at the solution ``κ2(s) = θ`` and ``s = θ(m − df1(θ))/d``.

    Returns
    -------
    dict
        ``"fixed_point"``: ``t(1 − df1^Φ(t)/n) − λ``; ``"df_features"``: ``df1^Φ(t)``;
        ``"effective_df"``: ``D = d/dt[t df1^Φ(t)]``; ``"g"``: ``t κ2'(s)/μ1²``;
        ``"b_gamma"``: ``b`` for the weight Γ, from ``P(s) − (t/μ1²) P'(s)`` with
        ``P(s) = κ2(s) tr ΓΣ(Σ + κ2(s))^{-1}``.  Every one in θ, moments at θ and the parameters.
    """
    s = sp.Symbol("s", positive=True)
    k2 = sp.Function("kappa2")(s)
    eta = mu_star**2 * _TRACE / d
    t_of_s = mu1**2 * s - eta
    df_phi = df1(k2) + eta * (m - df1(k2)) / (t_of_s + eta)
    kp = sp.Symbol("_kp")
    s_at = theta * (m - df1(theta)) / d  # κ2(s) = θ solved for s

    def at_solution(expr: sp.Expr) -> sp.Expr:
        expr = expr.subs(sp.Derivative(k2, s), kp).subs(k2, theta).subs(s, s_at)
        return expr.subs(kp, rp.kappa2_prime())

    p_fun = k2 * SpectralMoment(GAMMA, 1, 1, k2)
    out = {
        "fixed_point": at_solution(t_of_s * (1 - df_phi / n) - lam),
        "df_features": at_solution(df_phi),
        "effective_df": at_solution(sp.diff(t_of_s * df_phi, s) / mu1**2),
        "g": at_solution(t_of_s * sp.Derivative(k2, s) / mu1**2),
        "b_gamma": at_solution(p_fun - t_of_s / mu1**2 * sp.diff(p_fun, s)),
    }
    return out


def collect_identities(expr: sp.Expr) -> sp.Expr:
    """``expr`` with ``M_W(1,1) = M_W(2,2) + θ M_W(1,2)`` substituted for every weight (the
    identity ``Σ(Σ+θ)^{-1} = Σ²(Σ+θ)^{-2} + θΣ(Σ+θ)^{-2}``), for symbolic comparisons."""
    rep = {}
    for atom in expr.atoms(SpectralMoment):
        weight, a, b, shift = atom.args
        if (a, b) == (1, 1) and shift == theta:
            rep[atom] = (SpectralMoment(weight, 2, 2, theta)
                         + theta * SpectralMoment(weight, 1, 2, theta))
    return expr.xreplace(rep)


def theta_residual(branch: str) -> sp.Expr:
    """:data:`THETA_EQUATION` divided by its well-conditioned factor, increasing in θ.

    ``"under"`` (``m ≤ n``): ``1 − λ/(μ1²θγ e) − DF/m``; ``"over"`` (``m > n``):
    ``1 − λ/(μ1²θγ τ) − DF/n`` (the small factor is the one solved for).
    """
    gam = m / d
    if branch == "under":
        return 1 - lam / (mu1**2 * theta * gam * E) - DF / m
    if branch == "over":
        return 1 - lam / (mu1**2 * theta * gam * TAU) - DF / n
    raise ValueError(f"branch must be 'under' or 'over', got {branch!r}")


def risk_components(teacher: str = "random") -> dict[str, sp.Expr]:
    """B, V, ζ in θ, u, ω' (= (θ − g)(1 + u)) and moments at θ: Theorem 2's corrected expressions,
    which depend on the model only through (θ, g, u).

    Examples
    --------
    >>> from modelcollapse.theory.random_features import risk_components
    >>> from modelcollapse.theory import random_projection as rp
    >>> risk_components("random")["bias"] == rp.risk_components("random", "paper")["bias"]
    True
    """
    nested = rp.risk_components(teacher, "nested")
    paper = rp.risk_components(teacher, "paper")
    return {"bias": paper["bias"], "variance": nested["variance"],
            "zeta": stable_cross_term(paper["zeta"], theta)}


def reduces_to_theorem2() -> dict[str, sp.Expr]:
    """Differences from Theorem 2 at σ(z) = z (μ1 = 1, μ* = 0): every value is 0.

    Compares the θ equation, t*, g, θ − g, u and B, V, ζ (random and fixed teachers) with the
    declarations of :mod:`modelcollapse.theory.random_projection`.

    Examples
    --------
    >>> from modelcollapse.theory.random_features import reduces_to_theorem2
    >>> set(reduces_to_theorem2().values())
    {0}
    """
    lin = {mu1: 1, mu_star: 0}
    rp_aux: dict[str, sp.Expr] = {}
    for a in rp.MODEL.auxiliaries("random", {}):  # each in terms of θ, not of earlier auxiliaries
        rp_aux[a.name] = a.expr.subs(rp.theta_minus_g_scaled,
                                     rp_aux.get("theta_minus_g_scaled", rp.theta_minus_g_scaled))
    ours = {a.name: a.expr for a in _declared_auxiliaries("random", {})}
    out = {
        "theta_equation": sp.simplify(THETA_EQUATION.subs(lin) - rp.THETA_EQUATION),
        "t_star": sp.simplify(T_STAR.subs(lin) - rp.T_STAR_FROM_TAU),
        "g": sp.simplify(G_STABLE.subs(lin) - rp.G_STABLE),
        "theta_minus_g": sp.simplify(ours["theta_minus_g"].subs(lin)
                                     - rp_aux["theta_minus_g"]),
        "u": sp.simplify(ours["u"].subs(lin) - rp_aux["u"]),
        "omega_prime": sp.simplify(ours["omega_prime"].subs(lin) - rp_aux["omega_prime"]),
    }
    for teacher in ("random", "fixed"):
        mine = risk_components(teacher)
        theirs = rp.MODEL.risk(teacher, {"form": "corrected"})
        for k in ("bias", "variance", "zeta"):
            out[f"{k}_{teacher}"] = sp.simplify(mine[k].subs(lin) - theirs[k])
    return out


#: The activation option (docs/mathematics.md §2, random features).
ACTIVATION = Parameter("activation", "activation σ of the random features: 'relu', 'tanh', 'erf' "
                       "or 'linear' (σ(z) = z: Theorem 2); the Python API also takes a callable",
                       role="option", choices=ACTIVATIONS, default="relu")


def _declared_auxiliaries(teacher: str, options) -> tuple[Auxiliary, ...]:
    return (
        Auxiliary("g", _g, sp.Piecewise((G_STABLE, _t_star > 0), (0, True)),
                  "g = t* κ2'(s)/μ1² (0 where t* = 0)", report=False),
        Auxiliary("theta_minus_g", _theta_minus_g,
                  sp.Piecewise((THETA_MINUS_G, _t_star > 0), (theta, True)),
                  "θ − g, without cancellation", report=False),
        Auxiliary("u", u, _u_parts(_EXTRA_DECLARED)[1],
                  "1 + u = n/(n − D), D = df2 + (θ − g)(M12 + ρ/θ²)"),
        Auxiliary("omega_prime", rp.omega_prime, _theta_minus_g * (1 + u),
                  "ω' = (θ − g)(1 + u)"),
    )


def _declared_risk(teacher: str, options) -> dict[str, sp.Expr]:
    return risk_components(teacher)


#: Random features through the Gaussian equivalence, as a model declaration.
MODEL = ModelSpec(
    name="random_features",
    title="Ridge on nonlinear random features on a real/synthetic mixture (Gaussian equivalence)",
    doc="f(x) = vᵀ c σ(Sx/c), c = √(tr Σ/d), S ∈ R^{m×d} iid N(0, 1/d), ridge λ‖v‖² on "
    "n1 = p1 n real and n2 = p2 n synthetic rows; through σ(Sx/c) ≈ μ0 + μ1 Sx/c + μ* ξ the model "
    "is Theorem 2 with DF(θ) = df1(θ) + (μ*/μ1)² tr Σ/θ and ridge λ/μ1²; σ(z) = z is Theorem 2.",
    parameters=(_par.SPECTRUM, _par.N_ROWS, _par.WIDTH, _par.P2, _par.RIDGE, _par.NOISE_REAL,
                _par.NOISE_SYNTH, _par.GAMMA, _par.DELTA, _par.W_REAL, _par.W_SYNTH, ACTIVATION),
    teachers=_par.LABEL_SHIFT_TEACHERS,
    fixed_points=(FixedPoint(theta, THETA_EQUATION, ("ridge", "n", "m"),
                             "θ = κ2(s*): μ1² θ γ τ(θ) e(θ) = λ with DF = df1 + ρ/θ",
                             also=(_e, _tau, _t_star, mu1, mu_star)),),
    risk=_declared_risk,
    auxiliaries=_declared_auxiliaries,
    diverging=u,
    threshold_rewrite=lambda options: {rp.omega_prime: _theta_minus_g * (1 + u)},
)
