"""One function per figure of the paper (docs/mathematics.md §4) plus the phase diagram.

Each function takes a :class:`~modelcollapse.verify.reproduce.Context` and returns a
:class:`~modelcollapse.verify.reproduce.FigureOutput`: a matplotlib figure (Agg canvas, never a
display), the agreement rows of its Monte Carlo points and the caption text of the report.
Theory curves come from :func:`modelcollapse.numerics.ridge_risk` and
:func:`modelcollapse.numerics.random_projection.rp_risk`; Monte Carlo from
:func:`modelcollapse.verify.simulate_ridge` and :func:`modelcollapse.verify.simulate_rp`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from modelcollapse.numerics import ridge_risk

from ..montecarlo import simulate_ridge
from ._agreement import compare
from ._context import Context, FigureOutput

__all__ = [
    "figure1",
    "figure2",
    "figure3",
    "figure4",
    "figure5",
    "phase_figure",
    "FIGURES",
    "FIG3_C2",
    "FIG3_P2",
    "RIDGE_RTOL",
]

#: Figure 3 grids (docs/mathematics.md §4).
FIG3_C2 = (1.0, 0.1, 0.01)
FIG3_P2 = (0.001, 0.01, 0.1, 0.5, 1.0)
FIG3_NOISE = 1.0

#: Relative allowance of the ridge Monte Carlo (Figure 3).  Isotropic, ridgeless, n > d: the
#: exact finite-size variance is σ² d/(n − d − 1) against the limit σ² d/(n − d), a relative
#: bias 1/(n − d − 1) ≤ 1 % for n ≥ 200 at d = 100; 2 % covers it with margin.
RIDGE_RTOL = 0.02

QUANTITIES = ("test_error", "bias", "variance", "zeta")


def _new_figure(ncols: int, width: float = 4.4, height: float = 3.8) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(1, ncols))
    return fig, axes


def _colors(k: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(0.9 * i / max(k - 1, 1)) for i in range(k)]


def _is_whole(x: float) -> bool:
    return abs(x - round(x)) < 1e-9


# --------------------------------------------------------------------------------------------
# Figure 3: classical ridge, strong model collapse in the scaling law
# --------------------------------------------------------------------------------------------


def figure3(ctx: Context) -> FigureOutput:
    """Figure 3: test error of ridge against ``n`` (log–log) for several ``p2`` and ``c²``.

    Classical linear model (docs/mathematics.md §1), isotropic ``Σ = I_d`` with ``d =
    settings.ridge_d``,
    ridgeless (λ → 0⁺), random effects ``Γ = I/d`` (``r² = 1``), ``Δ = (c²/d) I``, σ1 = σ2 = 1.
    The ``p2 = 0`` curve is the clean scaling law ``σ² φ/(1 − φ) ≈ σ² d/n``; every ``p2 > 0``
    curve flattens at the strong-model-collapse plateau ``p2² c²`` (dotted).
    """
    s = ctx.settings
    d = s.ridge_d
    spectrum = np.ones(d)
    gamma = np.full(d, 1.0 / d)
    n_grid = np.geomspace(200.0, 1e5, s.theory_points)
    p2_all = (0.0, *FIG3_P2)
    fig, axes = _new_figure(len(FIG3_C2))
    colors = dict(zip(FIG3_P2, _colors(len(FIG3_P2)), strict=True))
    points = []
    for ax, c2 in zip(axes, FIG3_C2, strict=True):
        delta = np.full(d, c2 / d)
        common = dict(ridge=0.0, noise_real=FIG3_NOISE, noise_synth=FIG3_NOISE,
                      gamma=gamma, delta=delta)
        for p2 in p2_all:
            th = ridge_risk(spectrum, n=n_grid, p2=p2, **common)
            style = dict(color="black", ls="--", lw=1.5) if p2 == 0 else dict(color=colors[p2])
            label = "p2 = 0 (clean scaling law)" if p2 == 0 else f"p2 = {p2:g}"
            ax.loglog(n_grid, th.test_error, label=label, **style)
            if p2 > 0 and p2**2 * c2 > 2e-4:
                ax.axhline(p2**2 * c2, color=colors[p2], ls=":", lw=0.8)
            mc_n = [n for n in s.ridge_mc_n if _fig3_mc_ok(n, p2, d)]
            means, ses = [], []
            for n in mc_n:
                params = dict(figure="fig3", model="ridge", spectrum=spectrum, n=n, p2=p2,
                              ridge=[0.0], noise=FIG3_NOISE, gamma=gamma, delta=delta,
                              draws=s.ridge_draws)

                def run(seed, n=n, p2=p2, delta=delta):
                    return simulate_ridge(spectrum, n=n, p2=p2, ridge=[0.0], draws=s.ridge_draws,
                                          seed=seed, noise_real=FIG3_NOISE,
                                          noise_synth=FIG3_NOISE, gamma=gamma, delta=delta)

                mc = ctx.simulate(f"fig3 c2={c2} p2={p2} n={n}", params, run)
                th_n = ridge_risk(spectrum, n=float(n), p2=p2, **common)
                theory = {q: np.atleast_1d(getattr(th_n, q)) for q in QUANTITIES}
                points += compare(figure="fig3", series=f"c²={c2:g}, p2={p2:g}", x_name="n",
                                  x=[n], theory=theory, mc=mc, quantities=QUANTITIES,
                                  rtol=RIDGE_RTOL, d=d)
                means.append(mc.mean["test_error"][0])
                ses.append(mc.stderr["test_error"][0])
            if mc_n:
                ax.errorbar(mc_n, means, yerr=3 * np.asarray(ses), fmt="o", ms=4, capsize=2,
                            color=style["color"], mfc="white", zorder=5)
        ax.set_title(f"c² = {c2:g}")
        ax.set_xlabel("n (training rows)")
        ax.set_ylim(5e-4, 3.0)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("test error $E_{test}$")
    axes[-1].legend(fontsize=7, loc="lower left")
    caption = (
        "Classical ridge (Theorem 1): test error against the number of rows n, log–log. "
        f"Isotropic Σ = I_d with d = {d}, ridgeless (λ → 0⁺), random effects Γ = I/d (r² = 1), "
        "Δ = (c²/d) I, σ1 = σ2 = 1 (the paper does not state d; this choice keeps every n ≥ 200 "
        "below the interpolation threshold n = d). Dashed: p2 = 0, the clean scaling law "
        "σ²φ/(1−φ) ≈ σ²d/n. Dotted: the plateau p2²c² that every p2 > 0 curve approaches "
        "(strong model collapse). Markers: Monte Carlo mean ± 3 se at the n where p2·n is a "
        "whole number of at least 10 synthetic rows (the theory is a proportionate limit, "
        "n2 = p2·n → ∞; with 1–2 synthetic rows the per-draw ζ is a skewed χ² with 1–2 "
        "degrees of freedom and its standard error is unreliable — n2 = 1 at p2 = 0.001 was "
        "seen 3.6 se off with 10 draws)."
    )
    return FigureOutput("fig3", "Figure 3 — strong model collapse in the scaling law", fig,
                        caption, points)


def _plan_fig3(settings) -> int:
    d = settings.ridge_d
    return len(FIG3_C2) * sum(
        1 for p2 in (0.0, *FIG3_P2) for n in settings.ridge_mc_n
        if _fig3_mc_ok(n, p2, d)
    )


#: Fewest synthetic rows of a Figure 3 Monte Carlo point.  The theory is a proportionate limit
#: (n2 = p2 n → ∞); with a handful of synthetic rows the per-draw ζ is a χ² with a few degrees
#: of freedom (one row: χ²₁), so its mean is badly skewed and its standard error unreliable.
FIG3_MIN_SYNTH_ROWS = 10


def _fig3_mc_ok(n: int, p2: float, d: int) -> bool:
    return n > d and _is_whole(p2 * n) and (p2 == 0 or p2 * n >= FIG3_MIN_SYNTH_ROWS)


# --------------------------------------------------------------------------------------------
# Random-projections figures (docs/mathematics.md §2, §4)
# --------------------------------------------------------------------------------------------

RP_D, RP_N, RP_N2 = 600, 500, 200
RP_RIDGE = 1e-8
RP_NOISE = 0.1
FIG1_N2 = (50, 200, 400)
FIG1_C2 = (0.0, 0.1, 0.5, 1.0)
FIG2_C2 = 0.1
FIG4_P2 = (0.02, 0.1, 0.2, 0.4, 0.6, 0.8)
FIG4_C2 = 0.1
FIG5_C2 = (0.0, 0.01, 0.1, 0.5, 1.0)
#: Widths of the theory curves stay this far (relative) from the threshold m = n.
THRESHOLD_GAP = 0.02


def rp_rtol(d: int) -> float:
    """Relative allowance of the random-projections Monte Carlo: O(1/d) finite-size bias.

    docs/mathematics.md §5 gives 2–3 % at d ≈ 300 away from ψ = 1; we use ``max(0.03, 9/d)`` (3 %
    down to
    d = 300, growing as 1/d below).
    """
    return max(0.03, 9.0 / d)


def _harmonic(d: int) -> np.ndarray:
    s = 1.0 / np.arange(1, d + 1)
    return s / s.sum()


def _rp_setup(d: int, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spectrum, Γ and Δ₁ (Δ = c² Δ₁, ``tr ΣΔ₁ = 1``).

    ``"harmonic"``: eigenvalues ∝ 1/j, tr Σ = 1, Γ = I/d, Δ₁ = Σ^{-1}/d (Figs 2, 4, 5).
    ``"isotropic"``: Σ = I, Γ = I/d, Δ₁ = I/d (Figure 1, the paper's §3.3).
    """
    s = _harmonic(d) if kind == "harmonic" else np.ones(d)
    return s, np.full(d, 1.0 / d), 1.0 / (d * s)


