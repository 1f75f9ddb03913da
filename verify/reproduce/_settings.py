"""Sizes of a ``modelcollapse reproduce`` run: ``tiny`` (tests), ``quick`` (CI) and ``full``.

Theory curves are always drawn at the paper's sizes (docs/mathematics.md §4).  The Monte Carlo of
the random-projections figures runs at ``d = rp_mc_d`` with ``n``, ``n1``, ``n2`` and the widths
scaled by the same ratio ``rp_mc_d / 600`` (the proportionate limit keeps ``φ = d/n``,
``ψ = m/n`` and ``p2`` fixed).  Every Monte Carlo point is simulated at two sizes with the same
ratios, ``d`` and ``d/2`` (``half_draws`` times as many draws at the smaller, cheaper size), and
the differences from the theory *at each simulated size* are extrapolated to d → ∞
(:mod:`modelcollapse.verify.reproduce._agreement`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["Settings", "MODES", "settings_for"]


@dataclass(frozen=True)
class Settings:
    """All knobs of one run.

    Attributes
    ----------
    mode : str
        ``"tiny"``, ``"quick"`` or ``"full"``.
    theory_points : int
        Points of each theory curve.
    rp_mc_d : int
        Dimension of the random-projections Monte Carlo (600 = the paper's).
    rp_draws : int
        Independent draws (of X and S; the teachers are integrated exactly) per
        random-projections Monte Carlo run at the larger size (at least 10: no verdict from
        fewer).
    rp_mc_psi : tuple of float
        Widths of the Monte Carlo points as ``ψ = m/n`` (kept away from the threshold ψ = 1).
    fig1_mc_psi : tuple of float
        The same for Figure 1 (Pareto).
    ridge_d : int
        Dimension of the Figure 3 ridge model (theory and Monte Carlo).
    ridge_mc_n : tuple of int
        Sample sizes with a Figure 3 Monte Carlo point.
    ridge_draws : int
        Draws per Figure 3 Monte Carlo point at d = ridge_d (its second size is d/2, n/2).
    phase_psi, phase_rows : int
        Resolution of the phase diagram (ψ axis; φ axis of panel (a), p2 axis of panel (b)).
    phase_mc_points : int
        Phase-diagram cells checked by Monte Carlo.
    phase_mc_n : int
        Rows of the phase-diagram Monte Carlo at the larger size (d = φ n).
    mixing_draws : int
        Draws of the Figure 9, 10 and generations Monte Carlo at the larger size.
    fig9_alphas : tuple of float
        Weights α with a Figure 9 Monte Carlo point.
    half_draws : int
        Draws at the smaller size d/2, as a multiple of the larger size's.  The extrapolated
        difference is ``a = 2·y(d) − y(d/2)``, so ``var a = 4 var y(d) + var y(d/2)``; a draw at
        d/2 costs about 1/5 of one at d and its variance is 3–8 times larger (measured), which
        puts the cost-optimal ratio ``√(v₂ c₁ / (4 v₁ c₂))`` at 2–3.
    """

    mode: str
    theory_points: int
    rp_mc_d: int
    rp_draws: int
    rp_mc_psi: tuple[float, ...]
    fig1_mc_psi: tuple[float, ...]
    ridge_d: int
    ridge_mc_n: tuple[int, ...]
    ridge_draws: int
    phase_psi: int
    phase_rows: int
    phase_mc_points: int
    phase_mc_n: int
    mixing_draws: int
    fig9_alphas: tuple[float, ...]
    half_draws: int = 2

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)


MODES: dict[str, Settings] = {
    "tiny": Settings(
        mode="tiny",
        theory_points=60,
        rp_mc_d=120,
        rp_draws=10,
        rp_mc_psi=(0.4, 1.8),
        fig1_mc_psi=(0.4,),
        ridge_d=100,
        ridge_mc_n=(200, 1000),
        ridge_draws=10,
        phase_psi=40,
        phase_rows=12,
        phase_mc_points=1,
        phase_mc_n=100,
        mixing_draws=10,
        fig9_alphas=(0.0, 1.0),
    ),
    "quick": Settings(
        mode="quick",
        theory_points=240,
        rp_mc_d=300,
        rp_draws=20,
        rp_mc_psi=(0.2, 0.5, 1.6, 1.9),
        fig1_mc_psi=(0.3, 1.8),
        ridge_d=100,
        ridge_mc_n=(200, 500, 1000, 2000),
        ridge_draws=30,
        phase_psi=120,
        phase_rows=40,
        phase_mc_points=3,
        phase_mc_n=200,
        mixing_draws=30,
        fig9_alphas=(0.0, 0.25, 0.5, 0.75, 1.0),
    ),
    "full": Settings(
        mode="full",
        theory_points=500,
        rp_mc_d=600,
        rp_draws=40,
        rp_mc_psi=(0.1, 0.3, 0.5, 0.7, 1.4, 1.6, 1.8, 2.0),
        fig1_mc_psi=(0.2, 0.5, 1.5, 2.0),
        ridge_d=100,
        ridge_mc_n=(200, 500, 1000, 2000, 5000, 10000),
        ridge_draws=100,
        phase_psi=240,
        phase_rows=80,
        phase_mc_points=5,
        phase_mc_n=400,
        mixing_draws=100,
        fig9_alphas=(0.0, 0.1, 0.25, 0.5, 0.75, 1.0),
    ),
}


def settings_for(mode: str) -> Settings:
    """The :class:`Settings` of a mode name (``ValueError`` naming ``mode`` otherwise)."""
    try:
        return MODES[mode]
    except KeyError:
        raise ValueError(f"mode: expected one of {sorted(MODES)}, got {mode!r}") from None
