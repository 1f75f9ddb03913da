"""The random-projections setting of Figures 1, 2, 4, 5 and the phase diagram, at any size.

A problem of the paper (docs/mathematics.md §4) is a member of a family indexed by d with the
same ratios ``φ = d/n``, ``ψ = m/n``, ``p2`` and the same O(1) energies: ``tr ΓΣ = r²``,
``tr ΔΣ = c²``, σ.  ``"harmonic"``: eigenvalues ∝ 1/j with ``tr Σ = 1``, ``Γ = (1/600) I`` (the
paper's ``w1 ~ N(0, I/d)`` at d = 600, so ``r² = 1/600`` at every d), ``Δ = (c²/d) Σ^{-1}``.
``"isotropic"``: ``Σ = I``, ``Γ = I/d`` (``r² = 1``), ``Δ = (c²/d) I``.  The Monte Carlo runs at
``d = settings.rp_mc_d`` and ``d/2`` (:func:`rp_start`), each compared with the theory at its own
size (whole rows: the theory takes the realised ``n2/n`` and ``m``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from modelcollapse.numerics import rp_risk

from ..montecarlo_rp import simulate_rp
from ._agreement import SizedRun
from ._context import Context

__all__ = ["RP_D", "RP_N", "RP_N2", "RP_RIDGE", "RP_NOISE", "RP_R2", "QUANTITIES", "rp_setup",
           "rp_theory", "width_branches", "rp_start", "mc_sizes", "THRESHOLD_NEAR"]

RP_D, RP_N, RP_N2 = 600, 500, 200
RP_RIDGE = 1e-8
RP_NOISE = 0.1
#: ``tr ΓΣ`` of the harmonic setting: the paper's ``w1 ~ N(0, I/d)`` with ``tr Σ = 1`` at d = 600.
RP_R2 = 1.0 / RP_D
QUANTITIES = ("test_error", "bias", "variance", "zeta")
#: Closest and farthest ``|ψ − 1|`` of the log-spaced samples around the threshold m = n.
THRESHOLD_NEAR = (1e-3, 0.15)


def harmonic(d: int) -> np.ndarray:
    """Eigenvalues ``∝ 1/j``, ``j = 1 … d``, with ``tr Σ = 1``."""
    s = 1.0 / np.arange(1, d + 1)
    return s / s.sum()


def rp_setup(d: int, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spectrum, Γ and Δ₁ (``Δ = c² Δ₁``, ``tr ΣΔ₁ = 1``) of the family at dimension d.

    Examples
    --------
    >>> from modelcollapse.verify.reproduce._rp import rp_setup
    >>> s, g, dl1 = rp_setup(300, "harmonic")
    >>> round(float(s @ g) * 600, 12), round(float(s @ dl1), 12)
    (1.0, 1.0)
    """
    if kind == "harmonic":
        s = harmonic(d)
        gamma = np.full(d, RP_R2 / s.sum())
    elif kind == "isotropic":
        s = np.ones(d)
        gamma = np.full(d, 1.0 / d)
    else:
        raise ValueError(f"kind: expected 'harmonic' or 'isotropic', got {kind!r}")
    return s, gamma, 1.0 / (d * s)


def rp_theory(s, gamma, dl1, *, n, m, p2, c2):
    """Theorem 2 (:func:`~modelcollapse.numerics.rp_risk`) with the figures' λ and σ."""
    return rp_risk(s, n=float(n), m=np.asarray(m, dtype=float), p2=p2, ridge=RP_RIDGE,
                   noise_real=RP_NOISE, noise_synth=RP_NOISE, gamma=gamma, delta=c2 * dl1,
                   on_failure="raise")


def width_branches(n: float, points: int, m_max: float = 1000.0, m_min: float = 4.0
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Widths below and above the threshold m = n, plotted as two curves (never joined).

    A linear grid from ``m_min`` to ``m_max`` (at n = 500; scaled with n) plus ``|ψ − 1|``
    log-spaced over :data:`THRESHOLD_NEAR` on each side, so the approach to m = n is resolved.

    Examples
    --------
    >>> from modelcollapse.verify.reproduce._rp import width_branches
    >>> lo, hi = width_branches(500, 50)
    >>> float(lo.max()) / 500, float(hi.min()) / 500
    (0.999, 1.001)
    """
    scale = n / RP_N
    lin = np.linspace(m_min * scale, m_max * scale, points) / n
    near = np.geomspace(*THRESHOLD_NEAR, max(points // 4, 8))
    below = np.union1d(lin[lin < 1 - THRESHOLD_NEAR[1]], 1 - near)
    above = np.union1d(lin[lin > 1 + THRESHOLD_NEAR[1]], 1 + near)
    return below * n, above[above * n <= m_max * scale] * n


def mc_sizes(d: int) -> tuple[int, int]:
    """The two Monte Carlo dimensions of a family: ``d`` and ``d/2``."""
    return d, d // 2


def rp_start(ctx: Context, label: str, *, kind: str, p2: float, c2: float, psi: Sequence[float],
             phi: float | None = None, n_large: int | None = None, quantities=QUANTITIES
             ) -> Callable[[], tuple[np.ndarray, list[SizedRun]]]:
    """Start the Monte Carlo of one (kind, p2, c²) problem at the widths ``ψ n``, at two sizes
    (:meth:`Context.submit`); the function that collects them.

    ``phi`` (default: the paper's 600/500) and ``n_large`` (default: the figures' ``n`` at
    ``d = settings.rp_mc_d``) fix the larger size; the smaller has half the rows.  The collector
    returns the widths simulated at the larger size and the runs, largest first, each with the
    theory at its own size (realised ``p2 = n2/n``).
    """
    st = ctx.settings
    phi = RP_D / RP_N if phi is None else phi
    n_large = int(round(st.rp_mc_d / phi)) if n_large is None else n_large
    started = []
    for j, n in enumerate((n_large, n_large // 2)):
        d = int(round(phi * n))
        m = np.round(np.asarray(psi, dtype=float) * n).astype(int)
        if np.any(np.diff(m) <= 0) or m[0] < 1:
            raise ValueError(f"psi: widths {m.tolist()} at n = {n} are not increasing whole "
                             "numbers")
        draws = st.rp_draws * (1 if j == 0 else st.half_draws)
        s, gamma, dl1 = rp_setup(d, kind)
        delta = c2 * dl1
        params = dict(model="rp", kind=kind, d=d, n=n, m=m, p2=p2, c2=c2, ridge=RP_RIDGE,
                      noise=RP_NOISE, r2=float(gamma @ s), draws=draws)

        def run(seed, s=s, n=n, m=m, gamma=gamma, delta=delta, draws=draws):
            return simulate_rp(s, n=n, m=m, p2=p2, ridge=RP_RIDGE, noise_real=RP_NOISE,
                               noise_synth=RP_NOISE, gamma=gamma, delta=delta, draws=draws,
                               seed=seed, progress=False)

        future = ctx.submit(f"{label} d={d}", params, run,
                            expect={q: (draws, m.size) for q in quantities})
        started.append((d, n, m, s, gamma, dl1, future))

    def collect() -> tuple[np.ndarray, list[SizedRun]]:
        runs = []
        for d, n, m, s, gamma, dl1, future in started:
            mc = future.result()
            p2_eff = int(mc.params["n2"]) / n
            th = rp_theory(s, gamma, dl1, n=n, m=m, p2=p2_eff, c2=c2)
            runs.append(SizedRun(d, {q: np.atleast_1d(getattr(th, q)) for q in QUANTITIES}, mc))
        return started[0][2], runs

    return collect
