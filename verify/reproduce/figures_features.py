"""Nonlinear random features: the ReLU version of Figure 4 and a phase diagram of where width
amplifies collapse (docs/mathematics.md §2.8, §4).

Same contract as :mod:`modelcollapse.verify.reproduce.figures`: each function takes a
:class:`~modelcollapse.verify.reproduce.Context` and returns a
:class:`~modelcollapse.verify.reproduce.FigureOutput`.  Theory: the Gaussian equivalence
(:func:`modelcollapse.numerics.random_features.rf_risk`); Monte Carlo: the true activation
(:func:`modelcollapse.verify.montecarlo_rf.simulate_rf`) at ``rp_mc_d`` and ``rp_mc_d/2`` with the
Figure 4 ratios, compared by the finite-size rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from modelcollapse.numerics.random_features import rf_risk

from .._result import MonteCarloResult
from ..agreement import log_over_size
from ..montecarlo_rf import simulate_rf
from ._agreement import SizedRun, compare
from ._context import Context, FigureOutput
from ._rp import width_branches
from ._style import mc_errorbar, plot_branches, style_handles

__all__ = ["relu_figure4", "relu_phase_figure", "phase_classes", "FEATURE_FIGURES",
           "FEATURE_PREFETCH", "planned_feature_runs"]

D, N, RIDGE, NOISE, C2 = 600, 500, 1e-8, 0.1, 0.1
P2 = (0.0, 0.2, 0.6)
QUANTITIES = ("test_error", "bias", "variance", "zeta")
#: The two spectra: Σ = I/d, where the Gaussian equivalence is validated (the agreement table),
#: and the paper's Σ ∝ 1/j, where it is known to be off (measured gaps in the notes).
SPECTRA = ("isotropic", "harmonic")


def _setup(d: int, kind: str):
    """Σ (tr Σ = 1), Γ = I/600 and Δ = (c²/d) Σ^{-1}.

    The paper's w1 ~ N(0, I/d) at d = 600, kept at every simulated size: tr ΣΓ = 1/600 and
    tr ΣΔ = c² do not change with d, so the sizes simulate one problem (with Γ = I/d the signal
    would shrink as 1/d and the differences from the theory would not scale as the finite-size
    form assumes).
    """
    s = np.full(d, 1.0 / d) if kind == "isotropic" else 1.0 / np.arange(1, d + 1)
    s = s / s.sum()
    return s, np.full(d, 1.0 / D), C2 / (d * s)


def _theory(d: int, n: int, m, p2: float, kind: str):
    s, gam, dl = _setup(d, kind)
    return rf_risk(s, n=float(n), m=np.asarray(m, float), p2=p2, ridge=RIDGE, noise_real=NOISE,
                   noise_synth=NOISE, gamma=gam, delta=dl, activation="relu", on_failure="nan")


def _runs(ctx: Context, label: str, p2: float, psi, kind: str
          ) -> Callable[[], tuple[list, np.ndarray]]:
    """Start the runs at two sizes; the function that collects them with their theory."""
    started = []
    for k, d in enumerate((ctx.settings.rp_mc_d, ctx.settings.rp_mc_d // 2)):
        n = int(round(N * d / D))
        m = np.unique(np.round(np.asarray(psi) * n).astype(int))
        p2_eff = round(p2 * n) / n
        draws = ctx.settings.rp_draws * (1 if k == 0 else ctx.settings.half_draws)
        s, gam, dl = _setup(d, kind)
        params = dict(model="rf", activation="relu", spectrum=kind, d=d, n=n, m=m, p2=p2_eff,
                      c2=C2, ridge=RIDGE, noise=NOISE, draws=draws)

        def run(seed, s=s, n=n, m=m, p2_eff=p2_eff, gam=gam, dl=dl, draws=draws):
            return simulate_rf(s, n=n, m=m, p2=p2_eff, ridge=RIDGE, noise_real=NOISE,
                               noise_synth=NOISE, gamma=gam, delta=dl, activation="relu",
                               draws=draws, seed=seed)

        started.append((d, n, m, p2_eff, ctx.submit(
            f"{label} {kind} d={d}", params, run,
            expect={q: (draws, m.size) for q in QUANTITIES})))

    def collect() -> tuple[list, np.ndarray]:
        runs = []
        for d, n, m, p2_eff, future in started:
            th = _theory(d, n, m, p2_eff, kind)
            runs.append(SizedRun(d, {q: getattr(th, q) for q in QUANTITIES}, future.result()))
        d, _, m = started[0][:3]
        return runs, m * D / d

    return collect


def _new(ncols: int) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(5.6 * ncols, 4.6), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, np.atleast_1d(fig.subplots(1, ncols))


def _gap_note(kind: str, p2: float, r) -> str:
    return (f"Σ ∝ 1/j, p2 = {p2:g}, {r.quantity}, m = {r.x:g} (ψ = {r.x / N:.2f}): Monte Carlo "
            f"{r.mc_at[0]:.4g} ± {r.se_at[0]:.2g} at d = {r.sizes[0]} against the theory "
            f"{r.theory_at[0]:.4g} ({r.mc_at[0] / r.theory_at[0] - 1:+.1%}); extrapolated "
            f"difference {r.intercept:.3g} ± {r.intercept_se:.2g} (z = {r.z:.1f})")


def _fig4_runs(ctx: Context) -> dict:
    """Start every (spectrum, p2) series' runs (they overlap on a cluster); their collectors."""
    return {(kind, p2): _runs(ctx, f"relu-fig4 p2={p2}", p2, ctx.settings.rp_mc_psi, kind)
            for kind in SPECTRA for p2 in P2}


