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

With synthetic data (``p2 > 0``; docs/mathematics.md §1) and a shift ``δ = w2 − w1`` whose energy
also follows a power law, ``s_j E[δ_j²] = A_Δ j^{-(1+2r_Δβ)}`` (``A_Δ = c²/ζ(1+2r_Δβ)`` so that
``tr ΣΔ = c²``), Theorem 1 gives to leading order (:func:`risk_asymptotic_mixed`)

``E ≈ p2²c² + C_B κ^{2r} − p2² A_Δ C_D κ^{2r_Δ} + σ_eff² C_2 κ^{-1/β}/n``,
``σ_eff² = σ² + p1 p2 c²``:

* the floor ``p2²c²`` (the collapse); the synthetic labels act as extra noise ``p1p2c²``;
* a gain ``p2² D_Δ(κ)`` from shrinking the wrong part of the teacher
  (:func:`shift_gain_asymptotic`);
* for ``r < r_Δ`` the decaying part ``E − p2²c²`` keeps the clean rates with ``σ → σ_eff``
  (:func:`optimal_ridge_mixed`, :func:`schedule_rate_mixed`) until it meets the floor at the
  collapse-onset sample size ``n*`` (:func:`collapse_onset`).

:func:`source_diagonal` builds the power-law diagonals (teacher or shift) for
:class:`modelcollapse.numerics.spectra.PowerLawSpectrum`.

Examples
--------
>>> import sympy as sp
>>> from modelcollapse.theory import power_law as pl
>>> sp.simplify(pl.df_asymptotic(1)["constant"] - sp.pi / (pl.beta * sp.sin(sp.pi / pl.beta)))
0
>>> pl.bias_asymptotic()["constant"].subs(pl.r_source, sp.Rational(1, 2))   # finite at r = 1/2
1/beta
"""

from __future__ import annotations

import math
import numbers
from functools import cache

import mpmath
import sympy as sp

from . import ridge
from .spectral import DELTA, GAMMA, IDENTITY, SpectralMoment
from .symbols import c, kappa, lam, n, p2, sigma1, u

__all__ = [
    "beta",
    "r_source",
    "r_shift",
    "ell",
    "sigma_eff",
    "effective_noise",
    "sigma",
    "df_asymptotic",
    "bias_asymptotic",
    "risk_asymptotic",
    "optimal_rate",
    "schedule_rate",
    "plateau",
    "shift_gain_asymptotic",
    "risk_asymptotic_mixed",
    "optimal_ridge_mixed",
    "schedule_rate_mixed",
    "collapse_onset",
    "source_diagonal",
    "SHIFT_AMPLITUDE",
]

beta = sp.Symbol("beta", positive=True)  #: spectral decay, s_j = j^{-β}, β > 1
r_source = sp.Symbol("r", positive=True)  #: source exponent, s_j E w_j² = j^{-(1+2rβ)}
r_shift = sp.Symbol("r_Delta", positive=True)  #: shift source exponent, s_j E δ_j² ∝ j^{-(1+2r_Δβ)}
ell = sp.Symbol("ell", positive=True)  #: ridge schedule λ = n^{-ℓ}
#: σ_eff, the effective noise with synthetic data: σ_eff² = σ² + p1 p2 c² (:func:`effective_noise`)
sigma_eff = sp.Symbol("sigma_eff", positive=True)
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


def _gamma_form(expr: sp.Expr) -> sp.Expr:
    """``expr`` with ``1/sin(πz)`` replaced by ``Γ(z)Γ(1−z)/π`` (Euler's reflection formula, checked
    by SymPy on the spot) and a factor ``z`` absorbed into ``Γ(z + 1) = zΓ(z)`` wherever that
    shortens it: a removable ``0/0`` of the sine form (``(1 − 2r)/sin 2πr`` at ``r = 1/2``)
    disappears."""

    def reflect(arg: sp.Expr) -> sp.Expr:
        z = arg / sp.pi
        out = sp.pi / (sp.gamma(z) * sp.gamma(1 - z))
        if sp.simplify(sp.gammasimp(out) - sp.sin(arg)) != 0:  # pragma: no cover - SymPy check
            raise RuntimeError(f"reflection formula not confirmed for sin({arg})")
        return out

    out = sp.factor(expr.replace(sp.sin, reflect))
    for g in sorted(out.atoms(sp.gamma), key=sp.default_sort_key):
        z = g.args[0]
        cand = sp.factor(out.subs(g, sp.gamma(z + 1) / z))
        if sp.count_ops(cand) < sp.count_ops(out):
            out = cand
    if sp.simplify(sp.gammasimp(out - expr)) != 0:  # pragma: no cover - SymPy check
        raise RuntimeError(f"Γ form of {expr} is not equal to it")
    return out


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

    The Theorem 1 bias is this times ``(1 + u)``.  The Mellin integral gives
    ``C_B = π(1 − 2r)/(β sin 2πr)``, which is 0/0 at ``r = 1/2``; by Euler's reflection formula
    it is returned as ``Γ(2r)Γ(2 − 2r)/β``, finite on ``0 < r < 1`` (``1/β`` at ``r = 1/2``).

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.power_law import bias_asymptotic, r_source
    >>> sp.simplify(bias_asymptotic()["power"] - 2 * r_source)
    0
    >>> bias_asymptotic()["constant"]
    gamma(2*r)*gamma(2 - 2*r)/beta
    """
    s = _x ** (-beta)
    gamma_j = _x ** (-(1 + 2 * r_source * beta)) / s  # Γ_j = j^{-(1+2rβ)} / s_j
    res = _mellin(kappa**2 * gamma_j * s / (s + kappa) ** 2)
    res["constant"] = _gamma_form(res["constant"])
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
    e_opt = risk_asymptotic().subs(kappa, k_opt)  # not simplified: only its exponent is used
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
    # tr ΣΔ is the quality c² (docs/mathematics.md §0)
    return zeta0.subs(SpectralMoment(DELTA, 1, 0, 0), c**2)


