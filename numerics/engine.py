"""The model engine: one evaluation pipeline for every declared model.

A model is a declaration in :mod:`modelcollapse.theory`
(:class:`~modelcollapse.theory.model.ModelSpec`) plus a solver for its fixed point
(:class:`NumericModel`).  :func:`evaluate` does, once for every
model:

1. **validation** from the declared parameters (a ``ValueError`` names the parameter);
2. **broadcasting** of every grid input (and of per-point spectra and teachers);
3. **de-duplication**: the fixed point depends on a few parameters only (``depends_on``); it is
   solved on their broadcast shape, and once per distinct combination when the spectrum is shared;
4. **solving** by the model's solver (the safeguarded Newton of :mod:`._rootfind` on the compiled
   residual and its ``sp.diff`` slope), with an independent residual check;
5. **evaluation** of the declared auxiliaries and risk components, compiled from SymPy, with every
   spectral moment at a given shift computed in one pass;
6. **threshold limits** where the solver reports the interpolation threshold (status 1), derived in
   theory (:meth:`~modelcollapse.theory.model.ModelSpec.threshold_parts`);
7. the **failure policy** (``on_failure``) and a final guard: a non-finite value at a converged
   point with finite inputs is status −2, never a silent answer;
8. one result type, :class:`~modelcollapse.numerics.result.Risk`.

A result does not depend on what else is evaluated with it: every step works point by point, and
the spectral sums are reduced in a fixed order (see :mod:`._moments`).

Examples
--------
>>> import numpy as np
>>> from modelcollapse.numerics.engine import evaluate
>>> res = evaluate("ridge", np.ones(100), n=200, p2=0.2, ridge=0.0, noise_real=1.0,
...                noise_synth=1.0, gamma=np.full(100, 0.01), delta=np.full(100, 0.005))
>>> round(float(res.test_error), 12), round(float(res.u), 12)  # Corollary 1: 1 + 0.1
(1.1, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import numpy as np
import sympy as sp

from modelcollapse.theory.model import ModelSpec, Parameter

from ._compile import CompiledExpression, compile_expression, evaluate_moments
from ._moments import SpectrumBatch
from ._teacher import teacher_weights
from ._validate import as_positive_spectrum, check_array, check_count, format_number
from .result import ConvergenceError, Risk

__all__ = ["NumericModel", "Solution", "SolverOptions", "evaluate", "OnFailure"]

OnFailure = Literal["raise", "nan"]

_NON_FINITE = -2


@dataclass(frozen=True)
class SolverOptions:
    """Options every solver takes: the iteration bound, the convergence tolerance and the values
    of the model's option parameters (``choices``, e.g. ``(("activation", "relu"),)``)."""

    maxiter: int = 200
    xtol: float = 1e-14
    choices: tuple[tuple[str, str], ...] = ()

    def choice(self, name: str) -> str:
        """The value of the option parameter ``name`` (a KeyError if the model has none)."""
        return dict(self.choices)[name]


@dataclass(frozen=True)
class Solution:
    """What a solver returns, on flat arrays of the points it was given.

    ``values`` maps the unknown's name (and the names of the fixed point's ``also`` quantities) to
    arrays; ``status`` follows :data:`~modelcollapse.numerics.result.STATUS`; status 2 marks points
    the model's ``reduce`` hook evaluates instead (e.g. a limit where the model reduces to another).
    """

    values: dict[str, np.ndarray]
    iterations: np.ndarray
    residual: np.ndarray
    status: np.ndarray


Solver = Callable[[SpectrumBatch, Mapping[str, np.ndarray], SolverOptions], Solution]


