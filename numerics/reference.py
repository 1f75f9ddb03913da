"""High-precision (mpmath) reference for Theorem 1, used to check the float64 path.

An independent route to the same numbers: κ by :func:`mpmath.findroot` (Anderson–Björk
bracketing, verified residual) at ``dps`` digits, moments by exact-precision sums, ``u`` from its
printed definition ``df2/(n − df2)`` (not the float path's stable form), and the theory
expressions lambdified for mpmath.

Examples
--------
>>> import mpmath
>>> from modelcollapse.numerics.reference import ridge_risk_mp
>>> res = ridge_risk_mp([1.0] * 4, n=8, p2=0.5, ridge=1.0, noise_real=1.0, noise_synth=1.0,
...                     gamma=[0.25] * 4, delta=[0.25] * 4)
>>> mpmath.nstr(res["kappa"], 30)  # (λ+φ−1+sqrt((λ+φ−1)²+4λ))/2 with φ = 1/2
'1.28077640640441513745535246399'

"""

from __future__ import annotations

import math
from functools import cache

import mpmath

from modelcollapse.theory import ridge as theory
from modelcollapse.theory.symbols import kappa, n, p2, sigma1, sigma2, u

from ._compile import compile_expression
from ._teacher import teacher_weights

__all__ = ["ridge_risk_mp", "solve_kappa_mp"]


def _moment(s, w, a: int, b: int, t):
    return mpmath.fsum(wj * sj**a / (sj + t) ** b for sj, wj in zip(s, w, strict=True))


def solve_kappa_mp(spectrum, ridge, n_rows, dps: int = 50):
    """κ of ``κ − λ = κ df1(κ)/n`` at ``dps`` digits (0 for ridgeless ``d ≤ n``).

    Examples
    --------
    >>> from modelcollapse.numerics.reference import solve_kappa_mp
    >>> print(solve_kappa_mp([1.0] * 4, 0.0, 2))  # df1(κ) = 4/(1+κ) = 2
    1.0
    """
    with mpmath.workdps(dps + 20):  # guard digits: near n = d the root is set by tiny terms
        s = [mpmath.mpf(x) for x in spectrum]
        lam = mpmath.mpf(ridge)
        nn = mpmath.mpf(n_rows)
        d = len(s)
        ones = [mpmath.mpf(1)] * d
        if lam == 0 and d <= nn:
            return mpmath.mpf(0)

        def h(k):
            # (n − d)/n + κ tr(Σ+κ)^{-1}/n − λ/κ (= 1 − λ/κ − df1/n), divided by its terms' size
            # so that the tolerance is relative whatever the scale of κ
            terms = ((nn - d) / nn, k * _moment(s, ones, 0, 1, k) / nn, -lam / k)
            return mpmath.fsum(terms) / mpmath.fsum(abs(t) for t in terms)

        lo = lam if lam > 0 else min(s) * (d - nn) / nn
        hi = lam + mpmath.fsum(s) / nn
        if h(lo) == 0:
            return +lo
        # bisection in log κ (h increases in κ; the bracket may span 30 decades), then secant
        # steps inside the final bracket
        llo, lhi = mpmath.log(lo), mpmath.log(hi)
        eps = mpmath.mpf(10) ** (-dps - 10)
        while lhi - llo > mpmath.mpf(10) ** -12:
            mid = (llo + lhi) / 2
            llo, lhi = (mid, lhi) if h(mpmath.exp(mid)) < 0 else (llo, mid)
        a, b = mpmath.exp(llo), mpmath.exp(lhi)
        fa, fb = h(a), h(b)
        for _ in range(200):
            if fb == fa:
                break
            c = b - fb * (b - a) / (fb - fa)
            a, fa, b, fb = b, fb, c, h(c)
            if abs(b - a) <= eps * abs(b):
                break
        root = b
    with mpmath.workdps(dps):
        return +root


@cache
def _compiled_mp(kind: str):
    return {name: compile_expression(expr.subs(u, theory.U_DEFINITION),
                                     [kappa, n, p2, sigma1, sigma2], module="mpmath")
            for name, expr in theory.risk_components(kind).items()}  # type: ignore[arg-type]


