"""Iterative mixing and recursive retraining (THEORY.md §3 Corollary 3 and §6), solved by SymPy.

**Iterative mixing** (after Ferbach et al. 2024).  The generator ``g_0 = w2`` has error
``E(0) = c0²``.  Step t + 1 fits ridgeless regression (isotropic Σ, φ = d/n < 1) on ``n1`` fresh
real rows and ``n2`` fresh rows labelled by ``g_t`` (plus noise σ2); the fit becomes ``g_{t+1}``
and ``E(t) = ‖g_t − w1‖²_Σ``.  Because the shift ``g_t − w1`` is independent of the new design,
Theorem 1 with a fixed teacher applies at each step (κ = 0, ``u = φ/(1 − φ)``, no cross term)::

    E(t + 1) = σ² u + (p2² + p1 p2 u) E(t)                           (exact recursion)

Corollary 3 keeps only the leading order in φ of the contraction: ``E(t+1) = σ²u + p2² E(t)``.

**Recursive retraining** (Dohmatob, Feng, Kempe 2024).  Generation k + 1 is OLS on ``T0`` rows
labelled by generation k with noise σ0 (``φ0 = d/T0``); the downstream model is OLS on T rows
with noise σ (``φ = d/T``)::

    E_N = σ² φ/(1−φ) + N σ0² φ0/(1−φ0)

Both recursions are solved in closed form with :func:`sympy.rsolve`.

Examples
--------
>>> import sympy as sp
>>> from modelcollapse.theory.iterative import c0, corollary3, step
>>> from modelcollapse.theory.symbols import p2, phi, sigma_sq
>>> e_bar = sigma_sq * phi / (1 - phi)
>>> printed = p2 ** (2 * step) * c0**2 + e_bar * (1 - p2 ** (2 * step)) / (1 - p2**2)
>>> sp.simplify(corollary3()["E_t"] - printed)
0
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from .symbols import c, p1, p2, phi, sigma_sq

__all__ = [
    "step",
    "c0",
    "sigma0",
    "phi0",
    "generations",
    "mixing_recursion",
    "corollary3",
    "recursive_retraining",
]

step = sp.Symbol("t", integer=True, nonnegative=True)  #: iteration / generation index
generations = sp.Symbol("N", integer=True, nonnegative=True)  #: number of generations
c0 = sp.Symbol("c0", nonnegative=True)  #: quality of the first generator, E(0) = c0²
sigma0 = sp.Symbol("sigma0", nonnegative=True)  #: label noise of the generators (§6)
phi0 = sp.Symbol("phi0", positive=True)  #: d / T0, the generators' aspect ratio (§6)

_E = sp.Function("E")


def _solve_affine(a: sp.Expr, b: sp.Expr, start: sp.Expr) -> sp.Expr:
    """Closed form of ``E(t+1) = a + b E(t)``, ``E(0) = start``, by :func:`sympy.rsolve`."""
    sol = sp.rsolve(_E(step + 1) - a - b * _E(step), _E(step), {_E(0): start})
    return sp.simplify(sol)


@cache
def mixing_recursion() -> dict[str, sp.Expr]:
    """The exact isotropic ridgeless recursion and its solution.

    Returns ``{"a": σ²u, "b": p2² + p1p2u, "E_t": E(t), "E_inf": a/(1 − b)}`` with
    ``u = φ/(1−φ)``.
    """
    u = phi / (1 - phi)
    a = sigma_sq * u
    b = p2**2 + p1 * p2 * u
    return {"a": a, "b": b, "E_t": _solve_affine(a, b, c0**2), "E_inf": sp.simplify(a / (1 - b))}


@cache
def corollary3() -> dict[str, sp.Expr]:
    """Corollary 3: ``E(t) = p2^{2t} c0² + Ē (1 − p2^{2t})/(1 − p2²)``, ``Ē = σ²φ/(1−φ)``."""
    a = sigma_sq * phi / (1 - phi)
    b = p2**2
    return {"a": a, "b": b, "E_t": _solve_affine(a, b, c0**2), "E_inf": sp.simplify(a / (1 - b))}


@cache
def recursive_retraining() -> dict[str, sp.Expr]:
    """§6 ridgeless isotropic: ``E_N = σ²φ/(1−φ) + N σ0² φ0/(1−φ0)`` (linear growth in N).

    Here ``σ²`` is the downstream noise (``sigma1``): pure OLS, no synthetic fraction.
    """
    from .symbols import sigma1

    per_generation = sigma0**2 * phi0 / (1 - phi0)
    sol = sp.rsolve(_E(step + 1) - _E(step) - per_generation, _E(step), {_E(0): 0})
    total = sigma1**2 * phi / (1 - phi) + sp.simplify(sol.subs(step, generations))
    return {"per_generation": per_generation, "E_N": sp.simplify(total)}


_ = c  # the quality c² of THEORY.md §0 is c0² here
