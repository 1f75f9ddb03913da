"""Weighted single-step mixing (paper §5): the two-group deterministic equivalent.

The loss ``((1−α)/n1) Σ_real + (α/n2) Σ_synth + λ‖w‖²`` is ridge with per-row weights
``a1 = (1−α)/p1`` (real rows) and ``a2 = α/p2`` (synthetic rows).  Its deterministic equivalent
(docs/mathematics.md §3.1), in the spirit of the paper's Proposition 2 (two groups, one
covariance), is stated with the leave-one-out factor ``δ``:

* ``ξ(δ) = p1 a1/(1 + a1 δ) + p2 a2/(1 + a2 δ)`` (the groups' weights in the resolvent),
  ``κ = λ/ξ`` and the fixed point ``δ ξ(δ) = df1(κ)/n`` — so ``(Σ̂_A + λ)^{-1} ≃ (Σ + κ)^{-1}/ξ``;
* the fit's mean is ``w̄ = (Σ+κ)^{-1}Σ w_e`` with the effective teacher ``w_e = w1 + θ δ_w``,
  ``θ = [p2 a2/(1 + a2 δ)]/ξ`` — *not* ``w_α`` at finite φ, since the groups' leave-one-out
  factors ``1/(1 + a_g δ)`` differ;
* ``b_g = (w̄ − w_g)ᵀΣ(w̄ − w_g)`` is the error of the mean fit on group g's teacher
  (:func:`mean_fit_errors`); ``η_g = p_g a_g²/(1 + a_g δ)²``, ``η = η1 + η2`` and
  ``D2 = df2(κ)/(n ξ²)``;
* the fit fluctuates around ``w̄`` with covariance ``(Q/(n ξ²)) (Σ+κ)^{-1}Σ(Σ+κ)^{-1}``, where
  ``Q = Σ_g η_g E_g`` and ``E_g = b_g + Q D2 + σ_g²`` is the fit's error on group g (label noise
  included).  Solving for Q::

      E_test ≃ b1 + D2 · [η1 (b1 + σ1²) + η2 (b2 + σ2²)] / (1 − η D2).

Derivation (leave-one-out): the normal equations read ``λŵ = (1/n) Σ_i a_i x_i r_i`` with
residuals ``r_i = r_i^{(−i)}/(1 + a_i δ)``; the leave-one-out residual of a row of group g,
``x_iᵀ(w_g − ŵ_{−i}) + ε_i``, has variance ``E_g`` given ``ŵ_{−i}``.  What a group's rows leave
unexplained is therefore *not* independent noise of variance ``(w_e − w_g)ᵀΣ(w_e − w_g) + σ_g²``:
it is linear in ``x_i`` and correlated with the fit's own bias, so ``b_g`` holds the cross term
``−2κ (w_e − w_g)ᵀΣ(Σ+κ)^{-1}w_e``.  Weighted by ``η_g`` and summed, the cross terms cancel when
a1 = a2 (then ``θη = η2``), which is why Theorem 1 does not show them; for a1 ≠ a2 they add,
compared with independent noise, ``−2κ (θη − η2) δ_wᵀΣ(Σ+κ)^{-1}w_e · D2/(1 − ηD2)`` to the error
(:data:`SHIFT_CORRELATION` is ``θη − η2``), all of it in ζ.  The term carries κ: it vanishes
ridgeless, and at α ∈ {0, p2, 1}.

With ``a1 = a2 = 1`` (α = p2) this is Theorem 1.  Here ``δ_w = w2 − w1`` is the teacher shift
(``DD``, ``W1D``, ``DELTA`` weights) and ``delta_loo`` the leave-one-out factor.  Monte Carlo is
the arbiter (``tests/test_mixing.py``).

Examples
--------
>>> import sympy as sp
>>> from modelcollapse.theory import mixing
>>> from modelcollapse.theory.symbols import p2
>>> sp.simplify(mixing.TEACHER_WEIGHT.subs({mixing.a1: 1, mixing.a2: 1}) - p2)
0
>>> sp.simplify(mixing.SHIFT_CORRELATION.subs({mixing.a1: 1, mixing.a2: 1}))
0
"""

from __future__ import annotations

from functools import cache
from typing import Literal

import sympy as sp