@dataclass(frozen=True)
class NumericModel:
    """A declared model and what numerics adds to it.

    Attributes
    ----------
    spec : ModelSpec
        The declaration (parameters, fixed point, auxiliaries, risk).
    solve : callable
        ``solve(batch, inputs, options) -> Solution``: ``inputs`` maps the symbol names of the
        fixed point's ``depends_on`` parameters (and of ``spec.derived``) to flat arrays; ``batch``
        holds the spectrum (shared, or one row per point).
    check : callable, optional
        ``check(values)`` raises ``ValueError`` for combinations of parameters that make no
        sense (``values``: parameter name → validated array).
    reduce : callable, optional
        ``reduce(run, values) -> dict`` evaluates the points a solver marked with status 2:
        ``values`` holds their parameters (flat arrays) and ``run(model, values)`` evaluates
        another registered model on the same spectrum and teacher; the dict gives every output
        (components, ``test_error``, auxiliaries, ``status``, ``iterations``, ``residual``).
    evaluate : callable, optional
        For models whose inputs are not one spectrum and a teacher (several covariances, a
        variable number of sources): ``evaluate(values, extra, options) -> Risk`` receives the
        declared grid parameters validated and the remaining keyword arguments whole, and
        builds the result with its own vectorised code (``solve`` is then unused).  The engine
        still validates the grid parameters and applies the final guard and the failure policy.
    """

    spec: ModelSpec
    solve: Solver | None
    check: Callable[[Mapping[str, np.ndarray]], None] | None = None
    reduce: Callable[..., dict[str, np.ndarray]] | None = None
    evaluate: Callable[[Mapping[str, np.ndarray], dict[str, Any], SolverOptions], Risk] | None = (
        None)

    @property
    def name(self) -> str:
        return self.spec.name


# --------------------------------------------------------------------------------------------
# Compilation (cached per model, teacher kind and options)


@dataclass(frozen=True)
class _Compiled:
    derived: tuple[tuple[str, CompiledExpression], ...]
    # (reported name, symbol name, reported?, expression, (unknown, value where it is 0) or None)
    auxiliaries: tuple[tuple[str, str, bool, CompiledExpression,
                             tuple[str, CompiledExpression] | None], ...]
    risk: dict[str, CompiledExpression | None]
    total: CompiledExpression | None
    diverging: str | None

    def all_expressions(self) -> list[CompiledExpression]:
        out = [c for _, _, _, c, _ in self.auxiliaries]
        out += [z[1] for *_, z in self.auxiliaries if z is not None]
        out += [c for c in self.risk.values() if c is not None]
        if self.total is not None:
            out.append(self.total)
        return out


@cache
def _compiled(spec: ModelSpec, teacher: str, options: tuple[tuple[str, str], ...]) -> _Compiled:
    opts = dict(options)
    derived = tuple((a.symbol.name, compile_expression(a.expr)) for a in spec.derived)
    aux = []
    for a in spec.auxiliaries(teacher, opts):
        zero = None
        if a.at_zero is not None:
            zero = (a.at_zero[0].name, compile_expression(a.at_zero[1]))
        aux.append((a.name, a.symbol.name, a.report, compile_expression(a.expr), zero))
    risk_exprs = dict(spec.risk(teacher, opts))
    total_expr = risk_exprs.pop("test_error", None)
    risk = {k: (None if risk_exprs[k] is None else compile_expression(risk_exprs[k]))
            for k in ("bias", "variance", "zeta")}
    return _Compiled(
        derived=derived,
        auxiliaries=tuple(aux),
        risk=risk,
        total=None if total_expr is None else compile_expression(total_expr),
        diverging=None if spec.diverging is None else spec.diverging.name,
    )


@cache
def _compiled_threshold(spec: ModelSpec, teacher: str, options: tuple[tuple[str, str], ...]
                        ) -> dict[str, tuple[CompiledExpression, CompiledExpression]]:
    """``(intercept, slope)`` in the diverging symbol of every output, compiled on first need."""
    opts = dict(options)
    risk_exprs = dict(spec.risk(teacher, opts))
    total_expr = risk_exprs.pop("test_error", None)
    over = dict(spec.threshold_risk(teacher, opts)) if spec.threshold_risk else {}
    parts = {k: over.get(k, risk_exprs[k]) for k in ("bias", "variance", "zeta")}
    if total_expr is not None:
        parts["test_error"] = total_expr
    for a in spec.auxiliaries(teacher, opts):
        if a.symbol != spec.diverging:
            parts[f"aux:{a.name}"] = a.expr
    out = {}
    for k, expr in parts.items():
        if expr is None:
            continue
        a0, slope = spec.threshold_parts(expr, opts)
        out[k] = (compile_expression(a0), compile_expression(slope))
    return out


# --------------------------------------------------------------------------------------------
# Validation


def _bound(value: float | str | None, d: int) -> float | None:
    if value is None:
        return None
    if value == "d":
        return float(d)
    return float(value)