def _width_grid(n: int, points: int) -> np.ndarray:
    m = np.linspace(4.0, 1000.0 * n / RP_N, points)
    return m[np.abs(m / n - 1) > THRESHOLD_GAP]


def _rp_theory(s, gamma, dl1, *, n, m, p2, c2):
    from modelcollapse.numerics.random_projection import rp_risk

    return rp_risk(s, n=float(n), m=m, p2=p2, ridge=RP_RIDGE, noise_real=RP_NOISE,
                   noise_synth=RP_NOISE, gamma=gamma, delta=c2 * dl1, on_failure="raise")


def _rp_mc(ctx: Context, label: str, *, kind: str, p2: float, c2: float, psi, n_paper=RP_N):
    """Monte Carlo at the reduced size and the theory at that same size.

    Returns ``(m_mc, m_plot, mc, theory_dict, d_mc)``: widths simulated, the same widths scaled
    to the paper's size for plotting, the result, and the theory at the simulated size.
    """
    from ..montecarlo_rp import simulate_rp

    d_mc = ctx.settings.rp_mc_d
    scale = d_mc / RP_D
    n_mc = int(round(n_paper * scale))
    m_mc = np.unique(np.round(np.asarray(psi) * n_mc).astype(int))
    s, gamma, dl1 = _rp_setup(d_mc, kind)
    delta = c2 * dl1
    draws = ctx.settings.rp_draws
    params = dict(model="rp", kind=kind, d=d_mc, n=n_mc, m=m_mc, p2=p2, c2=c2, ridge=RP_RIDGE,
                  noise=RP_NOISE, draws=draws)

    def run(seed):
        return simulate_rp(s, n=n_mc, m=m_mc, p2=p2, ridge=RP_RIDGE, noise_real=RP_NOISE,
                           noise_synth=RP_NOISE, gamma=gamma, delta=delta, draws=draws,
                           seed=seed)

    mc = ctx.simulate(label, params, run)
    th = _rp_theory(s, gamma, dl1, n=n_mc, m=m_mc.astype(float), p2=p2, c2=c2)
    theory = {q: np.atleast_1d(getattr(th, q)) for q in QUANTITIES}
    return m_mc, m_mc / scale, mc, theory, d_mc, n_mc


