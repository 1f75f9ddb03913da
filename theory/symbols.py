"""The SymPy symbols shared by every theory module, named as in the paper (THEORY.md §0).

Assumptions are carried on the symbols so that SymPy simplifies: sizes and scales are positive,
the ridge ``lam`` (λ) is non-negative.  ``p2`` (synthetic fraction) is only declared non-negative;
``p1`` is the expression ``1 − p2``.

Examples
--------
>>> from modelcollapse.theory.symbols import p1, p2
>>> p1 + p2
1
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "kappa",
    "lam",
    "n",
    "d",
    "m",
    "phi",
    "psi",
    "gamma_ratio",
    "p2",
    "p1",
    "sigma1",
    "sigma2",
    "r",
    "c",
    "u",
    "theta",
    "t",
    "sigma_sq",
]

kappa = sp.Symbol("kappa", positive=True)  #: κ, the ridge fixed point (effective regularisation)
lam = sp.Symbol("lambda", nonnegative=True)  #: λ, the ridge penalty
n = sp.Symbol("n", positive=True)  #: total number of training rows n = n1 + n2
d = sp.Symbol("d", positive=True)  #: input dimension
m = sp.Symbol("m", positive=True)  #: width of the random projection
phi = sp.Symbol("phi", positive=True)  #: φ = d / n
psi = sp.Symbol("psi", positive=True)  #: ψ = m / n
gamma_ratio = sp.Symbol("gamma", positive=True)  #: γ = m / d = ψ / φ
p2 = sp.Symbol("p2", nonnegative=True)  #: fraction of synthetic rows
p1 = 1 - p2  #: fraction of real rows
sigma1 = sp.Symbol("sigma1", nonnegative=True)  #: label-noise std of the real distribution
sigma2 = sp.Symbol("sigma2", nonnegative=True)  #: label-noise std of the synthetic distribution
r = sp.Symbol("r", positive=True)  #: signal strength, tr Γ = r² (isotropic: Γ = (r²/d) I)
c = sp.Symbol("c", nonnegative=True)  #: synthetic-data quality, c² = tr ΣΔ
u = sp.Symbol("u", nonnegative=True)  #: u = df2(κ) / (n − df2(κ)), the variance-inflation factor
theta = sp.Symbol("theta", positive=True)  #: θ, the random-projections effective regularisation
t = sp.Symbol("t", nonnegative=True)  #: generic spectral shift
sigma_sq = p1 * sigma1**2 + p2 * sigma2**2  #: σ² = p1 σ1² + p2 σ2², the mixed noise level
