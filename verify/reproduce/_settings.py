"""Sizes of a ``modelcollapse reproduce`` run: ``tiny`` (tests), ``quick`` (CI) and ``full``.

Theory curves are always drawn at the paper's sizes (docs/mathematics.md §4).  The Monte Carlo of
the
random-projections figures runs at ``d = rp_mc_d`` with ``n``, ``n1``, ``n2`` and the widths
scaled by the same ratio ``rp_mc_d / 600`` (the proportionate limit keeps ``φ = d/n``,
``ψ = m/n`` and ``p2`` fixed); the table compares each Monte Carlo point with the theory *at the
simulated size*.
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
        Independent draws (of X, S and the teachers) per random-projections Monte Carlo point.
    rp_mc_psi : tuple of float
        Widths of the Monte Carlo points as ``ψ = m/n`` (kept away from the threshold ψ = 1).
    fig1_mc_psi : tuple of float
        The same for Figure 1 (Pareto).
    ridge_d : int
        Dimension of the Figure 3 ridge model (theory and Monte Carlo).
    ridge_mc_n : tuple of int
        Sample sizes with a Figure 3 Monte Carlo point.
    ridge_draws : int
        Draws per Figure 3 Monte Carlo point.
    phase_psi, phase_rows : int
        Resolution of the phase diagram (ψ axis, p2 or c² axis).
    phase_mc_points : int
        Phase-diagram cells checked by Monte Carlo.
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

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)


MODES: dict[str, Settings] = {
    "tiny": Settings(
        mode="tiny",
        theory_points=60,
        rp_mc_d=120,
        rp_draws=6,
        rp_mc_psi=(0.4, 1.8),
        fig1_mc_psi=(0.4,),
        ridge_d=100,
        ridge_mc_n=(200, 1000),
        ridge_draws=10,
        phase_psi=40,
        phase_rows=12,
        phase_mc_points=1,
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
        phase_mc_points=6,
    ),
}


def settings_for(mode: str) -> Settings:
    """The :class:`Settings` of a mode name (``ValueError`` naming ``mode`` otherwise)."""
    try:
        return MODES[mode]
    except KeyError:
        raise ValueError(f"mode: expected one of {sorted(MODES)}, got {mode!r}") from None
