"""The SymPy symbols shared by every theory module, named as in the paper (docs/mathematics.md §0).

Assumptions are carried on the symbols so that SymPy simplifies: sizes and scales are positive,
the ridge ``lam`` (λ) is non-negative.  ``p2`` (synthetic fraction) is declared non-negative; its
upper bound ``p2 ≤ 1`` cannot be expressed as a SymPy assumption and is carried by a *regime*
(:mod:`modelcollapse.theory.workbench`: every regime that involves ``p2`` includes ``0 < p2 < 1``).
``p1`` is the expression ``1 − p2``.

``from modelcollapse.theory.symbols import *`` imports only the Greek-lettered and multi-letter
names listed in ``__all__``: the one-letter Latin symbols ``n``, ``d``, ``m``, ``r``, ``c``,
``u``, ``t`` are importable by name but never shadow a user's own ``n`` or ``d``.
:data:`BY_NAME` maps every name a user may type in a formula string (see
:func:`modelcollapse.theory.workbench.parse`) to its symbol.

Examples
--------
>>> from modelcollapse.theory.symbols import p1, p2
>>> p1 + p2
1
>>> from modelcollapse.theory import symbols
>>> "n" in symbols.__all__, symbols.n
(False, n)
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "kappa",
    "lam",
    "phi",
    "phi1",
    "psi",
    "gamma_ratio",
    "p2",
    "p1",
    "sigma1",
    "sigma2",
    "theta",
    "sigma_sq",
    "q2",
    "BY_NAME",
]

kappa = sp.Symbol("kappa", positive=True)  #: κ, the ridge fixed point (effective regularisation)
lam = sp.Symbol("lambda", nonnegative=True)  #: λ, the ridge penalty
n = sp.Symbol("n", positive=True)  #: total number of training rows n = n1 + n2
d = sp.Symbol("d", positive=True)  #: input dimension
m = sp.Symbol("m", positive=True)  #: width of the random projection
phi = sp.Symbol("phi", positive=True)  #: φ = d / n
phi1 = sp.Symbol("phi1", positive=True)  #: φ1 = d / n1, the aspect ratio of the real rows alone
psi = sp.Symbol("psi", positive=True)  #: ψ = m / n
gamma_ratio = sp.Symbol("gamma", positive=True)  #: γ = m / d = ψ / φ
q2 = sp.Symbol("q2", nonnegative=True)  #: q2 = n2/n1, synthetic rows per real row
p2 = sp.Symbol("p2", nonnegative=True)  #: fraction of synthetic rows (0 ≤ p2 ≤ 1 via regimes)
p1 = 1 - p2  #: fraction of real rows
sigma1 = sp.Symbol("sigma1", nonnegative=True)  #: label-noise std of the real distribution
sigma2 = sp.Symbol("sigma2", nonnegative=True)  #: label-noise std of the synthetic distribution
r = sp.Symbol("r", positive=True)  #: signal strength, tr Γ = r² (isotropic: Γ = (r²/d) I)
c = sp.Symbol("c", nonnegative=True)  #: synthetic-data quality, c² = tr ΣΔ
u = sp.Symbol("u", nonnegative=True)  #: u = df2(κ) / (n − df2(κ)), the variance-inflation factor
theta = sp.Symbol("theta", positive=True)  #: θ, the random-projections effective regularisation
t = sp.Symbol("t", nonnegative=True)  #: generic spectral shift
sigma_sq = p1 * sigma1**2 + p2 * sigma2**2  #: σ² = p1 σ1² + p2 σ2², the mixed noise level

#: Every symbol by the names a formula string may use (ASCII and Greek spellings).
BY_NAME: dict[str, sp.Expr] = {
    "kappa": kappa, "κ": kappa,
    "lam": lam, "lambda_": lam, "λ": lam,
    "n": n, "d": d, "m": m,
    "phi": phi, "φ": phi, "phi1": phi1, "φ1": phi1,
    "psi": psi, "ψ": psi,
    "gamma": gamma_ratio, "γ": gamma_ratio,
    "p1": p1, "p2": p2, "q2": q2,
    "sigma1": sigma1, "σ1": sigma1, "sigma2": sigma2, "σ2": sigma2,
    "r": r, "c": c, "u": u, "t": t,
    "theta": theta, "θ": theta,
}