# ---------------------------------------------------------------------------------------------
# Synthetic data (p2 > 0): the floor, the effective noise and the collapse onset
# ---------------------------------------------------------------------------------------------

#: Amplitude ``A_Δ`` of the shift energy ``s_j Δ_jj = A_Δ j^{-(1+2r_Δβ)}`` with ``tr ΣΔ = c²``
#: at ``d = ∞``.
SHIFT_AMPLITUDE = c**2 / sp.zeta(1 + 2 * r_shift * beta)


@cache
def shift_gain_asymptotic() -> dict[str, sp.Expr]:
    """``D_Δ(κ) = c² − tr ΔΣ³(Σ+κ)^{-2} ≈ A_Δ C_D κ^{2r_Δ}`` as κ → 0 (``0 < r_Δ < 1/2``).

    ``p2² D_Δ`` is what ridge gains on ``ζ`` by shrinking the shifted part of the effective
    teacher (``ζ = p2²(c² − D_Δ) + O(u)``).  Returns ``power``, ``constant`` (``C_D``, per unit
    amplitude ``A_Δ``), ``amplitude`` (``A_Δ = c²/ζ(1 + 2r_Δβ)``) and ``expr``
    (``A_Δ C_D κ^{2r_Δ}``).
    For ``r_Δ > 1/2`` the gain is ``≈ 2κ tr Δ`` instead (not a power of the tail).

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.power_law import shift_gain_asymptotic, r_shift, beta
    >>> res = shift_gain_asymptotic()
    >>> res["power"]
    2*r_Delta
    >>> sp.simplify(sp.gammasimp(res["constant"] - sp.pi * (1 + 2 * r_shift)
    ...                          / (beta * sp.sin(2 * sp.pi * r_shift))))
    0
    """
    s = _x ** (-beta)
    energy = _x ** (-(1 + 2 * r_shift * beta))  # s_j Δ_jj per unit amplitude
    res = _mellin(energy * (1 - s**2 / (s + kappa) ** 2))  # Σ sΔ − Σ s³Δ/(s+κ)²
    res["constant"] = _gamma_form(res["constant"])
    res["amplitude"] = SHIFT_AMPLITUDE
    res["expr"] = SHIFT_AMPLITUDE * res["constant"] * kappa ** res["power"]
    return res


def _at_zero(expr: sp.Expr) -> sp.Expr:
    """``κ → 0`` inside every moment: ``M_W(a, b; κ) → M_W(a − b, 0; 0) = tr W Σ^{a−b}``."""

    def repl(w, a, b, t):
        return SpectralMoment(w, a - b, 0, 0) if t == kappa else SpectralMoment(w, a, b, t)

    return sp.expand(expr.replace(SpectralMoment, repl).subs(kappa, 0))


