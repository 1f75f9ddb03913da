"""One function per figure of the paper's Figures 1–5 (docs/mathematics.md §4).

Each function takes a :class:`~modelcollapse.verify.reproduce.Context` and returns a
:class:`~modelcollapse.verify.reproduce.FigureOutput`: a matplotlib figure (Agg canvas, never a
display) whose legend says what every line style and marker means, the agreement rows of its
Monte Carlo points and the caption text of the report.  Theory curves come from
:func:`modelcollapse.numerics.ridge_risk` and :func:`modelcollapse.numerics.rp_risk`; Monte Carlo
from :func:`modelcollapse.verify.simulate_ridge` and :func:`modelcollapse.verify.simulate_rp`,
each point at two sizes (``d`` and ``d/2``) for the extrapolated agreement rule of
:mod:`modelcollapse.verify.reproduce._agreement`.  The phase diagram is in
:mod:`modelcollapse.verify.reproduce.figures_phase`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from modelcollapse.numerics import ridge_risk

from ..montecarlo import simulate_ridge
from ._agreement import SizedRun, compare
from ._context import Context, FigureOutput
from ._rp import (
    QUANTITIES,
    RP_D,
    RP_N,
    RP_N2,
    mc_sizes,
    rp_setup,
    rp_start,
    rp_theory,
    width_branches,
)
from ._style import (
    distinct_colors,
    mc_errorbar,
    mc_handle,
    new_figure,
    plain_log_axis,
    plot_branches,
    style_handles,
)

__all__ = [
    "figure1",
    "figure2",
    "figure3",
    "figure4",
    "figure5",
    "FIGURES",
    "PREFETCH",
    "FIG3_C2",
    "FIG3_P2",
    "planned_runs",
]

#: Figure 3 grids (docs/mathematics.md §4).
FIG3_C2 = (1.0, 0.1, 0.01)
FIG3_P2 = (0.001, 0.01, 0.1, 0.5, 1.0)
FIG3_NOISE = 1.0
#: The paper's largest n in Figure 3; the curves continue until every plateau is reached.
FIG3_PAPER_N_MAX = 1e5
#: Fewest synthetic rows of a Figure 3 Monte Carlo point, at the smaller size.  The theory is a
#: proportionate limit (n2 = p2 n → ∞); with a handful of synthetic rows the per-draw ζ is a χ²
#: with a few degrees of freedom, so its mean is skewed and its standard error unreliable.
FIG3_MIN_SYNTH_ROWS = 10

FIG1_N2 = (50, 200, 400)
FIG1_C2 = (0.0, 0.1, 0.5, 1.0)
#: Figure 1 widths: from m = 1 to far past the threshold (the m → ∞ limit is marked).
FIG1_M_MAX = 2e5
FIG2_C2 = 0.1
FIG4_P2 = (0.02, 0.1, 0.2, 0.4, 0.6, 0.8)
FIG4_C2 = 0.1
FIG5_C2 = (0.0, 0.01, 0.1, 0.5, 1.0)

_RP_PARAMS = ("Σ eigenvalues ∝ 1/j with tr Σ = 1, d = 600, n = 500, w1 ~ N(0, I/d), "
              "Δ = (c²/d)Σ^{-1}, σ1 = σ2 = 0.1, λ = 1e-8")


def _is_whole(x: float) -> bool:
    return abs(x - round(x)) < 1e-9


def _sizes_note(ctx: Context, what: str) -> str:
    d = ctx.settings.rp_mc_d
    big, small = mc_sizes(d)
    return (f"Monte Carlo ({what}): every point simulated at d = {big} and d = {small} with the "
            f"same φ, ψ, p2 (n, n2, m scaled by d/600; {ctx.settings.rp_draws} and "
            f"{ctx.settings.rp_draws * ctx.settings.half_draws} draws); markers: the d = {big} "
            f"mean ± 3 se at the equivalent paper width m·600/{big}. The agreement table "
            "extrapolates the differences from the theory at each simulated size to d → ∞ "
            "(docs/mathematics.md §5).")


# --------------------------------------------------------------------------------------------
# Figure 3: classical ridge, strong model collapse in the scaling law
# --------------------------------------------------------------------------------------------


def _fig3_sizes(n: int, p2: float, d: int) -> list[tuple[int, int]]:
    """``[(d, n), (d/2, n/2)]`` when both have n > d and whole, ≥ 10 synthetic rows, else []."""
    if d % 2 or n % 2:
        return []
    pairs = [(d, n), (d // 2, n // 2)]
    for dd, nn in pairs:
        if not (nn > dd + 1 and _is_whole(p2 * nn)
                and (p2 == 0 or p2 * nn >= FIG3_MIN_SYNTH_ROWS)):
            return []
    return pairs


def _fig3_n_max(c2: float, d: int) -> float:
    """Largest n drawn: where the clean error σ²d/n is 1/30 of the lowest plateau p2²c²."""
    low = min(FIG3_P2) ** 2 * c2
    return float(10 ** np.ceil(np.log10(30 * FIG3_NOISE**2 * d / low)))


def figure3(ctx: Context) -> FigureOutput:
    """Figure 3: test error of ridge against ``n`` (log–log) for several ``p2`` and ``c²``.

    Classical linear model (docs/mathematics.md §1), isotropic ``Σ = I_d`` with ``d =
    settings.ridge_d``, ridgeless (λ → 0⁺), random effects ``Γ = I/d`` (``r² = 1``),
    ``Δ = (c²/d) I``, σ1 = σ2 = 1.  The ``p2 = 0`` curve is the clean scaling law
    ``σ² φ/(1 − φ) ≈ σ² d/n``; every ``p2 > 0`` curve flattens at the strong-model-collapse
    plateau ``p2² c²`` (dotted), drawn for every p2 by extending n past the paper's 10⁵.
    """
    st = ctx.settings
    d = st.ridge_d
    fig, axes = new_figure(len(FIG3_C2), width=4.8, height=4.4)
    colors = dict(zip(FIG3_P2, distinct_colors(len(FIG3_P2)), strict=True))
    points = []
    started = _fig3_runs(ctx)
    clean = None
    for ax, c2 in zip(axes, FIG3_C2, strict=True):
        n_max = _fig3_n_max(c2, d)
        n_grid = np.geomspace(200.0, n_max, st.theory_points)
        common = dict(ridge=0.0, noise_real=FIG3_NOISE, noise_synth=FIG3_NOISE,
                      gamma=np.full(d, 1.0 / d), delta=np.full(d, c2 / d))
        ax.axvspan(FIG3_PAPER_N_MAX, n_max, color="0.93", zorder=0)
        for p2 in (0.0, *FIG3_P2):
            th = ridge_risk(np.ones(d), n=n_grid, p2=p2, **common)
            if p2 == 0:
                ax.loglog(n_grid, th.test_error, color="black", ls="--", lw=1.6, zorder=4)
            else:
                ax.loglog(n_grid, th.test_error, color=colors[p2], lw=1.5)
                plateau = p2**2 * c2
                ax.axhline(plateau, color=colors[p2], ls=":", lw=1.0)
                ax.text(n_max, plateau, f"p2²c² = {plateau:.2g}", color=colors[p2], fontsize=7,
                        ha="right", va="bottom")
            if p2 == 0 and clean is not None:  # no synthetic rows: the same problem for any c²
                shown = clean
            else:
                new_points, shown = started[0.0 if p2 == 0 else (c2, p2)]()
                points += new_points
                if p2 == 0:
                    clean = shown
            if shown:
                n_s, mean, se = map(np.asarray, zip(*shown, strict=True))
                mc_errorbar(ax, n_s, mean, se, "black" if p2 == 0 else colors[p2])
        ax.text(FIG3_PAPER_N_MAX * 1.3, 2.0, "beyond the paper's\nrange of n", fontsize=7,
                va="top", color="0.35")
        ax.set_title(f"c² = {c2:g}")
        ax.set_xlabel("n (training rows)")
        ax.set_xlim(200.0, n_max)
        ax.set_ylim(min(FIG3_P2) ** 2 * c2 / 4, 3.0)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("test error $E_{test}$")
    handles = style_handles([(f"p2 = {p2:g}", dict(color=colors[p2], lw=1.5))
                             for p2 in FIG3_P2])
    handles += style_handles([
        ("p2 = 0: clean scaling law σ²φ/(1−φ)", dict(color="black", ls="--", lw=1.6)),
        ("solid: theory (Theorem 1)", dict(ls="-")),
        ("dotted: plateau p2²c² (labelled)", dict(ls=":")),
    ])
    handles.append(mc_handle(f"Monte Carlo, d = {d} (± 3 se)"))
    fig.legend(handles=handles, loc="outside right center", fontsize=7.5, frameon=False)
    small = d // 2
    caption = (
        "Classical ridge (Theorem 1): test error against the number of rows n, log–log. "
        f"Isotropic Σ = I_d with d = {d}, ridgeless (λ → 0⁺), random effects Γ = I/d (r² = 1), "
        "Δ = (c²/d) I, σ1 = σ2 = 1 (the paper does not state d; this choice keeps every n ≥ 200 "
        "below the interpolation threshold n = d). Dashed black: p2 = 0, the clean scaling law "
        "σ²φ/(1−φ) ≈ σ²d/n. Solid: p2 > 0. Dotted: the plateau p2²c² that every p2 > 0 curve "
        "approaches (strong model collapse), labelled with its value; n is continued past the "
        "paper's 10⁵ (grey band) until the lowest plateau is reached, so that every plateau is "
        "visible — within the paper's range the p2 = 0.001 and 0.01 curves are still on the "
        f"clean line. Markers: Monte Carlo at d = {d} (mean ± 3 se), simulated also at "
        f"d = {small} with n/2 rows ({st.ridge_draws} and {st.ridge_draws * st.half_draws} "
        "draws) for the extrapolated agreement rule, where n > d and p2·n is a whole number of "
        f"at least {FIG3_MIN_SYNTH_ROWS} synthetic rows at both sizes (with one or two "
        "synthetic rows the per-draw ζ is a skewed χ² and its standard error unreliable)."
    )
    return FigureOutput("fig3", "Figure 3 — strong model collapse in the scaling law", fig,
                        caption, points)


def _fig3_runs(ctx: Context) -> dict:
    """Start every series' runs (they overlap on a cluster); p2 = 0 has no synthetic rows: one
    problem for any c², simulated once and shared by the panels.  ``(c², p2)`` or 0.0 → the
    function that collects the series (:func:`_fig3_mc`)."""
    d = ctx.settings.ridge_d
    started = {(c2, p2): _fig3_mc(ctx, d, c2, p2) for c2 in FIG3_C2 for p2 in FIG3_P2}
    started[0.0] = _fig3_mc(ctx, d, FIG3_C2[0], 0.0)
    return started


def _fig3_mc(ctx: Context, d: int, c2: float, p2: float) -> Callable[[], tuple[list, list]]:
    """Start the runs of one (c², p2) series; the function that collects its agreement rows
    and the markers ``(n, mean, se)`` at d."""
    st = ctx.settings
    started = []
    for n in st.ridge_mc_n:
        pairs = _fig3_sizes(n, p2, d)
        if not pairs:
            continue
        futures = []
        for j, (dd, nn) in enumerate(pairs):
            draws = st.ridge_draws * (1 if j == 0 else st.half_draws)
            gamma, delta = np.full(dd, 1.0 / dd), np.full(dd, c2 / dd)
            params = dict(figure="fig3", model="ridge", d=dd, n=nn, p2=p2,
                          c2=None if p2 == 0 else c2, ridge=[0.0], noise=FIG3_NOISE,
                          draws=draws)

            def run(seed, dd=dd, nn=nn, gamma=gamma, delta=delta, draws=draws):
                return simulate_ridge(np.ones(dd), n=nn, p2=p2, ridge=[0.0], draws=draws,
                                      seed=seed, noise_real=FIG3_NOISE,
                                      noise_synth=FIG3_NOISE, gamma=gamma, delta=delta,
                                      progress=False)

            label = f"fig3 p2={p2} n={nn} d={dd}" + ("" if p2 == 0 else f" c2={c2}")
            futures.append((dd, nn, gamma, delta, ctx.submit(
                label, params, run, expect={q: (draws, 1) for q in QUANTITIES})))
        started.append((n, futures))

    def collect() -> tuple[list, list]:
        points, shown = [], []
        for n, futures in started:
            runs = []
            for dd, nn, gamma, delta, future in futures:
                th = ridge_risk(np.ones(dd), n=float(nn), p2=p2, ridge=0.0,
                                noise_real=FIG3_NOISE, noise_synth=FIG3_NOISE, gamma=gamma,
                                delta=delta)
                runs.append(SizedRun(dd, {q: np.atleast_1d(getattr(th, q)) for q in QUANTITIES},
                                     future.result()))
            series = "p2=0 (any c²)" if p2 == 0 else f"c²={c2:g}, p2={p2:g}"
            points += compare(figure="fig3", series=series, x_name="n", x=[n], runs=runs,
                              quantities=QUANTITIES)
            shown.append((n, runs[0].mc.mean["test_error"][0],
                          runs[0].mc.stderr["test_error"][0]))
        return points, shown

    return collect


# --------------------------------------------------------------------------------------------
# Random-projections figures (docs/mathematics.md §2, §4)
# --------------------------------------------------------------------------------------------


def _fig1_runs(ctx: Context) -> tuple:
    """Start the real-only runs and those of every (n2, c²) curve; their collectors."""
    psi_mc = ctx.settings.fig1_mc_psi
    start_x = rp_start(ctx, "fig1 real-only", kind="isotropic", p2=0.0, c2=0.0, psi=psi_mc,
                       quantities=("test_error",))
    start_y = {(n2, c2): rp_start(ctx, f"fig1 n2={n2} c2={c2}", kind="isotropic",
                                  p2=n2 / RP_N, c2=c2, psi=psi_mc, quantities=("test_error",))
               for n2 in FIG1_N2 for c2 in FIG1_C2}
    return start_x, start_y


def figure1(ctx: Context) -> FigureOutput:
    """Figure 1: Pareto diagram of (real-only error, mixed error) over widths m.

    Isotropic Σ = I (the paper's §3.3), n = 500, d = 600, Γ = I/d, Δ = (c²/d) I, σ = 0.1,
    λ = 1e-8.  Each point of a curve is one width m, from m = 1 to far past the threshold
    (the m → ∞ end is marked); the two branches m < n and m > n are drawn separately.  The
    Pareto frontier (:func:`~modelcollapse.numerics.pareto.pareto_frontier`, non-dominated
    widths over the whole range) is marked by stars.
    """
    from modelcollapse.numerics.pareto import pareto_frontier

    st = ctx.settings
    s, gamma, dl1 = rp_setup(RP_D, "isotropic")
    below, above = width_branches(RP_N, st.theory_points, m_min=1.0)
    above = np.union1d(above, np.geomspace(1000.0, FIG1_M_MAX, st.theory_points // 4))
    branches = (below, above)
    x = [rp_theory(s, gamma, dl1, n=RP_N, m=m, p2=0.0, c2=0.0).test_error for m in branches]
    fig, axes = new_figure(len(FIG1_N2), width=4.9, height=4.6)
    colors = dict(zip(FIG1_C2, distinct_colors(len(FIG1_C2)), strict=True))
    psi_mc = st.fig1_mc_psi
    start_x, start_y = _fig1_runs(ctx)
    _, runs_x = start_x()
    points = compare(figure="fig1", series="real only (p2=0)", x_name="psi", x=psi_mc,
                     runs=runs_x, quantities=("test_error",))
    mc_x = runs_x[0].mc
    notes, frontiers = [], []
    lo = np.inf
    for ax, n2 in zip(axes, FIG1_N2, strict=True):
        p2 = n2 / RP_N
        for c2 in FIG1_C2:
            y = [rp_theory(s, gamma, dl1, n=RP_N, m=m, p2=p2, c2=c2).test_error
                 for m in branches]
            plot_branches(ax, x, y, color=colors[c2], lw=1.6)
            xs, ys = np.concatenate(x), np.concatenate(y)
            ms = np.concatenate(branches)
            idx = pareto_frontier(xs, ys)
            frontiers.append((n2, c2, ms[idx]))
            ax.plot(xs[idx], ys[idx], "*", ms=17, mfc="none", mec=colors[c2], mew=1.4,
                    zorder=6)
            ax.plot(x[0][0], y[0][0], "s", color=colors[c2], ms=5, zorder=7)
            ax.plot(x[1][-1], y[1][-1], "^", color=colors[c2], ms=6, zorder=7)
            notes.append(f"n2 = {n2}, c² = {c2:g}: Pareto frontier at m = "
                         + ", ".join(f"{m:.0f}" for m in ms[idx]) + " (x = "
                         + ", ".join(f"{v:.3g}" for v in xs[idx]) + "; y = "
                         + ", ".join(f"{v:.3g}" for v in ys[idx]) + ")")
            _, runs_y = start_y[n2, c2]()
            points += compare(figure="fig1", series=f"n2={n2}, c²={c2:g}", x_name="psi",
                              x=psi_mc, runs=runs_y, quantities=("test_error",))
            mc_y = runs_y[0].mc
            ax.errorbar(mc_x.mean["test_error"], mc_y.mean["test_error"],
                        xerr=3 * mc_x.stderr["test_error"], yerr=3 * mc_y.stderr["test_error"],
                        fmt="o", ms=5, color=colors[c2], mfc="white", capsize=2, zorder=8)
            lo = min(lo, float(xs.min()), float(ys.min()))
        ax.set_title(f"n2 = {n2} synthetic of n = {RP_N}", fontsize=10)
        ax.set_xlabel("test error, trained on the n real rows only")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(lo / 1.15, 30.0)
        ax.set_ylim(lo / 1.15, 30.0)
        ax.plot([lo / 2, 40], [lo / 2, 40], color="black", ls=(0, (4, 3)), lw=0.9, zorder=4)
        plain_log_axis(ax)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("test error, trained on the mix (n − n2 real, n2 synthetic)")
    handles = style_handles([(f"c² = {c2:g}", dict(color=colors[c2], lw=1.6))
                             for c2 in FIG1_C2])
    handles += style_handles([
        ("solid: theory, one point per width m", dict(ls="-")),
        ("m → 0 end (m = 1)", dict(ls="", marker="s", ms=5)),
        (f"m → ∞ end (m = {FIG1_M_MAX:.0e})", dict(ls="", marker="^", ms=6)),
        ("Pareto frontier (non-dominated widths)", dict(ls="", marker="*", ms=14, mfc="none",
                                                        mew=1.4)),
        ("dashed: y = x (synthetic rows cost nothing)", dict(ls=(0, (4, 3)), lw=0.9,
                                                             color="black")),
    ])
    handles.append(mc_handle("Monte Carlo (± 3 se on both axes)"))
    fig.legend(handles=handles, loc="outside right center", fontsize=7.5, frameon=False)
    two = [f"n2 = {n2}, c² = {c2:g}" for n2, c2, ms in frontiers if len(ms) > 1]
    caption = (
        "Pareto diagram (random projections, Theorem 2). Each point of a curve is one width m: "
        f"x = test error of the model trained on the n = {RP_N} real rows only, y = test "
        "error of the same width trained on n − n2 real and n2 synthetic rows; the dashed "
        "diagonal y = x is where the synthetic rows cost nothing. Widths run from m = 1 "
        f"(square: both errors ≈ r² = 1, the model learns nothing) to m = {FIG1_M_MAX:.0e} "
        "(triangle: the m → ∞ limit); the branches m < n and m > n are drawn separately — "
        "both errors diverge at the interpolation threshold m = n and leave the plot at its "
        "top right. Open stars: the Pareto frontier over the whole width range, the widths no "
        "other width beats on both axes. With Σ = I and λ = 1e-8 both errors fall "
        "monotonically past the threshold, so the complete frontier has one or two points: "
        "the infinite width, and also the smallest width where the synthetic rows are poor "
        "enough that learning nothing beats learning from the mix ("
        + ("; ".join(two) if two else "none here") + "). No width trades one regime against "
        "the other in this setting. Σ = I_d (isotropic, as in the paper's §3.3; its "
        "App. A.1 says power law), d = 600, Γ = I/d, Δ = (c²/d) I, σ1 = σ2 = 0.1, λ = 1e-8. "
        "The isotropic theory depends on the ratios only, so the Monte Carlo at a reduced size "
        "is compared with these same curves. Markers: Monte Carlo at ψ = m/n ∈ "
        f"{{{', '.join(f'{p:g}' for p in psi_mc)}}}. " + _sizes_note(ctx, "isotropic")
    )
    return FigureOutput("fig1", "Figure 1 — Pareto diagram over model width", fig, caption,
                        points, notes)


def _mc_size_branches(ctx: Context, branches, *, p2: float, c2: float):
    """Theory at the larger Monte Carlo size on the paper's width axis (None at d = 600)."""
    d_mc = ctx.settings.rp_mc_d
    if d_mc == RP_D:
        return None
    scale = d_mc / RP_D
    s, gamma, dl1 = rp_setup(d_mc, "harmonic")
    n_mc = RP_N * scale
    return [rp_theory(s, gamma, dl1, n=n_mc, m=m * scale, p2=p2, c2=c2) for m in branches]


def _threshold(ax) -> None:
    ax.axvline(RP_N, color="grey", ls="-.", lw=0.9, zorder=1)


def _rp_legend_styles(ctx: Context, extra=()) -> list:
    d_mc = ctx.settings.rp_mc_d
    entries = [("solid: theory, d = 600 (the paper's size)", dict(ls="-"))]
    if d_mc != RP_D:
        entries.append((f"dashed: theory at the Monte Carlo size d = {d_mc}",
                        dict(ls="--", lw=0.8)))
    entries.append(("dash-dot: interpolation threshold m = n", dict(ls="-.", lw=0.9,
                                                                     color="grey")))
    handles = style_handles([*extra, *entries])
    handles.append(mc_handle(f"Monte Carlo, d = {d_mc} (± 3 se)"))
    return handles


def _rp_ylim(ax, curves) -> None:
    finite = np.concatenate([np.ravel(c) for c in curves])
    finite = finite[np.isfinite(finite) & (finite > 0)]
    ax.set_ylim(finite.min() / 1.5, finite.max() * 1.5)


def _width_runs(ctx: Context, name: str, series: list[tuple[str, float, float]]) -> list:
    """Start the runs of every series of an error-against-width figure; their collectors."""
    return [rp_start(ctx, f"{name} {label}", kind="harmonic", p2=p2, c2=c2,
                     psi=ctx.settings.rp_mc_psi) for label, p2, c2 in series]


def _fig2_runs(ctx: Context):
    return rp_start(ctx, "fig2", kind="harmonic", p2=RP_N2 / RP_N, c2=FIG2_C2,
                    psi=ctx.settings.rp_mc_psi)


def _fig4_series() -> list[tuple[str, float, float]]:
    return [(f"p2 = {p2:g}", p2, FIG4_C2) for p2 in FIG4_P2]


def _fig5_series() -> list[tuple[str, float, float]]:
    return [(f"c² = {c2:g}", RP_N2 / RP_N, c2) for c2 in FIG5_C2]


def _error_vs_width(ctx: Context, name: str, series: list[tuple[str, float, float]], title: str,
                    caption: str) -> FigureOutput:
    s, gamma, dl1 = rp_setup(RP_D, "harmonic")
    branches = width_branches(RP_N, ctx.settings.theory_points)
    fig, axes = new_figure(1, width=7.2, height=5.6)
    ax = axes[0]
    colors = distinct_colors(len(series))
    points, curves = [], []
    started = _width_runs(ctx, name, series)
    for (label, p2, c2), color, start in zip(series, colors, started, strict=True):
        th = [rp_theory(s, gamma, dl1, n=RP_N, m=m, p2=p2, c2=c2).test_error for m in branches]
        curves += th
        plot_branches(ax, branches, th, color=color, lw=1.6)
        small = _mc_size_branches(ctx, branches, p2=p2, c2=c2)
        if small is not None:
            plot_branches(ax, branches, [r.test_error for r in small], color=color, ls="--",
                          lw=0.8)
        m_mc, runs = start()
        points += compare(figure=name, series=label, x_name="m", x=m_mc, runs=runs,
                          quantities=QUANTITIES)
        mc = runs[0].mc
        mc_errorbar(ax, m_mc * RP_D / runs[0].d, mc.mean["test_error"], mc.stderr["test_error"],
                    color)
    _threshold(ax)
    ax.set_yscale("log")
    _rp_ylim(ax, curves)
    plain_log_axis(ax, "y")
    ax.set_xlim(0, 1000)
    ax.set_xlabel("width m (random projections)")
    ax.set_ylabel("test error $E_{test}$")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    handles = style_handles([(label, dict(color=c, lw=1.6))
                             for (label, _, _), c in zip(series, colors, strict=True)])
    handles += _rp_legend_styles(ctx)
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=7.5,
               frameon=False)
    return FigureOutput(name, title, fig, caption + " " + _THRESHOLD_NOTE + " "
                        + _sizes_note(ctx, "harmonic"), points)


