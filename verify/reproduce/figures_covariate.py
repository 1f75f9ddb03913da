"""Covariate shift: the test error against n when the generator loses the tail of the spectrum
(docs/mathematics.md §7).

Same contract as :mod:`modelcollapse.verify.reproduce.figures`: a function of a
:class:`~modelcollapse.verify.reproduce.Context` returning a
:class:`~modelcollapse.verify.reproduce.FigureOutput`.

Setting: real rows from ``N(0, Σ)`` with ``s_j ∝ j^{-1}`` (``tr Σ = 1``), synthetic rows from a
generator that keeps the head of the spectrum (the first quarter of the eigenvalues) and multiplies
its tail by ρ (ρ = 1: no covariate shift, Theorem 1; ρ = 0: the tail is lost), half the rows each
(``p2 = 1/2``).  Fixed teachers: ``wᵀΣw = 1`` for the real data and ``w + δ`` for the generator,
``δᵀΣδ = c²``, spread over all directions; label noise σ on both; λ small and fixed
(``10⁻³`` of the mean eigenvalue).  The error is measured on the real distribution.

What the figure compares:

* the theory (``modelcollapse.numerics.multi_source.multi_source_risk``) at the simulated d;
* the floor that more data cannot remove, derived by SymPy
  (:func:`modelcollapse.theory.multi_source.tail_plateau`):
  ``E_∞(ρ) = θ_head² c²_head + θ_tail(ρ)² c²_tail`` with ``θ_head = p2``,
  ``θ_tail = p2ρ/(p1 + p2ρ)`` — dotted, one per ρ;
* Monte Carlo of the exact finite model
  (:func:`modelcollapse.verify.montecarlo_multi.simulate_multi_source`) at d and d/2 with the same
  ratios, compared by the finite-size rule (:mod:`modelcollapse.verify.reproduce._agreement`).

Losing the tail lowers the floor (on the tail directions the real rows outweigh the generator's):
covariate shift of this kind moves the strong-collapse plateau ``p2²c²``, it does not add to it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from modelcollapse.numerics.multi_source import multi_source_risk
from modelcollapse.theory import multi_source as ms

from ..montecarlo_multi import simulate_multi_source
from ._agreement import SizedRun, compare
from ._context import Context, FigureOutput

__all__ = ["covariate_figure", "COVARIATE_FIGURES", "COVARIATE_PREFETCH", "planned_covariate_runs",
           "problem", "plateau", "RHOS", "P2", "C2", "NOISE", "RIDGE", "HEAD"]

#: The generators: the tail multiplied by ρ (1: no covariate shift; 0: the tail is lost).
RHOS = (1.0, 0.3, 0.1, 0.0)
#: Synthetic share, shift energy c² = δᵀΣδ, label noise σ, ridge in units of the mean eigenvalue.
P2, C2, NOISE, RIDGE = 0.5, 0.5, 0.5, 1e-3
#: The head kept by the generator: this share of the eigenvalues.
HEAD = 0.25
QUANTITIES = ("test_error", "bias", "variance", "zeta")
_COLORS = {1.0: "black", 0.3: "tab:blue", 0.1: "tab:orange", 0.0: "tab:red"}


def _sizes(mode: str) -> dict:
    if mode == "tiny":
        return dict(d=40, ratios=(2.0, 16.0), mc_rhos=(1.0, 0.0), n_points=80)
    if mode == "quick":
        return dict(d=200, ratios=(0.5, 2.0, 8.0, 32.0), mc_rhos=RHOS, n_points=600)
    return dict(d=400, ratios=(0.5, 2.0, 8.0, 32.0, 128.0), mc_rhos=RHOS, n_points=800)


def problem(d: int, rho: float) -> dict:
    """The sources at dimension ``d`` (keyword arguments of ``multi_source_risk`` without n).

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify.reproduce.figures_covariate import problem
    >>> real, synth = problem(40, 0.0)["sources"]
    >>> w, dw = real["teacher"], synth["teacher"] - real["teacher"]
    >>> s = real["covariance"]
    >>> [round(float(x), 12) for x in (s.sum(), w @ (s * w), dw @ (s * dw))]
    [1.0, 1.0, 0.5]
    >>> int((synth["covariance"] > 0).sum())
    10
    """
    j = np.arange(1, d + 1, dtype=float)
    s = 1.0 / j
    s /= s.sum()
    w = np.cos(j) / np.sqrt(s)
    w /= np.sqrt(w @ (s * w))
    z = np.sin(3.0 * j) / np.sqrt(s)
    z -= (z @ (s * w)) * w
    z *= np.sqrt(C2 / (z @ (s * z)))
    synth = np.where(np.arange(d) < max(1, round(HEAD * d)), s, rho * s)
    return {"sources": [
        {"fraction": 1.0 - P2, "covariance": s, "teacher": w, "noise": NOISE},
        {"fraction": P2, "covariance": synth, "teacher": w + z, "noise": NOISE}],
        "ridge": RIDGE / d}


def plateau(d: int, rho: float) -> float:
    """``E_∞(ρ)`` of :func:`modelcollapse.theory.multi_source.tail_plateau` for this figure's
    problem at dimension ``d`` (n → ∞, then λ → 0).

    Examples
    --------
    >>> from modelcollapse.verify.reproduce.figures_covariate import plateau, P2, C2
    >>> abs(plateau(100, 1.0) - P2**2 * C2) < 1e-12   # no covariate shift: Theorem 1's p2²c²
    True
    >>> plateau(100, 0.0) < plateau(100, 0.1) < plateau(100, 1.0)
    True
    """
    src = problem(d, rho)["sources"]
    s = src[0]["covariance"]
    shift = src[1]["teacher"] - src[0]["teacher"]
    energy = s * shift**2
    head = max(1, round(HEAD * d))
    tp = ms.tail_plateau()
    sy = tp["symbols"]
    return float(tp["E"].subs({sy["rho"]: rho, sy["p2"]: P2, sy["a1"]: 1, sy["a2"]: 1,
                               sy["c2_head"]: float(energy[:head].sum()),
                               sy["c2_tail"]: float(energy[head:].sum())}))


def _theory(d: int, rho: float, n) -> object:
    return multi_source_risk(**problem(d, rho), n=np.asarray(n, dtype=float))


def _mc_points(ctx: Context, sizes: dict, rho: float
               ) -> Callable[[], tuple[list, np.ndarray, list]]:
    """Start the Monte Carlo at d and d/2 for each n/d; the function that collects the
    agreement rows and the means at d."""
    d = sizes["d"]
    ratios = np.asarray(sizes["ratios"])
    draws = ctx.settings.ridge_draws
    started = []
    for ratio in ratios:
        futures = []
        for rep, size in enumerate((d, d // 2)):
            rows = int(round(ratio * size))
            count = draws * (ctx.settings.half_draws if rep == 1 else 1)
            prob = problem(size, rho)
            params = dict(model="multi_source-covariate", d=size, n=rows, rho=rho, p2=P2,
                          c2=C2, noise=NOISE, ridge=prob["ridge"], head=HEAD, draws=count)

            def run(seed, prob=prob, rows=rows, count=count):
                return simulate_multi_source(prob["sources"], n=rows, ridge=[prob["ridge"]],
                                             draws=count, seed=seed)

            futures.append((size, rows, ctx.submit(
                f"covariate rho={rho} n={rows} d={size}", params, run,
                expect={q: (count, 1) for q in QUANTITIES})))
        started.append((ratio, futures))

    def collect() -> tuple[list, np.ndarray, list]:
        points, means = [], []
        for ratio, futures in started:
            runs = []
            for size, rows, future in futures:
                theory = _theory(size, rho, rows)
                runs.append(SizedRun(size, {q: np.atleast_1d(getattr(theory, q))
                                            for q in QUANTITIES}, future.result()))
            points += compare(figure="covariate", series=f"rho={rho:g}", x_name="n/d",
                              x=[float(ratio)], runs=runs, quantities=QUANTITIES)
            big = runs[0].mc
            means.append((float(np.ravel(big.mean["test_error"])[0]),
                          float(np.ravel(big.stderr["test_error"])[0])))
        return points, ratios, means

    return collect


def _covariate_runs(ctx: Context) -> dict:
    """Start every ρ's runs (they overlap on a cluster); ρ → its collector."""
    sizes = _sizes(ctx.settings.mode)
    return {rho: _mc_points(ctx, sizes, rho) for rho in sizes["mc_rhos"]}


