"""Random features with an activation evaluated numerically (Gaussian equivalence).

The model is declared in :data:`modelcollapse.theory.random_features.MODEL`: Theorem 2 with the
feature-space degrees of freedom ``DF(θ) = df1(θ) + ρ/θ``, ``ρ = (μ*/μ1)² tr Σ``, and ridge λ/μ1²
(docs/mathematics.md §2).  The solver hook of an activation solves
``μ1² θ γ τ(θ) e(θ) = λ`` (``τ = 1 − DF/m``, ``e = 1 − DF/n``) divided by its well-conditioned
factor, bracketed below by the ridgeless root ``DF(θ0) = min(m, n)`` and above by
``λ/(μ1²γ) + (tr Σ + ρ)(1/m + 1/n)``; with μ* = 0 it is Theorem 2's solver at λ/μ1² (σ(z) = z
gives Theorem 2's numbers exactly).  The interpolation threshold (λ = 0) is ``m = n`` when μ* > 0
and ``min(m, d) = n`` when μ* = 0 (status 1).

**The activation reaches the solver as an option value.**  The registry entry
(``"random_features"`` in :data:`modelcollapse.numerics.models.MODELS`, what ``evaluate`` and
``predict`` read) is :data:`REGISTERED`: the declaration with every named activation, whose solver
reads ``options.choice("activation")``.  A callable σ (Python API only) gets its own
:class:`~modelcollapse.numerics.engine.NumericModel` from :func:`rf_model`, with the single
option value ``"custom"`` and the solver of its quadrature coefficients.

Examples
--------
>>> import numpy as np
>>> from modelcollapse.numerics.random_features import rf_risk
>>> d = 200
>>> res = rf_risk(np.ones(d), n=100, m=[50, 300], p2=0.0, ridge=0.0, noise_real=1.0,
...               gamma=np.full(d, 1 / d), delta=np.zeros(d), activation="relu")
>>> round(float(res.variance[0]), 12)  # ψ/(1 − ψ): least squares on m = n/2 features
1.0
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from functools import cache

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from modelcollapse.theory import random_features as rf
from modelcollapse.theory._activations import GaussianCoefficients, gaussian_coefficients
from modelcollapse.theory.symbols import d as d_sym
from modelcollapse.theory.symbols import lam as lam_sym
from modelcollapse.theory.symbols import m as m_sym
from modelcollapse.theory.symbols import n as n_sym
from modelcollapse.theory.symbols import theta as theta_sym

from ._compile import CompiledExpression, compile_expression, evaluate_moments
from ._moments import SpectrumBatch
from ._rootfind import bracketed_log_newton
from ._rp_solve import solve_theta
from .engine import NumericModel, OnFailure, Solution, SolverOptions, evaluate
from .result import Risk

__all__ = ["rf_risk", "rf_model", "rf_solver", "solve_rf_theta", "REGISTERED"]

_SCALARS = [theta_sym, lam_sym, n_sym, m_sym, d_sym, rf.mu1, rf.mu_star]
_THRESHOLD = 1


@cache
def _compiled() -> dict[str, CompiledExpression]:
    out: dict[str, CompiledExpression] = {}
    for branch in ("under", "over"):
        h = rf.theta_residual(branch)
        out[f"h_{branch}"] = compile_expression(h, _SCALARS)
        out[f"dh_{branch}"] = compile_expression(theta_sym * sp.diff(h, theta_sym), _SCALARS)
    k = sp.Symbol("k", positive=True)
    h0 = 1 - rf.DF / k
    out["h0"] = compile_expression(h0, [*_SCALARS, k])
    out["dh0"] = compile_expression(theta_sym * sp.diff(h0, theta_sym), [*_SCALARS, k])
    out["tau"] = compile_expression(rf.TAU, _SCALARS)
    out["e"] = compile_expression(rf.E, _SCALARS)
    out["trace"] = compile_expression(rf.NONLINEAR_MASS / rf.mu_star**2 * rf.mu1**2, _SCALARS)
    return out


def _moments(batch, names, scalars, rows):
    f = _compiled()
    size = np.shape(scalars["theta"])[0]
    return evaluate_moments(batch, [f[k] for k in names], scalars, size=size,
                            index=None if batch.shared else rows)


def _rows(batch, rows: np.ndarray):
    return batch if batch.shared else SpectrumBatch(batch.s[rows])


def solve_rf_theta(batch, lam: np.ndarray, n: np.ndarray, m: np.ndarray,
                   coefficients: GaussianCoefficients, *, xtol: float = 1e-14,
                   rtol: float = 1e-10, maxiter: int = 200) -> dict[str, np.ndarray]:
    """θ, e, τ, t* (and iterations, residual, status) on flat arrays for one activation.

    Examples
    --------
    Ridgeless ReLU features, Σ = I: θ0 solves ``d/(1 + θ) + ρ/θ = min(m, n)`` with
    ``ρ = (1 − 2/π) d``.

    >>> import numpy as np
    >>> from modelcollapse.numerics._moments import SpectrumBatch
    >>> from modelcollapse.numerics.random_features import solve_rf_theta
    >>> from modelcollapse.theory._activations import gaussian_coefficients
    >>> relu = gaussian_coefficients("relu")
    >>> out = solve_rf_theta(SpectrumBatch(np.ones(10)), np.zeros(1), np.array([40.0]),
    ...                      np.array([20.0]), relu)
    >>> th = out["theta"][0]; rho = (1 - 2 / np.pi) * 10
    >>> bool(abs(10 / (1 + th) + rho / th - 20) < 1e-12), out["e"].tolist()
    (True, [0.5])
    """
    if not math.isfinite(batch.d):
        raise ValueError("spectrum: model 'random_features' needs a finite dimension (S has iid "
                         "N(0, 1/d) entries: the formulas involve m/d); give dimension=")
    mu1_sq = coefficients.mu1**2
    size = lam.shape[0]
    base = dict(mu1=np.full(size, abs(coefficients.mu1)),
                mu_star=np.full(size, coefficients.mu_star))
    if coefficients.mu_star_sq == 0.0:  # σ affine: Theorem 2 at λ/μ1², exactly
        sol = solve_theta(batch, lam / mu1_sq, n, m, xtol=xtol, rtol=rtol, maxiter=maxiter)
        return dict(theta=sol.theta, e=sol.e, tau=sol.tau, t_star=mu1_sq * sol.t_star,
                    iterations=sol.iterations, residual=sol.residual, status=sol.status, **base)
    f = _compiled()
    d = float(batch.d)
    rows = np.arange(size)
    one = {"theta": np.ones(size), "lambda": lam, "n": n, "m": m, "d": d, **base}
    trace = np.asarray(f["trace"](_moments(batch, ("trace",), one, rows), **one), dtype=float)
    trace = np.broadcast_to(trace, (size,))
    rho = coefficients.mu_star_sq / mu1_sq * trace
    small = np.minimum(m, n)
    status = np.zeros(size, dtype=np.int8)

    # the ridgeless root DF(θ0) = min(m, n): a lower bracket for every λ
    def fun0(x, sub):
        sc = {k: (v[sub] if np.ndim(v) else v) for k, v in one.items()}
        sc.update(theta=x, k=small[sub])
        mom = _moments(batch, ("h0", "dh0"), sc, sub)
        return f["h0"](mom, **sc), f["dh0"](mom, **sc)

    out0 = bracketed_log_newton(fun0, rho / small, (trace + rho) / small, xtol=xtol,
                                ftol=2e-15, maxiter=maxiter)
    theta = out0.x.copy()
    iterations = out0.iterations.copy()
    status[:] = out0.status
    h0, _ = fun0(theta, rows)
    residual = np.abs(h0)
    ridgeless = lam == 0
    status[ridgeless & (m == n) & (status == 0)] = _THRESHOLD
    pos = np.flatnonzero(~ridgeless & (status >= 0))
    if pos.size:
        under = m[pos] <= n[pos]
        lo = theta[pos]
        hi = (lam[pos] / (mu1_sq * m[pos] / d) + (trace[pos] + rho[pos]) * (1 / m[pos]
                                                                           + 1 / n[pos]))
        names = ("h_under", "dh_under", "h_over", "dh_over")

        def fun(x, sub):
            r = pos[sub]
            sc = {k: (v[r] if np.ndim(v) else v) for k, v in one.items()}
            sc["theta"] = x
            mom = _moments(batch, names, sc, r)
            u_ = under[sub]
            with np.errstate(divide="ignore", invalid="ignore"):
                h = np.where(u_, f["h_under"](mom, **sc), f["h_over"](mom, **sc))
                dh = np.where(u_, f["dh_under"](mom, **sc), f["dh_over"](mom, **sc))
            return np.where(np.isnan(h), -np.inf, h), np.where(np.isnan(dh), np.inf, dh)

        out = bracketed_log_newton(fun, lo, np.maximum(hi, lo), x0=lo * 1.0000001, xtol=xtol,
                                   ftol=2e-15, maxiter=maxiter)
        theta[pos] = out.x
        iterations[pos] += out.iterations
        status[pos] = out.status
        h, _ = fun(out.x, np.arange(pos.size))
        residual[pos] = np.abs(h)
        fail = (status[pos] == 0) & ~(residual[pos] <= rtol)
        status[pos[fail]] = -1
    # e and τ: the larger from its definition, the smaller from μ1² θ γ τ e = λ; ridgeless: the
    # small one is 0 and the large one an exact difference of sizes
    sc = {**one, "theta": theta}
    mom = _moments(batch, ("tau", "e"), sc, rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau_def = np.broadcast_to(f["tau"](mom, **sc), (size,))
        e_def = np.broadcast_to(f["e"](mom, **sc), (size,))
        scale = mu1_sq * theta * m / d
        under = m <= n
        e = np.where(under, e_def, lam / (scale * tau_def))
        tau = np.where(under, lam / (scale * e_def), tau_def)
    e = np.where(ridgeless, np.where(under, (n - m) / n, 0.0), e)
    tau = np.where(ridgeless, np.where(under, 0.0, (m - n) / m), tau)
    e = np.clip(np.nan_to_num(e), 0.0, 1.0)
    tau = np.clip(np.nan_to_num(tau), 0.0, 1.0)
    t_star = mu1_sq * theta * (m / d) * tau
    return dict(theta=theta, e=e, tau=tau, t_star=t_star, iterations=iterations,
                residual=residual, status=status, **base)


def rf_solver(coefficients: GaussianCoefficients) -> Callable:
    """The engine's solver hook for one activation (its Gaussian coefficients bound)."""

    def solve(batch, inputs: Mapping[str, np.ndarray], options: SolverOptions) -> Solution:
        out = solve_rf_theta(batch, inputs["lambda"], inputs["n"], inputs["m"], coefficients,
                             xtol=options.xtol, maxiter=options.maxiter)
        values = {k: out[k] for k in ("theta", "e", "tau", "t_star", "mu1", "mu_star")}
        return Solution(values, out["iterations"], out["residual"], out["status"])

    return solve


