"""Theorem 2 (corrected) evaluated numerically: ridge on random projections ``f(x) = vᵀSx``.

The formulas are those of :mod:`modelcollapse.theory.random_projection`, compiled once; this
module solves θ (:func:`~modelcollapse.numerics._rp_solve.solve_theta`), evaluates the spectral
moments at θ and handles the ridgeless limit on both sides of the interpolation threshold.

Round-off: the corrected B and ζ are evaluated in Definition 2's variables (the same functions,
with ``ω' = (θ − g)(1 + u)``), which are sums of non-negative terms, and ``θ − g`` and
``D = df2 + (θ − g) tr Σ(Σ+θ)^{-2}`` are formed without subtraction; the nested
``θ M(1,1) − g M(2,2)`` loses up to ``log10(θ/(θ − g))`` digits (``m ≫ n``, small λ).  The result
agrees with the 50-digit reference (:mod:`~modelcollapse.numerics.reference_rp`) to 1e-10.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from typing import Literal

import numpy as np
import sympy as sp

from modelcollapse.theory import random_projection as theory
from modelcollapse.theory.spectral import IDENTITY, SpectralMoment, df1, df2
from modelcollapse.theory.symbols import d as d_sym
from modelcollapse.theory.symbols import n as n_sym
from modelcollapse.theory.symbols import p2 as p2_sym
from modelcollapse.theory.symbols import sigma1, sigma2, theta, u

from ._compile import CompiledExpression, compile_expression
from ._moments import SpectrumBatch
from ._rootfind import STATUS, status_notes
from ._rp_solve import ThetaResult, solve_theta
from ._stable import stable_cross_term
from ._validate import as_positive_spectrum, check_array
from .kappa import ConvergenceError
from .ridge import ridge_teacher

__all__ = ["RPRisk", "rp_risk"]

OnFailure = Literal["raise", "nan"]
RPForm = Literal["corrected", "paper", "printed"]

_THEORY_FORM = {"corrected": "nested", "paper": "paper", "printed": "printed"}


@dataclass(frozen=True)
class RPRisk:
    """Deterministic equivalent of the random-projections test error on a grid (Theorem 2).

    Attributes
    ----------
    test_error, bias, variance, zeta : ndarray
        ``E_test ≃ B + V + ζ`` (excess risk on the real distribution) and its parts; ``+inf``
        at the ridgeless interpolation threshold (status 1) where they diverge.
    theta : ndarray
        θ = κ2(t*), the effective regularisation (moments are taken at θ).
    e, tau : ndarray
        Definition 2's ``e = 1 − df1(θ)/n`` and ``τ = 1 − df1(θ)/m``.
    u : ndarray
        ``1 + u = 1/(1 − D/n)``, ``D = df1(θ) − t*κ2'(t*) tr Σ(Σ+θ)^{-2}`` (Lemma 1's u).
    omega_prime : ndarray
        ``ω' = ω/(γτ²) = (θ − t*κ2'(t*))(1 + u)`` (Lemma 1).
    converged, iterations, residual, status : ndarray
        From the θ solver; status codes as in :data:`~modelcollapse.numerics._rootfind.STATUS`.
    """

    test_error: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    zeta: np.ndarray
    theta: np.ndarray
    e: np.ndarray
    tau: np.ndarray
    u: np.ndarray
    omega_prime: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray
    status: np.ndarray

    def notes(self) -> np.ndarray:
        """A human-readable note per grid point ('' where all is well)."""
        return status_notes(self.status)


_SCALARS = [theta, theory.g, u, theory.omega_prime, theory.e, theory.t_star, n_sym, d_sym,
            p2_sym, sigma1, sigma2]


#: ``θ − g``, supplied without cancellation (it is ≪ θ when ``m ≫ n`` and λ is small).
_THETA_MINUS_G = sp.Symbol("theta_minus_g", nonnegative=True)


@cache
def _compiled(kind: str, form: str) -> dict[str, CompiledExpression]:
    comps = dict(theory.risk_components(kind, _THEORY_FORM[form]))  # type: ignore[arg-type]
    if form == "corrected":
        # B and ζ of Definition 2 (errata applied) are the nested ones with ω' = (θ − g)(1 + u),
        # identically, and sums of non-negative terms (fixed-teacher cross terms aside); the
        # nested θ M(1,1) − g M(2,2) and ζ's expanded c² − 2θ M(1,1) + … cancel catastrophically
        # when θ − g ≪ θ or ζ ≪ c².  V = σ² u stays nested (Definition 2's V carries a 1/e).
        paper = theory.risk_components(kind, "paper")  # type: ignore[arg-type]
        comps.update(bias=paper["bias"], zeta=stable_cross_term(paper["zeta"], theta))
    scalars = [*_SCALARS, _THETA_MINUS_G]
    out = {name: compile_expression(expr, scalars) for name, expr in comps.items()}
    out["g"] = compile_expression(theory.G_STABLE, _SCALARS)
    out["theta_minus_g"] = compile_expression(sp.factor(theta - theory.G_STABLE), _SCALARS)
    # u = D/(n e + g M(1,2)) with D = df1 − g M(1,2) = df2 + (θ − g) M(1,2) (as df1 − θ M(1,2)
    # = df2): non-negative terms, where df1 − g M(1,2) cancels when θ ≫ Σ
    m12 = SpectralMoment(IDENTITY, 1, 2, theta)
    big_d = sp.expand(theory.effective_df().subs(theory.g, theta - _THETA_MINUS_G)
                      .subs(df1(theta), df2(theta) + theta * m12))
    u_den = sp.factor(theory.effective_df() / theory.U_STABLE)
    out["u"] = compile_expression(big_d / u_den, scalars)
    omega_w = theory.OMEGA_PRIME_NESTED.subs(theory.g, theta - _THETA_MINUS_G)
    out["omega_prime"] = compile_expression(omega_w, scalars)
    # Definition 2's V has a 0/0 at e = 0 (λ = 0, m > n); there it is evaluated through the
    # identity V_paper = σ² u and the structural ratio of the chosen form to the paper's.
    v_paper = theory.risk_components(kind, "paper")["variance"]  # type: ignore[arg-type]
    v_ratio = sp.simplify(comps["variance"] / v_paper) if form != "corrected" else sp.Integer(1)
    v_nested = theory.risk_components(kind, "nested")["variance"]  # type: ignore[arg-type]
    out["variance_at_e0"] = compile_expression(v_ratio * v_nested, scalars)
    return out


def _solve_theta_distinct(batch, lam, n, m, *, shared: bool) -> ThetaResult:
    """θ depends on (Σ, λ, n, m) only: with one spectrum, solve each distinct triple once."""
    if shared and lam.size > 1:
        triples, back = np.unique(np.c_[lam, n, m], axis=0, return_inverse=True)
        if triples.shape[0] < lam.size:
            sol = solve_theta(batch, *(np.ascontiguousarray(col) for col in triples.T))
            pick = back.ravel()
            return ThetaResult(**{f.name: getattr(sol, f.name)[pick] for f in fields(sol)})
    return solve_theta(batch, lam, n, m)


def rp_risk(
    spectrum,
    *,
    n,
    m,
    p2,
    ridge,
    noise_real=0.0,
    noise_synth=0.0,
    gamma=None,
    delta=None,
    w_real=None,
    w_synth=None,
    form: RPForm = "corrected",
    on_failure: OnFailure = "raise",
) -> RPRisk:
    """Theorem 2 test error of ridge on ``m`` random projections, ``n1 = p1 n`` real rows.

    ``f(x) = vᵀSx``, ``S ∈ R^{m×d}`` iid ``N(0, 1/d)``, penalty ``λ‖v‖²`` (THEORY.md §2).  With
    ``θ = κ2(t*)``, ``g = t*κ2'(t*)``, ``1 + u = 1/(1 − D/n)``::

        B = b(w1)(1 + u),   b(a) = θ aᵀΣ(Σ+θ)^{-1}a − g aᵀΣ²(Σ+θ)^{-2}a
        V = σ² u
        E_test = b(w̄)(1 + u) + σ_eff² u − 2p2θ w̄ᵀΣ(Σ+θ)^{-1}δ + p2²c²,   ζ = E_test − B − V

    Every numeric argument broadcasts; ``m`` is typically a 1-D width grid.

    Parameters
    ----------
    spectrum : array_like, shape (d,) or (*S, d)
        Eigenvalues of Σ (> 0).
    n : array_like
        Total number of training rows (> 0).
    m : array_like
        Width of the projection (> 0; need not be an integer).
    p2 : array_like
        Fraction of synthetic rows, in [0, 1].
    ridge : array_like
        λ ≥ 0 (λ = 0 is the ridgeless limit λ → 0⁺; it diverges where ``min(m, d) = n``).
    noise_real, noise_synth : array_like
        Label-noise standard deviations σ1, σ2 ≥ 0.
    gamma, delta : array_like, shape (d,) or (*S, d)
        Random effects: diagonals of Γ = cov(w1), Δ = cov(w2 − w1) in Σ's eigenbasis.
    w_real, w_synth : array_like, shape (d,) or (*S, d)
        Fixed teachers w1, w2 in Σ's eigenbasis (instead of ``gamma``/``delta``).
    form : {"corrected", "paper", "printed"}
        ``"corrected"``: nested form (verified by Monte Carlo).  ``"paper"``: Definition 2 with
        the errata applied (identical values).  ``"printed"``: arXiv v2 as printed (ζ middle term
        with ``p2``, V without ``1/n``) — rejected by Monte Carlo, kept for comparison.
    on_failure : {"raise", "nan"}
        Unconverged points raise :class:`~modelcollapse.numerics.ConvergenceError` (default) or
        come back as NaN with their ``status``.

    Returns
    -------
    RPRisk

    Examples
    --------
    Ridgeless, isotropic, σ = 1, φ = d/n = 2: for m < n the variance is ``σ² ψ/(1 − ψ)``
    (least squares on m features; 1/3 at ψ = 1/4), it diverges at m = n, and for n < m it is
    ``σ²(φ + ψ − 2)/((φ − 1)(ψ − 1))`` (3 at ψ = 3/2).

    >>> import numpy as np
    >>> from modelcollapse.numerics import rp_risk
    >>> d = 400
    >>> res = rp_risk(np.ones(d), n=200, m=[50, 200, 300], p2=0.0, ridge=0.0, noise_real=1.0,
    ...               gamma=np.full(d, 1 / d), delta=np.zeros(d))
    >>> res.variance.round(12).tolist(), res.status.tolist()
    ([0.333333333333, inf, 3.0], [0, 1, 0])
    """
    if on_failure not in ("raise", "nan"):
        raise ValueError(f"on_failure must be 'raise' or 'nan', got {on_failure!r}")
    if form not in _THEORY_FORM:
        raise ValueError(f"form must be 'corrected', 'paper' or 'printed', got {form!r}")
    s = as_positive_spectrum(spectrum, "spectrum")
    d = s.shape[-1]
    teacher = ridge_teacher(d, gamma=gamma, delta=delta, w_real=w_real, w_synth=w_synth)
    n_arr = check_array(n, "n", lower=0.0, strict=True)
    m_arr = check_array(m, "m", lower=0.0, strict=True)
    p2_arr = check_array(p2, "p2", lower=0.0, upper=1.0)
    lam_arr = check_array(ridge, "ridge", lower=0.0)
    s1 = check_array(noise_real, "noise_real", lower=0.0)
    s2 = check_array(noise_synth, "noise_synth", lower=0.0)
    weights = teacher.weights
    spec_shape = np.broadcast_shapes(s.shape[:-1], *(w.shape[:-1] for w in weights.values()))
    shape = np.broadcast_shapes(
        spec_shape, n_arr.shape, m_arr.shape, p2_arr.shape, lam_arr.shape, s1.shape, s2.shape
    )
    size = int(np.prod(shape))

    def flat(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.broadcast_to(a, shape).reshape(size))

    if spec_shape:
        s_b = np.broadcast_to(s, (*shape, d)).reshape(size, d)
        w_b = {k: np.broadcast_to(w, (*shape, d)).reshape(size, d) for k, w in weights.items()}
    else:
        s_b, w_b = s, weights
    batch = SpectrumBatch(s_b, w_b)
    nf, mf, lf, pf, s1f, s2f = map(flat, (n_arr, m_arr, lam_arr, p2_arr, s1, s2))
    sol: ThetaResult = _solve_theta_distinct(batch, lf, nf, mf, shared=not spec_shape)
    if on_failure == "raise" and not sol.converged.all():
        bad = np.flatnonzero(~sol.converged)
        first = np.unravel_index(int(bad[0]), shape) if shape else ()
        code = int(sol.status[bad[0]])
        raise ConvergenceError(
            f"{bad.size} grid point(s) did not converge; first at index {tuple(map(int, first))}: "
            f"{STATUS[code]} (residual {float(sol.residual[bad[0]]):.3g})"
        )

    compiled = _compiled(teacher.kind, form)
    specs = sorted({spec for f in compiled.values() for spec in f.specs})
    th = sol.theta
    mom = batch.moments(th, specs)
    threshold = sol.status == 1
    base = dict(theta=th, e=sol.e, t_star=sol.t_star, n=nf, d=float(d), p2=pf, sigma1=s1f,
                sigma2=s2f)
    with np.errstate(divide="ignore", invalid="ignore"):
        g_val = np.where(sol.t_star > 0, compiled["g"](mom, **base, g=0.0, u=0.0,
                                                        omega_prime=0.0), 0.0)
        # θ − g = θ³ M(1,2)/(t* d + θ² M(1,2)); θ itself where t* = 0 (g = 0)
        w_diff = np.where(sol.t_star > 0, compiled["theta_minus_g"](
            mom, **base, g=0.0, u=0.0, omega_prime=0.0), th)
        u_val = compiled["u"](mom, **base, g=g_val, u=0.0, omega_prime=0.0,
                              theta_minus_g=w_diff)
    u_val = np.where(threshold, 0.0, np.broadcast_to(u_val, (size,)))
    w_val = compiled["omega_prime"](mom, **base, g=g_val, u=u_val, omega_prime=0.0,
                                    theta_minus_g=w_diff)
    w_val = np.broadcast_to(w_val, (size,))
    args = dict(base, g=g_val, u=u_val, omega_prime=w_val, theta_minus_g=w_diff)

    def evaluate(name: str, **over) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            val = compiled[name](mom, **{**args, **over})
        return np.array(np.broadcast_to(val, (size,)), dtype=float)

    comps = {name: evaluate(name) for name in ("bias", "variance", "zeta")}
    if form != "corrected":
        at_e0 = (sol.e == 0) & ~threshold
        comps["variance"][at_e0] = evaluate("variance_at_e0")[at_e0]

    total_limit = np.zeros(size)
    if threshold.any():
        # λ → 0⁺ at min(m, d) = n: 1 + u → ∞ with θ, g fixed and ω' = (θ − g)(1 + u); B and ζ
        # are affine in u, so each is +∞·sign(slope) or its u-free part if the slope vanishes.
        # The test error's slope is the sum (≥ 0): a fixed teacher's ζ may go to −∞ while B goes
        # to +∞ faster, and E_test is +∞, not ∞ − ∞.  Slopes within rounding count as 0.
        w0 = w_diff
        sum_a0, sum_slope, scale = np.zeros(size), np.zeros(size), np.zeros(size)
        for name in ("bias", "zeta", "variance"):
            a0 = evaluate(name, u=np.zeros(size), omega_prime=w0, e=np.ones(size))
            a1 = evaluate(name, u=np.ones(size), omega_prime=2 * w0, e=np.ones(size))
            slope = a1 - a0
            if name == "variance" and form != "corrected":
                a0 = np.zeros(size)
                slope = (1 - pf) * s1f**2 + pf * s2f**2
            tiny = 1e-12 * (np.abs(a0) + np.abs(a1))
            limit = np.where(slope > tiny, np.inf, np.where(slope < -tiny, -np.inf, a0))
            comps[name][threshold] = limit[threshold]
            sum_a0, sum_slope, scale = sum_a0 + a0, sum_slope + slope, scale + tiny
        total_limit = np.where(sum_slope > scale, np.inf, sum_a0)
        u_val = np.where(threshold, np.inf, u_val)
        w_val = np.where(threshold, np.where(w0 > 0, np.inf, 0.0), w_val)
    with np.errstate(invalid="ignore"):  # ∞ − ∞ at the threshold, replaced just below
        total = comps["bias"] + comps["variance"] + comps["zeta"]
    total[threshold] = total_limit[threshold]
    bad = ~sol.converged
    if bad.any():
        for arr in (*comps.values(), total):
            arr[bad] = np.nan
        u_val = np.where(bad, np.nan, u_val)
        w_val = np.where(bad, np.nan, w_val)

    def out(a: np.ndarray) -> np.ndarray:
        return np.asarray(a).reshape(shape)

    return RPRisk(
        test_error=out(total),
        bias=out(comps["bias"]),
        variance=out(comps["variance"]),
        zeta=out(comps["zeta"]),
        theta=out(th),
        e=out(sol.e),
        tau=out(sol.tau),
        u=out(u_val),
        omega_prime=out(w_val),
        converged=out(sol.converged),
        iterations=out(sol.iterations),
        residual=out(sol.residual),
        status=out(sol.status),
    )
