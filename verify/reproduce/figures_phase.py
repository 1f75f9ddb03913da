"""The phase diagram: where does a wider random-projections model amplify model collapse?

Isotropic Σ, random effects, ridgeless (docs/mathematics.md §2.4).  ``modelcollapse derive
rp-width-collapse`` gives ``∂ζ/∂ψ`` in closed form in the three regions of the ridgeless limit:

* ``ψ < min(1, φ)`` (m < n, m < d): ``∂ζ/∂ψ = c²p2(2p2ψ² − 4p2ψ + p2 + φ)/(φ(1 − ψ)²)``, positive
  (wider amplifies) except in the *mitigation window* ``1 − √((p2 − φ)/(2p2)) < ψ < φ``, which
  exists when ``1/2 < φ < 1`` and ``p2 > φ/(4φ − 2φ² − 1)``;
* ``ψ > 1, φ > 1`` (m > n, d > n): ``∂ζ/∂ψ = −c²p2(φ − p2)/(φ(ψ − 1)²) < 0`` (wider mitigates);
* ``φ < min(1, ψ)`` (d < m, d < n): ``∂ζ/∂ψ = 0`` — the model is least squares on all d features
  whatever m.

The colours are the signs computed numerically by :func:`modelcollapse.numerics.phase.
phase_diagram` (centred differences of Theorem 2 at λ = 1e-8, not the formulas above); the lines
are the closed-form boundaries, so the two routes are seen to agree.  Stars: Monte Carlo of the
change of ζ between two widths on the same draws (nested widths), at two sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from .._result import MonteCarloResult
from ._agreement import SizedRun, compare
from ._context import Context, FigureOutput
from ._rp import RP_NOISE, RP_RIDGE, rp_start
from ._style import new_figure, style_handles

__all__ = ["phase_figure", "window_lower", "window_threshold", "PHASE_P2", "PHASE_PHI",
           "PHASE_CELLS", "PHASE_PREFETCH"]

#: Panel (a): the (ψ, φ) plane at this synthetic fraction (the window is open for
#: 0.53 < φ < 0.94).
PHASE_P2 = 0.95
#: Panel (b): the (ψ, p2) plane at this φ (the window opens at p2 > 0.854).
PHASE_PHI = 0.7
#: Panel (b): ψ and p2 ranges (a zoom on the window), and its outline drawn in panel (a).
PANEL_B_PSI = (0.45, 0.8)
PANEL_B_P2 = (0.4, 1.0)
PANEL_B_BOX = ([0.45, 0.8], [0.7, 0.7])
#: ζ is linear in c² (random effects): the sign does not depend on c² > 0.
PHASE_C2 = 1.0
#: Dimension of the theory grid (isotropic: the theory depends on the ratios only).
PHASE_D = 200
#: Monte Carlo cells ``(φ, p2, ψ_from, ψ_to)``: the window, the same widths outside it, the
#: over-parametrised side, then two amplifying cells (``settings.phase_mc_points`` of them).
PHASE_CELLS = (
    (0.7, 0.95, 0.65, 0.69),
    (0.7, 0.5, 0.65, 0.69),
    (1.2, 0.95, 1.4, 1.8),
    (0.7, 0.95, 0.45, 0.55),
    (1.2, 0.5, 0.4, 0.6),
)
#: ``|∂ ln ζ/∂ ln ψ|`` below this is "the width does not matter": exactly 0 for d < min(m, n)
#: in the ridgeless limit; λ = 1e-8 leaves up to ~3e-3 just past m = d (∝ λ), elsewhere it is O(1).
NEUTRAL = 1e-2

_CLASSES = ("not resolved (kink or threshold)", "width does not matter: |∂ln ζ/∂ln ψ| < 0.01",
            "∂ζ/∂ψ < 0: wider mitigates", "∂ζ/∂ψ > 0: wider amplifies")
_COLORS = ("white", "0.85", "tab:blue", "tab:red")


def window_lower(phi, p2):
    """``1 − √((p2 − φ)/(2p2))``, the lower end of the mitigation window (NaN if p2 ≤ φ).

    Examples
    --------
    >>> from modelcollapse.verify.reproduce.figures_phase import window_lower
    >>> round(float(window_lower(0.7, 0.95)), 4)
    0.6373
    """
    phi, p2 = np.asarray(phi, dtype=float), np.asarray(p2, dtype=float)
    with np.errstate(invalid="ignore"):
        return 1.0 - np.sqrt((p2 - phi) / (2 * p2))


def window_threshold(phi):
    """``φ/(4φ − 2φ² − 1)``: the window ``(ψ₋, φ)`` is non-empty for p2 above it (1/2 < φ < 1).

    Examples
    --------
    >>> from modelcollapse.verify.reproduce.figures_phase import window_threshold
    >>> round(float(window_threshold(0.7)), 4)
    0.8537
    """
    phi = np.asarray(phi, dtype=float)
    return phi / (4 * phi - 2 * phi**2 - 1)


def _classes(ph) -> np.ndarray:
    cls = np.where(ph.sign > 0, 3, np.where(ph.sign < 0, 2, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        flat = np.abs(ph.derivative) * ph.psi[None, :] <= NEUTRAL * np.abs(ph.value)
    return np.where(ph.reliable & flat, 1, cls)


def _phase_rows(psi: np.ndarray, phis: np.ndarray) -> np.ndarray:
    from modelcollapse.numerics.phase import phase_diagram

    d = PHASE_D
    rows = []
    for phi in phis:
        ph = phase_diagram(np.ones(d), n=d / phi, psi=psi, p2=[PHASE_P2], c2=PHASE_C2,
                           ridge=RP_RIDGE, gamma=np.full(d, 1.0 / d),
                           delta_unit=np.full(d, 1.0 / d), noise_real=RP_NOISE,
                           noise_synth=RP_NOISE)
        rows.append(_classes(ph)[0])
    return np.array(rows)


def _p2_rows(psi: np.ndarray, p2s: np.ndarray) -> np.ndarray:
    from modelcollapse.numerics.phase import phase_diagram

    d = PHASE_D
    ph = phase_diagram(np.ones(d), n=d / PHASE_PHI, psi=psi, p2=p2s, c2=PHASE_C2,
                       ridge=RP_RIDGE, gamma=np.full(d, 1.0 / d),
                       delta_unit=np.full(d, 1.0 / d), noise_real=RP_NOISE,
                       noise_synth=RP_NOISE)
    return _classes(ph)


def phase_figure(ctx: Context) -> FigureOutput:
    """Sign of ∂ζ/∂ψ over (ψ, φ) at p2 = 0.95 and over (ψ, p2) at φ = 0.7, with the closed-form
    boundaries and a Monte Carlo check of the change of ζ at a few cells."""
    st = ctx.settings
    collect = _monte_carlo(ctx)  # the runs go on while the theory is computed
    psi_a = np.geomspace(0.1, 3.0, st.phase_psi)
    phis = np.linspace(0.3, 1.6, st.phase_rows)
    phis = phis[np.abs(phis - 1) > 1e-6]
    psi_b = np.linspace(PANEL_B_PSI[0], PANEL_B_PSI[1], st.phase_psi)
    p2s = np.linspace(PANEL_B_P2[0], PANEL_B_P2[1], st.phase_rows)
    cls_a = _phase_rows(psi_a, phis)
    cls_b = _p2_rows(psi_b, p2s)
    fig, axes = new_figure(2, width=5.0, height=4.6)
    cmap = ListedColormap(list(_COLORS))
    for ax, cls, cols, rows in ((axes[0], cls_a, psi_a, phis), (axes[1], cls_b, psi_b, p2s)):
        ax.pcolormesh(cols, rows, cls, cmap=cmap, vmin=-0.5, vmax=3.5, shading="nearest")
        ax.set_xlabel("ψ = m/n (width per training row)")
    # (a) closed-form boundaries in the (ψ, φ) plane
    ax = axes[0]
    ax.set_xscale("log")
    ax.set_xticks([0.1, 0.2, 0.5, 1, 2, 3], ["0.1", "0.2", "0.5", "1", "2", "3"])
    ax.plot([1, 1], [1, phis.max()], color="black", lw=2)
    ax.plot([1, psi_a.max()], [1, 1], color="black", lw=2)
    diag = np.linspace(phis.min(), 1.0, 50)
    ax.plot(diag, diag, color="black", ls="--", lw=1)
    lo_phi = np.linspace(0.5, 1.0, 400)
    psi_lo = window_lower(lo_phi, PHASE_P2)
    ok = psi_lo < lo_phi
    ax.plot(psi_lo[ok], lo_phi[ok], color="black", ls=":", lw=1.6)
    ax.plot(*PANEL_B_BOX, color="0.3", lw=0.8)
    ax.text(PANEL_B_BOX[0][1] * 1.02, PANEL_B_BOX[1][0], "(b) at φ = 0.7", fontsize=7,
            color="0.3", va="center")
    ax.set_ylabel("φ = d/n (dimension per training row)")
    ax.set_title(f"(a) sign of ∂ζ/∂ψ over (ψ, φ), p2 = {PHASE_P2:g}", fontsize=9)
    ax.text(1.05, 1.5, "m > n, d > n", fontsize=7)
    ax.text(0.11, 1.5, "m < n, m < d", fontsize=7)
    ax.text(1.05, 0.35, "d < m, d < n", fontsize=7)
    # (b) the window in the (ψ, p2) plane at φ = PHASE_PHI
    ax = axes[1]
    threshold = float(window_threshold(PHASE_PHI))
    ax.axvline(PHASE_PHI, color="black", ls="--", lw=1)
    p_lo = np.linspace(threshold, 1.0, 200)
    ax.plot(window_lower(PHASE_PHI, p_lo), p_lo, color="black", ls=":", lw=1.6)
    ax.axhline(threshold, color="black", ls=":", lw=0.8)
    ax.set_xlim(*PANEL_B_PSI)
    ax.set_ylim(*PANEL_B_P2)
    ax.set_ylabel("p2 (synthetic fraction)")
    ax.set_title(f"(b) the mitigation window over (ψ, p2), φ = {PHASE_PHI:g}", fontsize=9)
    ax.text(PANEL_B_PSI[0] + 0.01, threshold + 0.01,
            f"p2 = φ/(4φ−2φ²−1) = {threshold:.3f}", fontsize=7)
    points, notes, star_kinds = collect(axes)
    present = sorted(set(np.unique(cls_a).tolist()) | set(np.unique(cls_b).tolist()))
    handles = [Patch(facecolor=_COLORS[k], edgecolor="0.5", label=_CLASSES[k])
               for k in present]
    handles += style_handles([
        ("solid: interpolation threshold min(m, d) = n", dict(lw=2, color="black")),
        ("dashed: ψ = φ (m = d)", dict(ls="--", lw=1, color="black")),
        ("dotted: window edge ψ = 1 − √((p2−φ)/(2p2))", dict(ls=":", lw=1.6,
                                                              color="black")),
    ])
    star_labels = {"white": "Monte Carlo: sign of Δζ confirmed",
                   "0.6": "Monte Carlo: sign not resolved (|Δζ| < 3 se)",
                   "black": "Monte Carlo: opposite sign"}
    handles += style_handles([(star_labels[k], dict(ls="", marker="*", ms=12, mec="black",
                                                    mfc=k)) for k in star_kinds])
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=7.5,
               frameon=False)
    caption = (
        "Phase diagram (not in the paper): where a wider random-projections model amplifies "
        "model collapse. Isotropic Σ, random effects, σ1 = σ2 = 0.1, λ = 1e-8; ζ is linear in "
        "c² (random effects), so the sign does not depend on c² > 0. Colours: the sign of "
        "∂ζ/∂ψ from Theorem 2, computed numerically (modelcollapse.numerics.phase: centred "
        "differences in log ψ with h = 1e-3, checked against h/2; white where unresolved, "
        "within 2h of ψ = 1); grey where the width does not matter, |∂ ln ζ/∂ ln ψ| < 0.01 "
        "(exactly 0 in the ridgeless limit when d < m and d < n: least squares on all d "
        "features; λ = 1e-8 leaves at most 3e-3 just past m = d). Lines: the closed-form "
        "boundaries of the ridgeless limit (`modelcollapse derive rp-width-collapse`): for "
        "m < min(n, d), "
        "∂ζ/∂ψ ∝ 2p2ψ² − 4p2ψ + p2 + φ, positive except in the narrow mitigation window "
        "1 − √((p2−φ)/(2p2)) < ψ < φ, which exists when 1/2 < φ < 1 and "
        "p2 > φ/(4φ − 2φ² − 1) (≥ 0.854 for every φ); for m > n and d > n, "
        "∂ζ/∂ψ = −c²p2(φ − p2)/(φ(ψ − 1)²) < 0. (a) The (ψ, φ) plane at p2 = "
        f"{PHASE_P2:g}, where the window is open for 0.53 < φ < 0.94; Figure 1's setting is "
        "φ = 1.2 (and Figures 2, 4, 5, with a harmonic spectrum, show the same signs: "
        "amplify below m = n, mitigate above); near φ = 1 and along ψ = φ the finite "
        "λ = 1e-8 and the difference step blur the closed-form boundaries by a few cells. "
        f"(b) A zoom on the window in the (ψ, p2) plane at φ = {PHASE_PHI:g} (the segment "
        "drawn in (a)): below p2 = "
        f"{float(window_threshold(PHASE_PHI)):.3f} a wider model amplifies collapse all the "
        "way to m = d. Stars: Monte Carlo of the change of ζ "
        "between the two widths of a cell on the same draws (nested widths), simulated at two "
        f"sizes (n = {st.phase_mc_n} and {st.phase_mc_n // 2}, d = φn; "
        f"{st.rp_draws} and {st.rp_draws * st.half_draws} draws) and compared with the "
        "theory's change by the extrapolated rule."
    )
    return FigureOutput("phase", "Not in the paper — phase diagram: does width amplify "
                        "collapse?", fig, caption, points, notes)


def _monte_carlo(ctx: Context) -> Callable[[Any], tuple[list, list, list]]:
    """Start the runs of the cells; the function ``collect(axes)`` that compares and draws."""
    st = ctx.settings
    cells = PHASE_CELLS[: st.phase_mc_points]
    started = [rp_start(ctx, f"phase phi={phi} p2={p2} psi={a}->{b}", kind="isotropic", p2=p2,
                        c2=PHASE_C2, psi=(a, b), phi=phi, n_large=st.phase_mc_n,
                        quantities=("zeta",)) for phi, p2, a, b in cells]  # they overlap

    def collect(axes) -> tuple[list, list, list]:
        points, notes, kinds = [], [], []
        for (phi, p2, a, b), start in zip(cells, started, strict=True):
            _, runs = start()
            diffs = []
            for r in runs:
                z = r.mc.draws["zeta"]
                mc = MonteCarloResult.from_draws({"zeta_change": z[:, 1:2] - z[:, 0:1]}, r.mc.seed)
                th = np.atleast_1d(r.theory["zeta"])
                diffs.append(SizedRun(r.d, {"zeta_change": [th[1] - th[0]]}, mc))
            (row,) = compare(figure="phase", series=f"φ={phi:g}, p2={p2:g}, ψ {a:g}→{b:g}",
                             x_name="psi", x=[np.sqrt(a * b)], runs=diffs,
                             quantities=("zeta_change",))
            points.append(row)
            resolved = abs(row.mc) > 3 * row.se
            same = np.sign(row.mc) == np.sign(row.theory)
            face = "white" if resolved and same else ("0.6" if not resolved else "black")
            if face not in kinds:
                kinds.append(face)
            psi_mid = np.sqrt(a * b)
            if p2 == PHASE_P2:
                axes[0].plot([psi_mid], [phi], marker="*", ms=13, mec="black", mfc=face, zorder=5)
            if phi == PHASE_PHI:
                axes[1].plot([psi_mid], [p2], marker="*", ms=13, mec="black", mfc=face, zorder=5)
            notes.append(
                f"Monte Carlo φ = {phi:g}, p2 = {p2:g}, ψ {a:g} → {b:g}: Δζ theory "
                f"{row.theory:.4g}, Monte Carlo {row.mc:.4g} ± {row.se:.2g} (d = {row.d}); "
                f"extrapolated difference {row.intercept:+.2g} ± {row.intercept_se:.2g} "
                f"(z = {row.z:+.2f}) — "
                + ("sign confirmed" if resolved and same else
                   "sign not resolved" if not resolved else "OPPOSITE SIGN"))
        return points, notes, kinds

    return collect


#: Figure → the function that starts its Monte Carlo runs (the figure finds them under way).
PHASE_PREFETCH = {"phase": _monte_carlo}


def planned_phase_runs(settings) -> int:
    """Monte Carlo runs of the phase diagram (two sizes per cell)."""
    return 2 * min(settings.phase_mc_points, len(PHASE_CELLS))