from . import parameters as par
from . import ridge_isotropic as iso
from .model import Auxiliary, FixedPoint, ModelSpec, Parameter
from .spectral import DD, DELTA, GAMMA, IDENTITY, W1D, W1W1, SpectralMoment, df1, df2, isotropic
from .symbols import c, d, kappa, lam, n, p1, p2, phi, sigma1, sigma2

__all__ = [
    "alpha",
    "a1",
    "a2",
    "delta_loo",
    "XI",
    "TEACHER_WEIGHT",
    "ETA_REAL",
    "ETA_SYNTH",
    "ETA",
    "SHIFT_CORRELATION",
    "D2",
    "FIXED_POINT",
    "FIXED_POINT_NEAR_THRESHOLD",
    "SLOPE_STABLE",
    "INFLATION_STABLE",
    "stable_risk",
    "row_weights",
    "mean_fit_errors",
    "test_error",
    "risk_components",
    "isotropic_ridgeless",
    "small_phi_expansion",
    "optimal_alpha",
    "printed_corollary2",
    "printed_optimal_alpha",
    "xi",
    "teacher_weight",
    "ALPHA",
    "MODEL",
]

alpha = sp.Symbol("alpha", nonnegative=True)  #: α, the synthetic group's share of the loss
a1 = sp.Symbol("a1", nonnegative=True)  #: per-row weight of real rows, (1−α)/p1
a2 = sp.Symbol("a2", nonnegative=True)  #: per-row weight of synthetic rows, α/p2
delta_loo = sp.Symbol("delta_loo", positive=True)  #: δ, the leave-one-out factor (1/n) tr ΣQ

#: ξ(δ): the groups' weights in the resolvent.
XI: sp.Expr = p1 * a1 / (1 + a1 * delta_loo) + p2 * a2 / (1 + a2 * delta_loo)
#: θ_w, the effective-teacher weight: the effective teacher is w1 + θ_w (w2 − w1).
TEACHER_WEIGHT: sp.Expr = (p2 * a2 / (1 + a2 * delta_loo)) / XI
#: η1 = p1 a1²/(1 + a1 δ)²: the real rows' weight in the fit's fluctuation.
ETA_REAL: sp.Expr = p1 * a1**2 / (1 + a1 * delta_loo) ** 2
#: η2 = p2 a2²/(1 + a2 δ)²: the synthetic rows' weight in the fit's fluctuation.
ETA_SYNTH: sp.Expr = p2 * a2**2 / (1 + a2 * delta_loo) ** 2
#: η = η1 + η2.
ETA: sp.Expr = ETA_REAL + ETA_SYNTH
#: θ_w η − η2: the weight of the shift–bias correlation (0 when a1 = a2).
SHIFT_CORRELATION: sp.Expr = TEACHER_WEIGHT * ETA - ETA_SYNTH
#: D2 = df2(κ)/(n ξ²).
D2: sp.Expr = df2(kappa) / (n * XI**2)
#: The fixed point: with κ = λ/ξ, ``δ ξ(δ) − df1(κ)/n = 0``.
FIXED_POINT: sp.Expr = delta_loo * XI - df1(kappa) / n

#: The same with ``δ ξ(δ) = 1 − Σ_g p_g/(1 + a_g δ)`` and ``df1(κ) = d − κ tr(Σ+κ)^{-1}``:
#: ``(n − d)/n − p1/(1 + a1 δ) − p2/(1 + a2 δ) + κ tr(Σ+κ)^{-1}/n`` — no cancellation near the
#: interpolation threshold (n ≈ d, λ → 0), where ``δ ξ(δ) − df1(κ)/n`` is a difference of ones.
FIXED_POINT_NEAR_THRESHOLD: sp.Expr = sp.Add(
    (n - d) / n, -p1 / (1 + a1 * delta_loo), -p2 / (1 + a2 * delta_loo),
    kappa * SpectralMoment(IDENTITY, 0, 1, kappa) / n,
)

