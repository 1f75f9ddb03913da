"""Theorem 1 evaluated numerically: test error, B, V, ζ of ridge on a real/synthetic mixture.

The formulas are those of :mod:`modelcollapse.theory.ridge`, compiled once; this module only
solves κ (:func:`~modelcollapse.numerics.kappa.solve_kappa`), evaluates the spectral moments and
handles the ridgeless limits exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from typing import Literal

import numpy as np

from modelcollapse.theory import ridge as theory
from modelcollapse.theory.symbols import kappa, lam, n, p2, sigma1, sigma2, u

from ._compile import CompiledExpression, compile_expression
from ._moments import SpectrumBatch
from ._rootfind import status_notes
from ._stable import stable_cross_term
from ._validate import as_positive_spectrum, check_array, check_same_length
from .kappa import KappaResult, solve_kappa

__all__ = ["RidgeRisk", "ridge_risk", "TeacherArrays", "ridge_teacher"]

OnFailure = Literal["raise", "nan"]


@dataclass(frozen=True)
class RidgeRisk:
    """Deterministic equivalent of the ridge test error on a grid (THEORY.md §1, Theorem 1).

    Attributes
    ----------
    test_error, bias, variance, zeta : ndarray
        ``E_test ≃ B + V + ζ``: excess risk on the real distribution and its three parts.
        ``+inf`` at the interpolation threshold (λ = 0, d = n) where the limit diverges.
    kappa : ndarray
        κ, the fixed point of eq. 8.
    u : ndarray
        ``u = df2(κ)/(n − df2(κ))`` (``+inf`` at the threshold).
    converged, iterations, residual, status : ndarray
        From the κ solver (:class:`~modelcollapse.numerics.kappa.KappaResult`).
    """

    test_error: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    zeta: np.ndarray
    kappa: np.ndarray
    u: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray
    status: np.ndarray

    def notes(self) -> np.ndarray:
        """A human-readable note per grid point ('' where all is well)."""
        return status_notes(self.status)


@dataclass(frozen=True)
class TeacherArrays:
    """Diagonal weights of the teachers in Σ's eigenbasis, by weight name.

    ``"random"``: ``Gamma`` and ``Delta`` (diagonals of Γ, Δ).
    ``"fixed"``: ``w1w1 = w1²``, ``dd = δ²``, ``w1d = w1·δ`` with ``δ = w2 − w1``.
    """

    kind: Literal["random", "fixed"]
    weights: dict[str, np.ndarray]


def ridge_teacher(
    d: int, *, gamma=None, delta=None, w_real=None, w_synth=None
) -> TeacherArrays:
    """Validate one teacher description (random effects *or* fixed vectors) of length ``d``.

    Examples
    --------
    >>> from modelcollapse.numerics.ridge import ridge_teacher
    >>> t = ridge_teacher(2, w_real=[1.0, 0.0], w_synth=[1.0, 2.0])
    >>> t.kind, t.weights["dd"].tolist()
    ('fixed', [0.0, 4.0])
    """
    random_given = gamma is not None or delta is not None
    fixed_given = w_real is not None or w_synth is not None
    if random_given and fixed_given:
        raise ValueError("teacher: give either gamma/delta (random effects) or w_real/w_synth")
    if fixed_given:
        if w_real is None or w_synth is None:
            raise ValueError(f"{'w_synth' if w_real is not None else 'w_real'}: missing")
        w1 = check_same_length(check_array(w_real, "w_real"), d, "w_real")
        w2 = check_same_length(check_array(w_synth, "w_synth"), d, "w_synth")
        dl = w2 - w1
        return TeacherArrays("fixed", {"w1w1": w1 * w1, "dd": dl * dl, "w1d": w1 * dl})
    if gamma is None or delta is None:
        raise ValueError(f"{'delta' if gamma is not None else 'gamma'}: missing")
    g = check_same_length(check_array(gamma, "gamma", lower=0.0), d, "gamma")
    dl = check_same_length(check_array(delta, "delta", lower=0.0), d, "delta")
    return TeacherArrays("random", {"Gamma": g, "Delta": dl})


@cache
def _compiled(kind: str) -> dict[str, CompiledExpression]:
    comps = dict(theory.risk_components(kind))  # type: ignore[arg-type]
    # fixed teachers: κ(1+u)M(1,2) − M(1,1) of the cross term cancels when κ ≫ Σ
    comps["zeta"] = stable_cross_term(comps["zeta"], kappa)
    scalars = [kappa, u, p2, sigma1, sigma2]
    out = {name: compile_expression(expr, scalars) for name, expr in comps.items()}
    out["u_stable"] = compile_expression(theory.U_STABLE, [kappa, n, lam])
    out["u_definition"] = compile_expression(theory.U_DEFINITION, [kappa, n])
    return out


def ridge_risk(
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
    on_failure: OnFailure = "raise",
) -> RidgeRisk:
    """Theorem 1 test error of ridge on ``n1 = (1−p2) n`` real and ``n2 = p2 n`` synthetic rows.

    ``E_test ≃ B + V + ζ`` with ``B = κ²(1+u) tr ΓΣ(Σ+κ)^{-2}``, ``V = σ² u`` and ζ of eq. 10
    (THEORY.md §1), evaluated over a grid: every numeric argument broadcasts.

    Parameters
    ----------
    spectrum : array_like, shape (d,) or (*S, d)
        Eigenvalues of Σ (> 0); one spectrum per grid point if it has leading axes.
    n : array_like
        Total number of training rows (> 0).
    p2 : array_like
        Fraction of synthetic rows, in [0, 1].
    ridge : array_like
        λ ≥ 0 (λ = 0 is the ridgeless limit λ → 0⁺).
    noise_real, noise_synth : array_like
        Label-noise standard deviations σ1, σ2 ≥ 0.
    gamma, delta : array_like, shape (d,) or (*S, d)
        Random effects: diagonals of Γ = cov(w1) and Δ = cov(w2 − w1) in Σ's eigenbasis.
    w_real, w_synth : array_like, shape (d,) or (*S, d)
        Fixed teachers w1 and w2 in Σ's eigenbasis (instead of ``gamma``/``delta``).
    on_failure : {"raise", "nan"}
        Unconverged points raise :class:`~modelcollapse.numerics.ConvergenceError` (default),
        or come back as NaN with their ``status``.

    Returns
    -------
    RidgeRisk

    Examples
    --------
    Isotropic, φ = d/n = 1/2, λ → 0⁺, random effects with r² = 1, c² = 0.5, σ1 = σ2 = 1 and
    p2 = 0.2; Corollary 1 gives ``σ²φ/(1−φ) + (p2² + p1p2 φ/(1−φ)) c² = 1 + 0.1 = 1.1``.

    >>> import numpy as np
    >>> from modelcollapse.numerics import ridge_risk
    >>> d = 100
    >>> res = ridge_risk(np.ones(d), n=200, p2=0.2, ridge=0.0, noise_real=1.0, noise_synth=1.0,
    ...                  gamma=np.full(d, 1 / d), delta=np.full(d, 0.5 / d))
    >>> round(float(res.test_error), 12), round(float(res.zeta), 12)
    (1.1, 0.1)
    """
    if on_failure not in ("raise", "nan"):
        raise ValueError(f"on_failure must be 'raise' or 'nan', got {on_failure!r}")
    s = as_positive_spectrum(spectrum, "spectrum")
    d = s.shape[-1]
    teacher = ridge_teacher(d, gamma=gamma, delta=delta, w_real=w_real, w_synth=w_synth)
    n_arr = check_array(n, "n", lower=0.0, strict=True)
    p2_arr = check_array(p2, "p2", lower=0.0, upper=1.0)
    lam_arr = check_array(ridge, "ridge", lower=0.0)
    s1 = check_array(noise_real, "noise_real", lower=0.0)
    s2 = check_array(noise_synth, "noise_synth", lower=0.0)
    spec_shape = np.broadcast_shapes(
        s.shape[:-1], *(w.shape[:-1] for w in teacher.weights.values())
    )
    shape = np.broadcast_shapes(
        spec_shape, n_arr.shape, p2_arr.shape, lam_arr.shape, s1.shape, s2.shape
    )
    size = int(np.prod(shape))
    # κ depends on (Σ, λ, n) only and the moments on (Σ, weights, λ, n): solve and evaluate them
    # on those smaller broadcast shapes, then broadcast against p2 and the noise levels.
    kres: KappaResult = solve_kappa(s, lam_arr, n_arr)
    if on_failure == "raise" and not np.all(kres.converged):
        # report on the user's grid, not on κ's smaller (Σ, λ, n) grid
        KappaResult(*(np.broadcast_to(getattr(kres, f.name), shape)
                      for f in fields(KappaResult))).raise_if_unconverged()
    mshape = np.broadcast_shapes(spec_shape, kres.kappa.shape)
    msize = int(np.prod(mshape))
    k_m = np.broadcast_to(kres.kappa, mshape).reshape(msize)
    if spec_shape:
        s_b = np.broadcast_to(s, (*mshape, d)).reshape(msize, d)
        w_b = {
            key: np.broadcast_to(w, (*mshape, d)).reshape(msize, d)
            for key, w in teacher.weights.items()
        }
    else:
        s_b, w_b = s, teacher.weights
    compiled = _compiled(teacher.kind)
    batch = SpectrumBatch(s_b, w_b)
    specs = {spec for f in compiled.values() for spec in f.specs}
    delta_name = "Delta" if teacher.kind == "random" else "dd"
    specs.add((delta_name, 1, 0))
    mom = {key: v.reshape(mshape) for key, v in batch.moments(k_m, sorted(specs)).items()}
    k = k_m.reshape(mshape)
    threshold_k = kres.status == 1

    with np.errstate(divide="ignore", invalid="ignore"):
        u_val = np.where(
            k > 0,
            compiled["u_stable"](mom, kappa=k, n=n_arr, **{"lambda": lam_arr}),
            compiled["u_definition"](mom, kappa=k, n=n_arr),
        )
        # κ = 0 (ridgeless, d < n): df2(0) = d exactly, so u = d/(n − d) without the rounding
        # of the moment sum (which can reach n when n − d is one ulp)
        u_val = np.where((k == 0) & ~threshold_k, d / (n_arr - d), u_val)
    u_val = np.where(threshold_k, 0.0, u_val)
    args = dict(kappa=k, u=u_val, p2=p2_arr, sigma1=s1, sigma2=s2)

    def full(a) -> np.ndarray:
        return np.array(np.broadcast_to(a, shape), dtype=float).reshape(size)

    bias = full(compiled["bias"](mom, **args))
    variance = full(compiled["variance"](mom, **args))
    zeta = full(compiled["zeta"](mom, **args))
    u_val = full(u_val)
    threshold = full(threshold_k).astype(bool)
    if threshold.any():
        # λ → 0⁺ at d = n: κ → 0 with κ u → finite and κ² u → 0, so B → 0 and the u-coefficients
        # at κ = 0 decide: V = σ² u diverges unless σ² = 0; ζ = p2² c² + p1 p2 c² u + O(κu).
        c_sq, pf = full(mom[(delta_name, 1, 0)]), full(p2_arr)
        sig = (1 - pf) * full(s1) ** 2 + pf * full(s2) ** 2
        mix = (1 - pf) * pf * c_sq
        bias[threshold] = 0.0
        variance[threshold] = np.where(sig[threshold] > 0, np.inf, 0.0)
        zeta[threshold] = np.where(mix[threshold] > 0, np.inf, (pf**2 * c_sq)[threshold])
        u_val = np.where(threshold, np.inf, u_val)
    total = bias + variance + zeta
    bad = ~full(kres.converged).astype(bool)
    if bad.any():
        for arr in (bias, variance, zeta, total, u_val):
            arr[bad] = np.nan

    def grid(a) -> np.ndarray:
        return np.array(np.broadcast_to(a, shape))

    return RidgeRisk(
        test_error=total.reshape(shape),
        bias=bias.reshape(shape),
        variance=variance.reshape(shape),
        zeta=zeta.reshape(shape),
        kappa=grid(k),
        u=u_val.reshape(shape),
        converged=grid(kres.converged),
        iterations=grid(kres.iterations),
        residual=grid(kres.residual),
        status=grid(kres.status),
    )
