"""High-precision (mpmath) reference for Theorem 2 (random projections), used to check float64.

An independent route to the numbers of :func:`modelcollapse.numerics.rp_risk` (form
``"corrected"``), following the nested definitions of docs/mathematics.md §2 rather than the float
path's
scalar θ equation and stabilised forms:

* ``κ2(t)``, the positive root of ``κ2 − t d/m = κ2 df1(κ2)/m``, is the ridge fixed point with
  penalty ``t d/m`` on ``m`` rows: :func:`~modelcollapse.numerics.reference.solve_kappa_mp`
  (:func:`mpmath.findroot`, Anderson–Björk on a proven bracket, verified residual);
* ``t*``, the root of ``t (1 − df1(κ2(t))/n) = λ``, by :func:`mpmath.findroot` on
  ``h(t) = 1 − λ/t − df1(κ2(t))/n`` (increasing in ``t``; evaluated as
  ``(n − d)/n + κ2 tr(Σ+κ2)^{-1}/n − λ/t`` over the size of these terms, so that it does not
  cancel next to n = d and the tolerance is relative) over the bracket
  ``[λ, λ + m tr Σ/(d n)]``: ``h(λ) = −df1/n < 0``, and ``κ2 ≥ t d/m`` with
  ``df1(κ) ≤ tr Σ/κ`` give ``h ≥ 0`` at the upper end.  The inner solve runs with more digits
  and a tighter tolerance than the outer one, so the outer residual is not swamped by noise;
* θ = κ2(t*), ``κ2'(t*) = (d/m)/(1 − df2(θ)/m)``, ``g = t* κ2'(t*)``,
  ``D = df1(θ) − g tr Σ(Σ+θ)^{-2}``, ``u = D/(n − D)`` (i.e. ``1 + u = 1/(1 − D/n)``) and
  ``ω' = (θ − g)(1 + u)`` straight from their definitions;
* B, V and ζ from :func:`modelcollapse.theory.random_projection.risk_components` (``"nested"``)
  lambdified for mpmath, with moments summed exactly at the working precision.

Ridgeless (λ = 0, the limit λ → 0⁺): ``κ2(0)`` is the root of ``df1 = m`` if ``m < d``, else 0;
``t* = 0`` if ``min(m, d) < n`` and otherwise the root of ``df1(κ2(t)) = n`` (bracket
``[0, m tr Σ/(d n)]``); ``min(m, d) = n`` is the interpolation threshold and raises
:class:`ValueError`.

Examples
--------
Ridgeless, isotropic, σ = 1, φ = d/n = 2: for m < n the variance is ``σ² ψ/(1 − ψ)`` (1/3 at
ψ = 1/4) and for n < m it is ``σ²(φ + ψ − 2)/((φ − 1)(ψ − 1))`` (3 at ψ = 3/2).

>>> import mpmath
>>> from modelcollapse.numerics.reference_rp import rp_risk_mp
>>> kw = dict(n=4, p2=0.0, ridge=0.0, noise_real=1.0, gamma=[0.125] * 8, delta=[0.0] * 8)
>>> mpmath.nstr(rp_risk_mp([1.0] * 8, m=1, **kw)["variance"], 30)
'0.333333333333333333333333333333'
>>> mpmath.nstr(rp_risk_mp([1.0] * 8, m=6, **kw)["variance"], 30)
'3.0'
"""

from __future__ import annotations

import math
from functools import cache

import mpmath
import sympy as sp

from modelcollapse.theory import random_projection as theory
from modelcollapse.theory.symbols import p2 as p2_sym
from modelcollapse.theory.symbols import sigma1, sigma2, theta, u

from ._compile import CompiledExpression, compile_expression
from ._teacher import teacher_weights
from .reference import solve_kappa_mp

__all__ = ["rp_risk_mp"]

#: Extra decimal digits of the outer (t*) and inner (κ2) solves beyond the requested ``dps``.
_GUARD_OUTER = 10
_GUARD_INNER = 20

#: Digits beyond the outer guard at the first try: most points lose fewer to cancellation and are
#: then evaluated once.
_FIRST_SPARE = 10

#: How often the working precision may be raised (doubled at least) after cancellation is seen.
_MAX_RAISES = 6

_SCALARS = (theta, theory.g, u, p2_sym, sigma1, sigma2)


def _moment(s, w, a: int, b: int, x) -> mpmath.mpf:
    """``Σ_j w_j s_j^a / (s_j + x)^b`` summed exactly at the working precision."""
    return mpmath.fsum(wj * sj**a / (sj + x) ** b for sj, wj in zip(s, w, strict=True))


@cache
def _compiled_mp(kind: str) -> dict[str, CompiledExpression]:
    return {name: compile_expression(expr, _SCALARS, module="mpmath")
            for name, expr in theory.risk_components(kind, "nested").items()}  # type: ignore