def _check_parameter(value: Any, p: Parameter, d: int) -> np.ndarray:
    arr = check_array(value, p.name, lower=_bound(p.lower, d), upper=_bound(p.upper, d),
                      strict=p.strict)
    if p.whole and (arr != np.round(arr)).any():
        bad = arr[arr != np.round(arr)].flat[0]
        raise ValueError(f"{p.name}: expected whole numbers, got {format_number(bad)}")
    return arr


def _broadcast(shapes: Mapping[str, tuple[int, ...]]) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(*shapes.values())
    except ValueError:
        desc = ", ".join(f"{k} {v}" for k, v in shapes.items())
        raise ValueError(f"{', '.join(shapes)}: shapes do not broadcast ({desc})") from None


def _fit(a: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``a`` without the leading axes of length 1 beyond ``shape``'s rank (a scalar evaluated as
    a 1-element array, see ``_run``), broadcast to ``shape``."""
    a = np.asarray(a)
    if a.ndim > len(shape):
        a = a.reshape(a.shape[a.ndim - len(shape):])
    return np.broadcast_to(a, shape)


def _flat(a: Any, shape: tuple[int, ...]) -> np.ndarray:
    return np.ascontiguousarray(_fit(a, shape)).reshape(-1)


# --------------------------------------------------------------------------------------------
# The pipeline


def evaluate(
    model: str | NumericModel,
    spectrum: Any = None,
    *,
    on_failure: OnFailure = "raise",
    maxiter: int = 200,
    **kwargs: Any,
) -> Risk:
    """Evaluate a registered model's deterministic equivalent on the broadcast grid of its inputs.

    Parameters
    ----------
    model : str or NumericModel
        A registry name (:data:`modelcollapse.numerics.models.MODELS`) or a model.
    spectrum : array_like, shape (d,) or (*S, d)
        Eigenvalues of Σ (> 0); leading axes give one spectrum per grid point.  (A model with an
        ``evaluate`` hook takes its covariances in its own inputs instead.)
    on_failure : {"raise", "nan"}
        Unconverged points raise :class:`~modelcollapse.numerics.result.ConvergenceError` (default)
        or come back as NaN with their ``status``.
    maxiter : int
        Iteration bound of the solver (it cannot hang).
    **kwargs
        The model's parameters (its declaration lists them: ``spec.parameters``).

    Returns
    -------
    Risk
    """
    from .models import MODELS  # the registry imports the models, which import this module

    nm = model if isinstance(model, NumericModel) else MODELS.get(model)
    if nm is None:
        raise ValueError(f"model: unknown {model!r}; registered: {', '.join(MODELS)}")
    spec = nm.spec
    if not isinstance(on_failure, str) or on_failure not in ("raise", "nan"):
        raise ValueError(f"on_failure: must be 'raise' or 'nan', got {str(on_failure)[:60]!r}")
    opts: dict[str, str] = {}
    for p in spec.options:
        v = kwargs.pop(p.name, p.default)
        if not isinstance(v, str) or v not in p.choices:
            raise ValueError(f"{p.name}: must be one of {', '.join(map(repr, p.choices))}, got "
                             f"{str(v)[:60]!r}")
        opts[p.name] = v
    options = SolverOptions(maxiter=check_count(maxiter, "maxiter"),
                            choices=tuple(sorted(opts.items())))
    if nm.evaluate is not None:
        return _evaluate_whole(nm, spectrum, kwargs, options, on_failure)
    given = {k: kwargs.pop(k, None) for k in spec.teacher_parameters()}
    if _is_analytic(spectrum):
        s, kind, weights = _analytic(spectrum, spec, given)
        d = spectrum.d
    else:
        s = as_positive_spectrum(spectrum, "spectrum")
        d = s.shape[-1]
        kind, weights = teacher_weights(d, spec.teachers, **given)
    values: dict[str, np.ndarray] = {}
    for p in spec.grid_parameters:
        v = kwargs.pop(p.name, p.default)
        if v is None:
            raise ValueError(f"{p.name}: missing ({p.doc})")
        values[p.name] = _check_parameter(v, p, d)
    if kwargs:
        known = ", ".join(p.name for p in spec.parameters)
        raise ValueError(f"{', '.join(kwargs)}: not a parameter of model {spec.name!r} "
                         f"(its parameters: {known})")
    if nm.check is not None:
        nm.check(values)
    # overflow and 0/0 are reported per point (status −2), not as floating-point warnings
    with np.errstate(all="ignore"):
        return _run(nm, s, kind, weights, values, opts, options, on_failure)


def _evaluate_whole(nm: NumericModel, spectrum: Any, kwargs: dict[str, Any],
                    options: SolverOptions, on_failure: OnFailure) -> Risk:
    """A model with an ``evaluate`` hook: its grid parameters are validated here and the rest
    handed over whole; then the guard (a NaN, or a non-finite component where converged, is
    status −2) and the failure policy, as for every model."""
    spec = nm.spec
    if spectrum is not None:
        raise ValueError(f"spectrum: model {spec.name!r} takes its covariances in its own "
                         "inputs, not a spectrum")
    values: dict[str, np.ndarray] = {}
    for p in spec.grid_parameters:
        v = kwargs.pop(p.name, p.default)
        if v is None:
            raise ValueError(f"{p.name}: missing ({p.doc})")
        values[p.name] = _check_parameter(v, p, 0)
    if nm.check is not None:
        nm.check(values)
    assert nm.evaluate is not None
    with np.errstate(all="ignore"):
        res = nm.evaluate(values, kwargs, options)
    status = np.array(res.status, dtype=np.int8)
    comps = [np.asarray(c, dtype=float) for c in (res.test_error, res.bias, res.variance,
                                                   res.zeta)]
    finite = np.logical_and.reduce([np.isfinite(c) | np.isinf(c) & (status == 1) for c in comps])
    for aux in res.auxiliary.values():
        finite &= ~np.isnan(aux)
    status[(status >= 0) & ~finite] = _NON_FINITE
    bad = status < 0
    for arr in (*comps, *res.auxiliary.values()):
        arr[bad] = np.nan
    if on_failure == "raise" and bad.any():
        _raise_unconverged(spec.name, status, res.residual)
    return Risk(model=res.model, test_error=comps[0], bias=comps[1], variance=comps[2],
                zeta=comps[3], auxiliary=res.auxiliary, coords=res.coords,
                converged=status >= 0, iterations=res.iterations, residual=res.residual,
                status=status, d=res.d, options=res.options)


def _is_analytic(spectrum: Any) -> bool:
    return hasattr(spectrum, "moments") and hasattr(spectrum, "d") and not isinstance(
        spectrum, np.ndarray)


def _analytic(spectrum: Any, spec: ModelSpec, given: dict[str, Any]):
    """A spectrum object (e.g. :class:`~modelcollapse.numerics.spectra.PowerLawSpectrum`): its
    teacher diagonals are part of it (random effects), so teacher arguments are refused."""
    extra = [k for k, v in given.items() if v is not None]
    if extra:
        raise ValueError(f"{', '.join(extra)}: an analytic spectrum carries its teacher "
                         "diagonals (give gamma=/delta= to the spectrum object)")
    if "random" not in spec.teachers:
        raise ValueError(f"spectrum: model {spec.name!r} takes no random-effects teacher, so no "
                         "analytic spectrum")
    names = {"gamma": "Gamma", "delta": "Delta"}
    have = set(getattr(spectrum, "weights", {}) or {})
    missing = [k for k in spec.teachers["random"] if names[k] not in have]
    if missing:
        raise ValueError(f"spectrum: the analytic spectrum needs {' and '.join(missing)} "
                         f"(diagonals of the teacher) for model {spec.name!r}")
    d = spectrum.d
    if not np.isfinite(d) and spec.name in _NEEDS_FINITE_D:
        raise ValueError(f"spectrum: model {spec.name!r} needs a finite dimension "
                         f"({_NEEDS_FINITE_D[spec.name]}); give dimension=")
    return spectrum, "random", {}


#: Models whose formulas need d < ∞, and why.
_NEEDS_FINITE_D = {"random_projection": "S has iid N(0, 1/d) entries: the formulas involve m/d",
                   "recursive_retraining": "the generators need T0 > d rows"}


def _lead(s: Any) -> tuple[int, ...]:
    """Leading (per-point) axes of a spectrum: none for a 1-D array or a spectrum object."""
    return s.shape[:-1] if isinstance(s, np.ndarray) else ()


def _batch(s: Any, weights: dict[str, np.ndarray] | None = None):
    return SpectrumBatch(s, weights) if isinstance(s, np.ndarray) else s


def _run(nm: NumericModel, s: Any, kind: str, weights: dict[str, np.ndarray],
         values: dict[str, np.ndarray], opts: dict[str, str], options: SolverOptions,
         on_failure: OnFailure) -> Risk:
    spec = nm.spec
    d = s.shape[-1] if isinstance(s, np.ndarray) else s.d
    comp = _compiled(spec, kind, tuple(sorted(opts.items())))
    array_shapes = {"spectrum": _lead(s),
                    **{k: w.shape[:-1] for k, w in weights.items() if w.ndim > 1}}
    spec_shape = _broadcast(array_shapes)
    shape = _broadcast({"spectrum": spec_shape, **{k: v.shape for k, v in values.items()}})
    size = int(np.prod(shape))
    symbol = {p.name: p.symbol.name for p in spec.grid_parameters}
    # every value at least 1-D: NumPy evaluates 0-d operands with its scalar math (the C
    # library's pow, exp) and arrays with its SIMD loops, which may round differently — a point
    # evaluated alone must give the bits it gives inside a grid (seen with NumPy 1.26)
    scalars: dict[str, Any] = {symbol[k]: np.atleast_1d(v) for k, v in values.items()}
    scalars["d"] = float(d)
    with np.errstate(all="ignore"):
        for name, c in comp.derived:
            scalars[name] = c({}, **scalars)

    # --- solve on the broadcast shape of what the fixed point depends on
    fp = spec.fixed_points[0]
    deps = {symbol[k]: values[k] for k in fp.depends_on}
    deps.update({name: scalars[name] for name, _ in comp.derived})
    solve_shape = _broadcast({"spectrum": _lead(s), **{k: np.shape(v) for k, v in
                                                        deps.items()}})
    solve_shape = solve_shape[max(0, len(solve_shape) - len(shape)):]  # no 1-element axis
    ssize = int(np.prod(solve_shape))
    flat = {k: _flat(v, solve_shape) for k, v in deps.items()}
    if not _lead(s):
        sol = _solve_distinct(nm, _batch(s), flat, ssize, options)
    else:
        rows = np.broadcast_to(s, (*solve_shape, d)).reshape(ssize, d)
        sol = nm.solve(SpectrumBatch(rows), flat, options)
    status_s = sol.status.reshape(solve_shape)
    if on_failure == "raise" and (status_s < 0).any():
        _raise_unconverged(spec.name, np.broadcast_to(status_s, shape),
                           np.broadcast_to(sol.residual.reshape(solve_shape), shape))
    solved = {k: v.reshape(solve_shape or (1,)) for k, v in sol.values.items()}
    scalars.update(solved)

    # --- evaluate the auxiliaries and the risk
    eval_shape = np.broadcast_shapes(spec_shape, solve_shape)
    esize = int(np.prod(eval_shape))
    if _lead(s) or any(w.ndim > 1 for w in weights.values()):
        batch = SpectrumBatch(np.broadcast_to(s, (*eval_shape, d)).reshape(esize, d),
                              {k: np.broadcast_to(w, (*eval_shape, d)).reshape(esize, d)
                               for k, w in weights.items()})
    else:
        batch = _batch(s, weights)
    # points without a solution (a reduction, status 2, or a failure) take their moments at a
    # placeholder shift — an analytic spectrum rejects a NaN or divergent one — and are
    # overwritten below
    unsolved = np.broadcast_to((status_s != 0) & (status_s != 1), eval_shape).reshape(-1)
    moments = _MomentCache(batch, comp.all_expressions(), esize, eval_shape or (1,),
                           unsolved if unsolved.any() else None)
    aux_values: dict[str, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for name, sym, _, c, zero in comp.auxiliaries:
            val = c(moments.get(c, scalars), **scalars)
            if zero is not None:
                var, zc = zero
                val = np.where(scalars[var] == 0, zc(moments.get(zc, scalars), **scalars), val)
            scalars[sym] = aux_values[name] = val
        comps = {k: (None if c is None else c(moments.get(c, scalars), **scalars))
                 for k, c in comp.risk.items()}
        total = None if comp.total is None else comp.total(moments.get(comp.total, scalars),
                                                           **scalars)
    out = {k: _full(v, shape) for k, v in comps.items() if v is not None}
    if total is None:
        total = sum(out.values())
    total = _full(total, shape)
    for k, v in comps.items():
        if v is None:  # the remainder, E minus the others: below its rounding error it is 0
            with np.errstate(invalid="ignore"):
                rem = _full(total - sum(out[j] for j in out), shape)
                noise = 8 * np.finfo(float).eps * (np.abs(total)
                                                   + sum(np.abs(out[j]) for j in out))
            rem[np.abs(rem) <= noise] = 0.0
            out[k] = rem
    aux_full = {k: _full(v, shape) for k, v in aux_values.items()}
    status = _full(status_s, shape).astype(np.int8)

    # --- interpolation threshold: the derived limits
    threshold = status == 1
    if threshold.any() and spec.diverging is not None:
        parts = _compiled_threshold(spec, kind, tuple(sorted(opts.items())))
        moments.expressions = [*moments.expressions, *(c for pair in parts.values()
                                                        for c in pair)]
        limits = _threshold_limits(parts, moments, scalars, shape)
        for k in ("bias", "variance", "zeta", "test_error"):
            target = total if k == "test_error" else out[k]
            target[threshold] = limits[k][threshold]
        for k, sym, *_ in comp.auxiliaries:
            if sym == comp.diverging:
                aux_full[k][threshold] = np.inf
            elif f"aux:{k}" in limits:
                aux_full[k][threshold] = limits[f"aux:{k}"][threshold]

    # --- rounding noise below zero in quantities that cannot be negative (B, V, E; ζ for random
    # effects, an expectation of a square): a few ulp of the risk's scale become 0, and −0.0 is 0
    scale = np.abs(total) + np.abs(out["bias"]) + np.abs(out["variance"])
    for k, arr in (("test_error", total), *out.items()):
        if k != "zeta" or kind == "random":
            tiny = (arr < 0) & (arr >= -1e-12 * scale)
            arr[tiny] = 0.0
        arr += 0.0  # −0.0 → 0.0

    # --- failure policy and final guard
    reported = [k for k, _, rep, _, _ in comp.auxiliaries if rep]
    checked = [total, *out.values(), *(aux_full[k] for k in reported)]
    finite = np.logical_and.reduce([np.isfinite(a) | np.isinf(a) & (status == 1)
                                    for a in checked])
    guard = (status == 0) & ~finite
    status[guard] = _NON_FINITE
    bad = status < 0
    for arr in (total, *out.values(), *aux_full.values()):
        arr[bad] = np.nan
    iterations = _full(sol.iterations.reshape(solve_shape), shape).astype(np.int64)
    residual = _full(sol.residual.reshape(solve_shape), shape)
    solver_out = {k: _full(v, shape) for k, v in solved.items()}

    # --- points the model evaluates through a reduction (solver status 2)
    reduced = status == 2
    if reduced.any():
        if nm.reduce is None:
            raise RuntimeError(f"model {spec.name!r}: solver asked for a reduction it lacks")
        idx = np.flatnonzero(reduced)
        sub_s = s if not _lead(s) else np.broadcast_to(s, (*shape, d)).reshape(size, d)[idx]
        sub_w = {k: (w if w.ndim == 1 else np.broadcast_to(w, (*shape, d)).reshape(size, d)[idx])
                 for k, w in weights.items()}

        def run(model: str, sub_values: dict[str, np.ndarray]) -> Risk:
            from .models import MODELS

            return _run(MODELS[model], sub_s, kind, sub_w, sub_values, {}, options, "nan")

        sub = nm.reduce(run, {k: _flat(v, shape)[idx] for k, v in values.items()})
        for arrays in (out, aux_full, solver_out):
            for k in arrays:
                arrays[k].reshape(-1)[idx] = sub[k]
        total.reshape(-1)[idx] = sub["test_error"]
        status.reshape(-1)[idx] = sub["status"]
        iterations.reshape(-1)[idx] = sub["iterations"]
        residual.reshape(-1)[idx] = sub["residual"]
    if guard.any() and on_failure == "raise":
        _raise_unconverged(spec.name, status, residual)

    names = spec.reported(kind, opts)
    auxiliary = {k: (solver_out[k] if k in solver_out else aux_full[k]) for k in names}
    coords = {k: np.broadcast_to(v, shape) for k, v in values.items()}
    return Risk(
        model=spec.name, test_error=total, bias=out["bias"], variance=out["variance"],
        zeta=out["zeta"], auxiliary=auxiliary, coords=coords, converged=status >= 0,
        iterations=iterations, residual=residual, status=status, d=d, options=opts,
    )


def _full(a: Any, shape: tuple[int, ...]) -> np.ndarray:
    return np.array(_fit(a, shape), dtype=float)


class _MomentCache:
    """Moments on the evaluation grid, computed once per shift for every expression's needs."""

    def __init__(self, batch, expressions, size: int, shape: tuple[int, ...],
                 skip: np.ndarray | None = None):
        self.batch, self.size, self.shape = batch, size, shape
        self.expressions, self.skip = expressions, skip
        self.done: dict = {}

    def get(self, compiled: CompiledExpression, scalars: Mapping[str, Any]) -> dict:
        missing = {key[3] for key in compiled.moments if key not in self.done}
        for shift in missing:
            group = [c for c in self.expressions if any(k[3] == shift for k in c.moments)]
            need = [_only_shift(c, shift) for c in group]
            vals = evaluate_moments(self.batch, need, scalars, size=self.shape, skip=self.skip)
            self.done.update({k: v.reshape(self.shape) for k, v in vals.items()})
        return self.done


