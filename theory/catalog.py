"""Named results the toolkit derives, for ``modelcollapse derive NAME`` and for notebooks.

Each entry is computed on demand by the derivation code (nothing is stored as a formula here):
:func:`derive` returns a :class:`Result` holding the SymPy expressions, the assumptions under
which they hold, and a one-line description.  :func:`register` adds a result (other modules and
users may extend the catalog).

Examples
--------
>>> from modelcollapse.theory.catalog import derive, names
>>> "corollary1" in names()
True
>>> print(derive("strong-collapse").expressions["zeta_limit"])
c**2*p2**2
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from . import power_law as pl
from . import ridge_isotropic as iso
from .symbols import c, kappa, lam, p2, phi
from .workbench import limit, series

__all__ = ["Result", "derive", "names", "register", "describe"]


@dataclass(frozen=True)
class Result:
    """A derived result: named expressions, their assumptions and what they say."""

    name: str
    description: str
    assumptions: str
    expressions: dict[str, sp.Expr]

    def as_text(self) -> str:
        """Plain-text rendering (one ``name = expression`` per line)."""
        return "\n".join(f"{k} = {sp.sstr(v)}" for k, v in self.expressions.items())

    def as_latex(self) -> str:
        """LaTeX rendering (one ``name = expression`` per line)."""
        return "\n".join(
            rf"{sp.latex(sp.Symbol(k))} = {sp.latex(v)}" for k, v in self.expressions.items()
        )


@dataclass(frozen=True)
class _Entry:
    description: str
    assumptions: str
    compute: Callable[[], dict[str, sp.Expr]]


_CATALOG: dict[str, _Entry] = {}


def register(name: str, description: str, assumptions: str):
    """Decorator adding ``compute() -> dict[str, Expr]`` to the catalog under ``name``."""

    def deco(fn: Callable[[], dict[str, sp.Expr]]):
        if name in _CATALOG:
            raise ValueError(f"catalog: {name!r} is already registered")
        _CATALOG[name] = _Entry(description, assumptions, fn)
        return fn

    return deco


def names() -> list[str]:
    """The available result names, sorted."""
    return sorted(_CATALOG)


def describe(name: str) -> str:
    """One-line description of a result."""
    return _entry(name).description


def _entry(name: str) -> _Entry:
    if name not in _CATALOG:
        raise ValueError(f"unknown result {name!r}; available: {', '.join(names())}")
    return _CATALOG[name]


def derive(name: str) -> Result:
    """Derive the named result now (cached where the derivation is expensive)."""
    entry = _entry(name)
    return Result(name, entry.description, entry.assumptions, entry.compute())


_ISO = "Σ = I, Γ = (r²/d) I, Δ = (c²/d) I (random effects); φ = d/n"


@register("kappa-isotropic", "Isotropic ridge fixed point κ(λ, φ) (positive root)", _ISO)
def _kappa_iso():
    return {"kappa": iso.kappa_closed_form(), "u": iso.u_isotropic()}


@register("risk-isotropic", "Theorem 1 B, V, ζ for Σ = I as functions of κ", _ISO)
def _risk_iso():
    return dict(iso.components())


@register(
    "corollary1", "Ridgeless, under-parametrised test error (Corollary 1)", _ISO + "; λ → 0⁺, φ < 1"
)
def _cor1():
    res = iso.ridgeless_under()
    total = sp.simplify(res["bias"] + res["variance"] + res["zeta"])
    return {"kappa": res["kappa"], "bias": res["bias"], "variance": res["variance"],
            "zeta": res["zeta"], "E_test": total}


@register("corollary4", "Ridgeless, over-parametrised test error (Corollary 4, ζ corrected)",
          _ISO + "; λ → 0⁺, φ > 1")
def _cor4():
    res = iso.ridgeless_over()
    total = sp.simplify(res["bias"] + res["variance"] + res["zeta"])
    return {"kappa": res["kappa"], "bias": res["bias"], "variance": res["variance"],
            "zeta": res["zeta"], "E_test": total}


@register("strong-collapse", "ζ as φ → 0: the strong-collapse plateau",
          _ISO + "; ridgeless (λ → 0⁺ first), then φ → 0⁺; and at fixed λ > 0")
def _strong():
    return {"zeta_limit": iso.strong_collapse_limit(),
            "zeta_limit_fixed_ridge": iso.strong_collapse_limit(ridge_fixed=True)}


@register("optimal-ridge-plateau", "Error floor with optimally tuned λ as φ → 0",
          _ISO + "; φ → 0⁺ at fixed λ, then min over λ > 0")
def _opt_plateau():
    return dict(iso.optimal_ridge_plateau())


@register("zeta-series", "ζ to first order in φ and in p2 (ridgeless, φ < 1; and fixed λ)",
          _ISO + "; λ → 0⁺ with φ < 1, or λ > 0 fixed")
def _zeta_series():
    zeta0 = iso.ridgeless_under()["zeta"]
    zeta_lam = iso.components()["zeta"].subs(kappa, iso.kappa_closed_form())
    return {
        "zeta_ridgeless_order1_phi": series(zeta0, phi, 1),
        "zeta_ridgeless_order1_p2": series(zeta0, p2, 1),
        "zeta_fixed_ridge_order1_phi": sp.simplify(series(zeta_lam, phi, 1)),
    }


@register("limits-isotropic", "E_test limits: λ→0 (both regimes), φ→0, φ→∞, p2→0, c→0", _ISO)
def _limits():
    total = iso.test_error().subs(kappa, iso.kappa_closed_form())
    lam_pos = sp.Symbol("lambda", positive=True)
    total_pos = total.subs(lam, lam_pos)
    return {
        "lambda_to_0_phi_lt_1": limit(total, lam, 0, regime="phi<1"),
        "lambda_to_0_phi_gt_1": limit(total, lam, 0, regime="phi>1"),
        "phi_to_0": limit(total_pos, phi, 0).subs(lam_pos, lam),
        "phi_to_oo": limit(total_pos, phi, sp.oo).subs(lam_pos, lam),
        "p2_to_0": sp.simplify(total.subs(p2, 0)),
        "c_to_0": sp.simplify(total.subs(c, 0)),
    }


_PL = "s_j = j^(-β), β > 1; s_j E[w1_j²] = j^(-(1+2rβ)), 0 < r < 1; d = ∞; κ → 0"


@register("power-law-df", "df1, df2 ≈ C_k κ^(-1/β) with Γ-function constants", _PL)
def _pl_df():
    return {"df1": pl.df_asymptotic(1)["expr"], "df2": pl.df_asymptotic(2)["expr"]}


@register("power-law-bias", "κ² tr ΓΣ(Σ+κ)^-2 ≈ C_B κ^(2r)", _PL)
def _pl_bias():
    return {"bias": pl.bias_asymptotic()["expr"]}


@register("power-law-scaling", "Scaling exponents of E_test in n: tuned λ and λ = n^(-ℓ)",
          _PL + "; p2 = 0, σ > 0, n^(-β) ≪ κ")
def _pl_scaling():
    opt, sched = pl.optimal_rate(), pl.schedule_rate()
    return {"E_asymptotic": pl.risk_asymptotic(), "exponent_optimal": opt["exponent"],
            "kappa_opt": opt["kappa_opt"], "exponent_schedule": sched["exponent"],
            "ell_opt": sched["ell_opt"]}


@register("power-law-plateau", "With p2 > 0 the error tends to p2² c², whatever the spectrum",
          "any spectrum; κ → 0 and u → 0 (n → ∞ with λ → 0 slower than n^(-β))")
def _pl_plateau():
    return {"E_limit": pl.plateau()}