def covariate_figure(ctx: Context) -> FigureOutput:
    """Test error against n for generators that lose more and more of the tail, with the
    derived plateaus and Monte Carlo points."""
    sizes = _sizes(ctx.settings.mode)
    d = sizes["d"]
    ratio = np.geomspace(0.1, 1e4, sizes["n_points"])
    fig = Figure(figsize=(8.0, 5.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    points, notes = [], []
    started = _covariate_runs(ctx)
    for rho in RHOS:
        color = _COLORS[rho]
        err = _theory(d, rho, ratio * d).test_error
        label = "ρ = 1 (no covariate shift)" if rho == 1.0 else (
            "ρ = 0 (tail lost)" if rho == 0.0 else f"ρ = {rho:g}")
        ax.plot(ratio, err, color=color, lw=1.6, label=label)
        floor = plateau(d, rho)
        ax.axhline(floor, color=color, ls=":", lw=1.1)
        line = (f"ρ = {rho:g}: derived floor E_∞ = {floor:.4f}; theory at n = {ratio[-1]:g} d is "
                f"{float(err[-1]):.4f}")
        if rho in sizes["mc_rhos"]:
            pts, ns, means = started[rho]()
            points += pts
            mean, se = np.array(means).T
            ax.errorbar(ns, mean, yerr=3 * se, fmt="o", ms=4, color=color, mfc="white",
                        capsize=2, zorder=6)
            line += f"; Monte Carlo at d = {d}: " + ", ".join(
                f"n = {r:g} d: {m:.4f} ± {e:.4f}" for r, m, e in zip(ns, mean, se, strict=True))
        notes.append(line)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("n / d (training rows per dimension)")
    ax.set_ylabel("test error on the real distribution")
    ax.set_title(rf"d = {d}, $s_j \propto j^{{-1}}$, p2 = {P2:g}, c² = {C2:g}, σ = {NOISE:g}, "
                 f"tail = last {1 - HEAD:.0%} of the spectrum ×ρ", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color="grey", ls=":", lw=1.1),
                Line2D([], [], color="grey", marker="o", mfc="white", ls="none")]
    labels += ["derived floor E_∞(ρ) (n → ∞, λ → 0)", f"Monte Carlo at d = {d} (± 3 se)"]
    ax.legend(handles, labels, fontsize=8, loc="lower left")
    caption = (
        "Covariate shift: ridge on real rows (N(0, Σ), s_j ∝ 1/j) and as many synthetic rows from "
        "a generator that keeps the head of the spectrum and multiplies its tail (the last three "
        "quarters of the eigenvalues) by ρ, its teacher shifted by c² = "
        f"{C2:g}; λ = {RIDGE:g} of the mean eigenvalue. Solid: the multi-source deterministic "
        "equivalent; dotted: the floor E_∞(ρ) = p2² c²_head + (p2ρ/(p1 + p2ρ))² c²_tail derived "
        "by SymPy; markers: Monte Carlo of the exact finite model, compared with the theory by "
        "the finite-size rule (sizes d and d/2). Losing the tail lowers the floor: on the tail "
        "the real rows outweigh the generator's, so the shift there is learnt away; ρ = 1 is "
        "Theorem 1's p2²c²."
    )
    return FigureOutput("covariate", "Covariate shift: a generator that loses the tail", fig,
                        caption, points, notes)


#: Figure name → function.
COVARIATE_FIGURES = {"covariate": covariate_figure}

#: Figure → the function that starts its Monte Carlo runs (the figure finds them under way).
COVARIATE_PREFETCH = {"covariate": _covariate_runs}


def planned_covariate_runs(settings, figures) -> int:
    """Monte Carlo runs of the covariate-shift figure (two sizes per n per simulated ρ)."""
    if "covariate" not in figures:
        return 0
    sizes = _sizes(settings.mode)
    return 2 * len(sizes["ratios"]) * len(sizes["mc_rhos"])
