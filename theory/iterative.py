"""Iterative mixing and recursive retraining (docs/mathematics.md §3 Corollary 3 and §6), solved by
SymPy.

**Iterative mixing** (after Ferbach et al. 2024).  The generator ``g_0 = w2`` has error
``E(0) = c0²``.  Step t + 1 fits ridgeless regression (φ = d/n < 1) on ``n1`` fresh real rows
and ``n2`` fresh rows labelled by ``g_t`` (plus noise σ2); the fit becomes ``g_{t+1}`` and
``E(t) = ‖g_t − w1‖²_Σ``.  Because the shift ``g_t − w1`` is independent of the new design,
Theorem 1 with a fixed teacher applies at each step (κ = 0, ``u = φ/(1 − φ)``, no cross term, and
every ζ moment at κ = 0 is ``δᵀΣδ``, so the recursion holds for *any* Σ)::

    E(t + 1) = σ² u + (p2² + p1 p2 u) E(t)                           (exact recursion)

Corollary 3 keeps only the leading order in φ of the contraction: ``E(t+1) = σ²u + p2² E(t)``.

**Recursive retraining** (Dohmatob, Feng, Kempe 2024).  Generation k + 1 is OLS on ``T0`` rows
labelled by generation k with noise σ0 (``φ0 = d/T0``); the downstream model is OLS on T rows
with noise σ (``φ = d/T``)::

    E_N = σ² φ/(1−φ) + N σ0² φ0/(1−φ0)

For a general spectrum and a ridge downstream model (:func:`recursive_retraining_ridge`) the
generations add up to a label shift: OLS generator k moves the teacher by
``(X_kᵀX_k)^{-1}X_kᵀε_k``, so after N generations ``δ = ŵ_N − w`` has mean zero and covariance
``N σ0² E(X_kᵀX_k)^{-1} = N σ0² Σ^{-1}/(T0 − d − 1)``, independent of the downstream design.
The downstream model therefore sees Theorem 1 with ``p2 = 1`` and ``Δ ≃ N σ0² Σ^{-1}/(T0 − d)``::

    E_N ≃ B + V + N σ0² ρ,   ρ = [df2(κ) + u κ² tr (Σ+κ)^{-2}] / (T0 − d)

(B, V, κ, u those of the clean downstream fit on T rows) — linear in N for every λ and Σ.

The recursions are solved in closed form with :func:`sympy.rsolve`.

Examples
--------
>>> import sympy as sp
>>> from modelcollapse.theory.iterative import c0, corollary3, step
>>> from modelcollapse.theory.symbols import p2, phi, sigma_sq
>>> e_bar = sigma_sq * phi / (1 - phi)
>>> printed = p2 ** (2 * step) * c0**2 + e_bar * (1 - p2 ** (2 * step)) / (1 - p2**2)
>>> sp.simplify(corollary3()["E_t"] - printed)
0
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from . import parameters as par
from . import ridge
from .model import Auxiliary, FixedPoint, ModelSpec, Parameter
from .spectral import DELTA, GAMMA, IDENTITY, W1W1, SpectralMoment
from .symbols import c, d, kappa, n, p1, p2, phi, sigma1, sigma_sq, u

__all__ = [
    "step",
    "c0",
    "sigma0",
    "phi0",
    "generations",
    "mixing_recursion",
    "corollary3",
    "t0",
    "recursive_retraining",
    "recursive_retraining_ridge",
    "rho",
    "MODEL",
]

step = sp.Symbol("t", integer=True, nonnegative=True)  #: iteration / generation index
generations = sp.Symbol("N", integer=True, nonnegative=True)  #: number of generations
c0 = sp.Symbol("c0", nonnegative=True)  #: quality of the first generator, E(0) = c0²
sigma0 = sp.Symbol("sigma0", nonnegative=True)  #: label noise of the generators (§6)
phi0 = sp.Symbol("phi0", positive=True)  #: d / T0, the generators' aspect ratio (§6)
t0 = sp.Symbol("T0", positive=True)  #: rows per generator fit (§6); T0 > d

_E = sp.Function("E")


def _solve_affine(a: sp.Expr, b: sp.Expr, start: sp.Expr) -> sp.Expr:
    """Closed form of ``E(t+1) = a + b E(t)``, ``E(0) = start``, by :func:`sympy.rsolve`."""
    sol = sp.rsolve(_E(step + 1) - a - b * _E(step), _E(step), {_E(0): start})
    return sp.simplify(sol)


@cache
def mixing_recursion() -> dict[str, sp.Expr]:
    """The exact isotropic ridgeless recursion and its solution.

    Returns ``{"a": σ²u, "b": p2² + p1p2u, "E_t": E(t), "E_inf": a/(1 − b)}`` with
    ``u = φ/(1−φ)``.
    """
    u = phi / (1 - phi)
    a = sigma_sq * u
    b = p2**2 + p1 * p2 * u
    return {"a": a, "b": b, "E_t": _solve_affine(a, b, c0**2), "E_inf": sp.simplify(a / (1 - b))}


@cache
def corollary3() -> dict[str, sp.Expr]:
    """Corollary 3: ``E(t) = p2^{2t} c0² + Ē (1 − p2^{2t})/(1 − p2²)``, ``Ē = σ²φ/(1−φ)``."""
    a = sigma_sq * phi / (1 - phi)
    b = p2**2
    return {"a": a, "b": b, "E_t": _solve_affine(a, b, c0**2), "E_inf": sp.simplify(a / (1 - b))}


@cache
def recursive_retraining() -> dict[str, sp.Expr]:
    """§6 ridgeless isotropic: ``E_N = σ²φ/(1−φ) + N σ0² φ0/(1−φ0)`` (linear growth in N).

    Here ``σ²`` is the downstream noise (``sigma1``): pure OLS, no synthetic fraction.
    """
    per_generation = sigma0**2 * phi0 / (1 - phi0)
    sol = sp.rsolve(_E(step + 1) - _E(step) - per_generation, _E(step), {_E(0): 0})
    total = sigma1**2 * phi / (1 - phi) + sp.simplify(sol.subs(step, generations))
    return {"per_generation": per_generation, "E_N": sp.simplify(total)}


def _delta_as_inverse_sigma(moment: SpectralMoment) -> sp.Expr:
    """``tr ΔΣ^a(Σ+t)^{-b}`` with ``Δ = Σ^{-1}``: ``tr Σ^{a−1}(Σ+t)^{-b}``."""
    _, a, b, shift = moment.args
    return SpectralMoment(IDENTITY, a - 1, b, shift)


@cache
def recursive_retraining_ridge() -> dict[str, sp.Expr]:
    """§6 general ridge: ``E_N ≃ B + V + N σ0² ρ`` for any spectrum Σ and ridge λ.

    Derived from Theorem 1 (:func:`modelcollapse.theory.ridge.risk_components`, random effects)
    with every row synthetic (``p2 = 1``) and the shift covariance left by N OLS generators,
    ``Δ = N σ0² Σ^{-1}/(T0 − d)``; ``n`` is the downstream sample size T and ``σ1`` its noise.

    Returns
    -------
    dict
        ``"rho"``: the per-generation, per-σ0² increase ρ (in κ, u and spectral moments);
        ``"clean"``: B + V of the downstream fit on T clean rows; ``"E_N"``: clean + N σ0² ρ.

    Examples
    --------
    Isotropic ridgeless (κ = 0, u = φ/(1−φ) for φ = d/T < 1) gives back §6's
    ``σ0² φ0/(1 − φ0)`` per generation, ``φ0 = d/T0``:

    >>> import sympy as sp
    >>> from modelcollapse.theory.iterative import phi0, recursive_retraining_ridge, t0
    >>> from modelcollapse.theory.spectral import IDENTITY, isotropic
    >>> from modelcollapse.theory.symbols import d, kappa, phi, u
    >>> rho = isotropic(recursive_retraining_ridge()["rho"], {IDENTITY: d})
    >>> rho = rho.subs(kappa, 0).subs(u, phi / (1 - phi)).subs(t0, d / phi0)
    >>> sp.simplify(rho - phi0 / (1 - phi0))
    0
    """
    comps = ridge.risk_components("random")
    zeta = sp.expand(comps["zeta"].subs(p2, 1))
    rho = zeta.replace(
        lambda e: isinstance(e, SpectralMoment) and e.args[0] == DELTA, _delta_as_inverse_sigma
    ) / (t0 - d)
    rho = sp.factor_terms(sp.expand(rho))
    clean = comps["bias"] + comps["variance"].subs(p2, 0)
    return {"rho": rho, "clean": clean, "E_N": clean + generations * sigma0**2 * rho}


_ = c  # the quality c² of docs/mathematics.md §0 is c0² here

rho = sp.Symbol("rho", nonnegative=True)  #: ρ, the increase per generation per unit σ0²


def _declared_risk(teacher, options) -> dict[str, sp.Expr]:
    g = GAMMA if teacher == "random" else W1W1
    return {
        "bias": ridge.risk_components("random")["bias"].subs(GAMMA, g),
        "variance": sigma1**2 * u,
        "zeta": generations * sigma0**2 * rho,
    }


#: Recursive retraining as a model declaration (docs/mathematics.md §6).  The downstream fit is
#: Theorem 1 on ``T`` rows (the parameter ``t`` plays the role of ``n``), noise σ (``sigma1``).
MODEL = ModelSpec(
    name="recursive_retraining",
    title="Recursive retraining: ridge on labels of the N-th generation of OLS generators",
    doc="Generation k is least squares on T0 fresh rows labelled by generation k − 1 plus noise "
    "σ0; the downstream ridge fit on T rows has E_N ≃ B + V + N σ0² ρ with "
    "ρ = [df2(κ) + uκ² tr(Σ+κ)^{-2}]/(T0 − d) (Dohmatob, Feng, Kempe 2024).",
    parameters=(
        par.SPECTRUM,
        Parameter("t0", "rows per generator fit T0 > d (OLS generators)", symbol=t0,
                  lower="d", strict=True, typical=(1.5, 4.0), scale="d"),
        Parameter("t", "downstream rows T (> 0)", symbol=n, lower=0.0, strict=True,
                  typical=(0.3, 3.0), log=True, scale="d"),
        par.RIDGE,
        Parameter("generations", "number of generations N ≥ 0 (whole)", symbol=generations,
                  lower=0.0, whole=True, typical=(0.0, 5.0)),
        Parameter("noise_generator", "label-noise standard deviation σ0 of the generators",
                  symbol=sigma0, lower=0.0, typical=(0.0, 1.5)),
        Parameter("noise", "label-noise standard deviation σ of the downstream rows",
                  symbol=sigma1, lower=0.0, default=0.0, typical=(0.0, 1.5)),
        par.GAMMA, par.W_REAL,
    ),
    teachers={"random": ("gamma",), "fixed": ("w_real",)},
    fixed_points=(FixedPoint(kappa, sp.expand(ridge.FIXED_POINT / kappa), ("ridge", "t"),
                             "κ of the downstream fit: κ − λ = κ df1(κ)/T"),),
    risk=_declared_risk,
    auxiliaries=lambda teacher, options: (
        ridge.U_AUXILIARY,
        Auxiliary("rho", rho, recursive_retraining_ridge()["rho"],
                  "ρ = [df2(κ) + uκ² tr(Σ+κ)^{-2}]/(T0 − d), per generation per unit σ0²"),
    ),
    diverging=u,
)