#: ``δ ∂h/∂δ`` of the fixed point as non-negative terms:
#: ``∂(δξ)/∂log δ = Σ_g p_g a_g δ/(1 + a_g δ)²`` and, with κ = λ/ξ,
#: ``−∂df1(κ)/∂log δ = κ tr Σ(Σ+κ)^{-2} Σ_g p_g a_g² δ/(1 + a_g δ)² / ξ``.  The derivative of
#: ``δξ`` taken term by term, ``δξ + δ²ξ'``, is a difference of ones when a δ ≫ 1 (n ≈ d,
#: λ → 0): there it is rounding noise, and Newton's step with it.  Written with
#: ``r_g = a_g δ/(1 + a_g δ) ∈ [0, 1)``, ``δξ = Σ_g p_g r_g`` and
#: ``Σ_g p_g a_g² δ/(1 + a_g δ)² / ξ = Σ_g p_g r_g² / Σ_g p_g r_g``, so that no product of its
#: factors underflows where κ and 1/δ are ~1e-150 (the plain form's λ·M·1/δ does).
_R = (a1 * delta_loo / (1 + a1 * delta_loo), a2 * delta_loo / (1 + a2 * delta_loo))
_DELTA_XI = p1 * _R[0] + p2 * _R[1]
SLOPE_STABLE: sp.Expr = (
    p1 * _R[0] / (1 + a1 * delta_loo) + p2 * _R[1] / (1 + a2 * delta_loo)
    + lam * delta_loo / _DELTA_XI * SpectralMoment(IDENTITY, 1, 2, kappa) / n
    * (p1 * _R[0] ** 2 + p2 * _R[1] ** 2) / _DELTA_XI
)


def row_weights() -> dict[sp.Symbol, sp.Expr]:
    """``{a1: (1−α)/p1, a2: α/p2}`` (the paper's eq. 16)."""
    return {a1: (1 - alpha) / p1, a2: alpha / p2}


def _M(w, a, b):
    return SpectralMoment(w, a, b, kappa)


def _check_teacher(teacher: str) -> None:
    if teacher not in ("random", "fixed"):
        raise ValueError(f"teacher must be 'random' or 'fixed', got {teacher!r}")


def mean_fit_errors(teacher: Literal["random", "fixed"] = "random") -> dict[str, sp.Expr]:
    """``b_g = (w̄ − w_g)ᵀΣ(w̄ − w_g)``: the mean fit ``w̄ = (Σ+κ)^{-1}Σ w_e`` against each teacher.

    With ``w̄ − w1 = −κ(Σ+κ)^{-1}w1 + θ(Σ+κ)^{-1}Σδ_w`` and
    ``w̄ − w2 = −κ(Σ+κ)^{-1}w1 − (Σ+κ)^{-1}((1−θ)Σ + κ)δ_w``::

        b1 = κ² M_Γ(1,2) + θ² M_Δ(3,2) − 2κθ M_{w1δ}(2,2)
        b2 = κ² M_Γ(1,2) + tr ΔΣ((1−θ)Σ + κ)²(Σ+κ)^{-2} + 2κ[(1−θ) M_{w1δ}(2,2) + κ M_{w1δ}(1,2)]

    (``M_W(a, b) = tr W Σ^a(Σ+κ)^{-b}``; the ``w1δ`` terms only for fixed teachers, random
    effects replace ``w1w1ᵀ, δδᵀ`` by ``Γ, Δ``).

    Returns
    -------
    dict
        ``{"real": b1, "synth": b2}``.

    Examples
    --------
    Ridgeless and isotropic (Σ = I, tr Δ = c²), the synthetic rows' teacher is missed by
    ``(1 − θ)² c²``:

    >>> import sympy as sp
    >>> from modelcollapse.theory.mixing import mean_fit_errors, TEACHER_WEIGHT
    >>> from modelcollapse.theory.spectral import isotropic, GAMMA, DELTA
    >>> from modelcollapse.theory.symbols import c, kappa
    >>> b = mean_fit_errors("random")["synth"]
    >>> b0 = isotropic(b, {GAMMA: 1, DELTA: c**2}).subs(kappa, 0)
    >>> sp.simplify(b0 - (1 - TEACHER_WEIGHT) ** 2 * c**2)
    0
    """
    _check_teacher(teacher)
    th = TEACHER_WEIGHT
    g, dl = (GAMMA, DELTA) if teacher == "random" else (W1W1, DD)
    own = kappa**2 * _M(g, 1, 2)
    b_real = own + th**2 * _M(dl, 3, 2)
    # tr ΔΣ((1−θ)Σ + κ)²(Σ+κ)^{-2}, expanded into moments
    b_synth = own + ((1 - th) ** 2 * _M(dl, 3, 2) + 2 * (1 - th) * kappa * _M(dl, 2, 2)
                     + kappa**2 * _M(dl, 1, 2))
    if teacher == "fixed":
        b_real = b_real - 2 * kappa * th * _M(W1D, 2, 2)
        b_synth = b_synth + 2 * kappa * ((1 - th) * _M(W1D, 2, 2) + kappa * _M(W1D, 1, 2))
    return {"real": b_real, "synth": b_synth}


