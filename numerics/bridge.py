"""Evaluate any SymPy expression in spectral moments on a spectrum — the path the models use.

A theorist who derives a new expression in the vocabulary of :mod:`modelcollapse.theory` (spectral
moments :class:`~modelcollapse.theory.spectral.SpectralMoment`, ``df1``, ``df2``, and scalar
symbols such as ``kappa``, ``u``, ``p2``) evaluates it with :func:`evaluate_expression`: the same
compilation (:func:`sympy.lambdify` of the expression with every moment as an input) and the same
vectorised, memory-bounded moment sums as the solvers, over a grid of scalar values.

Examples
--------
Corollary 1 at first order in φ, ``E ≈ p2² c² + φ (σ² + p1 p2 c²)`` (a user-derived formula), is
checked against the exact Theorem 1 value at the solved κ — and against Monte Carlo:

>>> import numpy as np
>>> import sympy as sp
>>> from modelcollapse.numerics import evaluate_expression, ridge_risk
>>> from modelcollapse.theory.spectral import DELTA, SpectralMoment, df1
>>> from modelcollapse.theory.symbols import kappa, n, p2, sigma1
>>> phi = df1(kappa) / n          # d/n at κ = 0 (ridgeless, d < n)
>>> c2 = SpectralMoment(DELTA, 1, 0, kappa)
>>> first_order = p2**2 * c2 + phi * (sigma1**2 + (1 - p2) * p2 * c2)
>>> d = 50
>>> kw = dict(p2=0.3, ridge=0.0, noise_real=0.5, noise_synth=0.5,
...           gamma=np.full(d, 1 / d), delta=np.full(d, 1 / d))
>>> exact = ridge_risk(np.ones(d), n=[5000, 50000], **kw)
>>> approx = evaluate_expression(first_order, np.ones(d), delta=np.full(d, 1 / d),
...                              kappa=exact.kappa, n=[5000, 50000], p2=0.3, sigma1=0.5)
>>> rel = np.abs(approx / exact.test_error - 1)  # O(φ²) apart: φ = 0.01 and 0.001
>>> bool(rel[0] < 10 * 0.01**2 and rel[1] < 10 * 0.001**2)
True
>>> from modelcollapse.verify import simulate_ridge
>>> mc = simulate_ridge(np.ones(d), n=5000, draws=20, seed=0, **kw)
>>> gap = abs(mc.mean["test_error"][0] - approx[0])
>>> bool(gap < 3 * mc.stderr["test_error"][0] + 0.01 * approx[0])  # 1 %: finite d = 50
True
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from ._compile import CompiledExpression, compile_expression, evaluate_moments, free_scalars
from ._moments import SpectrumBatch
from ._teacher import teacher_weights
from ._validate import as_positive_spectrum, check_array, check_same_length

__all__ = ["evaluate_expression", "closed_form"]


@lru_cache(maxsize=128)
def _compiled(expr: sp.Expr) -> CompiledExpression:
    return compile_expression(expr)


def evaluate_expression(
    expr: sp.Expr,
    spectrum: ArrayLike,
    *,
    gamma: ArrayLike | None = None,
    delta: ArrayLike | None = None,
    w_real: ArrayLike | None = None,
    w_synth: ArrayLike | None = None,
    weights: dict[str, ArrayLike] | None = None,
    **scalars: ArrayLike,
) -> np.ndarray:
    """Evaluate a SymPy expression in spectral moments and scalars over a broadcast grid.

    Parameters
    ----------
    expr : sympy.Expr
        The expression (a SymPy object; strings are refused — they would be evaluated).
    spectrum : array_like, shape (d,) or (*S, d)
        Eigenvalues of Σ (> 0).
    gamma, delta, w_real, w_synth : array_like, optional
        A teacher description, for moments with the weights ``Gamma``/``Delta`` (random effects)
        or ``w1w1``/``dd``/``w1d`` (fixed teachers).
    weights : mapping of str to array_like, optional
        Further diagonal weights by tag name (e.g. ``{"Gamma": ...}``), each of shape ``(d,)``
        or ``(*S, d)``.
    **scalars : array_like
        A value (or an array, broadcast) for every free symbol, by the symbol's name
        (``kappa``, ``n``, ``p2``, ``sigma1``, ``lambda``, …).

    Returns
    -------
    ndarray
        The value on the broadcast shape of the scalars and the spectra's leading axes.
    """
    if not isinstance(expr, sp.Basic):
        raise ValueError(f"expr: expected a SymPy expression, got {type(expr).__name__} "
                         "(strings are not parsed: build the expression from the theory's "
                         "symbols)")
    s = as_positive_spectrum(spectrum, "spectrum")
    d = s.shape[-1]
    table: dict[str, np.ndarray] = {}
    if any(v is not None for v in (gamma, delta, w_real, w_synth)):
        kinds = {"random": tuple(k for k, v in (("gamma", gamma), ("delta", delta))
                                 if v is not None),
                 "fixed": tuple(k for k, v in (("w_real", w_real), ("w_synth", w_synth))
                                if v is not None)}
        kinds = {k: v for k, v in kinds.items() if v}
        _, table = teacher_weights(d, kinds, gamma=gamma, delta=delta, w_real=w_real,
                                   w_synth=w_synth)
    for name, w in (weights or {}).items():
        table[str(name)] = check_same_length(check_array(w, f"weights[{name!r}]"), d,
                                             f"weights[{name!r}]")
    compiled = _compiled(expr)
    needed = {s_.name for s_ in free_scalars(expr)}
    missing = sorted(needed - set(scalars) - {"d"})
    if missing:
        raise ValueError(f"{', '.join(missing)}: missing (the expression's free symbols need a "
                         "value)")
    values = {k: check_array(v, k) for k, v in scalars.items() if k in needed}
    unknown_weights = {key[0] for key in compiled.moments} - {"I_d", *table}
    if unknown_weights:
        raise ValueError(f"{', '.join(sorted(unknown_weights))}: weights used by the expression "
                         "but not given")
    try:
        shape = np.broadcast_shapes(s.shape[:-1], *(w.shape[:-1] for w in table.values()),
                                    *(v.shape for v in values.values()))
    except ValueError:
        raise ValueError("spectrum, weights and scalars: shapes do not broadcast") from None
    size = int(np.prod(shape))
    flat: dict[str, Any] = {k: np.broadcast_to(v, shape).reshape(size) for k, v in values.items()}
    flat["d"] = float(d)
    if s.ndim > 1 or any(w.ndim > 1 for w in table.values()):
        batch = SpectrumBatch(np.broadcast_to(s, (*shape, d)).reshape(size, d),
                              {k: np.broadcast_to(w, (*shape, d)).reshape(size, d)
                               for k, w in table.items()})
    else:
        batch = SpectrumBatch(s, table)
    with np.errstate(divide="ignore", invalid="ignore"):
        moments = evaluate_moments(batch, [compiled], flat, size=size)
        out = compiled(moments, **flat)
    return np.array(np.broadcast_to(out, (size,)), dtype=float).reshape(shape)


def closed_form(expr: sp.Expr, *symbols: sp.Symbol):
    """A vectorised function of ``symbols`` (in order) computing ``expr`` — for closed forms
    without spectral moments (isotropic corollaries, recursions), through the same compiler.

    Examples
    --------
    >>> from modelcollapse.numerics.bridge import closed_form
    >>> from modelcollapse.theory.symbols import phi
    >>> f = closed_form(phi / (1 - phi), phi)
    >>> f([0.25, 0.5]).tolist()
    [0.3333333333333333, 1.0]
    """
    if not isinstance(expr, sp.Basic):
        raise ValueError(f"expr: expected a SymPy expression, got {type(expr).__name__}")
    expr = sp.sympify(expr)
    compiled = compile_expression(expr, list(symbols))
    if compiled.moments:
        raise ValueError("expr: has spectral moments; use evaluate_expression with a spectrum")
    shape_of = np.broadcast_shapes

    def f(*values):
        arrays = [np.asarray(v, dtype=float) for v in values]
        shape = shape_of(*(a.shape for a in arrays))
        with np.errstate(divide="ignore", invalid="ignore"):
            out = compiled.func(*arrays)
        return np.array(np.broadcast_to(out, shape), dtype=float)

    return f