@cache
def _magnitudes_mp(kind: str) -> dict[str, CompiledExpression]:
    """``Σ |terms|`` of each expanded risk component: the scale its value is resolved against."""
    return {name: compile_expression(sp.Add(*[sp.Abs(term) for term in
                                              sp.Add.make_args(sp.expand(expr))]),
                                     _SCALARS, module="mpmath")
            for name, expr in theory.risk_components(kind, "nested").items()}  # type: ignore


def rp_risk_mp(
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
    dps: int = 50,
) -> dict[str, mpmath.mpf]:
    """Theorem 2 (corrected, nested form) at one parameter point in ``dps``-digit arithmetic.

    Parameters
    ----------
    spectrum : sequence of float
        Eigenvalues of Σ (> 0), one spectrum of length ``d``.
    n, m : float
        Number of training rows and width of the projection (> 0).
    p2 : float
        Fraction of synthetic rows, in [0, 1].
    ridge : float
        λ ≥ 0 (λ = 0 is the ridgeless limit λ → 0⁺).
    noise_real, noise_synth : float
        Label-noise standard deviations σ1, σ2 ≥ 0.
    gamma, delta : sequence of float
        Random effects: diagonals of Γ = cov(w1), Δ = cov(w2 − w1) in Σ's eigenbasis.
    w_real, w_synth : sequence of float
        Fixed teachers w1, w2 in Σ's eigenbasis (instead of ``gamma``/``delta``).
    dps : int
        Decimal digits of the result (the solves carry guard digits on top).

    Returns
    -------
    dict of str to mpmath.mpf
        ``theta`` (θ = κ2(t*)), ``t_star``, ``g`` (``t* κ2'(t*)``), ``effective_df`` (D),
        ``u``, ``omega_prime``, ``bias``, ``variance``, ``zeta`` and ``test_error``, with the
        meanings of the fields of :func:`~modelcollapse.numerics.rp_risk`'s result.

    Raises
    ------
    ValueError
        At the ridgeless interpolation threshold ``λ = 0``, ``min(m, d) = n`` (infinite risk),
        or for an invalid teacher description.

    Examples
    --------
    Large width with ``λ d/m`` fixed recovers ridge (Theorem 1): isotropic, d = 4, n = 8,
    ``λ d/m = 1`` gives ``θ → κ = (λ' + φ − 1 + sqrt((λ' + φ − 1)² + 4λ'))/2`` with φ = 1/2.

    >>> import mpmath
    >>> from modelcollapse.numerics.reference_rp import rp_risk_mp
    >>> res = rp_risk_mp([1.0] * 4, n=8, m=4e30, p2=0.0, ridge=1e30, gamma=[0.25] * 4,
    ...                  delta=[0.0] * 4)
    >>> mpmath.nstr(res["theta"], 20)
    '1.2807764064044151375'
    """
    d = len(spectrum)
    kind, teacher = teacher_weights(d, gamma=gamma, delta=delta, w_real=w_real, w_synth=w_synth)
    n_f, m_f, lam_f, p2_f = float(n), float(m), float(ridge), float(p2)
    if not (n_f > 0 and m_f > 0 and lam_f >= 0 and 0 <= p2_f <= 1):
        raise ValueError(f"need n > 0, m > 0, ridge ≥ 0, 0 ≤ p2 ≤ 1; got {n, m, ridge, p2}")
    if lam_f == 0 and min(m_f, d) == n_f:
        raise ValueError("ridge: λ = 0 with min(m, d) = n is the interpolation threshold "
                         "(infinite risk)")
    work = dps + _GUARD_OUTER + _FIRST_SPARE
    for _ in range(_MAX_RAISES):
        try:
            out, lost = _solve_at(spectrum, kind, teacher, n_f, m_f, lam_f, p2_f, noise_real,
                                  noise_synth, d, work, dps)
        except (ZeroDivisionError, ValueError):
            # a difference cancelled to exactly 0, or findroot could not meet its tolerance
            # through the noise of this precision: more digits
            out, lost = None, work
        if out is not None and work >= dps + _GUARD_OUTER + lost:
            break
        if out is not None and lost <= work - _GUARD_OUTER:
            # the loss was measured with ≥ 10 digits left: it is the loss, ask for just that
            work = dps + 2 * _GUARD_OUTER + math.ceil(lost)
        else:  # (nearly) everything cancelled: the loss is not known, double
            work = max(2 * work, dps + 2 * _GUARD_OUTER + int(lost))
    else:
        raise ValueError(f"rp_risk_mp: more than {work} digits would be needed (λ = {lam_f:g}, "
                         f"n = {n_f:g}, m = {m_f:g}); no reference value")
    with mpmath.workdps(dps):
        return {k: +v for k, v in out.items()}


