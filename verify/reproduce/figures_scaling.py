"""Scaling laws with synthetic data: the test error from n = 10² to 10⁹ on an infinite-dimensional
power-law spectrum (docs/mathematics.md §1.9).

Same contract as :mod:`modelcollapse.verify.reproduce.figures`: a function of a
:class:`~modelcollapse.verify.reproduce.Context` returning a
:class:`~modelcollapse.verify.reproduce.FigureOutput`.

Setting: ``s_j = j^{-β}`` with β = 2 and ``d = ∞``
(:class:`~modelcollapse.numerics.spectra.PowerLawSpectrum`), a random-effects teacher with source
exponent ``r = 1/4`` (``s_j Γ_jj = j^{-(1+2rβ)}``) and a shift with source exponent
``r_Δ = 0.45`` normalised to ``tr ΣΔ = c²``
(:func:`modelcollapse.theory.power_law.source_diagonal`), label noise σ = 0.5 on both kinds of
rows.  For every n the ridge is *tuned*: the smallest error over a log-spaced λ grid, refined by a
parabola in ``log λ`` through the three best points.

What the figure compares, all derived by SymPy in :mod:`modelcollapse.theory.power_law`:

* the floor ``p2²c²`` (dotted) — the collapse;
* the collapse-onset sample size ``n*`` (:func:`~modelcollapse.theory.power_law.collapse_onset`,
  ``"tuned"``), marked on each curve;
* the approach rate: ``E − p2²c²`` falls as ``n^{-2rβ/(2rβ+1)}`` (``= n^{-1/2}`` here) with
  ``σ² → σ_eff² = σ² + p1p2c²``; the right panel shows the measured local slope
  ``d log(E − p2²c²)/d log n`` of the solver's curves against that exponent.

Monte Carlo at the small-n end: the same spectrum truncated at a finite ``d`` (the theory at that
``d`` is dashed: the truncation lowers the error once n approaches d), at the tuned λ of the
``d = ∞`` curve.  The agreement rule needs two sizes with the same deterministic equivalent: the
second is the *replicated* problem — every eigenvalue twice, ``Γ`` and ``Δ`` halved per
coordinate (so every trace of Theorem 1 is unchanged), twice the rows, the same λ — whose
finite-size bias is half as large (:mod:`modelcollapse.verify.reproduce._agreement`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from modelcollapse.numerics import ridge_risk
from modelcollapse.numerics.spectra import PowerLawSpectrum
from modelcollapse.theory import power_law as pl
from modelcollapse.theory.symbols import p2 as p2_sym
from modelcollapse.theory.symbols import sigma1, sigma2

from ..montecarlo import simulate_ridge
from ._agreement import SizedRun, compare
from ._context import Context, FigureOutput

__all__ = ["scaling_figure", "SCALING_FIGURES", "SCALING_PREFETCH", "planned_scaling_runs",
           "tuned_error", "derived_onset", "BETA", "R_SOURCE", "R_SHIFT", "NOISE"]

#: Spectral decay β, teacher and shift source exponents r, r_Δ, label noise σ.
BETA, R_SOURCE, R_SHIFT, NOISE = 2.0, 0.25, 0.45, 0.5
#: The curves: (p2, c²); p2 = 0 does not depend on c².
CURVES = ((0.0, 0.1), (0.02, 0.1), (0.2, 0.1), (0.02, 1.0), (0.2, 1.0))
QUANTITIES = ("test_error", "bias", "variance", "zeta")
_COLORS = {0.0: "black", 0.02: "tab:blue", 0.2: "tab:red"}
_STYLES = {0.1: "-", 1.0: "--"}


def _sizes(mode: str) -> dict:
    if mode == "tiny":
        return dict(n_points=25, lam_points=50, mc_d=60, mc_n=(30, 60), mc_curves=(1,))
    if mode == "quick":
        return dict(n_points=71, lam_points=120, mc_d=150, mc_n=(40, 80, 160, 320),
                    mc_curves=(0, 1, 2))
    return dict(n_points=141, lam_points=240, mc_d=400, mc_n=(50, 100, 200, 400, 800),
                mc_curves=tuple(range(len(CURVES))))


def _diagonals(c2: float) -> dict:
    return dict(gamma=pl.source_diagonal(BETA, R_SOURCE),
                delta=pl.source_diagonal(BETA, R_SHIFT, total=c2))


def tuned_error(n, p2: float, c2: float, *, dimension: int | None = None, lam_points: int = 120
                ) -> tuple[np.ndarray, np.ndarray]:
    """``(E*, λ*)``: the test error at the tuned ridge for each ``n`` (d = ∞ unless ``dimension``).

    λ runs over ``lam_points`` log-spaced values in ``[1e-16, 10]``; the minimum is refined by a
    parabola in ``log λ`` through the best grid point and its neighbours (clipped to them).

    Examples
    --------
    >>> from modelcollapse.verify.reproduce.figures_scaling import tuned_error
    >>> err, lam = tuned_error([1e3, 1e6], 0.0, 0.1, lam_points=60)
    >>> bool(err[1] < err[0]) and bool(lam[1] < lam[0])
    True
    """
    n = np.atleast_1d(np.asarray(n, dtype=float))
    spec = PowerLawSpectrum(BETA, dimension, **_diagonals(c2))
    log_lam = np.linspace(np.log(1e-16), np.log(10.0), lam_points)
    kw = dict(p2=p2, noise_real=NOISE, noise_synth=NOISE)
    grid = ridge_risk(spec, n=n[None, :], ridge=np.exp(log_lam)[:, None], **kw).test_error
    best = np.clip(np.argmin(grid, axis=0), 1, lam_points - 2)
    cols = np.arange(n.size)
    y0, y1, y2 = grid[best - 1, cols], grid[best, cols], grid[best + 1, cols]
    h = log_lam[1] - log_lam[0]
    curv = y0 - 2 * y1 + y2
    shift = np.where(curv > 0, 0.5 * h * (y0 - y2) / np.where(curv > 0, curv, 1.0), 0.0)
    lam = np.exp(log_lam[best] + np.clip(shift, -h, h))
    return ridge_risk(spec, n=n, ridge=lam, **kw).test_error, lam


def derived_onset(p2: float, c2: float) -> float:
    """The collapse-onset sample size ``n*`` of the tuned ridge (``collapse_onset()["tuned"]``)
    at this figure's β, r, σ (σ_eff² = σ² + p1p2c² from ``effective_noise()``).

    Examples
    --------
    >>> from modelcollapse.verify.reproduce.figures_scaling import derived_onset
    >>> derived_onset(0.2, 1.0) < derived_onset(0.02, 1.0)   # more synthetic data: earlier
    True
    """
    vals = {pl.beta: BETA, pl.r_source: R_SOURCE, p2_sym: p2, pl.c: np.sqrt(c2),
            sigma1: NOISE, sigma2: NOISE}
    sigma_eff_sq = float(pl.effective_noise().subs(vals))
    return float(pl.collapse_onset()["tuned"].subs({**vals, pl.sigma_eff: np.sqrt(sigma_eff_sq)}))


def _replicated(s: np.ndarray, diag: dict) -> tuple[np.ndarray, dict]:
    """Every eigenvalue twice, the teacher and shift variances halved per coordinate."""
    return np.repeat(s, 2), {k: np.repeat(v, 2) / 2 for k, v in diag.items()}


def _mc_points(ctx: Context, sizes: dict, idx: int, lam_of_n
               ) -> Callable[[], tuple[list, np.ndarray, list]]:
    """Start the Monte Carlo at the truncated spectrum and its replicate; the function that
    collects the agreement rows and the means."""
    p2, c2 = CURVES[idx]
    d = sizes["mc_d"]
    j = np.arange(1, d + 1.0)
    s = j**-BETA
    diag = {k: scale * j**-e for k, (scale, e) in _diagonals(c2).items()}
    ns = np.asarray(sizes["mc_n"])
    lam = lam_of_n(ns)
    draws = ctx.settings.ridge_draws
    started = []
    for k, n in enumerate(ns):
        n2 = round(p2 * n)
        futures = []
        for rep, (sk, dk) in enumerate(((s, diag), _replicated(s, diag))):
            size, rows = d * (rep + 1), int(n) * (rep + 1)
            count = draws * (ctx.settings.half_draws if rep == 0 else 1)
            params = dict(model="ridge-scaling", beta=BETA, r=R_SOURCE, r_shift=R_SHIFT, d=size,
                          n=rows, p2=n2 / n, c2=c2, ridge=float(lam[k]), noise=NOISE,
                          draws=count)

            def run(seed, sk=sk, dk=dk, rows=rows, count=count, lam_k=float(lam[k]),
                    share=n2 / n):
                return simulate_ridge(sk, n=rows, ridge=[lam_k], p2=share, noise_real=NOISE,
                                      noise_synth=NOISE, draws=count, seed=seed, **dk)

            futures.append((size, ctx.submit(f"scaling p2={p2} c2={c2} n={rows} d={size}",
                                             params, run,
                                             expect={q: (count, 1) for q in QUANTITIES})))
        started.append((k, n, n2, futures))

    def collect() -> tuple[list, np.ndarray, list]:
        points, means = [], []
        for k, n, n2, futures in started:
            theory = ridge_risk(s, n=float(n), ridge=lam[k], p2=n2 / n, noise_real=NOISE,
                                noise_synth=NOISE, **diag)
            runs = [SizedRun(size, {q: np.atleast_1d(getattr(theory, q)) for q in QUANTITIES},
                             future.result()) for size, future in futures]
            points += compare(figure="scaling", series=f"p2={p2:g} c2={c2:g}", x_name="n",
                              x=[float(n)], runs=runs, quantities=QUANTITIES)
            big = runs[1].mc
            means.append((float(np.ravel(big.mean["test_error"])[0]),
                          float(np.ravel(big.stderr["test_error"])[0])))
        return points, ns, means

    return collect


def _tuned_ridge(sizes: dict, p2: float, c2: float):
    """n ↦ the tuned λ of the curve (p2, c²)."""
    return lambda ns: tuned_error(ns, p2, c2, lam_points=sizes["lam_points"])[1]


def _scaling_runs(ctx: Context) -> dict:
    """Start every Monte Carlo curve's runs (they overlap on a cluster); index → collector."""
    sizes = _sizes(ctx.settings.mode)
    return {idx: _mc_points(ctx, sizes, idx, _tuned_ridge(sizes, *CURVES[idx]))
            for idx in sizes["mc_curves"]}