def ridge_risk_mp(
    spectrum,
    *,
    n,
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
    """Theorem 1 at one parameter point, correct to ``dps`` digits.

    Same parameters as :func:`modelcollapse.numerics.ridge_risk` (scalars, one spectrum).
    Returns a dict with ``kappa``, ``u``, ``bias``, ``variance``, ``zeta``, ``test_error``.
    The interpolation threshold (λ = 0, d = n) raises :class:`ValueError`.

    The printed formulas cancel: ``n − df2(κ)`` near ``n = d`` loses about ``log10(1/κ)``
    digits (``κ ≈ √λ`` there), the fixed teachers' cross term about ``log10(κ/s)`` for a huge
    λ.  So the point is evaluated at a working precision of ``dps + 20`` digits plus the decades
    that λ and the spectrum span, and again with more; the working precision doubles until two
    evaluations agree to ``dps + 2`` digits in every output, and a :class:`ValueError` says so
    if that needs more than :data:`MAX_WORKING_DPS`.
    """
    d = len(spectrum)
    kind, teacher = teacher_weights(d, gamma=gamma, delta=delta, w_real=w_real, w_synth=w_synth)
    if ridge == 0 and d == n:
        raise ValueError("ridge: λ = 0 with d = n is the interpolation threshold (infinite risk)")
    if int(dps) != dps or dps < 1:
        raise ValueError(f"dps: expected a whole number ≥ 1, got {dps!r}")
    point = dict(spectrum=spectrum, n=n, p2=p2, ridge=ridge, noise=(noise_real, noise_synth),
                 kind=kind, teacher=teacher)
    # the cancellations run as deep as the scales apart: κ/s (the cross term subtracts two
    # equal-to-log10(κ/s)-digits numbers, identical at any lower precision, so the doubling
    # below could not see it) and 1/κ near n = d; start with that many more digits
    positive = [float(x) for x in spectrum if float(x) > 0]
    spread = math.log10(max(positive) / min(positive)) if positive else 0.0
    scale = abs(math.log10(float(ridge))) if ridge > 0 else 0.0
    work = int(dps) + 20 + math.ceil(scale + spread)
    previous = _risk_at(point, work)
    while True:
        higher = min(2 * work, MAX_WORKING_DPS)
        if higher <= work:
            raise ValueError(
                f"ridge_risk_mp: the formulas cancel more than {MAX_WORKING_DPS} digits at this "
                f"point (ridge={ridge!r}, n={n!r}, d={d}); no {dps}-digit answer")
        current = _risk_at(point, higher)
        if previous is not None and current is not None and _agree(previous, current, dps + 2):
            with mpmath.workdps(dps):
                return {k: +v for k, v in current.items()}
        previous, work = current, higher


#: The largest working precision :func:`ridge_risk_mp` raises to (digits).
MAX_WORKING_DPS = 5000


def _agree(a: dict, b: dict, digits: int) -> bool:
    """Every output of ``a`` equals that of ``b`` to ``digits`` significant digits (0 = 0)."""
    tol = mpmath.mpf(10) ** (-digits)
    return all(abs(a[k] - b[k]) <= tol * abs(b[k]) for k in b)


def _risk_at(point: dict, work: int) -> dict[str, mpmath.mpf] | None:
    """Theorem 1 at ``work`` digits (None where the cancellation left a division by 0)."""
    spectrum, nn, kind = point["spectrum"], point["n"], point["kind"]
    d = len(spectrum)
    with mpmath.workdps(work):
        s = [mpmath.mpf(float(x)) for x in spectrum]
        k = solve_kappa_mp(spectrum, point["ridge"], nn, dps=work)
        weights = {name: [mpmath.mpf(float(x)) for x in w]
                   for name, w in point["teacher"].items()}
        weights["I_d"] = [mpmath.mpf(1)] * d
        scal = [mpmath.mpf(nn), mpmath.mpf(point["p2"]), *map(mpmath.mpf, point["noise"])]
        out = {"kappa": k}
        df2 = _moment(s, weights["I_d"], 2, 2, k)
        try:
            out["u"] = df2 / (mpmath.mpf(nn) - df2)
            for name, f in _compiled_mp(kind).items():
                moms = [_moment(s, weights[w], a, b, k) for w, a, b, _ in f.moments]
                out[name] = f.func(k, *scal, *moms)
        except ZeroDivisionError:  # n − df2 rounded to 0: more digits needed
            return None
        out["test_error"] = out["bias"] + out["variance"] + out["zeta"]
        return out