def _spec_for(choices: tuple[str, ...]):
    doc = f"activation σ of the random features: {', '.join(map(repr, choices))}"
    p = dataclasses.replace(rf.ACTIVATION, choices=choices, default=choices[0], doc=doc)
    params = tuple(p if q.name == "activation" else q for q in rf.MODEL.parameters)
    return dataclasses.replace(rf.MODEL, parameters=params)


_CUSTOM_SPEC = _spec_for(("custom",))


def _solve_named(batch, inputs: Mapping[str, np.ndarray], options: SolverOptions) -> Solution:
    """Solver hook of the registered model: the activation is the option value."""
    return rf_solver(gaussian_coefficients(options.choice("activation")))(batch, inputs, options)


#: The registry entry: every named activation (see the module docstring).
REGISTERED = NumericModel(rf.MODEL, _solve_named)


def rf_model(activation: str | Callable = "relu") -> NumericModel:
    """The :class:`~modelcollapse.numerics.engine.NumericModel` of an activation.

    A name gives :data:`REGISTERED` (the declaration
    :data:`modelcollapse.theory.random_features.MODEL`, whose solver reads the activation from
    the options); a callable gives the declaration with the single option value ``"custom"`` and
    the solver of its quadrature coefficients.
    """
    if isinstance(activation, str):
        gaussian_coefficients(activation)  # a ValueError naming activation for unknown names
        return REGISTERED
    return NumericModel(_CUSTOM_SPEC, rf_solver(gaussian_coefficients(activation)))