def relu_figure4(ctx: Context) -> FigureOutput:
    """Test error against width for ReLU features, p2 ∈ {0, 0.2, 0.6} (the Figure 4 setting).

    Panel (a), Σ = I/d: the Gaussian equivalence is validated there and the Monte Carlo points
    enter the agreement table. Panel (b), the paper's Σ ∝ 1/j: the equivalence is known to be
    off on anisotropic spectra (docs/mathematics.md §2.8); the points are drawn and their
    extrapolated gaps listed in the notes, not counted as agreement.
    """
    branches = width_branches(N, ctx.settings.theory_points)
    fig, axes = _new(2)
    points, notes = [], []
    colors = ["tab:blue", "tab:orange", "tab:red"]
    d_mc = ctx.settings.rp_mc_d
    n_mc = int(round(N * d_mc / D))
    started = _fig4_runs(ctx)
    for ax, kind in zip(axes, SPECTRA, strict=True):
        for p2, color in zip(P2, colors, strict=True):
            plot_branches(ax, branches, [_theory(D, N, b, p2, kind).test_error
                                         for b in branches], color=color, label=f"p2 = {p2:g}")
            p2_mc = round(p2 * n_mc) / n_mc  # the theory at the Monte Carlo size, dashed
            plot_branches(ax, branches, [_theory(d_mc, n_mc, b * n_mc / N, p2_mc, kind).test_error
                                         for b in branches], color=color, ls="--", lw=1)
            runs, m_plot = started[kind, p2]()
            rows = compare(figure="relu_fig4", series=f"{kind} p2={p2:g}", x_name="m", x=m_plot,
                           runs=runs, quantities=QUANTITIES, shape=log_over_size)
            if kind == "isotropic":
                points += rows
            else:
                notes += [_gap_note(kind, p2, r) for r in rows
                          if r.quantity in ("test_error", "bias")]
            mc = runs[0].mc
            mc_errorbar(ax, m_plot, mc.mean["test_error"], mc.stderr["test_error"], color,
                        fmt="o" if kind == "isotropic" else "s")
        ax.axvline(N, color="grey", ls="-.", lw=1)
        ax.set_yscale("log")
        ax.set_xlabel("width m (ReLU random features)")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("test error $E_{test}$")
    axes[0].set_title("(a) Σ = I/d: Monte Carlo in the agreement table", fontsize=10)
    axes[1].set_title("(b) Σ ∝ 1/j (the paper's): known gap, in the notes", fontsize=10)
    handles, _ = axes[0].get_legend_handles_labels()
    handles += style_handles([
        (f"solid: theory (Gaussian equivalence), d = {D}", dict(ls="-")),
        (f"dashed: theory at the Monte Carlo size d = {d_mc}", dict(ls="--", lw=1)),
        ("dash-dot: threshold m = n", dict(ls="-.", color="grey")),
        ("circles: Monte Carlo, ReLU (± 3 se)", dict(ls="", marker="o", mfc="white")),
        ("squares: the same, gap not in the table", dict(ls="", marker="s", mfc="white")),
    ])
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    caption = (
        "Figure 4 with ReLU random features f(x) = vᵀ relu(Sx) (φ(x) = c·relu(Sx/c), S iid "
        "N(0, 1/d), c² = tr Σ/d): d = 600, n = 500, tr Σ = 1, w1 ~ N(0, I/600) at every size "
        "(the paper's I/d at d = 600), Δ = (c²/d)Σ^{-1}, "
        "c² = 0.1, σ1 = σ2 = 0.1, λ = 1e-8; (a) Σ = I/d, (b) Σ eigenvalues ∝ 1/j. Curves: the "
        "Gaussian-equivalence theory (Theorem 2 with DF(θ) = df1(θ) + (μ*/μ1)² tr Σ/θ and λ/μ1²), "
        "the branches m < n and m > n drawn separately; solid at d = 600, dashed at the Monte "
        "Carlo size (the normalised 1/j spectrum and the ReLU noise term μ*² tr Σ/d change with "
        "d, so in (b) the theory at the Monte Carlo size lies well above the one at d = 600). "
        f"Markers: Monte Carlo with the true activation (mean ± 3 se) at d = {d_mc}, and at d/2 "
        "for the extrapolation by a + b·ln(d)/d (the finite-size form measured for ReLU "
        "features), plotted at the paper width. On the isotropic spectrum (a) theory and "
        "simulation agree on both sides of the threshold. On the 1/j spectrum (b) the "
        "quadratic part of ReLU is not isotropic noise: the simulated error exceeds the theory "
        "by ~10 % above the threshold, and the bias is a few per cent low below it (z ≈ −3 with "
        "enough draws); the notes list each point with its z. Width still amplifies the cost of "
        "synthetic data below the threshold and mitigates it above, with either spectrum."
    )
    return FigureOutput("relu_fig4", "ReLU random features — error vs width", fig, caption,
                        points, notes)


