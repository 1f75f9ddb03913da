"""One call to check a derived formula against the solver and the Monte Carlo.

A theorist who derives an expression — a corollary, an expansion, a closed form — wants three
numbers per point: the formula, the model's deterministic equivalent (the solver) and a simulation
of the exact finite model.  :func:`check` evaluates all three at the given points and returns a
table (a :class:`pandas.DataFrame`): the formula is evaluated by
:func:`modelcollapse.numerics.evaluate_expression` with the point's parameters and the solver's
solution (κ, u, θ, … by their symbols' names) available to it; the Monte Carlo is the model's
simulator from :data:`modelcollapse.verify.registry.MODELS`.

Examples
--------
Corollary 1 (φ < 1, λ → 0⁺): ``σ²φ/(1−φ) + (p2² + p1 p2 φ/(1−φ)) c²`` with ``φ = d/n``:

>>> import numpy as np
>>> from modelcollapse.theory.spectral import DELTA, IDENTITY, SpectralMoment
>>> from modelcollapse.theory.symbols import n, p2, sigma1
>>> from modelcollapse.verify.check import check
>>> d_ = SpectralMoment(IDENTITY, 0, 0, 0)          # tr I = d
>>> c2 = SpectralMoment(DELTA, 1, 0, 0)             # tr ΔΣ = c²
>>> phi = d_ / n
>>> cor1 = sigma1**2 * phi / (1 - phi) + (p2**2 + (1 - p2) * p2 * phi / (1 - phi)) * c2
>>> d = 60
>>> point = dict(spectrum=np.ones(d), n=180, p2=1 / 3, ridge=0.0, noise_real=0.5,
...              noise_synth=0.5, gamma=np.full(d, 1 / d), delta=np.full(d, 0.5 / d))
>>> table = check(cor1, "ridge", [point], draws=20, seed=1)
>>> bool(abs(table.formula[0] - table.solver[0]) < 1e-12)       # exact at λ = 0
True
>>> bool(abs(table.z_formula[0]) < 3 + 4 / (180 - 60 - 1) / table.mc_se[0] * table.mc[0])
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

from modelcollapse.numerics import evaluate, evaluate_expression

from .registry import MODELS

__all__ = ["check"]


def _scalars(model: str, problem: Mapping[str, Any], res) -> dict[str, Any]:
    spec = MODELS[model].numeric.spec
    out: dict[str, Any] = {}
    for p in spec.grid_parameters:
        if p.symbol is not None and p.name in problem:
            out[p.symbol.name] = np.asarray(problem[p.name], dtype=float)
    kind = "random" if any(k in problem for k in ("gamma", "delta")) else "fixed"
    for fp in spec.fixed_points:
        for sym in (fp.unknown, *fp.also):
            if sym.name in res.auxiliary:
                out[sym.name] = res.auxiliary[sym.name]
    for a in spec.auxiliaries(kind, dict(res.options)):
        if a.name in res.auxiliary:
            out[a.symbol.name] = res.auxiliary[a.name]
    return out


def check(
    formula: sp.Expr,
    model: str,
    points: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    draws: int = 50,
    seed: int = 0,
    quantity: str = "test_error",
):
    """A table of the formula, the solver and the Monte Carlo at each point.

    Parameters
    ----------
    formula : sympy.Expr
        An expression in spectral moments (``SpectralMoment``, ``df1``, …) and symbols: the
        model's parameters (``n``, ``p2``, ``lambda``, ``sigma1`` …), its unknowns and auxiliaries
        (``kappa``, ``u``, ``theta`` …) and ``d``.  Strings are refused.
    model : str
        A registered model.
    points : mapping or sequence of mappings
        Problems: keyword arguments of the model's theory function (``spectrum``, parameters,
        teacher), one value each.
    draws, seed : int
        Monte Carlo draws per point (≥ 2) and the seed (point ``i`` uses ``seed + i``).
    quantity : str
        What the formula stands for (``test_error``, ``bias``, ``variance`` or ``zeta``).

    Returns
    -------
    pandas.DataFrame
        One row per point: the point's scalar parameters, ``formula``, ``solver``, ``mc``,
        ``mc_se``, ``z_formula`` and ``z_solver`` (``(value − mc)/se``), ``formula_vs_solver``
        (relative difference) and the solver's ``status``.
    """
    import pandas as pd

    if not isinstance(formula, sp.Basic):
        raise ValueError("formula: expected a SymPy expression (strings are not evaluated)")
    if model not in MODELS:
        raise ValueError(f"model: unknown {model!r}; registered: {', '.join(MODELS)}")
    entry = MODELS[model]
    if quantity not in entry.keys:
        raise ValueError(f"quantity: the {model!r} simulator reports {', '.join(entry.keys)}")
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 2:
        raise ValueError(f"draws: a comparison needs at least 2 draws, got {draws!r}")
    rows = []
    for i, point in enumerate([points] if isinstance(points, Mapping) else list(points)):
        problem = dict(point)
        res = evaluate(model, on_failure="nan", **problem)
        teacher = {k: problem[k] for k in ("gamma", "delta", "w_real", "w_synth") if k in problem}
        value = float(evaluate_expression(formula, problem["spectrum"], **teacher,
                                          **_scalars(model, problem, res)))
        solver = float(np.asarray(getattr(res, quantity)))
        mc = entry.simulate(problem, draws, seed + i)
        mean = float(np.ravel(mc.mean[quantity])[0])
        se = float(np.ravel(mc.stderr[quantity])[0])
        row = {k: float(v) for k, v in problem.items()
               if np.ndim(v) == 0 and not isinstance(v, str)}
        row.update(formula=value, solver=solver, mc=mean, mc_se=se,
                   z_formula=(value - mean) / se if se > 0 else np.nan,
                   z_solver=(solver - mean) / se if se > 0 else np.nan,
                   formula_vs_solver=(value - solver) / solver if solver else np.nan,
                   status=int(np.asarray(res.status)))
        rows.append(row)
    return pd.DataFrame(rows)