def rf_risk(
    spectrum: ArrayLike,
    *,
    n: ArrayLike,
    m: ArrayLike,
    p2: ArrayLike,
    ridge: ArrayLike,
    noise_real: ArrayLike = 0.0,
    noise_synth: ArrayLike = 0.0,
    gamma: ArrayLike | None = None,
    delta: ArrayLike | None = None,
    w_real: ArrayLike | None = None,
    w_synth: ArrayLike | None = None,
    activation: str | Callable = "relu",
    on_failure: OnFailure = "raise",
    maxiter: int = 200,
) -> Risk:
    """Test error of ridge on ``m`` nonlinear random features (Gaussian equivalence).

    ``f(x) = vᵀ c σ(Sx/c)``, ``c = √(tr Σ/d)``, ``S`` iid ``N(0, 1/d)``, penalty ``λ‖v‖²``
    (docs/mathematics.md §2; :mod:`modelcollapse.theory.random_features`).  Arguments as
    :func:`~modelcollapse.numerics.random_projection.rp_risk`, plus ``activation``: ``"relu"``,
    ``"tanh"``, ``"erf"``, ``"linear"`` (σ(z) = z: Theorem 2) or a callable ``σ`` mapping an
    array to an array of the same shape (its Gaussian moments by quadrature; μ1 must not vanish).

    Returns
    -------
    Risk
        Auxiliaries ``theta``, ``e``, ``tau``, ``t_star`` (the feature-space effective ridge),
        ``mu1``, ``mu_star`` (the activation's coefficients), ``u``, ``omega_prime``.

    Examples
    --------
    σ(z) = z is Theorem 2:

    >>> import numpy as np
    >>> from modelcollapse.numerics import rp_risk
    >>> from modelcollapse.numerics.random_features import rf_risk
    >>> s = 1 / np.arange(1, 41); kw = dict(n=30, m=[10, 50], p2=0.3, ridge=1e-3,
    ...                                     noise_real=0.1, gamma=np.full(40, 0.025),
    ...                                     delta=np.full(40, 0.01))
    >>> bool(np.allclose(rf_risk(s, activation="linear", **kw).test_error,
    ...                  rp_risk(s, **kw).test_error, rtol=1e-13))
    True
    """
    model = rf_model(activation)
    option = activation if isinstance(activation, str) else "custom"
    return evaluate(model, spectrum, n=n, m=m, p2=p2, ridge=ridge, noise_real=noise_real,
                    noise_synth=noise_synth, gamma=gamma, delta=delta, w_real=w_real,
                    w_synth=w_synth, activation=option, on_failure=on_failure, maxiter=maxiter)