def _mc_size_curve(ctx: Context, m: np.ndarray, *, kind: str, p2: float, c2: float):
    """Theory at the Monte Carlo size on the paper's width axis, or ``None`` at d = 600."""
    d_mc = ctx.settings.rp_mc_d
    if d_mc == RP_D:
        return None
    scale = d_mc / RP_D
    n_mc = int(round(RP_N * scale))
    s, gamma, dl1 = _rp_setup(d_mc, kind)
    m_mc = m * scale
    keep = np.abs(m_mc / n_mc - 1) > THRESHOLD_GAP
    th = _rp_theory(s, gamma, dl1, n=n_mc, m=m_mc[keep], p2=p2, c2=c2)
    return m[keep], th


def _mc_note(ctx: Context) -> str:
    d = ctx.settings.rp_mc_d
    if d == RP_D:
        return "Monte Carlo at the paper's size (d = 600, n = 500)."
    return (f"Monte Carlo at reduced size d = {d} (n, n2, m scaled by {d}/600, same φ, ψ, p2); "
            "markers are drawn at the equivalent paper width m·600/d and compared in the table "
            "with the theory at the simulated size (thin dashed curves: theory at that size; "
            "with Γ = I/d the bias scales as 1/d, so it differs visibly from the paper-size "
            "curve).")