def test_error(teacher: Literal["random", "fixed"] = "random") -> sp.Expr:
    """``E_test ≃ b1 + D2 [η1 (b1 + σ1²) + η2 (b2 + σ2²)]/(1 − ηD2)`` (see module).

    In terms of κ, δ, a1, a2 and spectral moments; ``b_g`` from :func:`mean_fit_errors`.

    Examples
    --------
    >>> from modelcollapse.theory.mixing import test_error, delta_loo
    >>> test_error().has(delta_loo)
    True
    """
    return _split(teacher, (ETA_REAL, ETA_SYNTH), D2, 1 / (1 - ETA * D2))["test_error"]


def _split(teacher: str, eta: tuple[sp.Expr, sp.Expr], d2: sp.Expr, inflate: sp.Expr
           ) -> dict[str, sp.Expr]:
    """E, B and V from the groups' weights η_g, D2 and ``1/(1 − ηD2)`` — in the declared forms or
    in any rewrite whose products ``η_g D2`` are the same."""
    b = mean_fit_errors(teacher)
    g = GAMMA if teacher == "random" else W1W1
    fluct = (eta[0] * (b["real"] + sigma1**2) + eta[1] * (b["synth"] + sigma2**2)) * inflate
    return {"test_error": b["real"] + d2 * fluct,
            "bias": kappa**2 * _M(g, 1, 2) * inflate,
            "variance": (eta[0] * sigma1**2 + eta[1] * sigma2**2) * d2 * inflate}


test_error.__test__ = False  # a formula, not a pytest test


def risk_components(teacher: Literal["random", "fixed"] = "random") -> dict[str, sp.Expr]:
    """The split of :func:`test_error` used for plain ridge (Theorem 1), extended to weights.

    ``bias = κ² w1ᵀΣ(Σ+κ)^{-2}w1/(1 − ηD2)`` (the real teacher alone),
    ``variance = (η1σ1² + η2σ2²) D2/(1 − ηD2)`` (label noise alone), and
    ``zeta = E − bias − variance`` (what the synthetic shift adds), which is
    ``b1' + D2 (η1 b1' + η2 b2')/(1 − ηD2)`` with ``b_g'`` the shift's part of ``b_g`` (every term
    of :func:`mean_fit_errors` but ``κ² w1ᵀΣ(Σ+κ)^{-2}w1``).  With a1 = a2 = 1 they are
    Theorem 1's B, V, ζ.

    Examples
    --------
    >>> from modelcollapse.theory.mixing import risk_components
    >>> sorted(risk_components())
    ['bias', 'test_error', 'variance', 'zeta']
    """
    out = _split(teacher, (ETA_REAL, ETA_SYNTH), D2, 1 / (1 - ETA * D2))
    out["zeta"] = out["test_error"] - out["bias"] - out["variance"]
    return out


_TOTALS = {IDENTITY: phi * n, GAMMA: iso.r**2, DELTA: c**2}


@cache
def isotropic_ridgeless() -> dict[str, sp.Expr]:
    """Σ = I, λ → 0⁺ with ``φ < p_active``: κ = 0, ``δ ξ(δ) = φ``, and E in terms of δ.

    Returns ``{"fixed_point": δξ(δ) − φ, "E": E(δ)}`` (random effects, r² = tr Γ, c² = tr Δ).
    """
    e = isotropic(test_error("random"), _TOTALS).subs(kappa, 0)
    fp = isotropic(FIXED_POINT, _TOTALS).subs(kappa, 0)
    return {"fixed_point": fp, "E": e}


