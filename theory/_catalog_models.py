"""Catalog entries for random projections, mixing, iterative mixing, retraining (docs §2, §3, §6).

Every entry is derived with the workbench when asked for: limits of the θ equation's root taken
through the equation, sign analyses of ∂ζ/∂ψ, optima expanded in φ, recursions solved by SymPy.
Private module: importing it registers the entries in :mod:`modelcollapse.theory.catalog`.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from . import iterative as it
from . import mixing as mx
from . import random_projection as rp
from . import ridge_isotropic as iso
from .catalog import register
from .spectral import DELTA, GAMMA, IDENTITY, isotropic
from .symbols import (
    c,
    d,
    lam,
    m,
    n,
    p1,
    p2,
    phi,
    phi1,
    psi,
    q2,
    r,
    sigma1,
    sigma2,
    sigma_sq,
    theta,
    u,
)
from .workbench import (
    REGIONS,
    implicit_root,
    limit,
    optimum_series,
    series,
    sets_by_case,
    sign_condition,
    solve_inequality,
    tidy,
)

__all__: list[str] = []

_RP = ("Σ = I, Γ = (r²/d) I, Δ = (c²/d) I (random effects); φ = d/n, ψ = m/n; "
       "random projections S with iid N(0, 1/d) entries")
_RP0 = _RP + "; ridgeless λ → 0⁺"
_REGION_TEXT = {"under": "m < min(n, d): ψ < 1, ψ < φ", "over": "m > n, d > n: ψ > 1, φ > 1",
                "classical": "d < min(n, m): φ < 1, φ < ψ"}
_REGION_SPEC = {"under": "psi<1, psi<phi", "over": "1<psi, 1<phi", "classical": "phi<1, phi<psi"}


@cache
def _theta_root():
    return implicit_root(rp.isotropic_theta_equation(), theta, "largest")


@register("rp-theta-ridgeless",
          "Random projections: θ as λ → 0⁺ (every region) and to first order in λ, "
          "through the θ cubic", _RP + "; θ the largest root of the isotropic θ equation",
          labels={"theta0": r"\lim_{\lambda\to0^+}\theta",
                  "theta_order1_under": r"\theta\ \text{to } O(\lambda),\ \psi<\min(1,\phi)",
                  "theta_order1_over": r"\theta\ \text{to } O(\lambda),\ \psi>1,\ \phi>1",
                  "theta_order1_classical": r"\theta\ \text{to } O(\lambda),\ \phi<\min(1,\psi)"},
          regime={f"theta_order1_{k}": v for k, v in _REGION_SPEC.items()})
def _rp_theta():
    root = _theta_root()
    out = {"theta0": limit(root, lam, 0)}
    for region in ("under", "over", "classical"):
        out[f"theta_order1_{region}"] = series(root, lam, 1,
                                               regime=REGIONS["random-projections"][region])
    return out


def _rp_region(region: str) -> dict[str, sp.Expr]:
    res = rp.isotropic_ridgeless(region)
    total = res["bias"] + res["variance"] + res["zeta"]
    return {"theta0": res["theta"], "u": res["u"], "bias": res["bias"],
            "variance": res["variance"], "zeta": res["zeta"], "E_test": total}


_RP_LABELS = {"theta0": r"\theta_0", "u": "u", "bias": "B", "variance": "V", "zeta": r"\zeta",
              "E_test": r"E_{\mathrm{test}}"}

for _region in ("under", "over", "classical"):
    register(f"rp-ridgeless-{_region}",
             f"Random projections, ridgeless, {_REGION_TEXT[_region]}: θ0, u, B, V, ζ",
             _RP0 + f"; {_REGION_TEXT[_region]}", labels=_RP_LABELS,
             regime=_REGION_SPEC[_region])(lambda region=_region: _rp_region(region))


@cache
def rp_error_of_theta() -> dict[str, sp.Expr]:
    """Isotropic B, V, ζ of Theorem 2 as functions of θ (for Σ = I, λ acts only through θ).

    Lemma 1 gives ``u`` and ``ω'`` in θ; the nested form needs ``g = θ − ω'/(1 + u)``.
    """
    totals = {IDENTITY: d, GAMMA: r**2, DELTA: c**2}

    def iso_rp(expr):
        return isotropic(expr, totals).subs({d: phi * n, m: psi * n})

    lem = rp.lemma1()
    u_theta = sp.factor(iso_rp(lem[u]))
    w_theta = sp.factor(iso_rp(lem[rp.omega_prime]))
    g_theta = theta - w_theta / (1 + u_theta)
    out = {k: sp.factor(iso_rp(v).subs({rp.g: g_theta, u: u_theta}))
           for k, v in rp.risk_components("random", "nested").items()}
    out["u"] = u_theta
    return out


@register("rp-small-ridge",
          "Random projections, m < min(n, d): E as a function of θ (Σ = I), θ to second order "
          "in λ through the θ cubic, and the slope dE/dλ at λ = 0⁺ (does a small ridge help?)",
          _RP + "; λ → 0⁺ with ψ < 1, ψ < φ",
          labels={"E_of_theta": r"E_{\mathrm{test}}(\theta)",
                  "theta_series": r"\theta\ \text{to } O(\lambda^2)",
                  "dE_dlambda": r"\left.\frac{dE_{\mathrm{test}}}{d\lambda}\right|_{\lambda=0^+}",
                  "dzeta_dlambda": r"\left.\frac{d\zeta}{d\lambda}\right|_{\lambda=0^+}"},
          tidy_output=False)
def _rp_small_ridge():
    reg = REGIONS["random-projections"]["under"]
    theta_series = series(_theta_root(), lam, 2, regime=reg)
    theta0 = theta_series.subs(lam, 0)
    theta1 = sp.diff(theta_series, lam).subs(lam, 0)
    err = rp_error_of_theta()
    total = err["bias"] + err["variance"] + err["zeta"]
    slope = sp.factor(sp.diff(total, theta).subs(theta, theta0) * theta1)
    zslope = sp.factor(sp.diff(err["zeta"], theta).subs(theta, theta0) * theta1)
    return {"E_of_theta": _error_over_common_denominator(err, total, reg),
            "theta_series": tidy(theta_series, reg), "dE_dlambda": tidy(slope, reg),
            "dzeta_dlambda": tidy(zslope, reg)}


def _error_over_common_denominator(err: dict, total: sp.Expr, reg) -> sp.Expr:
    """``E(θ) = (B-part + M(θ)·(ζ- and V-parts))/((1 + θ) D(θ))``: one fraction over the common
    denominator of B, V, ζ (``u = φM/D``), instead of three fractions repeating ``D``."""
    num_u, den = sp.fraction(tidy(err["u"], reg))
    shared = tidy(sp.cancel(num_u / phi), reg)  # M(θ), a factor of V and ζ
    bias_part = sp.cancel(err["bias"] * den * (theta + 1))
    rest = sp.cancel((sp.cancel(total * den * (theta + 1)) - bias_part) / shared)
    out = (tidy(bias_part, reg) + shared * tidy(rest, reg)) / ((theta + 1) * den)
    # the construction is exact; the presentation (tidy) is checked in exact arithmetic at a
    # point of the region
    point = {phi: sp.Rational(3, 4), psi: sp.Rational(1, 3), theta: sp.Rational(2, 7),
             p2: sp.Rational(1, 5), c: sp.Rational(4, 5), r: 1, sigma1: sp.Rational(1, 2),
             sigma2: sp.Rational(3, 10)}
    if out.subs(point) != total.subs(point):  # pragma: no cover - guards the algebra
        raise RuntimeError("E(θ) over the common denominator differs from B + V + ζ")
    return out


@register("rp-large-width", "Random projections, ridgeless, ψ → ∞: Theorem 1's ridgeless "
          "errors (Corollary 4 for φ > 1, Corollary 1 for φ < 1)", _RP0 + "; then ψ → ∞",
          labels={"E_psi_to_oo_phi_gt_1": r"\lim_{\psi\to\infty} E_{\mathrm{test}},\ \phi>1",
                  "E_psi_to_oo_phi_lt_1": r"\lim_{\psi\to\infty} E_{\mathrm{test}},\ \phi<1",
                  "zeta_psi_to_oo_phi_gt_1": r"\lim_{\psi\to\infty}\zeta,\ \phi>1",
                  "zeta_psi_to_oo_phi_lt_1": r"\lim_{\psi\to\infty}\zeta,\ \phi<1"},
          regime={"E_psi_to_oo_phi_gt_1": "phi>1", "zeta_psi_to_oo_phi_gt_1": "phi>1",
                  "E_psi_to_oo_phi_lt_1": "phi<1", "zeta_psi_to_oo_phi_lt_1": "phi<1"})
def _rp_large_width():
    over, classical = _rp_region("over"), _rp_region("classical")
    return {
        "E_psi_to_oo_phi_gt_1": limit(over["E_test"], psi, sp.oo, regime="phi>1"),
        "zeta_psi_to_oo_phi_gt_1": limit(over["zeta"], psi, sp.oo, regime="phi>1"),
        "E_psi_to_oo_phi_lt_1": limit(classical["E_test"], psi, sp.oo, regime="phi<1"),
        "zeta_psi_to_oo_phi_lt_1": limit(classical["zeta"], psi, sp.oo, regime="phi<1"),
    }


@cache
def width_analysis() -> dict:
    """∂ζ/∂ψ in each ridgeless region and its exact sign analysis (random projections)."""
    out = {}
    for region in ("under", "over", "classical"):
        zeta = rp.isotropic_ridgeless(region)["zeta"]
        dz = sp.diff(zeta, psi)
        out[region] = (dz, sign_condition(dz, psi, REGIONS["random-projections"][region]))
    return out


@cache
def _sets(region: str, sign: str) -> sp.Expr:
    """The ψ-set of one sign in one region: a set, or a Piecewise over the cases (conditions
    reduced with what the region implies)."""
    return tidy(sets_by_case(width_analysis()[region][1], sign),
                REGIONS["random-projections"][region])


@register("rp-width-collapse",
          "Random projections, ridgeless: where a wider model amplifies collapse (∂ζ/∂ψ > 0) "
          "and the mitigation window", _RP0 + "; ψ = m/n varies, φ and p2 fixed",
          labels={"dzeta_dpsi_under": r"\frac{\partial\zeta}{\partial\psi},\ \psi<\min(1,\phi)",
                  "dzeta_dpsi_over": r"\frac{\partial\zeta}{\partial\psi},\ \psi>1,\ \phi>1",
                  "dzeta_dpsi_classical":
                      r"\frac{\partial\zeta}{\partial\psi},\ \phi<\min(1,\psi)",
                  "amplify_under": r"\{\psi<\min(1,\phi):\ \partial\zeta/\partial\psi>0\}",
                  "mitigate_under": r"\{\psi<\min(1,\phi):\ \partial\zeta/\partial\psi<0\}",
                  "mitigate_over": r"\{\psi>1:\ \partial\zeta/\partial\psi<0\}\ (\phi>1)"},
          tidy_output=False)
def _rp_width():
    out = {f"dzeta_dpsi_{k}": tidy(v[0], REGIONS["random-projections"][k])
           for k, v in width_analysis().items()}
    out["amplify_under"] = _sets("under", "positive")
    out["mitigate_under"] = _sets("under", "negative")
    out["mitigate_over"] = _sets("over", "negative")
    if _sets("over", "positive") != sp.S.EmptySet or _sets("classical", "positive") != \
            sp.S.EmptySet or _sets("classical", "negative") != sp.S.EmptySet:
        raise RuntimeError("unexpected sign of ∂ζ/∂ψ outside the narrow region")
    return out


# -- weighted mixing, iterative mixing, retraining -------------------------------------------
_MIX = ("Σ = I, Γ = (r²/d) I, Δ = (c²/d) I; loss ((1−α)/n1) Σ_real + (α/n2) Σ_synth + λ‖w‖²; "
        "ridgeless, φ → 0")


@register("mixing-first-order",
          "Weighted mixing: E_test to first order in φ, and the printed Corollary 2 (rejected "
          "by Monte Carlo)", _MIX,
          labels={"E_order1": r"E_{\mathrm{test}}\ \text{to } O(\phi)",
                  "theta_eff": r"\theta_{\mathrm{eff}}\ \text{to } O(\phi)",
                  "E_printed": r"E_{\mathrm{test}}\ \text{(printed Cor. 2, rejected)}"},
          regime="0<alpha<1, 0<p2<1")
def _mixing_first():
    res = mx.small_phi_expansion()
    weight = res["teacher_weight"] if "teacher_weight" in res else res["theta"]
    e = res["E"]
    e0, e1 = e.subs(phi, 0), sp.diff(e, phi).subs(phi, 0)
    w0, w1 = weight.subs(phi, 0), sp.diff(weight, phi).subs(phi, 0)
    return {"E_order1": sp.factor(e0) + phi * sp.factor(e1),
            "theta_eff": sp.factor(w0) + phi * sp.factor(w1),
            "E_printed": mx.printed_corollary2()}


@register("mixing-optimal-alpha",
          "Weighted mixing: the best synthetic weight α* to first order in φ (the stationary "
          "point of the first-order error, expanded through its equation)", _MIX,
          labels={"alpha_opt": r"\alpha^*",
                  "alpha_printed": r"\alpha^*\ \text{(printed, rejected)}"},
          regime="0<p2<1")
def _mixing_alpha():
    e1 = mx.small_phi_expansion()["E"]
    return {"alpha_opt": optimum_series(e1, mx.alpha, phi, 1, branch=0),
            "alpha_printed": mx.printed_optimal_alpha()}


_ITER = ("Σ arbitrary (the recursion is spectrum-free); ridgeless, φ = d/n < 1; "
         "n1 = p1 n fresh real rows and n2 = p2 n rows labelled by the previous model")


_B, _E_INF = sp.Symbol("b"), sp.Function("E")(sp.oo)


def _affine_solution(res: dict) -> sp.Expr:
    """``E(t) = E(∞) + (c0² − E(∞)) bᵗ`` (in the symbols b and E(∞)), checked against rsolve."""
    closed = _E_INF + (it.c0**2 - _E_INF) * _B**it.step
    expanded = closed.subs({_E_INF: res["E_inf"], _B: res["b"]})
    for t_val in (0, 1, 3):
        if sp.simplify((expanded - res["E_t"]).subs(it.step, t_val)) != 0:
            raise RuntimeError("the recursion's solution is not affine in b^t")
    return closed


@register("iterative-mixing",
          "Iterative mixing: exact recursion E(t+1) = a + b E(t), its solution and fixed point; "
          "the clean error and the excess over it", _ITER,
          labels={"a": "a", "b": "b", "E_t": "E(t)", "E_inf": r"E(\infty)",
                  "E_clean": r"E_{\mathrm{clean}}",
                  "E_inf_minus_clean": r"E(\infty) - E_{\mathrm{clean}}"},
          regime="phi<1, 0<p2<1")
def _iterative():
    res = it.mixing_recursion()
    clean = sigma1**2 * phi / (1 - phi)
    return {"a": res["a"], "b": res["b"], "E_t": _affine_solution(res), "E_inf": res["E_inf"],
            "E_clean": clean,
            "E_inf_minus_clean": sp.factor(res["E_inf"].subs(sigma2, sigma1) - clean)}


@register("corollary3", "Iterative mixing to leading order (Corollary 3)", _ITER +
          "; leading order in φ of the contraction",
          labels={"a": r"\bar E", "b": "b", "E_t": "E(t)", "E_inf": r"E(\infty)"},
          regime="phi<1, 0<p2<1")
def _cor3():
    res = dict(it.corollary3())
    res["E_t"] = _affine_solution(res)
    return res


@register("retraining-ridgeless",
          "Recursive retraining (OLS generators, ridgeless downstream): linear growth in N",
          "Σ = I; downstream OLS on T rows (φ = d/T < 1), generators OLS on T0 rows "
          "(φ0 = d/T0 < 1) with noise σ0; N generations",
          labels={"per_generation": r"\Delta E\ \text{per generation}", "E_N": "E_N"},
          regime="phi<1, phi0<1")
def _retraining():
    return dict(it.recursive_retraining())


@register("retraining-ridge",
          "Recursive retraining, any spectrum and ridge: E_N = B + V + N σ0² ρ",
          "any Σ; downstream ridge on T rows; OLS generators on T0 > d rows with noise σ0",
          labels={"rho": r"\rho", "clean": r"B + V", "E_N": "E_N"}, tidy_output=False)
def _retraining_ridge():
    return dict(it.recursive_retraining_ridge())


# -- free synthetic rows at a fixed number of real rows (Corollaries 1 and 4) ----------------
_FREE = ("Σ = I, Γ = (r²/d) I, Δ = (c²/d) I; ridgeless; n1 real rows fixed (φ1 = d/n1 < 1), "
         "n2 = q2 n1 synthetic rows: φ = φ1/(1 + q2), p2 = q2/(1 + q2)")


@cache
def free_rows_error() -> sp.Expr:
    """Ridgeless isotropic E_test as a function of q2 = n2/n1 at fixed φ1 = d/n1 < 1."""
    res = iso.ridgeless_under()
    total = res["bias"] + res["variance"] + res["zeta"]
    return sp.factor(total.subs({phi: phi1 / (1 + q2), p2: q2 / (1 + q2)}))


@register("free-synthetic-rows",
          "Do free synthetic rows help at a fixed number of real rows? Slope at q2 = 0, the "
          "unlimited-data limit and where each helps", _FREE,
          labels={"E_of_q2": r"E_{\mathrm{test}}(q_2)",
                  "slope_at_0": r"\left.\frac{dE_{\mathrm{test}}}{dq_2}\right|_{q_2=0}",
                  "E_real_only": r"E_{\mathrm{test}}(0)",
                  "E_unlimited": r"\lim_{q_2\to\infty} E_{\mathrm{test}}",
                  "first_rows_hurt": r"\{\phi_1:\ dE/dq_2|_{0} > 0\}",
                  "unlimited_helps": r"\{\phi_1:\ E(\infty) < E(0)\}"},
          regime="phi1<1")
def _free_rows():
    e = free_rows_error()
    slope = sp.factor(sp.diff(e, q2).subs(q2, 0))
    e0 = sp.factor(e.subs(q2, 0))
    e_inf = limit(e, q2, sp.oo)
    return {"E_of_q2": e, "slope_at_0": slope, "E_real_only": e0, "E_unlimited": e_inf,
            "first_rows_hurt": solve_inequality(sp.StrictGreaterThan(slope, 0), phi1, "phi1<1"),
            "unlimited_helps": solve_inequality(sp.StrictLessThan(e_inf, e0), phi1, "phi1<1")}


_ = (c, p1, r, sigma_sq)


# -- nonlinear random features (docs §2.8) ------------------------------------------------------
_RF = ("φ(x) = c·σ(Sx/c), S iid N(0, 1/d), c² = tr Σ/d (unit-variance pre-activations); "
       "Gaussian equivalence σ(z) ≈ μ0 + μ1 z + μ* ξ with z, ξ standard normal")


@register("rf-relu-equivalence",
          "ReLU random features: the Gaussian-equivalence coefficients (by Gaussian integrals) and "
          "the feature-space degrees of freedom DF(θ) = df1(θ) + (μ*/μ1)² tr Σ/θ, the extra "
          "ridge-like term that makes the features full rank whatever d is", _RF,
          labels={"mu0": r"\mu_0", "mu1": r"\mu_1", "mu_star_sq": r"\mu_*^2",
                  "noise_ratio": r"\mu_*^2/\mu_1^2",
                  "df_features": r"\mathrm{DF}(\theta)"})
def _rf_relu():
    from . import random_features as rf
    from ._activations import derive_closed_form

    co = derive_closed_form("relu")
    mu_star_sq = sp.simplify(co["second_moment"] - co["mu0"] ** 2 - co["mu1"] ** 2)
    return {"mu0": co["mu0"], "mu1": co["mu1"], "mu_star_sq": mu_star_sq,
            "noise_ratio": sp.simplify(mu_star_sq / co["mu1"] ** 2),
            "df_features": rf.derive_nested()["df_features"]}


# -- several sources (docs §7) -----------------------------------------------------------------
_MS = ("two sources: real (Σ, teacher w, share p1, weight a1) and a generator (Σ on the head, ρΣ "
       "on the tail, teacher w + δ, share p2, weight a2); target the real data; n → ∞, then "
       "λ → 0; c²_head, c²_tail = the shift's energy Σ_j s_j δ_j² on the head and the tail")


@register("multi-source-tail-plateau",
          "Covariate shift: the floor more data cannot remove when the generator loses the tail "
          "of the spectrum, E_∞(ρ) = θ_head² c²_head + θ_tail(ρ)² c²_tail", _MS,
          labels={"E_inf": r"E_\infty(\rho)", "E_inf_equal_weights": r"E_\infty(\rho)|_{a=1}",
                  "E_inf_tail_lost": r"E_\infty(0)|_{a=1}",
                  "E_inf_no_shift": r"E_\infty(1)|_{a=1}"})
def _ms_tail():
    from . import multi_source as ms

    tp = ms.tail_plateau()
    sy = tp["symbols"]
    # the energies as squares (c_head², not "c2_head"), each term of the sum factored on its own
    energies = {sy["c2_head"]: sp.Symbol("c_head", nonnegative=True) ** 2,
                sy["c2_tail"]: sp.Symbol("c_tail", nonnegative=True) ** 2}

    def terms(expr):
        return sp.Add(*[sp.factor(x) for x in sp.Add.make_args(sp.expand(expr.subs(energies)))])

    full = sp.Add(*[sp.factor(x) for x in sp.Add.make_args(tp["E"].subs(energies))])
    equal = terms(tp["E"].subs({sy["a1"]: 1, sy["a2"]: 1}).simplify())
    return {"E_inf": full, "E_inf_equal_weights": equal,
            "E_inf_tail_lost": sp.factor(equal.subs(sy["rho"], 0)),
            "E_inf_no_shift": sp.factor(equal.subs(sy["rho"], 1))}