def figure1(ctx: Context) -> FigureOutput:
    """Figure 1: Pareto frontiers of (real-only error, mixed error) over widths m.

    Isotropic Σ = I (the paper's §3.3), n = 500, d = 600, Γ = I/d, Δ = (c²/d) I, σ = 0.1,
    λ = 1e-8.  Each point is one width m; the frontier (thick) is
    :func:`~modelcollapse.numerics.pareto.pareto_frontier` of the curve (thin).
    """
    from modelcollapse.numerics.pareto import pareto_frontier

    s, gamma, dl1 = _rp_setup(RP_D, "isotropic")
    m = _width_grid(RP_N, ctx.settings.theory_points)
    x = _rp_theory(s, gamma, dl1, n=RP_N, m=m, p2=0.0, c2=0.0).test_error
    fig, axes = _new_figure(len(FIG1_N2))
    colors = dict(zip(FIG1_C2, _colors(len(FIG1_C2)), strict=True))
    points = []
    psi = ctx.settings.fig1_mc_psi
    _, _, mc_x, th_x, d_mc, _ = _rp_mc(ctx, "fig1 real-only", kind="isotropic", p2=0.0, c2=0.0,
                                       psi=psi)
    points += compare(figure="fig1", series="real only (p2=0)", x_name="psi", x=psi,
                      theory=th_x, mc=mc_x, quantities=("test_error",), rtol=rp_rtol(d_mc),
                      d=d_mc)
    finite = np.isfinite(x)
    for ax, n2 in zip(axes, FIG1_N2, strict=True):
        p2 = n2 / RP_N
        for c2 in FIG1_C2:
            y = _rp_theory(s, gamma, dl1, n=RP_N, m=m, p2=p2, c2=c2).test_error
            ok = finite & np.isfinite(y)
            idx = np.flatnonzero(ok)[pareto_frontier(x[ok], y[ok])]
            ax.plot(x[ok], y[ok], color=colors[c2], lw=0.6, alpha=0.35)
            ax.plot(x[idx], y[idx], color=colors[c2], lw=2.2, label=f"c² = {c2:g}")
            _, _, mc_y, th_y, _, _ = _rp_mc(ctx, f"fig1 n2={n2} c2={c2}", kind="isotropic",
                                            p2=p2, c2=c2, psi=psi)
            points += compare(figure="fig1", series=f"n2={n2}, c²={c2:g}", x_name="psi", x=psi,
                              theory=th_y, mc=mc_y, quantities=("test_error",),
                              rtol=rp_rtol(d_mc), d=d_mc)
            ax.errorbar(mc_x.mean["test_error"], mc_y.mean["test_error"],
                        xerr=3 * mc_x.stderr["test_error"], yerr=3 * mc_y.stderr["test_error"],
                        fmt="o", ms=4, color=colors[c2], mfc="white", capsize=2, zorder=5)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_title(f"n2 = {n2} synthetic of n = {RP_N}")
        ax.set_xlabel("test error, trained on real data only")
        ax.grid(True, which="both", alpha=0.25)
    axes[0].set_ylabel("test error, trained on the mix")
    axes[-1].legend(fontsize=8, loc="lower right")
    caption = (
        "Pareto diagram (random projections, Theorem 2). Each point of a curve is one width m "
        "(m from 4 to 1000, skipping |m/n − 1| ≤ 2 %): x = test error of the model trained on "
        "the n = 500 real rows only, y = test error of the same width trained on n − n2 real "
        "and n2 synthetic rows. Thin: all widths; thick: the Pareto frontier (non-dominated "
        "widths); with λ → 0⁺ and isotropic Σ both errors are smallest at the extreme widths, "
        "so the frontiers are short (a single point when c² = 0: the same width is best on "
        "both axes). Σ = I_d (isotropic, as in the paper's §3.3; App. A.1 says power law), "
        "d = 600, Γ = I/d, Δ = (c²/d) I, σ1 = σ2 = 0.1, λ = 1e-8. Markers: Monte Carlo "
        f"(± 3 se on both axes) at ψ = m/n ∈ {{{', '.join(f'{p:g}' for p in psi)}}}. "
        + _mc_note(ctx)
    )
    return FigureOutput("fig1", "Figure 1 — Pareto frontiers over model width", fig, caption,
                        points)


