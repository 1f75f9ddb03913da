"""Compile theory expressions (SymPy, in spectral-moment atoms) into vectorised callables.

This is the only bridge from :mod:`modelcollapse.theory` to numbers: each
:class:`~modelcollapse.theory.spectral.SpectralMoment` atom becomes an input array, every other
free symbol a named scalar input, and the rest is ``sympy.lambdify`` — so there is one source of
formulas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from modelcollapse.theory.spectral import moment_atoms

from ._moments import MomentSpec

__all__ = ["CompiledExpression", "compile_expression", "moment_specs"]


def moment_specs(expr: sp.Expr) -> list[MomentSpec]:
    """``(weight name, a, b)`` of every moment atom of ``expr``."""
    return [(str(w), int(a), int(b)) for w, a, b, _ in (m.args for m in moment_atoms(expr))]


@dataclass(frozen=True)
class CompiledExpression:
    """A lambdified theory expression.

    Call it with the moments (a mapping from :data:`MomentSpec` to arrays) and the scalar inputs
    by symbol name.
    """

    expr: sp.Expr
    specs: tuple[MomentSpec, ...]
    scalar_names: tuple[str, ...]
    func: Any

    def __call__(self, moments: Mapping[MomentSpec, np.ndarray], **scalars: Any) -> np.ndarray:
        missing = [k for k in self.scalar_names if k not in scalars]
        if missing:
            raise TypeError(f"missing scalar inputs {missing} for {self.expr}")
        args = [scalars[k] for k in self.scalar_names] + [moments[s] for s in self.specs]
        return self.func(*args)


def compile_expression(
    expr: sp.Expr, scalars: Sequence[sp.Symbol], module: str = "numpy"
) -> CompiledExpression:
    """Lambdify ``expr`` with moment atoms and the given scalar symbols as inputs.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.numerics._compile import compile_expression
    >>> from modelcollapse.theory.ridge import U_DEFINITION
    >>> from modelcollapse.theory.symbols import kappa, n
    >>> f = compile_expression(U_DEFINITION, [kappa, n])
    >>> f.specs
    (('I_d', 2, 2),)
    >>> float(f({("I_d", 2, 2): np.array(1.0)}, kappa=0.5, n=3.0))
    0.5
    """
    atoms = moment_atoms(expr)
    dummies = [sp.Dummy(f"M_{m.args[0]}_{m.args[1]}_{m.args[2]}") for m in atoms]
    body = expr.xreplace(dict(zip(atoms, dummies, strict=True)))
    extra = body.free_symbols - set(scalars) - set(dummies)
    if extra:
        raise ValueError(f"expression has free symbols {sorted(map(str, extra))} not given")
    func = sp.lambdify(list(scalars) + dummies, body, modules=module, cse=True)
    return CompiledExpression(
        expr=expr,
        specs=tuple(moment_specs(expr)),
        scalar_names=tuple(str(s) for s in scalars),
        func=func,
    )
