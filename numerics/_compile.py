"""Compile theory expressions (SymPy, in spectral-moment atoms) into vectorised callables.

This is the only bridge from :mod:`modelcollapse.theory` to numbers: each
:class:`~modelcollapse.theory.spectral.SpectralMoment` atom becomes an input array, every other
free symbol a named scalar input, and the rest is ``sympy.lambdify`` — so there is one source of
formulas.  A moment's shift may be any expression of the scalars (``κ``, ``θ``, ``λ/ξ(δ)``, 0):
:func:`evaluate_moments` evaluates each distinct shift once and asks the spectrum for all the
moments taken at it in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp

from modelcollapse.theory._parse import sympy_only
from modelcollapse.theory.spectral import moment_atoms

__all__ = [
    "MomentKey",
    "CompiledExpression",
    "compile_expression",
    "compile_shift",
    "evaluate_moments",
    "free_scalars",
]

#: ``(weight name, a, b, shift)``: the moment ``Σ_j ω_j s_j^a (s_j + t)^{-b}`` at the shift whose
#: expression prints as ``shift`` (``"kappa"``, ``"0"``, ``"lambda/(...)"``).
MomentKey = tuple[str, int, int, str]


def _key(atom: sp.Expr) -> MomentKey:
    weight, a, b, shift = atom.args
    return (str(weight), int(a), int(b), sp.sstr(shift))


def free_scalars(expr: sp.Expr) -> list[sp.Symbol]:
    """Free symbols of ``expr`` outside its moment atoms and inside their shifts, by name."""
    atoms = moment_atoms(expr)
    body = expr.xreplace({m: sp.Dummy() for m in atoms})
    names = {s for s in body.free_symbols if not isinstance(s, sp.Dummy)}
    for m in atoms:
        names |= m.args[3].free_symbols
    return sorted(names, key=lambda s: s.name)


@dataclass(frozen=True)
class CompiledExpression:
    """A lambdified theory expression.

    Call it with the moments (a mapping from :data:`MomentKey` to arrays, e.g. from
    :func:`evaluate_moments`) and the scalar inputs by symbol name.

    Attributes
    ----------
    expr : sympy.Expr
    moments : tuple of MomentKey
        The moment atoms, in the order the compiled function takes them.
    shifts : mapping of str to sympy.Expr
        The shift expression of each moment key's shift.
    scalar_names : tuple of str
        Names of the scalar inputs of the body (not those that enter only through shifts).
    func : callable
    """

    expr: sp.Expr
    moments: tuple[MomentKey, ...]
    shifts: Mapping[str, sp.Expr]
    scalar_names: tuple[str, ...]
    func: Any

    def __call__(self, moments: Mapping[MomentKey, np.ndarray], **scalars: Any) -> np.ndarray:
        missing = [k for k in self.scalar_names if k not in scalars]
        if missing:
            raise TypeError(f"missing scalar inputs {missing} for {self.expr}")
        args = [scalars[k] for k in self.scalar_names] + [moments[m] for m in self.moments]
        return self.func(*args)


def compile_expression(
    expr: sp.Expr, scalars: Sequence[sp.Symbol] | None = None, module: str = "numpy"
) -> CompiledExpression:
    """Lambdify ``expr`` with moment atoms and scalar symbols as inputs.

    Parameters
    ----------
    expr : sympy.Expr
        An expression in :class:`~modelcollapse.theory.spectral.SpectralMoment` atoms and scalars.
    scalars : sequence of sympy.Symbol, optional
        The scalar inputs, in order (default: every free symbol outside the moments, by name).
        Any other free symbol outside the moments is an error.
    module : {"numpy", "mpmath"}
        The lambdify back end.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.numerics._compile import compile_expression
    >>> from modelcollapse.theory.ridge import U_DEFINITION
    >>> f = compile_expression(U_DEFINITION)
    >>> f.moments, f.scalar_names
    ((('I_d', 2, 2, 'kappa'),), ('n',))
    >>> float(f({("I_d", 2, 2, "kappa"): np.array(1.0)}, n=3.0))
    0.5
    """
    expr = sympy_only(expr)
    atoms = moment_atoms(expr)
    keys = [_key(m) for m in atoms]
    dummies = [sp.Dummy(f"M_{k[0]}_{k[1]}_{k[2]}") for k in keys]
    body = expr.xreplace(dict(zip(atoms, dummies, strict=True)))
    body_symbols = {s for s in body.free_symbols if s not in set(dummies)}
    if scalars is None:
        scalars = sorted(body_symbols, key=lambda s: s.name)
    extra = body_symbols - set(scalars)
    if extra:
        raise ValueError(f"expression has free symbols {sorted(map(str, extra))} not given")
    func = sp.lambdify(list(scalars) + dummies, body, modules=module, cse=True)
    return CompiledExpression(
        expr=expr,
        moments=tuple(keys),
        shifts={k[3]: m.args[3] for k, m in zip(keys, atoms, strict=True)},
        scalar_names=tuple(str(s) for s in scalars),
        func=func,
    )


@lru_cache(maxsize=256)
def compile_shift(shift: sp.Expr) -> tuple[tuple[str, ...], Any]:
    """``(names, f)``: the shift expression compiled over its free symbols (sorted by name)."""
    names = sorted(shift.free_symbols, key=lambda s: s.name)
    return tuple(s.name for s in names), sp.lambdify(names, shift, modules="numpy", cse=True)


def evaluate_moments(
    batch,
    compiled: Iterable[CompiledExpression],
    scalars: Mapping[str, Any],
    *,
    size: int | tuple[int, ...] | None = None,
    index: np.ndarray | None = None,
    skip: np.ndarray | None = None,
) -> dict[MomentKey, np.ndarray]:
    """Every moment the ``compiled`` expressions need, as flat arrays.

    ``skip`` (a flat boolean mask) marks points whose values the caller discards: their shift is
    set to 1 so that no placeholder reaches the spectrum.

    Each distinct shift is evaluated once from ``scalars`` (broadcast to ``size``, a length or a
    shape, then flattened) and the
    spectrum ``batch`` (:class:`~modelcollapse.numerics._moments.SpectrumBatch` or an object with
    the same ``moments(t, specs, index)`` contract) computes all the moments at it in one pass.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.numerics._compile import compile_expression, evaluate_moments
    >>> from modelcollapse.numerics._moments import SpectrumBatch
    >>> from modelcollapse.theory.spectral import df1
    >>> from modelcollapse.theory.symbols import kappa
    >>> f = compile_expression(df1(kappa) + df1(2 * kappa))
    >>> mom = evaluate_moments(SpectrumBatch(np.ones(4)), [f], {"kappa": np.array([1.0])})
    >>> f(mom).round(12).tolist()  # 4/2 + 4/3
    [3.333333333333]
    """
    groups: dict[str, list[tuple[str, int, int]]] = {}
    shift_exprs: dict[str, sp.Expr] = {}
    for c in compiled:
        for key in c.moments:
            groups.setdefault(key[3], []).append(key[:3])
            shift_exprs[key[3]] = c.shifts[key[3]]
    out: dict[MomentKey, np.ndarray] = {}
    for shift_key, specs in groups.items():
        names, f = compile_shift(shift_exprs[shift_key])
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.asarray(f(*(scalars[n] for n in names)), dtype=float)
        if size is not None:
            t = np.broadcast_to(t, (size,) if isinstance(size, int) else size)
        t = np.ascontiguousarray(t.reshape(-1))
        if skip is not None:
            t = np.where(skip, 1.0, t)
        vals = batch.moments(t, specs, index=index)
        for spec, v in vals.items():
            out[(*spec, shift_key)] = v
    return out