#: What the curves do at m = n (measured on the theory, docs/mathematics.md §2.4).
_THRESHOLD_NOTE = (
    "Near the interpolation threshold m = n the widths are sampled on a log-spaced |m/n − 1| "
    "grid down to 1e-3 on each side and the two branches are not joined. With this spectrum, "
    "λ = 1e-8 is not negligible there (the smallest eigenvalues are ~1e-4): the theory stays "
    "finite at m = n and the peak is rounded (Figure 2: E_test = 1.772 at m/n = 0.999, 1.776 "
    "at 1.001); only the λ → 0⁺ limit diverges."
)


def figure2(ctx: Context) -> FigureOutput:
    """Figure 2: B, V, ζ and E_test against width m (double descent at m = n)."""
    s, gamma, dl1 = rp_setup(RP_D, "harmonic")
    branches = width_branches(RP_N, ctx.settings.theory_points)
    p2, c2 = RP_N2 / RP_N, FIG2_C2
    start = _fig2_runs(ctx)
    th = [rp_theory(s, gamma, dl1, n=RP_N, m=m, p2=p2, c2=c2) for m in branches]
    m_mc, runs = start()
    points = compare(figure="fig2", series=f"p2={p2:g}, c²={c2:g}", x_name="m", x=m_mc,
                     runs=runs, quantities=QUANTITIES)
    mc = runs[0].mc
    fig, axes = new_figure(1, width=7.2, height=5.6)
    ax = axes[0]
    small = _mc_size_branches(ctx, branches, p2=p2, c2=c2)
    styles = {"test_error": ("E_test = B + V + ζ", "black"), "bias": ("bias B", "tab:blue"),
              "variance": ("variance V", "tab:orange"), "zeta": ("model collapse ζ", "tab:red")}
    curves = []
    for q, (_, color) in styles.items():
        ys = [getattr(t, q) for t in th]
        curves += ys
        plot_branches(ax, branches, ys, color=color, lw=2 if q == "test_error" else 1.4)
        mc_errorbar(ax, m_mc * RP_D / runs[0].d, mc.mean[q], mc.stderr[q], color)
        if small is not None:
            plot_branches(ax, branches, [getattr(t, q) for t in small], color=color, ls="--",
                          lw=0.8)
    _threshold(ax)
    ax.set_yscale("log")
    _rp_ylim(ax, curves)
    plain_log_axis(ax, "y")
    ax.set_xlim(0, 1000)
    ax.set_xlabel("width m (random projections)")
    ax.set_ylabel("error")
    ax.set_title(f"Figure 2 — B, V, ζ against width (n1 = 300, n2 = 200, c² = {c2:g})",
                 fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    handles = style_handles([(label, dict(color=color, lw=2 if q == "test_error" else 1.4))
                             for q, (label, color) in styles.items()])
    handles += _rp_legend_styles(ctx)
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=7.5,
               frameon=False)
    caption = (
        "New bias–variance decomposition E_test ≃ B + V + ζ of random projections (Theorem 2, "
        f"corrected form) against the width m: {_RP_PARAMS}, n1 = 300, n2 = 200 (p2 = 0.4), "
        f"c² = {c2:g} (not stated in the paper). All three terms and the test error peak at "
        "the interpolation threshold m = n (double descent); ζ, the model-collapse term, is "
        "larger past the threshold than before it. " + _THRESHOLD_NOTE + " "
        + _sizes_note(ctx, "harmonic")
    )
    return FigureOutput("fig2", "Figure 2 — bias, variance and model collapse against width",
                        fig, caption, points)