@cache
def small_phi_expansion() -> dict[str, sp.Expr]:
    """First order in φ of the ridgeless isotropic error, derived by SymPy.

    δ(φ) is defined by ``δ ξ(δ) = φ`` with δ(0) = 0; implicit differentiation gives
    ``δ'(0) = 1/ξ(0)``, and ``E(φ) ≃ E(0) + φ [∂_φ E + ∂_δ E · δ'(0)]`` at (φ, δ) = (0, 0)::

        E ≃ α²c² + φ [(1−α)²σ1²/p1 + α²σ2²/p2 + α²(1−α)²c²/(p1p2) + 2α²(1−α)(a1 − a2)c²]

    The last term comes from θ = α(1 + (1−α)(a1 − a2)φ + O(φ²)): the effective teacher is not
    ``w_α`` even at first order.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory.mixing import small_phi_expansion, alpha
    >>> from modelcollapse.theory.symbols import c, phi
    >>> sp.simplify(small_phi_expansion()["E"].subs(phi, 0) - alpha**2 * c**2)
    0
    """
    ridgeless = isotropic_ridgeless()
    at0 = {delta_loo: 0, phi: 0}
    d_delta = 1 / XI.subs(delta_loo, 0)  # from d/dφ [δ ξ(δ)] = 1 at δ = 0
    e = ridgeless["E"]
    e0 = e.subs(at0)
    e1 = sp.diff(e, phi).subs(at0) + sp.diff(e, delta_loo).subs(at0) * d_delta
    w = row_weights()
    first = sp.simplify(sp.factor((e0 + phi * e1).subs(w)))
    theta1 = sp.diff(TEACHER_WEIGHT, delta_loo).subs(delta_loo, 0) * d_delta
    theta = sp.simplify((TEACHER_WEIGHT.subs(delta_loo, 0) + phi * theta1).subs(w))
    return {"delta": phi * d_delta.subs(w), "teacher_weight": theta, "E": first}


@cache
def optimal_alpha() -> sp.Expr:
    """``α* = φ σ1²/(p1 c²) + O(φ²)``: the stationary point of the first-order error, by SymPy.

    At φ → 0 the best weight is 0 (train on the real rows); at small φ a little synthetic weight
    reduces the variance.
    """
    big_a = sp.Symbol("A")
    e = small_phi_expansion()["E"]
    grad = sp.series(sp.diff(e, alpha).subs(alpha, phi * big_a), phi, 0, 2).removeO()
    sol = sp.solve(sp.expand(grad).coeff(phi, 1), big_a)
    if len(sol) != 1:
        raise RuntimeError(f"expected one first-order optimum, got {sol}")
    return sp.simplify(phi * sol[0])


def printed_corollary2() -> sp.Expr:
    """The paper's printed Corollary 2: ``p2²α²c² + ((1−α)p1σ1² + αp2σ2²)φ`` (rejected)."""
    return p2**2 * alpha**2 * c**2 + ((1 - alpha) * p1 * sigma1**2 + alpha * p2 * sigma2**2) * phi


def printed_optimal_alpha() -> sp.Expr:
    """The paper's printed ``α* = 1 − (p1σ1² − p2σ2²)φ/(2c²)`` (before clipping; rejected)."""
    return 1 - (p1 * sigma1**2 - p2 * sigma2**2) * phi / (2 * c**2)


xi = sp.Symbol("xi", nonnegative=True)  #: ξ(δ) at the solution (0: ridgeless, weights moot)
teacher_weight = sp.Symbol("theta_w", nonnegative=True)  #: θ_w at the solution

#: The synthetic group's share α of the loss (``mixing_weight`` in problem files).
ALPHA = Parameter("alpha", "weight α ∈ [0, 1] of the synthetic group in the loss "
                  "((1−α)/n1) Σ_real + (α/n2) Σ_synth + λ‖w‖² (α = p2: plain ridge)",
                  symbol=alpha, lower=0.0, upper=1.0, key="mixing_weight", typical=(0.0, 1.0))


#: ``1 − ηD2`` on the fixed point, as a sum of non-negative terms: with ``δξ = df1(κ)/n`` and
#: ``df2 = df1 − κ tr Σ(Σ+κ)^{-2}``, ``1 − ηD2 = ν/ξ + ηκ tr Σ(Σ+κ)^{-2}/(nξ²)`` where
#: ``ν = ξ − δη = Σ_g p_g a_g/(1 + a_g δ)²``.  Near the interpolation threshold ``1 − ηD2`` is a
#: difference of nearly equal numbers; this form has no cancellation (the analogue of ridge's
#: ``U_STABLE``).
#: With ``r_g = a_g δ/(1 + a_g δ)``: ``ν/ξ = Σ_g p_g r_g/(1 + a_g δ) / Σ_g p_g r_g`` and
#: ``η/ξ² = Σ_g p_g r_g² / (Σ_g p_g r_g)²`` — ratios of O(1) sums: the plain ``η κ M/(n ξ²)``
#: underflowed in ``η κ`` (~1e-330 at n = d, λ = 1e-220), which halved 1 − ηD2 and doubled B.
INFLATION_STABLE: sp.Expr = (
    (p1 * _R[0] / (1 + a1 * delta_loo) + p2 * _R[1] / (1 + a2 * delta_loo)) / _DELTA_XI
    + kappa * SpectralMoment(IDENTITY, 1, 2, kappa) / n
    * (p1 * _R[0] ** 2 + p2 * _R[1] ** 2) / _DELTA_XI**2
)