def _digits_lost(value, size) -> float:
    """Decimal digits lost when terms of total magnitude ``size`` sum to ``value``."""
    if size == 0:
        return 0.0
    if value == 0:  # an exact zero at this many digits is structural (ζ at p2 = 0, B at m ≥ d
        return 0.0    # = n, …): counting it as total loss asked for ever more digits
    return max(0.0, float(mpmath.log10(abs(size) / abs(value))))


def _solve_at(spectrum, kind, teacher, n_f, m_f, lam_f, p2_f, noise_real, noise_synth, d,
              work: int, dps: int):
    """The reference at ``work`` working digits, and the digits cancellation cost there."""
    dps_inner = work + _GUARD_INNER - _GUARD_OUTER
    with mpmath.workdps(work):
        s = [mpmath.mpf(float(x)) for x in spectrum]
        ones = [mpmath.mpf(1)] * d
        nn, mm, lam, dd = mpmath.mpf(n_f), mpmath.mpf(m_f), mpmath.mpf(lam_f), mpmath.mpf(d)

        def kappa2(t):
            return solve_kappa_mp(s, t * dd / mm, mm, dps=dps_inner)

        def h(t):
            # 1 − df1(κ)/n as (n − d)/n + κ tr(Σ+κ)^{-1}/n (no cancellation next to n = d), the
            # residual divided by the size of its terms: findroot's absolute tolerance is then
            # relative (near the threshold every term is ~√λ and the plain form "found no root")
            k2 = kappa2(t)
            near = k2 * _moment(s, ones, 0, 1, k2) / nn
            terms = [(nn - dd) / nn, near, -lam / t if lam > 0 else mpmath.mpf(0)]
            size = mpmath.fsum(abs(x) for x in terms)
            return mpmath.fsum(terms) / size if size > 0 else mpmath.mpf(0)

        if lam == 0 and min(mm, dd) < nn:
            t_star = mpmath.mpf(0)
        else:
            lo, hi = lam, lam + mm * mpmath.fsum(s) / (dd * nn)
            tol = mpmath.mpf(10) ** (-2 * (work - _GUARD_OUTER) + 5)
            if lam > 0:  # in log t: the bracket spans many decades when λ is small (root ~ √λ)
                t_star = mpmath.exp(mpmath.findroot(lambda v: h(mpmath.exp(v)),
                                                    (mpmath.log(lo), mpmath.log(hi)),
                                                    solver="anderson", tol=tol))
            else:
                t_star = mpmath.findroot(h, (lo, hi), solver="anderson", tol=tol)
        th = kappa2(t_star)
        df1 = _moment(s, ones, 1, 1, th)
        df2 = _moment(s, ones, 2, 2, th)
        m12 = _moment(s, ones, 1, 2, th)
        # g = t* κ2'(t*) with κ2' = (d/m)/(1 − df2(θ)/m); its λ → 0⁺ limit is 0 where t* = 0
        g_val = t_star * (dd / mm) / (1 - df2 / mm) if t_star > 0 else mpmath.mpf(0)
        big_d = df1 - g_val * m12
        u_val = big_d / (nn - big_d)
        out = {
            "theta": th,
            "t_star": t_star,
            "g": g_val,
            "effective_df": big_d,
            "u": u_val,
            "omega_prime": (th - g_val) * (1 + u_val),
        }
        weights = {k: [mpmath.mpf(float(x)) for x in w] for k, w in teacher.items()}
        weights["I_d"] = ones
        mags = _magnitudes_mp(kind)
        lost_out = 0.0
        scal = [th, g_val, u_val, mpmath.mpf(p2_f), mpmath.mpf(float(noise_real)),
                mpmath.mpf(float(noise_synth))]
        known: dict[tuple, mpmath.mpf] = {}  # each moment once: the risk and its magnitude

        def moments(f) -> list:
            for w, a, b, _ in f.moments:
                if (w, a, b) not in known:
                    known[w, a, b] = _moment(s, weights[w], a, b, th)
            return [known[w, a, b] for w, a, b, _ in f.moments]

        for name, f in _compiled_mp(kind).items():
            out[name] = f.func(*scal, *moments(f))
            magnitude = mags[name]
            lost_out = max(lost_out, _digits_lost(out[name],
                                                  magnitude.func(*scal, *moments(magnitude))))
        out["test_error"] = out["bias"] + out["variance"] + out["zeta"]
        lost_out = max(lost_out, _digits_lost(out["test_error"], abs(out["bias"])
                                              + abs(out["variance"]) + abs(out["zeta"])))
        # digits cancelled on the way (each limits the relative accuracy of what follows):
        # 1 − df2/m in κ2', df1 − g tr Σ(Σ+θ)^{-2} in D, n − D in u, and the risk's own sums
        lost = ((_digits_lost(1 - df2 / mm, 1 + df2 / mm) if t_star > 0 else 0.0)
                + _digits_lost(big_d, df1 + g_val * m12)
                + _digits_lost(nn - big_d, nn + big_d) + lost_out)
        return out, lost