# Placeholders for the Γ-function constants: the algebra below runs on them, and the derived
# constants are substituted at the end (so that no later simplification rewrites Γ(2r)Γ(2−2r)
# back into the sine form with its 0/0 at r = 1/2).
_C_B, _C_1, _C_2, _C_D, _A_D = sp.symbols("C_B C_1 C_2 C_D A_Delta", positive=True)


def _constants() -> dict[sp.Symbol, sp.Expr]:
    return {
        _C_B: bias_asymptotic()["constant"],
        _C_1: df_asymptotic(1)["constant"],
        _C_2: df_asymptotic(2)["constant"],
        _C_D: shift_gain_asymptotic()["constant"],
        _A_D: SHIFT_AMPLITUDE,
    }


def _tidy(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """``expr`` as a sum of powers of ``var`` with factored coefficients."""
    return sp.Add(*[sp.factor(coef) * var**power
                    for power, coef in _power_terms(expr, var).items()])


@cache
def _mixed_template() -> sp.Expr:
    """:func:`risk_asymptotic_mixed` with the constants as placeholder symbols."""
    comps = ridge.risk_components("random")
    bias0 = comps["bias"].subs(u, 0)
    zeta = sp.expand(comps["zeta"])
    if sp.diff(zeta, u, 2) != 0:  # pragma: no cover - guards the derivation
        raise RuntimeError("ζ is expected to be linear in u")
    zeta_free = zeta.subs(u, 0)
    zeta_u = _at_zero(sp.diff(zeta, u))
    u_lead = SpectralMoment(IDENTITY, 2, 2, kappa) / n
    lead = bias0 + comps["variance"].subs(u, u_lead) + zeta_free + zeta_u * u_lead
    gain = _A_D * _C_D * kappa ** shift_gain_asymptotic()["power"]
    lead = lead.subs(
        {
            kappa**2 * SpectralMoment(GAMMA, 1, 2, kappa):
                _C_B * kappa ** bias_asymptotic()["power"],
            SpectralMoment(IDENTITY, 2, 2, kappa): _C_2 * kappa ** df_asymptotic(2)["power"],
            SpectralMoment(DELTA, 3, 2, kappa): c**2 - gain,  # tr ΔΣ³(Σ+κ)^{-2} = c² − D_Δ
            SpectralMoment(DELTA, 1, 0, 0): c**2,  # tr ΣΔ = c²
        }
    )
    if lead.has(SpectralMoment):  # pragma: no cover - guards the derivation
        raise RuntimeError(f"unexpected moments left in {lead}")
    return _tidy(sp.expand(lead), kappa)


@cache
def effective_noise() -> sp.Expr:
    """``σ_eff²``: the coefficient of ``C_2 κ^{-1/β}/n`` in :func:`risk_asymptotic_mixed`.

    Derived, not assumed; it equals ``σ² + p1 p2 c²`` (``σ² = p1σ1² + p2σ2²``): the synthetic
    labels' disagreement with the real teacher acts as label noise of variance ``p1p2c²``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.power_law import effective_noise
    >>> from modelcollapse.theory.symbols import c, p1, p2, sigma_sq
    >>> sp.expand(effective_noise() - (sigma_sq + p1 * p2 * c**2))
    0
    """
    var_power = df_asymptotic(2)["power"]
    coef = _power_terms(_mixed_template(), kappa)[var_power]
    return sp.factor(sp.expand(coef * n / _C_2))


@cache
def risk_asymptotic_mixed() -> sp.Expr:
    """Theorem 1 with ``p2 > 0`` to leading order in ``κ → 0``, ``df2/n → 0`` (d = ∞)::

        E ≈ p2²c² + C_B κ^{2r} − p2² A_Δ C_D κ^{2r_Δ} + (σ² + p1p2c²) C_2 κ^{-1/β}/n

    Derivation (all by SymPy from :func:`modelcollapse.theory.ridge.risk_components`): the bias
    keeps ``(1 + u) → 1``; ζ is linear in ``u``, its ``u``-free part is ``p2² tr ΔΣ³(Σ+κ)^{-2} =
    p2²(c² − D_Δ(κ))`` and the coefficient of ``u`` tends to ``p1 p2 c²`` as κ → 0, so with
    ``V = σ²u`` the noise becomes ``σ_eff² = σ² + p1p2c²`` (:func:`effective_noise`);
    ``u = df2/(n − df2) ≈ df2/n``.  Valid for ``0 < r < 1``, ``0 < r_Δ < 1/2`` and
    ``n^{-β} ≪ κ ≪ 1``; the next corrections are relatively ``O(κ^{1/β})`` (Euler–Maclaurin)
    and ``O(df2/n)``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory import power_law as pl
    >>> e = pl.risk_asymptotic_mixed()
    >>> e.subs(pl.n, sp.oo).subs(pl.kappa, 0)   # n → ∞, then κ → 0 (r, r_Δ > 0)
    c**2*p2**2
    """
    return _mixed_template().subs(_constants())


def _effective_template() -> sp.Expr:
    """The template with the noise coefficient written ``C_2 σ_eff² κ^{-1/β}/n`` (σ_eff > 0)."""
    var_power = df_asymptotic(2)["power"]
    terms = _power_terms(_mixed_template(), kappa)
    terms[var_power] = _C_2 * sigma_eff**2 / n
    return sp.Add(*[coef * kappa**power for power, coef in terms.items()])


def _decay_template(include_gain: bool) -> sp.Expr:
    """``E − p2²c²`` of the template; without the shift gain if asked (``o(κ^{2r})`` for
    ``r < r_Δ``)."""
    out = sp.expand(_effective_template() - p2**2 * c**2)
    if not include_gain:
        out = sp.expand(out.subs(_A_D, 0))
    return out


@cache
def _optimal_template() -> dict[str, sp.Expr]:
    decay = _decay_template(include_gain=False)
    parts = _power_terms(decay, kappa)
    if len(parts) != 2:  # pragma: no cover - guards the derivation
        raise RuntimeError(f"expected a bias and a variance power law, got {parts}")
    (p_b, c_b), (p_v, c_v) = parts.items()
    # κ ∂E/∂κ = p_b c_b κ^p_b + p_v c_v κ^p_v = 0
    k_opt = sp.powsimp(sp.factor(-(p_v * c_v) / (p_b * c_b)) ** (1 / (p_b - p_v)))
    # E* − p2²c² = K n^{-ν}: collect the powers of n (both terms scale alike at the optimum)
    decay_opt = decay.subs(kappa, k_opt)
    nu = sp.simplify(_exponent_in_n(decay_opt))
    prefactor = sp.factor(sp.simplify(sp.powsimp(sp.powdenest(sp.expand_power_base(
        sp.expand(decay_opt * n**nu), force=True), force=True), force=True)))
    if prefactor.has(n):  # pragma: no cover - guards the derivation
        raise RuntimeError(f"the optimum is not a power of n: {prefactor}")
    decay_opt = prefactor * n ** (-nu)
    lam_of_kappa = sp.solve(ridge.FIXED_POINT, lam)[0].subs(
        SpectralMoment(IDENTITY, 1, 1, kappa), _C_1 * kappa ** df_asymptotic(1)["power"])
    return {"kappa_opt": k_opt, "lambda_opt": lam_of_kappa.subs(kappa, k_opt),
            "decay_opt": decay_opt, "lambda_of_kappa": lam_of_kappa}


@cache
def optimal_ridge_mixed() -> dict[str, sp.Expr]:
    """Tuned ridge with synthetic data, to leading order (``0 < r < r_Δ < 1/2``).

    The decaying part ``E − p2²c² ≈ C_B κ^{2r} + σ_eff² C_2 κ^{-1/β}/n`` (the shift gain is
    ``O(κ^{2r_Δ}) = o(κ^{2r})``) is minimised at
    ``κ* = (σ_eff² C_2/(2rβ C_B n))^{β/(2rβ+1)}``; ``λ* = κ*(1 − C_1 κ*^{-1/β}/n)`` from the fixed
    point ``κ − λ = κ df1(κ)/n``.  The decaying part then falls as ``n^{-2rβ/(2rβ+1)}`` — the
    approach rate to the floor ``p2²c²`` — with prefactor ``∝ σ_eff^{4rβ/(2rβ+1)}``.  This is the
    small-κ optimum the power laws describe; far beyond the collapse onset a larger λ can trade
    bias for shrinkage of the shift (cf. the isotropic optimal-ridge plateau).

    Returns ``kappa_opt``, ``lambda_opt``, ``decay_opt`` (``E* − p2²c²``), ``error_opt`` and
    ``exponent`` (of ``decay_opt`` in ``n``), in terms of :data:`sigma_eff`; ``sigma_eff_sq`` is
    its value (:func:`effective_noise`); ``lambda_of_kappa`` is the fixed point's
    ``λ(κ) = κ(1 − C_1 κ^{-1/β}/n)`` (``lambda_opt`` is it at ``κ*``).

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.power_law import optimal_ridge_mixed, beta, r_source
    >>> res = optimal_ridge_mixed()
    >>> sp.simplify(res["exponent"] - 2 * r_source * beta / (2 * r_source * beta + 1))
    0
    """
    tpl = _optimal_template()
    consts = _constants()
    out = {k: v.subs(consts) for k, v in tpl.items()}
    out["error_opt"] = p2**2 * c**2 + out["decay_opt"]
    out["exponent"] = sp.simplify(_exponent_in_n(tpl["decay_opt"]))
    out["sigma_eff_sq"] = effective_noise()
    return out


@cache
def _schedule_template() -> dict[str, sp.Expr]:
    decay = sp.expand(_decay_template(include_gain=True).subs(kappa, n ** (-ell)))
    terms: dict[sp.Expr, sp.Expr] = {}
    for term in sp.Add.make_args(decay):
        e = sp.simplify(_exponent_in_n(term))
        terms[e] = sp.factor(sp.powsimp(sp.expand(terms.get(e, 0) + term * n**e), force=True))
    bias_e = next(e for e in terms if terms[e].has(_C_B))
    var_e = next(e for e in terms if terms[e].has(_C_2))
    ell_opt = sp.solve(sp.Eq(bias_e, var_e), ell)[0]
    return {"terms": terms, "bias": bias_e, "variance": var_e, "ell_opt": sp.simplify(ell_opt)}


@cache
def schedule_rate_mixed() -> dict[str, sp.Expr]:
    """Ridge schedule ``λ = n^{-ℓ}`` (``0 < ℓ < β``, κ ≈ λ) with synthetic data.

    The decaying part ``E − p2²c²`` is a sum of powers of ``n``: ``C_B n^{-2rℓ}`` (bias),
    ``σ_eff² C_2 n^{ℓ/β − 1}`` (variance with the synthetic noise) and ``−p2² A_Δ C_D n^{-2r_Δℓ}``
    (shift gain).  Returns ``terms`` (``{e: coefficient of n^{-e}}``, with :data:`sigma_eff`),
    ``exponent`` (the approach rate to the floor, ``min(2rℓ, 1 − ℓ/β)`` when ``r < r_Δ``),
    ``ell_opt`` (``β/(2rβ+1)``, where bias and variance balance) and ``sigma_eff_sq``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory import power_law as pl
    >>> res = pl.schedule_rate_mixed()
    >>> sorted(map(str, res["terms"]))
    ['(beta - ell)/beta', '2*ell*r', '2*ell*r_Delta']
    >>> half = sp.Rational(1, 2)       # β = 2, r = 1/4: bias-limited for ℓ < ℓ* = 1
    >>> vals = {pl.beta: 2, pl.r_source: half / 2}
    >>> [res["exponent"].subs({**vals, pl.ell: v}) for v in (half, 3 * half)]
    [1/4, 1/4]
    """
    tpl = _schedule_template()
    consts = _constants()
    return {"terms": {e: v.subs(consts) for e, v in tpl["terms"].items()},
            "exponent": sp.Min(tpl["bias"], tpl["variance"]), "ell_opt": tpl["ell_opt"],
            "sigma_eff_sq": effective_noise()}


@cache
def collapse_onset() -> dict[str, sp.Expr]:
    """The collapse-onset sample size ``n*``: where the decaying part meets the floor ``p2²c²``.

    * ``"tuned"``: ``decay_opt(n*) = p2²c²`` with :func:`optimal_ridge_mixed`; beyond ``n*`` the
      error is within a factor 2 of the floor and approaches it as ``n^{-2rβ/(2rβ+1)}``.
    * ``"schedule"``: ``λ = n^{-ℓ}``: the dominant term of :func:`schedule_rate_mixed` set equal
      to the floor — the bias term for ``ℓ < ℓ* = β/(2rβ+1)``, the variance term otherwise.

    Both are written with :data:`sigma_eff` (``"sigma_eff_sq"`` gives its value).

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory import power_law as pl
    >>> n_star = pl.collapse_onset()["tuned"]
    >>> decay = pl.optimal_ridge_mixed()["decay_opt"]
    >>> vals = {pl.beta: 2, pl.r_source: sp.Rational(1, 4), pl.p2: sp.Rational(1, 5), pl.c: 1,
    ...         pl.sigma_eff: 1}
    >>> round(float(decay.subs(vals).subs(pl.n, n_star.subs(vals))), 12)  # = p2²c²
    0.04
    """
    floor = p2**2 * c**2
    tpl = _optimal_template()
    log_n = sp.Symbol("log_n", real=True)

    def solve_power(expr: sp.Expr) -> sp.Expr:
        """The ``n > 0`` with ``expr(n) = p2²c²`` for ``expr = K n^{-e}``: linear in ``ln n``."""
        eq = sp.expand_log(sp.log(expr.subs(n, sp.exp(log_n))) - sp.log(floor), force=True)
        sols = sp.solve(eq, log_n)
        if len(sols) != 1:  # pragma: no cover - guards the derivation
            raise RuntimeError(f"expected one onset, got {sols}")
        return sp.simplify(sp.powsimp(sp.exp(sp.expand(sols[0])), force=True))

    tuned = solve_power(tpl["decay_opt"])
    sched = _schedule_template()

    def onset(e):
        return solve_power(sched["terms"][e] * n ** (-e))

    schedule = sp.Piecewise((onset(sched["bias"]), ell < sched["ell_opt"]),
                            (onset(sched["variance"]), True))
    consts = _constants()
    return {"tuned": tuned.subs(consts), "schedule": schedule.subs(consts),
            "sigma_eff_sq": effective_noise()}


def source_diagonal(
    beta_value: float, r: float, total: float | None = None, dimension: int | None = None
) -> tuple[float, float]:
    """``(scale, exponent)`` of a power-law diagonal ``ω_j = scale · j^{-exponent}`` whose energy
    along ``Σ`` has source exponent ``r``: ``s_j ω_j ∝ j^{-(1+2rβ)}`` (``s_j = j^{-β}``).

    For a teacher ``Γ = cov w1`` this is the source condition of the scaling laws here; for the
    shift ``Δ = cov(w2 − w1)`` it is ``r_Δ``.  ``total`` normalises ``tr ΣW = Σ_{j≤d} s_j ω_j``
    (``c²`` for Δ), by the Hurwitz zeta function; ``None`` leaves ``s_j ω_j = j^{-(1+2rβ)}``.
    The result is what :class:`modelcollapse.numerics.spectra.PowerLawSpectrum` takes as
    ``gamma=`` or ``delta=``.

    Examples
    --------
    >>> from modelcollapse.theory.power_law import source_diagonal
    >>> source_diagonal(2.0, 0.25)
    (1.0, 0.0)
    >>> scale, exponent = source_diagonal(2.0, 0.25, total=0.5)
    >>> round(scale, 6), exponent                          # 0.5/ζ(2)
    (0.303964, 0.0)
    """
    for name, val, lo in (("beta", beta_value, 1.0), ("r", r, 0.0)):
        if isinstance(val, bool) or not isinstance(val, numbers.Real) or not (
            math.isfinite(val) and val > lo
        ):
            raise ValueError(f"{name}: expected a finite number > {lo:g}, got {val!r}")
    exponent = 1 + 2 * r * beta_value - beta_value
    if total is None:
        return 1.0, float(exponent)
    if isinstance(total, bool) or not isinstance(total, numbers.Real) or not (
        math.isfinite(total) and total >= 0
    ):
        raise ValueError(f"total: expected a finite number >= 0, got {total!r}")
    if dimension is not None and (isinstance(dimension, bool)
                                  or not isinstance(dimension, numbers.Integral) or dimension < 1):
        raise ValueError(f"dimension: expected a positive integer or None, got {dimension!r}")
    power = 1 + 2 * r * beta_value
    with mpmath.workdps(30):
        energy = mpmath.zeta(power)
        if dimension is not None:
            energy -= mpmath.zeta(power, int(dimension) + 1)
        return float(total / energy), float(exponent)