#: The phase diagrams: ψ and φ = d/n grids, the synthetic fraction (ζ is linear in c² and the
#: sign map barely moves with p2), the difference step in log ψ and the "width does not matter"
#: level of |∂ ln ζ/∂ ln ψ| (as in the random-projections phase diagram).
PHASE_PSI = (0.1, 3.0)
PHASE_PHI = (0.3, 1.6)
PHASE_P2 = 0.5
PHASE_STEP = 1e-3
PHASE_NEUTRAL = 1e-2
#: Monte Carlo cells (φ, ψ_from, ψ_to) for the ReLU panel: below and above m = n with d < n,
#: where the ReLU and the linear model differ above the threshold.
PHASE_RELU_CELLS = ((0.6, 0.4, 0.7), (0.6, 1.5, 2.5))
_PHASE_COLORS = ("white", "lightgrey", "tab:blue", "tab:red")
_PHASE_CLASSES = ("not resolved (threshold or kink)",
                  "width does not matter: |∂ln ζ/∂ln ψ| < 0.01",
                  "∂ζ/∂ψ < 0: wider mitigates", "∂ζ/∂ψ > 0: wider amplifies")


def _phase_zeta(activation: str, psi: np.ndarray, phi: np.ndarray, d: int = 400) -> np.ndarray:
    """ζ over (φ, ψ), isotropic Σ = I/d, Γ = I, Δ = c² I (c² = 1), λ = RIDGE."""
    s = np.full(d, 1.0 / d)
    n = d / phi[:, None]
    return rf_risk(s, n=n, m=psi[None, :] * n, p2=PHASE_P2, ridge=RIDGE, noise_real=NOISE,
                   noise_synth=NOISE, gamma=np.ones(d), delta=np.ones(d), activation=activation,
                   on_failure="nan").zeta