def figure4(ctx: Context) -> FigureOutput:
    """Figure 4: test error against width for the p2 grid (c² = 0.1)."""
    series = _fig4_series()
    caption = (f"Test error against width m for several synthetic fractions p2 at fixed n = "
               f"500 and quality c² = {FIG4_C2:g} (not stated in the paper): {_RP_PARAMS}.")
    return _error_vs_width(ctx, "fig4", series,
                           f"Figure 4 — error against width for several p2 (c² = {FIG4_C2:g})",
                           caption)


def figure5(ctx: Context) -> FigureOutput:
    """Figure 5: test error against width for the c² grid (p2 = 0.4)."""
    series = _fig5_series()
    caption = (f"Test error against width m for several qualities c² at n1 = 300, n2 = 200 "
               f"(p2 = 0.4): {_RP_PARAMS}. c² grid chosen here (the paper's is not stated).")
    return _error_vs_width(ctx, "fig5", series,
                           "Figure 5 — error against width for several c² (p2 = 0.4)", caption)


#: Figure number (CLI ``--figures``) → function.
FIGURES = {1: figure1, 2: figure2, 3: figure3, 4: figure4, 5: figure5}

#: Figure → the function that starts its Monte Carlo runs (the figure finds them under way).
PREFETCH = {1: _fig1_runs, 2: _fig2_runs, 3: _fig3_runs,
            4: lambda ctx: _width_runs(ctx, "fig4", _fig4_series()),
            5: lambda ctx: _width_runs(ctx, "fig5", _fig5_series())}


def _plan_fig3(settings) -> int:
    d = settings.ridge_d
    per_panel = {p2: sum(len(_fig3_sizes(n, p2, d)) for n in settings.ridge_mc_n)
                 for p2 in (0.0, *FIG3_P2)}
    return per_panel.pop(0.0) + len(FIG3_C2) * sum(per_panel.values())


def planned_runs(settings, figures) -> int:
    """Number of Monte Carlo runs (progress-bar total) of the chosen paper figures."""
    sizes = 2
    per = {
        1: sizes * (1 + len(FIG1_N2) * len(FIG1_C2)),
        2: sizes,
        3: _plan_fig3(settings),
        4: sizes * len(FIG4_P2),
        5: sizes * len(FIG5_C2),
    }
    return sum(per.get(f, 0) for f in figures)