def _error_vs_width(ctx: Context, name: str, series: list[tuple[str, float, float]], title: str,
                    caption: str) -> FigureOutput:
    s, gamma, dl1 = _rp_setup(RP_D, "harmonic")
    m = _width_grid(RP_N, ctx.settings.theory_points)
    fig, axes = _new_figure(1, width=6.5, height=4.6)
    ax = axes[0]
    colors = _colors(len(series))
    points = []
    for (label, p2, c2), color in zip(series, colors, strict=True):
        th = _rp_theory(s, gamma, dl1, n=RP_N, m=m, p2=p2, c2=c2)
        ax.plot(m, th.test_error, color=color, label=label)
        small = _mc_size_curve(ctx, m, kind="harmonic", p2=p2, c2=c2)
        if small is not None:
            ax.plot(small[0], small[1].test_error, color=color, ls="--", lw=0.7)
        m_mc, m_plot, mc, theory, d_mc, _ = _rp_mc(ctx, f"{name} {label}", kind="harmonic",
                                                   p2=p2, c2=c2, psi=ctx.settings.rp_mc_psi)
        points += compare(figure=name, series=label, x_name="m", x=m_mc, theory=theory, mc=mc,
                          quantities=QUANTITIES, rtol=rp_rtol(d_mc), d=d_mc)
        ax.errorbar(m_plot, mc.mean["test_error"], yerr=3 * mc.stderr["test_error"], fmt="o",
                    ms=4, color=color, mfc="white", capsize=2, zorder=5)
    ax.axvline(RP_N, color="grey", ls="--", lw=1)
    ax.text(RP_N, ax.get_ylim()[1], " m = n", va="top", color="grey", fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel("width m (random projections)")
    ax.set_ylabel("test error $E_{test}$")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    return FigureOutput(name, title, fig, caption + " " + _mc_note(ctx), points)


_RP_PARAMS = ("Σ eigenvalues ∝ 1/j with tr Σ = 1, d = 600, n = 500, w1 ~ N(0, I/d), "
              "Δ = (c²/d)Σ^{-1}, σ1 = σ2 = 0.1, λ = 1e-8")


def figure2(ctx: Context) -> FigureOutput:
    """Figure 2: B, V, ζ and E_test against width m (double descent at m = n)."""
    s, gamma, dl1 = _rp_setup(RP_D, "harmonic")
    m = _width_grid(RP_N, ctx.settings.theory_points)
    p2, c2 = RP_N2 / RP_N, FIG2_C2
    th = _rp_theory(s, gamma, dl1, n=RP_N, m=m, p2=p2, c2=c2)
    m_mc, m_plot, mc, theory, d_mc, _ = _rp_mc(ctx, "fig2", kind="harmonic", p2=p2, c2=c2,
                                               psi=ctx.settings.rp_mc_psi)
    points = compare(figure="fig2", series=f"p2={p2:g}, c²={c2:g}", x_name="m", x=m_mc,
                     theory=theory, mc=mc, quantities=QUANTITIES, rtol=rp_rtol(d_mc), d=d_mc)
    fig, axes = _new_figure(1, width=6.5, height=4.6)
    ax = axes[0]
    small = _mc_size_curve(ctx, m, kind="harmonic", p2=p2, c2=c2)
    styles = {"test_error": ("E_test = B + V + ζ", "black"), "bias": ("bias B", "tab:blue"),
              "variance": ("variance V", "tab:orange"), "zeta": ("model collapse ζ", "tab:red")}
    for q, (label, color) in styles.items():
        ax.plot(m, getattr(th, q), color=color, label=label, lw=2 if q == "test_error" else 1.4)
        ax.errorbar(m_plot, mc.mean[q], yerr=3 * mc.stderr[q], fmt="o", ms=4, color=color,
                    mfc="white", capsize=2, zorder=5)
        if small is not None:
            ax.plot(small[0], getattr(small[1], q), color=color, ls="--", lw=0.7)
    ax.axvline(RP_N, color="grey", ls="--", lw=1, label="interpolation m = n")
    ax.set_yscale("log")
    ax.set_xlabel("width m (random projections)")
    ax.set_ylabel("error")
    ax.set_title(f"B, V, ζ against width (n1 = 300, n2 = 200, c² = {c2:g})")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    caption = (
        "New bias–variance decomposition E_test ≃ B + V + ζ of random projections (Theorem 2, "
        f"corrected form) against the width m: {_RP_PARAMS}, n1 = 300, n2 = 200 (p2 = 0.4), "
        f"c² = {c2:g} (not stated in the paper). All three terms and the test error blow up at "
        "the interpolation threshold m = n (double descent); ζ, the model-collapse term, is "
        "larger past the threshold than before it. " + _mc_note(ctx)
    )
    return FigureOutput("fig2", "Figure 2 — bias, variance and model collapse against width",
                        fig, caption, points)


def figure4(ctx: Context) -> FigureOutput:
    """Figure 4: test error against width for the p2 grid (c² = 0.1)."""
    series = [(f"p2 = {p2:g}", p2, FIG4_C2) for p2 in FIG4_P2]
    caption = (f"Test error against width m for several synthetic fractions p2 at fixed n = "
               f"500 and quality c² = {FIG4_C2:g} (not stated in the paper): {_RP_PARAMS}.")
    return _error_vs_width(ctx, "fig4", series, f"Error vs width, c² = {FIG4_C2:g}", caption)


def figure5(ctx: Context) -> FigureOutput:
    """Figure 5: test error against width for the c² grid (p2 = 0.4)."""
    p2 = RP_N2 / RP_N
    series = [(f"c² = {c2:g}", p2, c2) for c2 in FIG5_C2]
    caption = (f"Test error against width m for several qualities c² at n1 = 300, n2 = 200 "
               f"(p2 = 0.4): {_RP_PARAMS}. c² grid chosen here (the paper's is not stated).")
    return _error_vs_width(ctx, "fig5", series, "Error vs width, p2 = 0.4", caption)


# --------------------------------------------------------------------------------------------
# Phase diagram
# --------------------------------------------------------------------------------------------


def phase_figure(ctx: Context) -> FigureOutput:
    """Where does a wider model amplify collapse?  Sign of ∂ζ/∂ψ over (ψ, p2) and of ∂E/∂ψ
    over (ψ, c²), with a Monte Carlo check of the sign of the ζ change at a few cells."""
    from matplotlib.colors import ListedColormap

    from modelcollapse.numerics.phase import phase_diagram

    st = ctx.settings
    s, gamma, dl1 = _rp_setup(RP_D, "harmonic")
    psi = np.geomspace(0.05, 2.0, st.phase_psi)
    p2_rows = np.linspace(0.02, 0.95, st.phase_rows)
    c2_rows = np.geomspace(1e-4, 1.0, st.phase_rows)
    common = dict(n=RP_N, psi=psi, ridge=RP_RIDGE, gamma=gamma, delta_unit=dl1,
                  noise_real=RP_NOISE, noise_synth=RP_NOISE)
    ph_z = phase_diagram(s, p2=p2_rows, c2=FIG4_C2, quantity="zeta", **common)
    ph_e = phase_diagram(s, p2=RP_N2 / RP_N, c2=c2_rows, quantity="test_error", **common)
    fig, axes = _new_figure(2, width=5.4, height=4.4)
    cmap = ListedColormap(["tab:blue", "lightgrey", "tab:red"])
    for ax, ph, ylabel in ((axes[0], ph_z, "p2 (synthetic fraction)"),
                           (axes[1], ph_e, "c² (synthetic quality; lower is better)")):
        ax.pcolormesh(ph.psi, ph.rows, ph.sign, cmap=cmap, vmin=-1.5, vmax=1.5, shading="nearest")
        ax.set_xscale("log")
        ax.axvline(1.0, color="black", ls="--", lw=1)
        ax.set_xlabel("ψ = m/n")
        ax.set_ylabel(ylabel)
    axes[1].set_yscale("log")
    axes[0].set_title(f"sign ∂ζ/∂ψ  (c² = {FIG4_C2:g}; sign is the same for every c² > 0)",
                      fontsize=9)
    axes[1].set_title("sign ∂E_test/∂ψ  (p2 = 0.4)", fontsize=9)
    from matplotlib.patches import Patch

    axes[1].legend(handles=[Patch(color="tab:red", label="> 0: wider amplifies"),
                            Patch(color="tab:blue", label="< 0: wider mitigates"),
                            Patch(color="lightgrey", label="unreliable / threshold")],
                   fontsize=7, loc="lower left")
    # Monte Carlo: ζ at ψ(1 ± 15 %) on the same draws (nested widths); the per-draw difference
    # has a small standard error, and its sign is compared with the theory's.
    points = []
    cells = [(0.2, 0.3), (0.4, 1.6), (0.8, 0.6), (0.4, 0.5), (0.2, 1.8), (0.6, 1.3)]
    checked = []
    for p2, psi0 in cells[: st.phase_mc_points]:
        pair = (psi0 / 1.15, psi0 * 1.15)
        _, _, mc, theory, d_mc, n_mc = _rp_mc(ctx, f"phase p2={p2} psi={psi0}", kind="harmonic",
                                              p2=p2, c2=FIG4_C2, psi=pair)
        from .._result import MonteCarloResult

        diff = MonteCarloResult.from_draws(
            {"zeta_change": mc.draws["zeta"][:, 1:2] - mc.draws["zeta"][:, 0:1]}, mc.seed)
        th_diff = {"zeta_change": np.atleast_1d(theory["zeta"][1] - theory["zeta"][0])}
        row = compare(figure="phase", series=f"p2={p2:g}, ψ {pair[0]:.3g}→{pair[1]:.3g}",
                      x_name="psi", x=[psi0], theory=th_diff, mc=diff,
                      quantities=("zeta_change",), rtol=rp_rtol(d_mc), d=d_mc)
        points += row
        sign_ok = np.sign(row[0].mc) == np.sign(row[0].theory) and abs(row[0].z) < 3 or (
            abs(row[0].mc) > 3 * row[0].se and np.sign(row[0].mc) == np.sign(row[0].theory))
        checked.append((p2, psi0, row[0].theory, row[0].mc, row[0].se, bool(sign_ok)))
        axes[0].plot([psi0], [p2], marker="*", ms=12, mec="black",
                     color="white" if sign_ok else "black")
    notes = [
        f"MC sign check p2={p2:g}, ψ={psi0:g}: Δζ theory {t:.4g}, MC {mm:.4g} ± {se:.2g} → "
        f"{'same sign' if ok else 'SIGN DIFFERS'}" for p2, psi0, t, mm, se, ok in checked
    ]
    unreliable = 1 - ph_z.reliable.mean()
    caption = (
        "Phase diagram (new): where a wider random-projections model amplifies model collapse. "
        f"Left: sign of ∂ζ/∂ψ over (ψ, p2) ({_RP_PARAMS}, c² = {FIG4_C2:g}); ζ is linear in "
        "c² for random effects, so this sign is the same for every c² > 0. Right: sign of "
        "∂E_test/∂ψ over (ψ, c²) at p2 = 0.4. Red: > 0 (bigger amplifies), blue: < 0, grey: "
        "not reliable (centred difference in log ψ with h = 1e-3 checked against h/2, or within "
        f"2h of ψ = 1; {100 * unreliable:.1f} % of the left panel). Stars: Monte Carlo check of "
        "the change of ζ between ψ/1.15 and 1.15ψ on the same draws (white = sign confirmed). "
        + _mc_note(ctx)
    )
    return FigureOutput("phase", "Phase diagram — does width amplify collapse?", fig, caption,
                        points, notes)


#: Figure number (CLI ``--figures``) → function; ``0``/"phase" is the phase diagram.
FIGURES = {1: figure1, 2: figure2, 3: figure3, 4: figure4, 5: figure5}


def planned_runs(settings, figures) -> int:
    """Number of Monte Carlo runs (progress-bar total) of the chosen figures."""
    per = {
        1: 1 + len(FIG1_N2) * len(FIG1_C2),
        2: 1,
        3: _plan_fig3(settings),
        4: len(FIG4_P2),
        5: len(FIG5_C2),
        "phase": settings.phase_mc_points,
    }
    return sum(per[f] for f in figures)