def _only_shift(c: CompiledExpression, shift: str) -> CompiledExpression:
    keys = tuple(k for k in c.moments if k[3] == shift)
    return CompiledExpression(expr=c.expr, moments=keys, shifts=c.shifts,
                              scalar_names=c.scalar_names, func=c.func)


def _threshold_limits(parts: dict, moments: _MomentCache, scalars: dict, shape) -> dict:
    """Limits at the threshold: +∞ / −∞ by the sign of the slope in u, else the intercept; the
    test error by the summed slope (a fixed teacher's ζ may go to −∞ while B goes to +∞ faster)."""
    out, sum_a0, sum_slope, scale = {}, 0.0, 0.0, 0.0
    with np.errstate(all="ignore"):
        for k, (c0, c1) in parts.items():
            a0 = _full(c0(moments.get(c0, scalars), **scalars), shape)
            slope = _full(c1(moments.get(c1, scalars), **scalars), shape)
            tiny = 1e-12 * (np.abs(a0) + np.abs(a0 + slope))
            out[k] = np.where(slope > tiny, np.inf, np.where(slope < -tiny, -np.inf, a0))
            if k in ("bias", "variance", "zeta"):
                sum_a0, sum_slope, scale = sum_a0 + a0, sum_slope + slope, scale + tiny
        if "test_error" not in out:
            out["test_error"] = np.where(sum_slope > scale, np.inf, sum_a0)
    return out