def phase_classes(activation: str, psi: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Class of each (φ, ψ) cell: 0 unresolved, 1 neutral, 2 mitigates, 3 amplifies.

    ``∂ ln ζ/∂ ln ψ`` by centred differences with steps h and h/2 (h = :data:`PHASE_STEP`); a
    cell is resolved when both are finite, agree in sign and differ by less than 10 % (the
    Richardson check), and it is not within 2h of ψ = 1.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify.reproduce.figures_features import phase_classes
    >>> phase_classes("relu", np.array([0.5, 2.0]), np.array([0.6])).tolist()
    [[3, 2]]
    """
    slopes = []
    for h in (PHASE_STEP, PHASE_STEP / 2):
        up = _phase_zeta(activation, psi * np.exp(h), phi)
        lo = _phase_zeta(activation, psi * np.exp(-h), phi)
        with np.errstate(divide="ignore", invalid="ignore"):
            slopes.append((np.log(up) - np.log(lo)) / (2 * h))
    s1, s2 = slopes
    ok = (np.isfinite(s1) & np.isfinite(s2)
          & (np.abs(s1 - s2) <= 0.1 * np.maximum(np.abs(s1), PHASE_NEUTRAL))
          & (np.abs(np.log(psi))[None, :] > 2 * PHASE_STEP))
    cls = np.where(np.abs(s1) < PHASE_NEUTRAL, 1, np.where(s1 < 0, 2, 3))
    return np.where(ok, cls, 0)


def _phase_monte_carlo(ctx: Context) -> Callable[[Any], tuple[list, list]]:
    """Start the runs; the function ``collect(ax)`` that compares Δζ between the two widths of
    each ReLU cell on the same draws, at two sizes, and draws the stars."""
    st = ctx.settings
    started = {}  # every run starts first: they overlap on a cluster
    for phi, a, b in PHASE_RELU_CELLS:
        for k, n in enumerate((st.phase_mc_n, st.phase_mc_n // 2)):
            d = int(round(phi * n))
            m = np.round(np.array([a, b]) * n).astype(int)
            draws = st.rp_draws * (1 if k == 0 else st.half_draws)
            s, ones = np.full(d, 1.0 / d), np.ones(d)
            params = dict(model="rf-phase", activation="relu", d=d, n=n, m=m, p2=PHASE_P2,
                          ridge=RIDGE, noise=NOISE, draws=draws)

            def run(seed, s=s, ones=ones, n=n, m=m, draws=draws):
                return simulate_rf(s, n=n, m=m, p2=PHASE_P2, ridge=RIDGE, noise_real=NOISE,
                                   noise_synth=NOISE, gamma=ones, delta=ones, activation="relu",
                                   draws=draws, seed=seed)

            started.setdefault((phi, a, b), []).append((n, d, m, s, ones, ctx.submit(
                f"relu-phase phi={phi} psi={a}->{b} n={n}", params, run,
                expect={"zeta": (draws, 2)})))

    def collect(ax) -> tuple[list, list]:
        points, notes = [], []
        for phi, a, b in PHASE_RELU_CELLS:
            runs = []
            for n, d, m, s, ones, future in started[phi, a, b]:
                mc = future.result()
                th = rf_risk(s, n=float(n), m=m.astype(float), p2=PHASE_P2, ridge=RIDGE,
                             noise_real=NOISE, noise_synth=NOISE, gamma=ones, delta=ones,
                             activation="relu").zeta
                z = mc.draws["zeta"]
                change = MonteCarloResult.from_draws({"zeta_change": z[:, 1:2] - z[:, 0:1]},
                                                     mc.seed)
                runs.append(SizedRun(d, {"zeta_change": [th[1] - th[0]]}, change))
            (row,) = compare(figure="relu_phase", series=f"φ={phi:g}, ψ {a:g}→{b:g}",
                             x_name="psi", x=[float(np.sqrt(a * b))], runs=runs,
                             quantities=("zeta_change",), shape=log_over_size)
            points.append(row)
            confirmed = abs(row.mc) > 3 * row.se and np.sign(row.mc) == np.sign(row.theory)
            ax.plot([np.sqrt(a * b)], [phi], marker="*", ms=14, mec="black",
                    mfc="white" if confirmed else "0.5", zorder=5)
            notes.append(f"ReLU, φ = {phi:g}, ψ {a:g} → {b:g}: Δζ theory {row.theory:.4g}, "
                         f"Monte Carlo {row.mc:.4g} ± {row.se:.2g} (d = {row.d}); extrapolated "
                         f"difference {row.intercept:+.2g} ± {row.intercept_se:.2g} "
                         f"(z = {row.z:+.2f}); sign "
                         + ("confirmed" if confirmed else "not resolved"))
        return points, notes

    return collect


def relu_phase_figure(ctx: Context) -> FigureOutput:
    """Where a wider model amplifies collapse: ReLU random features against linear projections.

    The sign of ``∂ζ/∂ψ`` over (ψ, φ = d/n) for ReLU features and, on the same grid and code path
    (``activation="linear"`` is Theorem 2), for random projections.
    """
    collect = _phase_monte_carlo(ctx)  # the runs go on while the theory is computed
    k = max(ctx.settings.theory_points // 2, 30)
    psi = np.geomspace(*PHASE_PSI, 2 * k)
    phi = np.linspace(*PHASE_PHI, k)
    fig, axes = _new(2)
    cmap = ListedColormap(list(_PHASE_COLORS))
    for ax, act, title in ((axes[0], "relu", "(a) ReLU random features"),
                           (axes[1], "linear", "(b) random projections (σ(z) = z)")):
        ax.pcolormesh(psi, phi, phase_classes(act, psi, phi), cmap=cmap, vmin=-0.5, vmax=3.5,
                      shading="nearest")
        ax.axvline(1.0, color="black", lw=1.2)
        ax.set_xscale("log")
        ax.set_ylim(*PHASE_PHI)
        ax.set_xlabel("ψ = m/n (width per training row)")
        ax.set_title(title, fontsize=10)
    on_diag = (psi <= 1) & (psi >= PHASE_PHI[0])
    axes[1].plot(psi[on_diag], psi[on_diag], color="black", ls="--", lw=1)
    axes[0].set_ylabel("φ = d/n (dimension per training row)")
    points, notes = collect(axes[0])
    handles = [Patch(facecolor=c, edgecolor="0.5", label=lab)
               for c, lab in zip(_PHASE_COLORS, _PHASE_CLASSES, strict=True)]
    handles += style_handles([
        ("solid: m = n", dict(ls="-", color="black")),
        ("dashed (b): m = d", dict(ls="--", color="black")),
        ("star: Monte Carlo, sign of Δζ confirmed", dict(ls="", marker="*", ms=12,
                                                           mfc="white", color="black")),
    ])
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    caption = (
        "Not in the paper. Sign of ∂ζ/∂ψ (ζ the model-collapse term) over the width ψ = m/n and "
        f"the dimension φ = d/n, isotropic Σ, Γ = I, Δ = c²I, p2 = {PHASE_P2:g}, λ = 1e-8, by "
        f"centred differences in log ψ (h = {PHASE_STEP:g}, checked against h/2). (a) ReLU "
        "features (Gaussian-equivalence theory): the map does not depend on φ — a wider model "
        "amplifies collapse below m = n and mitigates it above, also when d < n, because the "
        "nonlinear features have rank m whatever d is (the μ*² term). (b) Linear random "
        "projections on the same code path: for d < n the threshold is min(m, d) = n, so it "
        "is absent, and past m = d the width no longer matters (grey); above the "
        "threshold for d > n it mitigates as in (a). Stars: Monte Carlo of the change of ζ "
        "between the two widths of a cell on the same draws (nested widths), ReLU, simulated "
        f"at n = {ctx.settings.phase_mc_n} and {ctx.settings.phase_mc_n // 2} (d = φn) and "
        "compared with the theory's change by the extrapolated rule (a + b·ln(d)/d)."
    )
    return FigureOutput("relu_phase", "Not in the paper — does width amplify collapse with ReLU "
                        "features?", fig, caption, points, notes)


#: Figure name → function (registration: see the module docstring of the job).
FEATURE_FIGURES = {"relu_fig4": relu_figure4, "relu_phase": relu_phase_figure}

#: Figure → the function that starts its Monte Carlo runs (the figure finds them under way).
FEATURE_PREFETCH = {"relu_fig4": _fig4_runs, "relu_phase": _phase_monte_carlo}


def planned_feature_runs(settings, figures) -> int:
    """Monte Carlo runs of the chosen feature figures (two sizes per p2 and spectrum, two per
    phase cell)."""
    return ((2 * len(P2) * len(SPECTRA) if "relu_fig4" in figures else 0)
            + (2 * len(PHASE_RELU_CELLS) if "relu_phase" in figures else 0))