def scaling_figure(ctx: Context) -> FigureOutput:
    """Tuned test error against n at d = ∞, its floor, n* and the local slopes; Monte Carlo at
    the small-n end on the truncated spectrum."""
    sizes = _sizes(ctx.settings.mode)
    n = np.geomspace(2e1, 1e9, sizes["n_points"])
    exponent = float(pl.optimal_ridge_mixed()["exponent"].subs(
        {pl.beta: BETA, pl.r_source: R_SOURCE}))
    fig = Figure(figsize=(12.0, 4.8), layout="constrained")
    FigureCanvasAgg(fig)
    ax, ax_slope = fig.subplots(1, 2, width_ratios=(1.35, 1.0))
    points, notes = [], []
    log_n = np.log(n)
    started = _scaling_runs(ctx)
    for idx, (p2, c2) in enumerate(CURVES):
        color, style = _COLORS[p2], _STYLES[c2] if p2 > 0 else "-"
        err, lam = tuned_error(n, p2, c2, lam_points=sizes["lam_points"])
        label = "p2 = 0 (clean)" if p2 == 0 else f"p2 = {p2:g}, c² = {c2:g}"
        ax.plot(n, err, color=color, ls=style, lw=1.6, label=label)
        floor = p2**2 * c2
        decay = err - floor
        slope = np.gradient(np.log(decay), log_n)
        ax_slope.plot(n, slope, color=color, ls=style, lw=1.4, label=label)
        measured = float(np.interp(np.log(1e8), log_n, slope))
        line = f"{label}: local slope of E − p2²c² at n = 1e8 is {measured:.3f}"
        if p2 > 0:
            ax.axhline(floor, color=color, ls=":", lw=1)
            n_star = derived_onset(p2, c2)
            e_star = float(np.exp(np.interp(np.log(n_star), log_n, np.log(err))))
            ax.plot([n_star], [e_star], marker="D", ms=7, color=color, mec="white", zorder=6)
            gap = -np.log(decay / floor)  # increasing in n; 0 where E − p2²c² = p2²c²
            measured_star = (float(np.exp(np.interp(0.0, gap, log_n)))
                             if gap[0] < 0 < gap[-1] else np.nan)
            line += (f"; derived n* = {n_star:.3g}, where the solver's E − p2²c² meets p2²c²: "
                     f"{measured_star:.3g}")
        notes.append(line)
        if idx in sizes["mc_curves"]:
            lam_of_n = _tuned_ridge(sizes, p2, c2)
            pts, ns, means = started[idx]()
            points += pts
            d = sizes["mc_d"]
            fine = np.geomspace(ns[0], ns[-1] * 1.5, 25)
            finite = ridge_risk(PowerLawSpectrum(BETA, d, **_diagonals(c2)), n=fine,
                                ridge=lam_of_n(fine), p2=p2, noise_real=NOISE,
                                noise_synth=NOISE).test_error
            ax.plot(fine, finite, color=color, ls=(0, (2, 1)), lw=1.0, alpha=0.8)
            mean, se = np.array(means).T
            ax.errorbar(ns, mean, yerr=3 * se, fmt="o", ms=4, color=color, mfc="white",
                        capsize=2, zorder=7)
    ax_slope.axhline(-exponent, color="grey", ls="--", lw=1.2,
                     label=f"derived −2rβ/(2rβ+1) = {-exponent:.3f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n (training rows)")
    ax.set_ylabel("test error at the tuned λ")
    ax.set_title(rf"d = ∞, $s_j = j^{{-{BETA:g}}}$, r = {R_SOURCE:g}, $r_\Delta$ = {R_SHIFT:g}, "
                 f"σ = {NOISE:g}", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color="grey", ls=":", lw=1),
                Line2D([], [], color="grey", marker="D", ls="none", mec="white"),
                Line2D([], [], color="grey", ls=(0, (2, 1)), lw=1),
                Line2D([], [], color="grey", marker="o", mfc="white", ls="none")]
    labels += ["floor p2²c²", "derived n* (collapse onset)",
               f"theory at d = {sizes['mc_d']} (truncated)",
               f"Monte Carlo at d = {sizes['mc_d']} (replicated ×2; ± 3 se)"]
    ax.legend(handles, labels, fontsize=7.5, loc="lower left", ncol=2)
    ax_slope.set_xscale("log")
    ax_slope.set_ylim(-exponent - 0.15, -exponent + 0.1)
    ax_slope.set_xlabel("n")
    ax_slope.set_ylabel("d log(E − p2²c²) / d log n")
    ax_slope.set_title("measured local slope vs the derived approach rate", fontsize=10)
    ax_slope.grid(True, which="major", alpha=0.3)
    ax_slope.legend(fontsize=7.5, loc="lower right")
    caption = (
        "Scaling law with synthetic data on an infinite-dimensional power-law spectrum s_j = "
        f"j^-{BETA:g} (teacher source exponent r = {R_SOURCE:g}, shift r_Δ = {R_SHIFT:g} with "
        f"tr ΣΔ = c², σ1 = σ2 = {NOISE:g}), ridge tuned at every n. Left: the test error, its "
        "floor p2²c² (dotted) and the derived collapse-onset sample size n* (diamonds) — beyond "
        "n* more data barely helps. Dashed thin: the theory at a finite d (the spectrum "
        "truncated); markers: Monte Carlo of the replicated problem (every eigenvalue twice) at "
        "the small-n end, compared by the finite-size rule. Right: the local slope of "
        "E − p2²c² against the derived approach rate 2rβ/(2rβ+1) (σ² becomes σ² + p1p2c²)."
    )
    return FigureOutput("scaling", "Scaling law with synthetic data (d = ∞)", fig, caption,
                        points, notes)


#: Figure name → function.
SCALING_FIGURES = {"scaling": scaling_figure}

#: Figure → the function that starts its Monte Carlo runs (the figure finds them under way).
SCALING_PREFETCH = {"scaling": _scaling_runs}


def planned_scaling_runs(settings, figures) -> int:
    """Monte Carlo runs of the scaling figure (two sizes per n per simulated curve)."""
    if "scaling" not in figures:
        return 0
    sizes = _sizes(settings.mode)
    return 2 * len(sizes["mc_n"]) * len(sizes["mc_curves"])