def _solve_distinct(nm: NumericModel, batch: SpectrumBatch, flat: dict[str, np.ndarray],
                    size: int, options: SolverOptions) -> Solution:
    """One spectrum for every point: solve each distinct combination of the inputs once."""
    if size > 1 and flat:
        names = sorted(flat)
        table = np.stack([flat[k] for k in names], axis=1)
        uniq, back = np.unique(table, axis=0, return_inverse=True)
        if uniq.shape[0] < size:
            sol = nm.solve(batch, {k: np.ascontiguousarray(uniq[:, j])
                                   for j, k in enumerate(names)}, options)
            pick = back.reshape(-1)
            return Solution(values={k: v[pick] for k, v in sol.values.items()},
                            iterations=sol.iterations[pick], residual=sol.residual[pick],
                            status=sol.status[pick])
    return nm.solve(batch, flat, options)


def _raise_unconverged(model: str, status: np.ndarray, residual: np.ndarray) -> None:
    from ._rootfind import STATUS

    bad = np.asarray(status) < 0
    idx = np.argwhere(bad)
    first = tuple(int(i) for i in idx[0]) if np.ndim(status) else ()
    code = int(np.asarray(status)[first])
    raise ConvergenceError(
        f"{int(bad.sum())} grid point(s) did not converge; first at index {first}: "
        f"{STATUS[code]} (residual {float(np.asarray(residual)[first]):.3g})"
    )


_ = sp  # SymPy types appear in annotations of the declarations this module compiles
