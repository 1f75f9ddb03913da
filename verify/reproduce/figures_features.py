"""Nonlinear random features: the ReLU version of Figure 4 (docs/mathematics.md §2.8, §4).

Same contract as :mod:`modelcollapse.verify.reproduce.figures`: each function takes a
:class:`~modelcollapse.verify.reproduce.Context` and returns a
:class:`~modelcollapse.verify.reproduce.FigureOutput`.  Theory: the Gaussian equivalence
(:func:`modelcollapse.numerics.random_features.rf_risk`); Monte Carlo: the true activation
(:func:`modelcollapse.verify.montecarlo_rf.simulate_rf`) at ``rp_mc_d`` and ``rp_mc_d/2`` with the
Figure 4 ratios, compared by the finite-size rule.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from modelcollapse.numerics.random_features import rf_risk

from ..agreement import log_over_size
from ..montecarlo_rf import simulate_rf
from ._agreement import SizedRun, compare
from ._context import Context, FigureOutput
from ._rp import width_branches
from ._style import mc_errorbar, plot_branches, style_handles

__all__ = ["relu_figure4", "FEATURE_FIGURES", "planned_feature_runs"]

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


def _runs(ctx: Context, label: str, p2: float, psi, kind: str) -> tuple[list, np.ndarray]:
    runs = []
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

        mc = ctx.simulate(f"{label} {kind} d={d}", params, run,
                          expect={q: (draws, m.size) for q in QUANTITIES})
        th = _theory(d, n, m, p2_eff, kind)
        runs.append(SizedRun(d, {q: getattr(th, q) for q in QUANTITIES}, mc))
        if k == 0:
            m_plot = m * D / d
    return runs, m_plot


def _new(ncols: int) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(5.6 * ncols, 4.6), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, np.atleast_1d(fig.subplots(1, ncols))


def _gap_note(kind: str, p2: float, r) -> str:
    return (f"Σ ∝ 1/j, p2 = {p2:g}, {r.quantity}, m = {r.x:g} (ψ = {r.x / N:.2f}): Monte Carlo "
            f"{r.mc_at[0]:.4g} ± {r.se_at[0]:.2g} at d = {r.sizes[0]} against the theory "
            f"{r.theory_at[0]:.4g} ({r.mc_at[0] / r.theory_at[0] - 1:+.1%}); extrapolated "
            f"difference {r.intercept:.3g} ± {r.intercept_se:.2g} (z = {r.z:.1f})")


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
    for ax, kind in zip(axes, SPECTRA, strict=True):
        for p2, color in zip(P2, colors, strict=True):
            plot_branches(ax, branches, [_theory(D, N, b, p2, kind).test_error
                                         for b in branches], color=color, label=f"p2 = {p2:g}")
            p2_mc = round(p2 * n_mc) / n_mc  # the theory at the Monte Carlo size, dashed
            plot_branches(ax, branches, [_theory(d_mc, n_mc, b * n_mc / N, p2_mc, kind).test_error
                                         for b in branches], color=color, ls="--", lw=1)
            runs, m_plot = _runs(ctx, f"relu-fig4 p2={p2}", p2, ctx.settings.rp_mc_psi, kind)
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


#: Figure name → function (registration: see the module docstring of the job).
FEATURE_FIGURES = {"relu_fig4": relu_figure4}


def planned_feature_runs(settings, figures) -> int:
    """Monte Carlo runs of the chosen feature figures (two sizes per p2 and spectrum)."""
    return 2 * len(P2) * len(SPECTRA) if "relu_fig4" in figures else 0
