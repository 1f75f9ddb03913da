"""Named results the toolkit derives, for ``modelcollapse derive NAME`` and for notebooks.

Each entry is computed on demand by the derivation code (nothing is stored as a formula here):
:func:`derive` returns a :class:`Result` holding the SymPy expressions (factored, with their signs
visible in the entry's regime), the assumptions under which they hold, a one-line description and
LaTeX left-hand sides.  Results render in Jupyter (``_repr_latex_``) and as text, LaTeX or JSON.

Extending the catalog: :func:`register` adds an entry in the running process (and the command line
sees it when it runs in that process).  For ``modelcollapse derive`` in a new process, entries are
loaded from plugins (:func:`load_plugins`):

* modules named on the command line (``modelcollapse derive --plugin mypkg.results NAME``) or in
  the environment variable ``MODELCOLLAPSE_CATALOG_PLUGINS`` (comma-separated), imported so that
  their ``@register`` decorators run;
* installed packages declaring an entry point in the group ``modelcollapse.catalog`` (a module,
  or a callable run once with no arguments)::

      [project.entry-points."modelcollapse.catalog"]
      my-results = "mypkg.results"

Examples
--------
>>> from modelcollapse.theory.catalog import derive, names
>>> "corollary1" in names()
True
>>> print(derive("strong-collapse").expressions["zeta_limit"])
c**2*p2**2
>>> print(derive("optimal-ridge-plateau").as_latex().splitlines()[1])
\\lambda^* = \\frac{c^{2} p_{2}^{2}}{r^{2}}
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata

import sympy as sp

from . import power_law as pl
from . import ridge_isotropic as iso
from ._parse import as_expr
from ._present import latex_label, tidy, to_latex, to_text
from .symbols import c, kappa, lam, p2, phi
from .workbench import as_regime, implicit_derivative, implicit_root, limit, series

__all__ = [
    "Result",
    "derive",
    "names",
    "register",
    "describe",
    "load_plugins",
    "plugin_errors",
    "ENTRY_POINT_GROUP",
    "PLUGIN_ENV",
]

#: Entry-point group of catalog plugins.
ENTRY_POINT_GROUP = "modelcollapse.catalog"
#: Environment variable listing plugin modules (comma-separated).
PLUGIN_ENV = "MODELCOLLAPSE_CATALOG_PLUGINS"


@dataclass(frozen=True)
class Result:
    """A derived result: named expressions, their assumptions and what they say.

    Attributes
    ----------
    name, description, assumptions : str
    expressions : dict[str, sympy.Basic]
        Expressions (or SymPy sets and Piecewise) by key.
    labels : dict[str, str]
        LaTeX left-hand sides by key (others are generated from the key).
    regime : str or None
        The regime the expressions were tidied in.
    """

    name: str
    description: str
    assumptions: str
    expressions: dict[str, sp.Basic]
    labels: dict[str, str] = field(default_factory=dict)
    regime: str | None = None

    def label(self, key: str) -> str:
        """The LaTeX left-hand side of ``key``."""
        return self.labels.get(key) or latex_label(key)

    def as_text(self) -> str:
        """Plain-text rendering (one ``name = expression`` per line)."""
        return "\n".join(f"{k} = {to_text(v)}" for k, v in self.expressions.items())

    def as_latex(self) -> str:
        """LaTeX rendering (one ``left-hand side = expression`` per line)."""
        return "\n".join(f"{self.label(k)} {_relation(v)} {to_latex(v)}"
                         for k, v in self.expressions.items())

    def as_dict(self) -> dict:
        """JSON-ready dictionary: name, description, assumptions, and per key text and LaTeX."""
        return {
            "name": self.name,
            "description": self.description,
            "assumptions": self.assumptions,
            "expressions": {k: {"text": to_text(v), "latex": to_latex(v),
                                "lhs_latex": self.label(k)}
                            for k, v in self.expressions.items()},
        }

    def as_json(self) -> str:
        """:meth:`as_dict` as a JSON string."""
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)

    def _repr_latex_(self) -> str:
        rows = [rf"{self.label(k)} &{_relation(v)} {to_latex(v)}"
                for k, v in self.expressions.items()]
        head = rf"\text{{{_latex_text(self.name)}: {_latex_text(self.description)}}}"
        body = r" \\ ".join(rows)
        return rf"$\displaystyle \begin{{aligned}} &{head} \\ {body} \end{{aligned}}$"


def _relation(value) -> str:
    return "="


def _latex_text(text: str) -> str:
    for a, b in (("\\", r"\textbackslash "), ("_", r"\_"), ("&", r"\&"), ("%", r"\%"),
                 ("#", r"\#"), ("$", r"\$"), ("{", r"\{"), ("}", r"\}")):
        text = text.replace(a, b)
    return text


@dataclass(frozen=True)
class _Entry:
    description: str
    assumptions: str
    compute: Callable[[], dict[str, sp.Expr]]
    labels: dict = field(default_factory=dict)
    regime: str | dict | None = None
    tidy: bool = True


_CATALOG: dict[str, _Entry] = {}
_PLUGINS_LOADED = False
_PLUGIN_ERRORS: list[str] = []


def register(name: str, description: str, assumptions: str, *, labels: dict | None = None,
             regime: str | dict | None = None, tidy_output: bool = True):
    """Decorator adding ``compute() -> dict[str, Expr]`` to the catalog under ``name``.

    Parameters
    ----------
    name, description, assumptions : str
    labels : dict, optional
        LaTeX left-hand sides by key (e.g. ``{"c2_crit": r"c^2_{\\mathrm{crit}}"}``).
    regime : str or dict, optional
        Regime in which the expressions are tidied (factors oriented to be positive); a dict
        gives one per key.
    tidy_output : bool
        Factor and orient the expressions (default) or keep them as computed.

    Examples
    --------
    >>> from modelcollapse.theory.catalog import derive, names, register
    >>> from modelcollapse.theory.symbols import c, p2
    >>> if "example-plateau" not in names():
    ...     @register("example-plateau", "the strong-collapse plateau", "φ → 0",
    ...               labels={"zeta_inf": r"\\zeta_\\infty"})
    ...     def _example():
    ...         return {"zeta_inf": p2**2 * c**2}
    >>> print(derive("example-plateau").as_latex())
    \\zeta_\\infty = c^{2} p_{2}^{2}
    """
    if not isinstance(name, str) or not name or any(ch.isspace() for ch in name):
        raise ValueError(f"name: expected a non-empty name without spaces, got {name!r}")

    def deco(fn: Callable[[], dict[str, sp.Expr]]):
        if name in _CATALOG:
            raise ValueError(f"catalog: {name!r} is already registered")
        _CATALOG[name] = _Entry(description, assumptions, fn, dict(labels or {}), regime,
                                tidy_output)
        return fn

    return deco


def load_plugins(modules: Iterable[str] = ()) -> list[str]:
    """Import catalog plugins: ``modules``, those in ``$MODELCOLLAPSE_CATALOG_PLUGINS`` and the
    ``modelcollapse.catalog`` entry points (each at most once).

    A module named explicitly that fails to import is a :class:`ValueError`; a failing entry
    point or environment entry is recorded in :func:`plugin_errors` and skipped.

    Returns
    -------
    list of str
        The plugins imported by this call.
    """
    global _PLUGINS_LOADED
    loaded = []
    for mod in modules:
        try:
            importlib.import_module(mod)
        except Exception as exc:  # a plugin's own error, reported with its name
            raise ValueError(f"plugin {mod!r}: {type(exc).__name__}: {exc}") from None
        loaded.append(mod)
    if _PLUGINS_LOADED:
        return loaded
    _PLUGINS_LOADED = True
    for mod in filter(None, (m.strip() for m in os.environ.get(PLUGIN_ENV, "").split(","))):
        try:
            importlib.import_module(mod)
            loaded.append(mod)
        except Exception as exc:  # a broken plugin must not break the catalog
            _PLUGIN_ERRORS.append(f"plugin {mod!r} ({PLUGIN_ENV}): {type(exc).__name__}: {exc}")
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
            if callable(obj):
                obj()
            loaded.append(ep.value)
        except Exception as exc:  # a broken plugin must not break the catalog
            _PLUGIN_ERRORS.append(f"plugin {ep.name!r} (entry point {ep.value}): "
                                  f"{type(exc).__name__}: {exc}")
    return loaded


def plugin_errors() -> list[str]:
    """Plugins that failed to load (one message each)."""
    return list(_PLUGIN_ERRORS)


def names() -> list[str]:
    """The available result names, sorted (plugins loaded first)."""
    load_plugins()
    return sorted(_CATALOG)


def describe(name: str) -> str:
    """One-line description of a result."""
    return _entry(name).description


def _entry(name: str) -> _Entry:
    load_plugins()
    if name not in _CATALOG:
        raise ValueError(f"unknown result {name!r}; available: {', '.join(sorted(_CATALOG))}")
    return _CATALOG[name]


def derive(name: str, *, tidy_output: bool = True) -> Result:
    """Derive the named result now (cached where the derivation is expensive).

    ``tidy_output=False`` returns the expressions as computed (not factored or oriented).
    """
    entry = _entry(name)
    raw = entry.compute()
    if not isinstance(raw, dict) or not all(isinstance(k, str) for k in raw):
        raise ValueError(f"catalog entry {name!r}: compute() must return a dict with str keys")
    exprs = {k: as_expr(v, f"catalog entry {name!r}, key {k!r}") for k, v in raw.items()}
    if entry.tidy and tidy_output:
        regimes = entry.regime if isinstance(entry.regime, dict) else {}
        default = None if isinstance(entry.regime, dict) else entry.regime
        for k, v in exprs.items():
            spec = regimes.get(k, default)
            exprs[k] = tidy(v, as_regime(spec) if spec else None)
    return Result(name, entry.description, entry.assumptions, exprs, dict(entry.labels),
                  entry.regime if isinstance(entry.regime, str) else None)


_ISO = "Σ = I, Γ = (r²/d) I, Δ = (c²/d) I (random effects); φ = d/n"


@register("kappa-isotropic", "Isotropic ridge fixed point κ(λ, φ) (positive root)", _ISO)
def _kappa_iso():
    return {"kappa": iso.kappa_closed_form(), "u": iso.u_isotropic()}


@register("risk-isotropic", "Theorem 1 B, V, ζ for Σ = I as functions of κ", _ISO,
          labels={"bias": "B", "variance": "V", "zeta": r"\zeta"})
def _risk_iso():
    return dict(iso.components())


_COR = {"kappa": r"\kappa_0", "bias": "B", "variance": "V", "zeta": r"\zeta",
        "E_test": r"E_{\mathrm{test}}"}


@register("corollary1", "Ridgeless, under-parametrised test error (Corollary 1)",
          _ISO + "; λ → 0⁺, φ < 1", labels=_COR, regime="phi<1")
def _cor1():
    res = iso.ridgeless_under()
    total = res["bias"] + res["variance"] + res["zeta"]
    return {"kappa": res["kappa"], "bias": res["bias"], "variance": res["variance"],
            "zeta": res["zeta"], "E_test": total}


@register("corollary4", "Ridgeless, over-parametrised test error (Corollary 4, ζ corrected)",
          _ISO + "; λ → 0⁺, φ > 1", labels=_COR, regime="phi>1")
def _cor4():
    res = iso.ridgeless_over()
    total = res["bias"] + res["variance"] + res["zeta"]
    return {"kappa": res["kappa"], "bias": res["bias"], "variance": res["variance"],
            "zeta": res["zeta"], "E_test": total}


@register("strong-collapse", "ζ as φ → 0: the strong-collapse plateau",
          _ISO + "; ridgeless (λ → 0⁺ first), then φ → 0⁺; and at fixed λ > 0",
          labels={"zeta_limit": r"\lim_{\phi\to0^+}\zeta\ (\lambda\to0^+\ \text{first})",
                  "zeta_limit_fixed_ridge": r"\lim_{\phi\to0^+}\zeta\ (\lambda>0\ \text{fixed})"})
def _strong():
    return {"zeta_limit": iso.strong_collapse_limit(),
            "zeta_limit_fixed_ridge": iso.strong_collapse_limit(ridge_fixed=True)}


@register("optimal-ridge-plateau", "Error floor with optimally tuned λ as φ → 0",
          _ISO + "; φ → 0⁺ at fixed λ, then min over λ > 0",
          labels={"limit_error": r"\lim_{\phi\to0^+} E_{\mathrm{test}}",
                  "ridge_opt": r"\lambda^*",
                  "plateau": r"\min_{\lambda>0}\lim_{\phi\to0^+} E_{\mathrm{test}}"})
def _opt_plateau():
    return dict(iso.optimal_ridge_plateau())


def _in_powers(expr: sp.Expr, var: sp.Symbol, regime: str | None = None) -> sp.Expr:
    """A polynomial in ``var`` (a truncated series) written ``Σ_k var^k · coefficient_k``, each
    coefficient tidied in ``regime``: ``c²p2² + φ c²p2(1 − p2)``."""
    reg = as_regime(regime) if regime else None
    poly = sp.Poly(sp.expand(expr), var)
    return sp.Add(*[var**k * tidy(sp.factor(coeff), reg) for (k,), coeff in poly.terms()])


@register("zeta-series", "ζ to first order in φ and in p2 (ridgeless, φ < 1; and fixed λ)",
          _ISO + "; λ → 0⁺ with φ < 1, or λ > 0 fixed (κ = λ + φλ/(1 + λ) + O(φ²), from "
          "κ's equation)",
          labels={"zeta_ridgeless_order1_phi": r"\zeta\ (\lambda\to0^+)\ \text{to } O(\phi)",
                  "zeta_ridgeless_order1_p2": r"\zeta\ (\lambda\to0^+)\ \text{to } O(p_2)",
                  "zeta_fixed_ridge_order1_phi": r"\zeta\ (\lambda>0)\ \text{to } O(\phi)"},
          tidy_output=False)
def _zeta_series():
    zeta0 = iso.ridgeless_under()["zeta"]
    # fixed λ > 0: ζ(κ, φ) with κ(λ, φ) = λ + κ1 φ + O(φ²), κ1 by implicit differentiation of
    # the fixed point (κ = λ at φ = 0); the first-order Taylor coefficient by the chain rule
    zeta_k = iso.components()["zeta"]
    at0 = {phi: 0, kappa: lam}
    kappa1 = implicit_derivative(iso.fixed_point(), kappa, phi).subs(at0)
    zeta1 = (sp.diff(zeta_k, phi) + sp.diff(zeta_k, kappa) * kappa1).subs(at0)
    fixed = zeta_k.subs(at0) + phi * sp.factor(zeta1)
    return {
        "zeta_ridgeless_order1_phi": _in_powers(series(zeta0, phi, 1), phi, "phi<1"),
        "zeta_ridgeless_order1_p2": _in_powers(series(zeta0, p2, 1), p2, "phi<1"),
        "zeta_fixed_ridge_order1_phi": _in_powers(fixed, phi),
    }


@register("limits-isotropic", "E_test limits: λ→0 (both regimes), φ→0, φ→∞; and E_test at p2 = 0 "
          "and at c = 0 as functions of κ (κ(λ, φ) given on its own line)",
          _ISO + "; κ = κ(λ, φ), the positive root of κ − λ = κφ/(1 + κ)",
          labels={"lambda_to_0_phi_lt_1": r"\lim_{\lambda\to0^+,\ \phi<1} E_{\mathrm{test}}",
                  "lambda_to_0_phi_gt_1": r"\lim_{\lambda\to0^+,\ \phi>1} E_{\mathrm{test}}",
                  "phi_to_0": r"\lim_{\phi\to0^+} E_{\mathrm{test}}",
                  "phi_to_oo": r"\lim_{\phi\to\infty} E_{\mathrm{test}}",
                  "kappa": r"\kappa",
                  "p2_to_0": r"E_{\mathrm{test}}|_{p_2=0}",
                  "c_to_0": r"E_{\mathrm{test}}|_{c=0}"},
          regime={"lambda_to_0_phi_lt_1": "phi<1", "lambda_to_0_phi_gt_1": "phi>1"})
def _limits():
    # E_test is a rational function of κ and φ whose denominators (1 + κ)² − φ and 1 + κ stay
    # positive at the limits of κ below, so λ → 0⁺ and φ → 0⁺ are taken through κ's equation
    # (implicit root, no radicals) and substituted: lim E(κ(λ, φ), φ) = E(lim κ, φ)
    error = iso.test_error()
    root = implicit_root(iso.fixed_point(), kappa, "largest")
    lam_pos = sp.Symbol("lambda", positive=True)
    total_pos = error.subs(kappa, iso.kappa_closed_form()).subs(lam, lam_pos)
    # at fixed λ, φ the error is written with κ, whose closed form (a square root) is given once
    # on its own line instead of five times per denominator
    return {
        "lambda_to_0_phi_lt_1": error.subs(kappa, limit(root, lam, 0, regime="phi<1")),
        "lambda_to_0_phi_gt_1": error.subs(kappa, limit(root, lam, 0, regime="phi>1")),
        "phi_to_0": error.subs(kappa, limit(root, phi, 0)).subs(phi, 0),
        "phi_to_oo": limit(total_pos, phi, sp.oo).subs(lam_pos, lam),
        "kappa": iso.kappa_closed_form(),
        "p2_to_0": error.subs(p2, 0),
        "c_to_0": error.subs(c, 0),
    }


_PL = "s_j = j^(-β), β > 1; s_j E[w1_j²] = j^(-(1+2rβ)), 0 < r < 1; d = ∞; κ → 0"


@register("power-law-df", "df1, df2 ≈ C_k κ^(-1/β) with Γ-function constants", _PL,
          labels={"df1": r"\mathrm{df}_1(\kappa)", "df2": r"\mathrm{df}_2(\kappa)"})
def _pl_df():
    return {"df1": pl.df_asymptotic(1)["expr"], "df2": pl.df_asymptotic(2)["expr"]}


@register("power-law-bias", "κ² tr ΓΣ(Σ+κ)^-2 ≈ C_B κ^(2r)", _PL,
          labels={"bias": r"\kappa^2 \operatorname{tr}\Gamma\Sigma(\Sigma+\kappa)^{-2}"})
def _pl_bias():
    return {"bias": pl.bias_asymptotic()["expr"]}


@register("power-law-scaling", "Scaling exponents of E_test in n: tuned λ and λ = n^(-ℓ)",
          _PL + "; p2 = 0, σ > 0, n^(-β) ≪ κ",
          labels={"E_asymptotic": r"E_{\mathrm{test}}",
                  "exponent_optimal": r"\text{exponent (tuned } \lambda)",
                  "kappa_opt": r"\kappa^*",
                  "exponent_schedule": r"\text{exponent } (\lambda = n^{-\ell})",
                  "ell_opt": r"\ell^*"})
def _pl_scaling():
    opt, sched = pl.optimal_rate(), pl.schedule_rate()
    return {"E_asymptotic": pl.risk_asymptotic(), "exponent_optimal": opt["exponent"],
            "kappa_opt": opt["kappa_opt"], "exponent_schedule": sched["exponent"],
            "ell_opt": sched["ell_opt"]}


_PL_SHIFT = ("; shift s_j E[δ_j²] = A_Δ j^(-(1+2r_Δβ)), A_Δ = c²/ζ_R(1+2r_Δβ) (ζ_R: Riemann's "
             "zeta function); 0 < r < r_Δ < 1/2; p2 > 0")


@register("power-law-mixed-risk",
          "E_test with p2 > 0: the floor p2²c², the noise σ_eff² = σ² + p1p2c² (next line), and "
          "the shift's gain",
          _PL + _PL_SHIFT + "; n^(-β) ≪ κ ≪ 1",
          labels={"E_asymptotic": r"E_{\mathrm{test}}", "sigma_eff_sq": r"\sigma_{\mathrm{eff}}^2"})
def _pl_mixed_risk():
    # the noise term written with σ_eff² (given on the next line), as in the other entries
    full, noise = pl.risk_asymptotic_mixed(), pl.effective_noise()
    scale = pl.df_asymptotic(2)["expr"] / pl.n  # C_2 κ^(-1/β)/n multiplies the noise
    expanded = sp.expand(full + scale * (pl.sigma_eff**2 - noise))
    powers = [kappa ** (2 * pl.r_source), kappa ** (-1 / pl.beta), kappa ** (2 * pl.r_shift)]
    parts = sp.collect(expanded, powers, evaluate=False)
    written = sp.Add(*[sp.factor(coeff) * term for term, coeff in parts.items()])
    if sp.simplify(written.subs(pl.sigma_eff, sp.sqrt(noise)) - full) != 0:  # pragma: no cover
        raise RuntimeError("E_test written with σ_eff² differs from Theorem 1's expansion")
    return {"E_asymptotic": written, "sigma_eff_sq": noise}


@register("power-law-shift-gain", "c² − tr ΔΣ³(Σ+κ)^-2 ≈ A_Δ C_D κ^(2r_Δ)", _PL + _PL_SHIFT,
          labels={"D_Delta": r"c^2 - \operatorname{tr}\Delta\Sigma^3(\Sigma+\kappa)^{-2}"})
def _pl_shift_gain():
    return {"D_Delta": pl.shift_gain_asymptotic()["expr"]}


#: κ* written as a symbol where another line refers to it (λ* = λ(κ*)).
_KAPPA_STAR = sp.Symbol("kappa_star", positive=True)


@register("power-law-mixed-optimal",
          "Tuned λ with synthetic data: κ*, λ* (in terms of κ*), and E* − p2²c² ∝ "
          "n^(-2rβ/(2rβ+1))", _PL + _PL_SHIFT,
          labels={"kappa_opt": r"\kappa^*", "lambda_opt": r"\lambda^*",
                  "decay_opt": r"E^* - p_2^2 c^2", "exponent": r"\text{exponent}"},
          tidy_output=False)
def _pl_mixed_optimal():
    out = pl.optimal_ridge_mixed()
    res = {k: tidy(out[k]) for k in ("kappa_opt", "decay_opt", "exponent")}
    # λ* = λ(κ*) = κ* − κ* df1(κ*)/n from the fixed point, with κ* the line above (not its
    # closed form twice)
    shrink = sp.expand(out["lambda_of_kappa"] / kappa)  # 1 − df1(κ)/n
    res["lambda_opt"] = _KAPPA_STAR * shrink.subs(kappa, _KAPPA_STAR)
    return {k: res[k] for k in ("kappa_opt", "lambda_opt", "decay_opt", "exponent")}


@register("power-law-mixed-schedule",
          "λ = n^(-ℓ) with synthetic data: approach to the floor at rate min(2rℓ, 1 − ℓ/β)",
          _PL + _PL_SHIFT, labels={"exponent": r"\text{exponent}", "ell_opt": r"\ell^*"})
def _pl_mixed_schedule():
    out = pl.schedule_rate_mixed()
    return {"exponent": out["exponent"], "ell_opt": out["ell_opt"]}


def _powers(expr: sp.Expr) -> sp.Expr:
    """``exp(k log x)`` → ``x**k`` (SymPy's solve leaves power laws in that form)."""

    def as_power(e):
        arg = sp.logcombine(e.args[0], force=True)
        logs = [a for a in sp.Mul.make_args(arg) if isinstance(a, sp.log)]
        if len(logs) != 1:
            return sp.exp(arg)
        return sp.Pow(logs[0].args[0], sp.Mul(*(a for a in sp.Mul.make_args(arg)
                                                 if a is not logs[0])))

    out = sp.powdenest(expr.replace(lambda e: isinstance(e, sp.exp), as_power), force=True)
    return sp.powsimp(out, force=True)


@register("power-law-collapse-onset",
          "Collapse-onset sample size n*: where the decaying part of E_test meets p2²c²",
          _PL + _PL_SHIFT,
          labels={"n_star_tuned": r"n^*_{\text{tuned}}",
                  "n_star_schedule": r"n^*_{\lambda = n^{-\ell}}"})
def _pl_collapse_onset():
    out = pl.collapse_onset()
    return {"n_star_tuned": _powers(out["tuned"]), "n_star_schedule": _powers(out["schedule"])}


@register("power-law-plateau", "With p2 > 0 the error tends to p2² c², whatever the spectrum",
          "any spectrum; κ → 0 and u → 0 (n → ∞ with λ → 0 slower than n^(-β))",
          labels={"E_limit": r"\lim E_{\mathrm{test}}"})
def _pl_plateau():
    return {"E_limit": pl.plateau()}


from . import _catalog_models  # noqa: E402,F401  (registers the other models' entries)
