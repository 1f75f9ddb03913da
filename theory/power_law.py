"""Power-law spectra: degrees of freedom, bias and scaling laws of Theorem 1, derived by SymPy.

Spectrum ``s_j = j^{-β}`` (β > 1) and teacher energy ``s_j E[w1_j²] = j^{-(1+2rβ)}`` (source
exponent ``0 < r < 1``), with ``d = ∞``.  As κ → 0 the spectral sums are dominated by large j and
become Mellin integrals: substituting ``x = (t/κ)^{1/β}`` turns each into ``κ^power`` times a Beta
integral ``∫_0^∞ t^{a−1}(1+t)^{-k} dt = Γ(a)Γ(k−a)/Γ(k)``.  SymPy does the substitution and the
integral; nothing is typed in.

From these, with ``p2 = 0`` and ``σ² > 0``, the risk for ``κ ≫ n^{-β}`` is
``E ≈ C_B κ^{2r} + σ² C_2 κ^{-1/β}/n``, so

* optimal λ: ``E* ∝ n^{-2rβ/(2rβ+1)}`` (the classical rate);
* fixed schedule ``λ = n^{-ℓ}`` (0 < ℓ < β): ``E ∝ n^{-min(2rℓ, 1 − ℓ/β)}``;
* with ``p2 > 0``: ζ → ``p2² tr ΣΔ = p2² c²`` as κ → 0, a plateau the scaling law cannot beat.

Examples
--------
>>> import sympy as sp
>>> from modelcollapse.theory import power_law as pl
>>> sp.simplify(pl.df_asymptotic(1)["constant"] - sp.pi / (pl.beta * sp.sin(sp.pi / pl.beta)))
0
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from . import ridge
from .spectral import DELTA, GAMMA, IDENTITY, SpectralMoment
from .symbols import c, kappa, n, p2, sigma1, u

__all__ = [
    "beta",
    "r_source",
    "ell",
    "sigma",
    "df_asymptotic",
    "bias_asymptotic",
    "risk_asymptotic",
    "optimal_rate",
    "schedule_rate",
    "plateau",
]

beta = sp.Symbol("beta", positive=True)  #: spectral decay, s_j = j^{-β}, β > 1
r_source = sp.Symbol("r", positive=True)  #: source exponent, s_j E w_j² = j^{-(1+2rβ)}
ell = sp.Symbol("ell", positive=True)  #: ridge schedule λ = n^{-ℓ}
sigma = sp.Symbol("sigma", positive=True)  #: noise level σ (p2 = 0)
_x = sp.Symbol("x", positive=True)
_t = sp.Symbol("t", positive=True)


def _mellin(summand: sp.Expr) -> dict[str, sp.Expr]:
    """``∫_0^∞ summand(x) dx`` for small κ: returns ``power`` and ``constant`` with value
    ``constant · κ^power``."""
    x_of_t = (_t / kappa) ** (1 / beta)
    integrand = sp.powdenest(summand.subs(_x, x_of_t) * sp.diff(x_of_t, _t), force=True)
    integrand = sp.powsimp(sp.expand_power_base(integrand, force=True), force=True)
    k_part, t_part = sp.S.One, sp.S.One
    for factor in sp.Mul.make_args(sp.factor(integrand)):
        if factor.has(_t):
            t_part *= factor
        else:
            k_part *= factor
    power = sp.simplify(sp.expand_log(sp.log(k_part), force=True).coeff(sp.log(kappa)))
    constant = sp.simplify(k_part / kappa**power)
    value = sp.integrate(t_part, (_t, 0, sp.oo), conds="none")
    return {"power": power, "constant": sp.simplify(constant * value)}


@cache
def df_asymptotic(k: int) -> dict[str, sp.Expr]:
    """``df_k(κ) ≈ C_k κ^{-1/β}`` as κ → 0 (β > 1).

    Returns ``{"power": −1/β, "constant": C_k, "expr": C_k κ^{-1/β}}``;
    ``C_1 = π/(β sin(π/β)) = Γ(1/β)Γ(1 − 1/β)/β`` and ``C_2 = (1 − 1/β) C_1``.

    Examples
    --------
    >>> from modelcollapse.theory.power_law import df_asymptotic, beta
    >>> df_asymptotic(2)["power"] == -1 / beta
    True
    """
    s = _x ** (-beta)
    res = _mellin(s**k / (s + kappa) ** k)
    res["expr"] = res["constant"] * kappa ** res["power"]
    return res


@cache
def bias_asymptotic() -> dict[str, sp.Expr]:
    """``κ² tr ΓΣ(Σ+κ)^{-2} ≈ C_B κ^{2r}`` as κ → 0 (0 < r < 1).

    The Theorem 1 bias is this times ``(1 + u)``.  ``C_B = π(1 − 2r)/(β sin 2πr)``
    (``= Γ(2r)Γ(2 − 2r)/β``; equal to ``1/β`` at ``r = 1/2``).

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.power_law import bias_asymptotic, r_source
    >>> sp.simplify(bias_asymptotic()["power"] - 2 * r_source)
    0
    """
    s = _x ** (-beta)
    gamma_j = _x ** (-(1 + 2 * r_source * beta)) / s  # Γ_j = j^{-(1+2rβ)} / s_j
    res = _mellin(kappa**2 * gamma_j * s / (s + kappa) ** 2)
    res["expr"] = res["constant"] * kappa ** res["power"]
    return res


@cache
def risk_asymptotic() -> sp.Expr:
    """``E(κ) ≈ C_B κ^{2r} + σ² C_2 κ^{-1/β}/n`` (p2 = 0, ``n^{-β} ≪ κ ≪ 1``).

    Obtained from Theorem 1 by ``u = df2/(n − df2) ≈ df2/n`` (``df2 ≪ n``) and ``1 + u ≈ 1``.
    """
    comps = ridge.risk_components("random")
    bias0 = comps["bias"].subs(u, 0)  # (1 + u) → 1 at leading order
    var0 = comps["variance"].subs(p2, 0).subs(u, SpectralMoment(IDENTITY, 2, 2, kappa) / n)
    lead = (bias0 + var0).subs(
        {
            kappa**2 * SpectralMoment(GAMMA, 1, 2, kappa): bias_asymptotic()["expr"],
            SpectralMoment(IDENTITY, 2, 2, kappa): df_asymptotic(2)["expr"],
        }
    )
    if lead.has(SpectralMoment):
        raise RuntimeError(f"unexpected moments left in {lead}")
    return sp.simplify(lead.subs(sigma1, sigma))


def _power_terms(expr: sp.Expr, var: sp.Symbol) -> dict[sp.Expr, sp.Expr]:
    """Write ``expr = Σ_p c_p var^p`` (powers symbolic); returns ``{p: c_p}``."""
    out: dict[sp.Expr, sp.Expr] = {}
    for term in sp.Add.make_args(sp.expand(expr)):
        power = sp.simplify(var * sp.diff(term, var) / term)
        coeff = sp.simplify(term / var**power)
        out[power] = sp.simplify(out.get(power, 0) + coeff)
    return out


def _exponent_in_n(expr: sp.Expr) -> sp.Expr:
    return sp.simplify(-n * sp.diff(sp.log(expr), n))


@cache
def optimal_rate() -> dict[str, sp.Expr]:
    """Tuned κ (≈ λ): ``κ* ∝ n^{-β/(2rβ+1)}`` and ``E* ∝ n^{-2rβ/(2rβ+1)}``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.power_law import optimal_rate, beta, r_source
    >>> sp.simplify(optimal_rate()["exponent"] - 2 * r_source * beta / (2 * r_source * beta + 1))
    0
    """
    parts = _power_terms(risk_asymptotic(), kappa)
    if len(parts) != 2:
        raise RuntimeError(f"expected a bias and a variance power law, got {parts}")
    (p_b, c_b), (p_v, c_v) = parts.items()
    # κ ∂E/∂κ = p_b c_b κ^p_b + p_v c_v κ^p_v = 0
    k_opt = sp.simplify((-(p_v * c_v) / (p_b * c_b)) ** (1 / (p_b - p_v)))
    e_opt = sp.simplify(risk_asymptotic().subs(kappa, k_opt))
    return {
        "kappa_opt": k_opt,
        "error_opt": e_opt,
        "exponent": _exponent_in_n(e_opt),
        "kappa_exponent": _exponent_in_n(k_opt),
    }


@cache
def schedule_rate() -> dict[str, sp.Expr]:
    """Ridge schedule ``λ = n^{-ℓ}`` (0 < ℓ < β, so κ ≈ λ): the exponents of bias and variance.

    ``E ∝ n^{-min(2rℓ, 1 − ℓ/β)}``; the two balance at ``ℓ* = β/(2rβ+1)``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.power_law import schedule_rate, beta, r_source
    >>> sp.simplify(schedule_rate()["ell_opt"] - beta / (2 * r_source * beta + 1))
    0
    """
    terms = sp.Add.make_args(sp.expand(risk_asymptotic().subs(kappa, n ** (-ell))))
    exps = list(dict.fromkeys(_exponent_in_n(term) for term in terms))
    if len(exps) != 2:
        raise RuntimeError(f"expected a bias and a variance exponent, got {exps}")
    ell_opt = sp.solve(sp.Eq(exps[0], exps[1]), ell)[0]
    return {"exponents": exps, "exponent": sp.Min(*exps), "ell_opt": sp.simplify(ell_opt)}


@cache
def plateau() -> sp.Expr:
    """``lim_{κ→0, u→0} ζ = p2² tr ΣΔ = p2² c²`` for any spectrum: the strong-collapse floor.

    Examples
    --------
    >>> from modelcollapse.theory.power_law import plateau
    >>> plateau()
    c**2*p2**2
    """
    zeta = ridge.risk_components("random")["zeta"].subs(u, 0)

    def at_zero(w, a, b, t):
        return SpectralMoment(w, a - b, 0, 0)

    zeta0 = sp.simplify(zeta.replace(SpectralMoment, at_zero).subs(kappa, 0))
    # tr ΣΔ is the quality c² (THEORY.md §0)
    return zeta0.subs(SpectralMoment(DELTA, 1, 0, 0), c**2)