def stable_risk(teacher: Literal["random", "fixed"] = "random") -> dict[str, sp.Expr]:
    """:func:`risk_components` in the form the solver evaluates: ``1 − ηD2`` as
    :data:`INFLATION_STABLE` and ``η_g D2 = q_g df2(κ)/n`` with ``q_g = η_g/ξ² = p_g r_g²/(Σ p r)²``
    (``r_g = a_g δ/(1 + a_g δ)``), so that no product of factors underflows where η_g ~ 1/δ² and
    D2 ~ δ² are beyond 1e±250 (n = d, λ ≲ 1e-220).  Equal to :func:`risk_components` where
    ``1 − ηD2`` is replaced by :data:`INFLATION_STABLE` (checked at random exact points by the
    tests); ζ is the remainder ``E − B − V``.

    Examples
    --------
    >>> from modelcollapse.theory.mixing import stable_risk
    >>> sorted(stable_risk())
    ['bias', 'test_error', 'variance']
    """
    q = tuple(p * r**2 / _DELTA_XI**2 for p, r in ((p1, _R[0]), (p2, _R[1])))
    return _split(teacher, q, df2(kappa) / n, 1 / INFLATION_STABLE)


def _declared_risk(teacher, options) -> dict[str, sp.Expr | None]:
    # ζ is the remainder E − B − V (what the synthetic shift adds)
    return {**stable_risk(teacher), "zeta": None}


#: Weighted single-step mixing as a model declaration (docs/mathematics.md §3).
MODEL = ModelSpec(
    name="weighted_ridge",
    title="Weighted single-step mixing: ridge with per-group weights (paper §5)",
    doc="Ridge with loss ((1−α)/n1) Σ_real + (α/n2) Σ_synth + λ‖w‖²: per-row weights "
    "a1 = (1−α)/p1, a2 = α/p2; two-group deterministic equivalent with the leave-one-out factor "
    "δ, δ ξ(δ) = df1(λ/ξ(δ))/n.",
    parameters=(par.SPECTRUM, par.N_ROWS, par.P2, ALPHA, par.RIDGE, par.NOISE_REAL,
                par.NOISE_SYNTH, par.GAMMA, par.DELTA, par.W_REAL, par.W_SYNTH),
    teachers=par.LABEL_SHIFT_TEACHERS,
    derived=(
        Auxiliary("a1", a1, sp.Piecewise(((1 - alpha) / p1, p2 < 1), (0, True)),
                  "a1 = (1−α)/p1, the weight of a real row (0 without real rows)", report=False),
        Auxiliary("a2", a2, sp.Piecewise((alpha / p2, p2 > 0), (0, True)),
                  "a2 = α/p2, the weight of a synthetic row (0 without synthetic rows)",
                  report=False),
    ),
    fixed_points=(FixedPoint(delta_loo, FIXED_POINT.subs(kappa, lam / XI),
                             ("n", "p2", "alpha", "ridge"),
                             "δ, the leave-one-out factor: δ ξ(δ) = df1(λ/ξ(δ))/n",
                             forms=(FIXED_POINT_NEAR_THRESHOLD.subs(kappa, lam / XI),),
                             slope_form=SLOPE_STABLE.subs(kappa, lam / XI)),),
    risk=_declared_risk,
    auxiliaries=lambda teacher, options: (
        Auxiliary("kappa", kappa, lam / XI, "κ = λ/ξ(δ), the effective regularisation"),
        Auxiliary("xi", xi, XI, "ξ(δ) = Σ_g p_g a_g/(1 + a_g δ), the groups' resolvent weight"),
        Auxiliary("teacher_weight", teacher_weight, TEACHER_WEIGHT,
                  "θ_w: the effective teacher is w1 + θ_w (w2 − w1)"),
    ),
)
