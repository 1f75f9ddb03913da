"""Real-data figures: Theorem 1 on the digits spectrum, a two-layer network and an n-gram model.

Same interface as :mod:`modelcollapse.verify.reproduce.figures`: each function takes a
:class:`~modelcollapse.verify.reproduce.Context` and returns a
:class:`~modelcollapse.verify.reproduce.FigureOutput`.  The experiments are those of
:mod:`modelcollapse.verify.realdata` (its docstring explains the designs and the gaps); every run
goes through ``ctx.submit`` (seeded, cached).  Only the Gaussian route of the digits figure is
the theory's own model, so only its points enter the agreement table; the real-data numbers are
measurements, printed in the report's tables with their relative errors or gaps.

The agreement rule extrapolates over two sizes with the same ratios
(:mod:`modelcollapse.verify.reproduce._agreement`).  A real spectrum has one size (d = 54 kept
pixels), so the second member of its family is the *replicated* problem: every eigenvalue of Σ
twice (d = 108), the teachers' eigen-coordinates repeated and divided by √2 (so ``w1ᵀΣw1``,
``c²`` and every quadratic form of Theorem 1 are unchanged), twice the rows, the same λ — the
theory is the same, the finite-size bias halves.  It is simulated with
:func:`~modelcollapse.verify.simulate_ridge` (fixed teachers, label noise integrated exactly).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullFormatter

from modelcollapse.numerics import ridge_risk

from .. import realdata as rd
from .._result import MonteCarloResult
from ..cluster import overlapping_runs
from ..engine import current_client
from ..montecarlo import simulate_ridge
from ._agreement import SizedRun, compare
from ._context import Context, FigureOutput

__all__ = [
    "digits_figure",
    "network_figure",
    "ngram_figure",
    "REALDATA_FIGURES",
    "REALDATA_PREFETCH",
    "planned_realdata_runs",
    "REPLICAS",
    "REALDATA_RTOL",
]

#: The second size of the digits family: each eigenvalue repeated this many times.
REPLICAS = 2
#: Not used by the figure (its agreement extrapolates over two sizes, without a relative
#: allowance).  The single-size relative allowance that ``tests/test_realdata.py`` still applies
#: to the Gaussian route at d = 54 (least squares' 1/(n − d − 1) = 2.2 % at n = 100).
REALDATA_RTOL = 0.03

#: Experiment 1: the synthetic labeller (ridge on 60 real rows, λ = 1) and the real label.
DIGITS_TARGET, GENERATOR_ROWS, GENERATOR_RIDGE, GENERATOR_SEED = "odd", 60, 1.0, 0
#: Route styles: marker, face, label.
_ROUTE_STYLE = {
    "pool": ("o", None, "real rows, without replacement"),
    "iid": ("^", None, "real rows, with replacement"),
    "iid-noise": ("v", None, "real features, independent noise"),
    "gaussian": ("s", "white", "Gaussian features (theory's model)"),
}


def _sizes(ctx: Context) -> dict:
    return _sizes_of(ctx.settings.mode)


def _sizes_of(mode: str) -> dict:
    if mode == "tiny":
        return dict(
            digits=dict(n=(100, 400), ridge=(1e-3, 1.0), p2=(0.0, 0.5), draws=40),
            network=dict(widths=(8, 32), n=300, p2=(0.5,), repeats=2, real_only=False,
                         max_iter=100),
            ngram=dict(sizes=(3_000, 30_000), p2=(0.5,), repeats=2),
        )
    if mode == "quick":
        return dict(
            digits=dict(n=(100, 200, 400, 800), ridge=(1e-3, 0.1, 1.0), p2=(0.0, 0.2, 0.5),
                        draws=150),
            network=dict(widths=(8, 32, 128), n=1000, p2=(0.5,), repeats=3, real_only=False,
                         max_iter=500),
            ngram=dict(sizes=(3_000, 30_000, 300_000), p2=(0.1, 0.5), repeats=4),
        )
    return dict(
        digits=dict(n=(100, 200, 400, 800, 1600), ridge=(1e-3, 0.1, 1.0), p2=(0.0, 0.2, 0.5),
                    draws=1000),
        network=dict(widths=(4, 8, 16, 32, 64, 128, 256, 512), n=1000, p2=(0.2, 0.5),
                     repeats=5, real_only=True, max_iter=500),
        ngram=dict(sizes=(3_000, 10_000, 30_000, 100_000, 300_000), p2=(0.1, 0.5), repeats=10),
    )


def _new_figure(ncols: int, width: float = 4.6) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(width * ncols, 3.9), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, np.atleast_1d(fig.subplots(1, ncols))


def _log_ticks(ax, values, axis: str = "x", fmt=None) -> None:
    """Major ticks exactly at ``values`` with plain labels, no minor labels."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    getattr(ax, f"set_{axis}ticks")(list(values), [fmt(v) if fmt else f"{v:g}" for v in values])
    target.set_minor_formatter(NullFormatter())


def _plain(ax, axis: str = "y", mantissas=(2, 3, 5)) -> None:
    """Plain decimal labels on a log axis: every decade, and ``mantissas`` times it."""
    target = ax.xaxis if axis == "x" else ax.yaxis

    def minor(v, _):
        mantissa = round(v / 10 ** np.floor(np.log10(v)), 6) if v > 0 else 0
        return f"{v:g}" if mantissa in mantissas else ""

    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_formatter(FuncFormatter(minor))


def _unavailable(name: str, title: str, reason: str) -> FigureOutput:
    fig, axes = _new_figure(1)
    axes[0].axis("off")
    axes[0].text(0.5, 0.5, f"not run: {reason}", ha="center", va="center", wrap=True)
    return FigureOutput(name, title, fig, f"Not run: {reason}.", [], [f"Not run: {reason}."])


def _sklearn_version() -> str | None:
    try:
        return version("scikit-learn")
    except PackageNotFoundError:
        return None


def _pm(mean: float, se: float, digits: int = 4) -> str:
    return f"{mean:.{digits}g} ± {se:.2g}"


def _slice(mc: MonteCarloResult, key: str, index) -> MonteCarloResult:
    return MonteCarloResult.from_draws({key: mc.draws[key][(slice(None), *index)]}, mc.seed,
                                       mc.params)


# --------------------------------------------------------------------------------------------
# experiment 1: Theorem 1 on the digits spectrum
# --------------------------------------------------------------------------------------------


def _replicated(pop, w2) -> dict:
    """The digits problem with every eigenvalue repeated :data:`REPLICAS` times (module docs)."""
    k = REPLICAS
    return dict(spectrum=np.repeat(pop.spectrum, k),
                w_real=np.repeat(pop.eigenbasis(pop.w_real), k) / np.sqrt(k),
                w_synth=np.repeat(pop.eigenbasis(w2), k) / np.sqrt(k))


def _digits_agreement(ctx: Context, pop, w2, ns, lams, p2s, draws: int
                      ) -> Callable[[MonteCarloResult, np.ndarray], list]:
    """Start the replicated problem at d = 108; the function ``collect(gaussian, theory)`` that
    compares it and the Gaussian route at d = 54, per (λ, p2) over n."""
    rep = _replicated(pop, w2)
    d_rep = rep["spectrum"].size
    rep_draws = max(10, draws // 5)  # noise integrated exactly: far smaller se per draw
    rows = REPLICAS * ns
    params = dict(figure="realdata-digits-replicated", d=d_rep, n=rows, p2=p2s, ridge=lams,
                  noise_real=pop.noise_real, draws=rep_draws, data=pop.fingerprint,
                  generator=(GENERATOR_ROWS, GENERATOR_RIDGE, GENERATOR_SEED))

    def run(seed):
        """Every (n, p2) of the grid, each from its own child seed; one result (n, λ, p2).  On
        a cluster the grid's simulations overlap (:func:`overlapping_runs`)."""
        seeds = np.random.SeedSequence(seed).generate_state(ns.size * p2s.size)
        out = np.empty((rep_draws, ns.size, lams.size, p2s.size))
        p2_eff = np.empty((ns.size, p2s.size))
        client = current_client()
        grid = [(i, k, functools.partial(
            simulate_ridge, rep["spectrum"], n=int(n_rep), p2=float(p2), ridge=lams,
            noise_real=pop.noise_real, noise_synth=0.0, w_real=rep["w_real"],
            w_synth=rep["w_synth"], draws=rep_draws, seed=int(seeds[i * p2s.size + k]),
            progress=False, client=client))
            for i, n_rep in enumerate(rows) for k, p2 in enumerate(p2s)]
        with overlapping_runs(client) as pool:
            done = [pool.submit(call) if pool else None for _, _, call in grid]
            for (i, k, call), future in zip(grid, done, strict=True):
                mc = future.result() if future else call()
                out[:, i, :, k] = mc.draws["test_error"]
                p2_eff[i, k] = mc.params["p2_effective"]
        return MonteCarloResult.from_draws({"test_error": out}, seed,
                                           dict(params, p2_effective=p2_eff.tolist()))

    started = ctx.submit("realdata digits replicated", params, run,
                         expect={"test_error": (rep_draws, ns.size, lams.size, p2s.size)})

    def collect(gaussian: MonteCarloResult, theory: np.ndarray) -> list:
        return _digits_rows(started.result(), gaussian, theory, rep, pop, d_rep, rows, ns, lams,
                            p2s)

    return collect


def _digits_rows(big, gaussian, theory, rep, pop, d_rep, rows, ns, lams, p2s) -> list:
    """The agreement rows of :func:`_digits_agreement`."""
    p2_eff = np.array(big.params["p2_effective"])
    th_big = ridge_risk(rep["spectrum"], n=rows[:, None, None].astype(float),
                        p2=p2_eff[:, None, :], ridge=lams[None, :, None],
                        noise_real=pop.noise_real, noise_synth=0.0, w_real=rep["w_real"],
                        w_synth=rep["w_synth"]).test_error  # (n, λ, p2)
    points = []
    for j, lam in enumerate(lams):
        for k, p2 in enumerate(p2s):
            large = SizedRun(d_rep, {"test_error": th_big[:, j, k]},
                             _slice(big, "test_error", (slice(None), j, k)))
            small = SizedRun(pop.dim, {"test_error": theory[:, j, k]},
                             _slice(gaussian, "test_error", (slice(None), j, k)))
            points += compare(figure="digits", series=f"Gaussian, λ={lam:g}, p2={p2:g}",
                              x_name="n", x=list(ns), runs=[large, small],
                              quantities=["test_error"])
    return points


def _digits_runs(ctx: Context) -> tuple:
    """Start the replicated problem and the four routes (they overlap on a cluster); the
    replicated problem's collector and route → future.  (None without scikit-learn.)"""
    if _sklearn_version() is None:
        return None
    sz = _sizes(ctx)["digits"]
    pop = rd.digits_population(target=DIGITS_TARGET)
    w2 = rd.ridge_generator(pop, rows=GENERATOR_ROWS, ridge=GENERATOR_RIDGE, seed=GENERATOR_SEED)
    ns, lams, p2s = np.array(sz["n"]), np.array(sz["ridge"]), np.array(sz["p2"])
    agreement = _digits_agreement(ctx, pop, w2, ns, lams, p2s, sz["draws"])
    runs = {}
    for route in rd.ROUTES:
        params = dict(figure="realdata-digits", route=route, n=ns, ridge=lams, p2=p2s,
                      draws=sz["draws"], target=DIGITS_TARGET, generator=(GENERATOR_ROWS,
                      GENERATOR_RIDGE, GENERATOR_SEED), data=pop.fingerprint,
                      code=rd.source_version())

        def run(seed, route=route):
            return rd.simulate_realdata_ridge(pop, w2, n=ns, p2=p2s, ridge=lams, route=route,
                                              draws=sz["draws"], seed=seed)

        shape = (sz["draws"], ns.size, lams.size, p2s.size)
        expect = {"test_error": shape}
        if route == "pool":
            expect["heldout_excess"] = shape
        runs[route] = ctx.submit(f"realdata digits route={route}", params, run, expect=expect)
    return agreement, runs


def digits_figure(ctx: Context) -> FigureOutput:
    """Ridge on real digits against Theorem 1 on their spectrum (four routes; module docs)."""
    title = "Real data — Theorem 1 on the digits spectrum"
    if _sklearn_version() is None:
        return _unavailable("digits", title, "scikit-learn is not installed")
    sz = _sizes(ctx)["digits"]
    pop = rd.digits_population(target=DIGITS_TARGET)
    w2 = rd.ridge_generator(pop, rows=GENERATOR_ROWS, ridge=GENERATOR_RIDGE, seed=GENERATOR_SEED)
    c2 = float(pop.excess_risk(w2))
    ns, lams, p2s = np.array(sz["n"]), np.array(sz["ridge"]), np.array(sz["p2"])
    agreement, runs = _digits_runs(ctx)
    runs = {route: future.result() for route, future in runs.items()}  # they ran together
    p2_eff = np.array(runs["gaussian"].params["p2_effective"])  # (n, p2)
    theory = rd.realdata_ridge_theory(pop, w2, n=ns[:, None, None], p2=p2_eff[:, None, :],
                                      ridge=lams[None, :, None]).test_error  # (n, λ, p2)
    points = agreement(runs["gaussian"], theory)

    fig, axes = _new_figure(3)
    n_line = np.geomspace(ns.min() * 0.8, max(ns.max() * 1.25, pop.size * 1.1), 200)
    colors = ["black", "tab:blue", "tab:red", "tab:green", "tab:purple"]
    shown = [0, len(lams) - 1]  # smallest and largest λ
    for ax, j in zip(axes[:2], shown, strict=True):
        for k, p2 in enumerate(p2s):
            color = colors[k % len(colors)]
            line = rd.realdata_ridge_theory(pop, w2, n=n_line, p2=p2, ridge=lams[j]).test_error
            ax.loglog(n_line, line, color=color, lw=1.3, label=f"theory, p2 = {p2:g}")
            for route in ("pool", "gaussian"):
                mc = runs[route]
                marker, face, _ = _ROUTE_STYLE[route]
                ax.errorbar(ns, mc.mean["test_error"][:, j, k],
                            yerr=3 * mc.stderr["test_error"][:, j, k], fmt=marker, ms=4.5,
                            capsize=2, color=color, mfc=face or color, zorder=5)
        ax.axvline(pop.size, color="gray", ls=":", lw=1)
        ax.text(pop.size, ax.get_ylim()[1], " N", color="gray", va="top", fontsize=8)
        ax.set_title(f"({'ab'[shown.index(j)]}) λ = {lams[j]:g}", fontsize=9)
        ax.set_xlabel("n (training rows)")
        _log_ticks(ax, ns)
        ax.grid(True, which="major", alpha=0.3)
    _plain(axes[1], mantissas=range(2, 10))
    axes[0].set_ylabel("excess risk $(\\hat w - w_1)^T\\Sigma(\\hat w - w_1)$")
    # legend: colours = p2 (theory lines), markers = route
    handles = [Line2D([], [], color=colors[k % len(colors)], label=f"p2 = {p2:g}")
               for k, p2 in enumerate(p2s)]
    handles += [Line2D([], [], ls="", marker=_ROUTE_STYLE[r][0], color="gray",
                       mfc=_ROUTE_STYLE[r][1] or "gray", label=_ROUTE_STYLE[r][2])
                for r in ("pool", "gaussian")]
    axes[0].legend(handles=handles, fontsize=7, loc="lower left")

    ax = axes[2]
    k_rel = int(np.argmin(np.abs(p2s - 0.2))) if p2s.size else 0
    route_colors = {"pool": "tab:red", "iid": "tab:orange", "iid-noise": "tab:olive",
                    "gaussian": "tab:blue"}
    for route, mc in runs.items():
        marker, face, label = _ROUTE_STYLE[route]
        for j, ls in zip(shown, ("-", "--"), strict=True):
            rel = mc.mean["test_error"][:, j, k_rel] / theory[:, j, k_rel] - 1
            err = 3 * mc.stderr["test_error"][:, j, k_rel] / theory[:, j, k_rel]
            ax.errorbar(ns * (1.03 if ls == "--" else 1.0), 100 * rel, yerr=100 * err,
                        fmt=marker, ls=ls, ms=4, capsize=2, color=route_colors[route],
                        mfc=face or route_colors[route],
                        label=f"{label}" if ls == "-" else None)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xscale("log")
    _log_ticks(ax, ns)
    ax.set_xlabel("n (training rows)")
    ax.set_ylabel("measured / theory − 1  (%)")
    ax.set_title(f"(c) relative error at p2 = {p2s[k_rel]:g}, ± 3 se", fontsize=9)
    ax.grid(True, alpha=0.3)
    handles, _ = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color="gray", ls=ls, label=f"λ = {lams[j]:g}")
                for j, ls in zip(shown, ("-", "--"), strict=True)]
    ax.legend(handles=handles, fontsize=7, loc="upper right")

    notes = _digits_notes(pop, c2, runs, theory, ns, lams, p2s)
    caption = (
        f"Theorem 1 on a real spectrum. Population: the {pop.size} digit images of "
        f"scikit-learn's load_digits, {pop.dim} pixels kept (constant pixels and pixels lit in "
        "under 1 % of the images dropped), centred and scaled; Σ = their covariance; real label: "
        f"the digit is odd (centred), w1 its population least-squares teacher, σ1² = "
        f"{pop.noise_real**2:.4f}. Synthetic labels: xᵀw2 without noise, w2 = ridge (λ = "
        f"{GENERATOR_RIDGE:g}) on {GENERATOR_ROWS} real rows, c² = δᵀΣδ = {c2:.4f}. Lines: "
        "ridge_risk on Σ's eigenvalues with the fixed teachers. Filled markers: ridge on "
        "n rows drawn without replacement from the pool (n1 real, n2 = p2·n synthetic), "
        "population excess risk (ŵ − w1)ᵀΣ(ŵ − w1) — the theory's E_test; open squares: the "
        f"same with Gaussian features of the same Σ; mean ± 3 se over {sz['draws']} draws. "
        "(c) The four routes separate the gap: Gaussian (theory's model: agrees), real "
        "features with independent noise, real rows with replacement, real rows without "
        "replacement. Real features exceed the theory near n ≈ d with a weak ridge; a finite "
        "pool drawn without replacement falls below it as n approaches N. Only the Gaussian "
        "points enter the agreement table, extrapolated over d = 54 and the replicated "
        f"problem at d = {REPLICAS * pop.dim} (every eigenvalue twice, twice the rows, the "
        "same theory; module docs)."
    )
    return FigureOutput("digits", title, fig, caption, points, notes)


def _digits_notes(pop, c2, runs, theory, ns, lams, p2s) -> list[str]:
    def rel(route, i, j, k, key="test_error"):
        mc = runs[route]
        th = theory[i, j, k]
        return (f"{100 * (mc.mean[key][i, j, k] / th - 1):+.1f} "
                f"± {100 * mc.stderr[key][i, j, k] / th:.1f} %")

    notes = [
        f"d = {pop.dim}, N = {pop.size}, σ1² = {pop.noise_real**2:.4f}, c² = {c2:.4f}. Relative "
        "error = measured mean / theory − 1 (± 1 se). `held-out` is the held-out mean squared "
        "error of ŵ minus that of w1 on the rows not drawn (pool route): it overstates the "
        "population excess risk, because the held-out rows are the complement of the "
        "training draw.",
        "| λ | p2 | n | theory | real (pool) | pool | with replacement | real features, "
        "independent noise | Gaussian | held-out |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for j, lam in enumerate(lams):
        for k, p2 in enumerate(p2s):
            for i, n in enumerate(ns):
                pool = runs["pool"]
                notes.append(
                    f"| {lam:g} | {p2:g} | {n} | {theory[i, j, k]:.4g} | "
                    f"{_pm(pool.mean['test_error'][i, j, k], pool.stderr['test_error'][i, j, k])}"
                    f" | {rel('pool', i, j, k)} | {rel('iid', i, j, k)} | "
                    f"{rel('iid-noise', i, j, k)} | {rel('gaussian', i, j, k)} | "
                    f"{rel('pool', i, j, k, 'heldout_excess')} |"
                )
    worst = {}
    for route, mc in runs.items():
        r = mc.mean["test_error"] / theory - 1
        worst[route] = (float(r[:, -1].min()), float(r[:, -1].max()),
                        float(r[:, 0].min()), float(r[:, 0].max()))
    notes.append(
        "Range of the relative error per route at λ = "
        f"{lams[-1]:g} (and λ = {lams[0]:g}): " + "; ".join(
            f"{route} {100 * a:+.1f} … {100 * b:+.1f} % ({100 * c:+.1f} … {100 * e:+.1f} %)"
            for route, (a, b, c, e) in worst.items()) + "."
    )
    return notes


# --------------------------------------------------------------------------------------------
# experiment 3: a two-layer network on clean vs mixed labels
# --------------------------------------------------------------------------------------------


def _network_run(ctx: Context):
    """Start the network run; its future (None without scikit-learn)."""
    skl = _sklearn_version()
    if skl is None:
        return None
    sz = _sizes(ctx)["network"]
    params = dict(figure="realdata-network", sklearn=skl, code=rd.source_version(), **sz)

    def run(seed):
        return rd.simulate_network_mixing(widths=sz["widths"], n=sz["n"], p2=sz["p2"],
                                          repeats=sz["repeats"], seed=seed,
                                          real_only=sz["real_only"], max_iter=sz["max_iter"])

    nw, npp, reps = len(sz["widths"]), len(sz["p2"]), sz["repeats"]
    expect = {"mse_clean": (reps, nw), "error_clean": (reps, nw), "iterations_clean": (reps, nw),
              "mse_mixed": (reps, npp, nw), "error_mixed": (reps, npp, nw),
              "iterations_mixed": (reps, npp, nw), "mse_generator": (reps,),
              "error_generator": (reps,), "c2_proxy": (reps,)}
    if sz["real_only"]:
        expect["mse_real_only"] = (reps, npp, nw)
    return ctx.submit("realdata network", params, run, expect=expect)


def network_figure(ctx: Context) -> FigureOutput:
    """Two-layer ReLU networks on the digits, clean vs mixed labels, against hidden width."""
    title = "Real data — a two-layer network on clean and mixed labels"
    skl = _sklearn_version()
    if skl is None:
        return _unavailable("network", title, "scikit-learn is not installed")
    sz = _sizes(ctx)["network"]
    mc = _network_run(ctx).result()
    widths = np.array(sz["widths"])
    p2s = np.array(mc.params["p2_effective"])
    reps = sz["repeats"]
    d = mc.draws
    c2 = d["c2_proxy"]
    fig, axes = _new_figure(3)
    colors = ["tab:blue", "tab:red", "tab:green"]
    ax = axes[0]
    ax.errorbar(widths, mc.mean["mse_clean"], yerr=mc.stderr["mse_clean"], fmt="o-",
                color="black", ms=4, capsize=2, label="clean (all labels real)")
    for k, p2 in enumerate(p2s):
        ax.errorbar(widths, mc.mean["mse_mixed"][k], yerr=mc.stderr["mse_mixed"][k], fmt="o-",
                    color=colors[k], ms=4, capsize=2, label=f"mixed, p2 = {p2:g}")
        if "mse_real_only" in d:
            ax.errorbar(widths, mc.mean["mse_real_only"][k], yerr=mc.stderr["mse_real_only"][k],
                        fmt="s--", color=colors[k], ms=3.5, mfc="white", capsize=2, lw=0.9,
                        label=f"real rows only, n1 = {round((1 - p2) * sz['n'])}")
    ax.axhline(mc.mean["mse_generator"], color="gray", ls=":", label="weaker model (labeller)")
    ax.set_ylabel("test error  E‖f(x) − onehot(y)‖²")
    ax.set_title("(a) test mean squared error", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[1]
    gap_notes = []
    for k, p2 in enumerate(p2s):
        gap = d["mse_mixed"][:, k, :] - d["mse_clean"]
        g_mean, g_se = gap.mean(axis=0), gap.std(axis=0, ddof=1) / np.sqrt(reps)
        ax.errorbar(widths, g_mean, yerr=g_se, fmt="o-", color=colors[k], ms=4, capsize=2,
                    label=f"mixed − clean, p2 = {p2:g}")
        floor = p2**2 * c2
        ax.axhline(floor.mean(), color=colors[k], ls="--", lw=0.9,
                   label=f"φ → 0 floor p2²ĉ² = {floor.mean():.3f}, p2 = {p2:g}")
        gap_notes.append((p2, g_mean, g_se, floor.mean(), floor.std(ddof=1) / np.sqrt(reps)))
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("test-error gap (paired per repetition)")
    ax.set_title("(b) the cost of the synthetic labels", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[2]
    ax.errorbar(widths, 100 * mc.mean["error_clean"], yerr=100 * mc.stderr["error_clean"],
                fmt="o-", color="black", ms=4, capsize=2, label="clean")
    for k, p2 in enumerate(p2s):
        ax.errorbar(widths, 100 * mc.mean["error_mixed"][k],
                    yerr=100 * mc.stderr["error_mixed"][k], fmt="o-", color=colors[k], ms=4,
                    capsize=2, label=f"mixed, p2 = {p2:g}")
    ax.axhline(100 * mc.mean["error_generator"], color="gray", ls=":", label="weaker model")
    ax.set_ylabel("test misclassification (%)")
    ax.set_title("(c) classification error (argmax)", fontsize=9)
    ax.legend(fontsize=7)
    for ax in axes:
        ax.set_xscale("log", base=2)
        _log_ticks(ax, widths)
        ax.set_xlabel("hidden width")
        ax.grid(True, alpha=0.3)
    axes[0].set_yscale("log")
    _plain(axes[0])

    hit = int(np.sum(d["iterations_clean"] >= sz["max_iter"])
              + np.sum(d["iterations_mixed"] >= sz["max_iter"]))
    fits = d["iterations_clean"].size + d["iterations_mixed"].size
    notes = [
        f"scikit-learn {skl}; {reps} repetitions (random split, weaker model, initialisation); "
        f"n = {sz['n']} training images, 500 test images. Weaker model: test error "
        f"{_pm(mc.mean['mse_generator'], mc.stderr['mse_generator'])}, misclassification "
        f"{100 * mc.mean['error_generator']:.1f} ± {100 * mc.stderr['error_generator']:.1f} %; "
        f"ĉ² = E‖g − f_widest‖² = {_pm(c2.mean(), c2.std(ddof=1) / np.sqrt(reps))}. "
        f"{hit} of {fits} fits stopped at the iteration limit ({sz['max_iter']}).",
        "| width | clean | " + " | ".join(
            f"mixed p2={p2:g} | gap p2={p2:g} (z)" + (f" | real rows only p2={p2:g}"
                                                      if "mse_real_only" in d else "")
            for p2 in p2s) + " | clean error % | "
        + " | ".join(f"mixed error % p2={p2:g}" for p2 in p2s) + " |",
        "|---|---|" + ("---|---|---|" if "mse_real_only" in d else "---|---|") * len(p2s)
        + "---|" + "---|" * len(p2s),
    ]
    for j, w in enumerate(widths):
        cells = [f"{w}", _pm(mc.mean["mse_clean"][j], mc.stderr["mse_clean"][j])]
        for k, (_, g_mean, g_se, _, _) in enumerate(gap_notes):
            cells.append(_pm(mc.mean["mse_mixed"][k, j], mc.stderr["mse_mixed"][k, j]))
            cells.append(f"{_pm(g_mean[j], g_se[j])} ({g_mean[j] / g_se[j]:+.1f})")
            if "mse_real_only" in d:
                cells.append(_pm(mc.mean["mse_real_only"][k, j],
                                 mc.stderr["mse_real_only"][k, j]))
        cells.append(f"{100 * mc.mean['error_clean'][j]:.1f} ± "
                     f"{100 * mc.stderr['error_clean'][j]:.1f}")
        for k in range(len(p2s)):
            cells.append(f"{100 * mc.mean['error_mixed'][k, j]:.1f} ± "
                         f"{100 * mc.stderr['error_mixed'][k, j]:.1f}")
        notes.append("| " + " | ".join(cells) + " |")
    for p2, g_mean, g_se, floor, floor_se in gap_notes:
        notes.append(f"p2 = {p2:g}: gap at the widest network {_pm(g_mean[-1], g_se[-1])}, "
                     f"the theory's φ → 0 floor p2²ĉ² = {_pm(floor, floor_se)}.")
    caption = (
        "The paper's MNIST experiment in miniature: scikit-learn MLPRegressor (one hidden ReLU "
        "layer, Adam, squared loss on one-hot targets, weight decay 1e-4) on "
        f"n = {sz['n']} digit images (pixels/16); clean: all labels real; mixed: a fraction p2 "
        "of the targets replaced by the outputs of a weaker model (linear ridge, λ = 0.1, on "
        "50 other real images). Test error on 500 held-out real images; mean ± 1 se over "
        f"{reps} repetitions. (b) The paired gap mixed − clean against the theory's φ → 0 "
        "floor p2²c², with c² estimated as ĉ² = E‖g − f‖² between the weaker model and the "
        "widest clean network on the test images."
    )
    return FigureOutput("network", title, fig, caption, [], notes)


# --------------------------------------------------------------------------------------------
# experiment 4: a character n-gram language model on clean vs mixed text
# --------------------------------------------------------------------------------------------


def _ngram_run(ctx: Context, text: str | None = None):
    """Start the n-gram run; its future (None without the bundled text)."""
    if text is None:
        try:
            text = rd.python_docs_text()
        except ImportError:
            return None
    sz = _sizes(ctx)["ngram"]
    params = dict(figure="realdata-ngram", code=rd.source_version(),
                  corpus=hashlib.sha256(text.encode()).hexdigest()[:16], **sz)

    def run(seed):
        return rd.simulate_ngram_mixing(sizes=sz["sizes"], p2=sz["p2"], repeats=sz["repeats"],
                                        seed=seed)

    ns_, np_, reps = len(sz["sizes"]), len(sz["p2"]), sz["repeats"]
    return ctx.submit("realdata ngram", params, run,
                      expect={"loss_clean": (reps, ns_), "loss_mixed": (reps, np_, ns_),
                              "loss_real_only": (reps, np_, ns_), "loss_generator": (reps,)})


def ngram_figure(ctx: Context) -> FigureOutput:
    """Character n-gram test loss against data size, clean vs mixed with weaker-model text."""
    title = "Real data — a language-model analogue (character n-grams)"
    try:
        text = rd.python_docs_text()
    except ImportError as exc:
        return _unavailable("ngram", title, str(exc))
    sz = _sizes(ctx)["ngram"]
    mc = _ngram_run(ctx, text).result()
    sizes = np.array(mc.params["sizes"])
    p2s = np.array(mc.params["p2"])
    reps = sz["repeats"]
    d = mc.draws
    fig, axes = _new_figure(2, width=5.2)
    colors = ["tab:blue", "tab:red", "tab:green"]
    ax = axes[0]
    ax.errorbar(sizes, mc.mean["loss_clean"], yerr=mc.stderr["loss_clean"], fmt="o-",
                color="black", ms=4, capsize=2, label="clean (real text)")
    for k, p2 in enumerate(p2s):
        ax.errorbar(sizes, mc.mean["loss_mixed"][k], yerr=mc.stderr["loss_mixed"][k], fmt="o-",
                    color=colors[k], ms=4, capsize=2, label=f"mixed, p2 = {p2:g}")
        ax.errorbar(sizes, mc.mean["loss_real_only"][k], yerr=mc.stderr["loss_real_only"][k],
                    fmt="s--", color=colors[k], ms=3.5, mfc="white", lw=0.9, capsize=2,
                    label=f"its real part only, (1 − p2)n = {1 - p2:g}n")
    ax.axhline(mc.mean["loss_generator"], color="gray", ls=":",
               label="weaker model (bigram, 20k chars)")
    ax.set_ylabel("test loss (bits per character)")
    ax.set_title("(a) held-out cross-entropy", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[1]
    gaps = []
    for k, p2 in enumerate(p2s):
        gap = d["loss_mixed"][:, k, :] - d["loss_clean"]
        g_mean, g_se = gap.mean(axis=0), gap.std(axis=0, ddof=1) / np.sqrt(reps)
        gaps.append((p2, g_mean, g_se))
        ax.errorbar(sizes, g_mean, yerr=g_se, fmt="o-", color=colors[k], ms=4, capsize=2,
                    label=f"mixed − clean, p2 = {p2:g}")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("test-loss gap (bits per character)")
    ax.set_title("(b) the gap does not close with more data", fontsize=9)
    ax.legend(fontsize=7)
    for ax in axes:
        ax.set_xscale("log")
        _log_ticks(ax, sizes, fmt=lambda v: f"{v / 1000:g}k")
        ax.set_xlabel("training characters n")
        ax.grid(True, alpha=0.3)

    notes = [
        f"Corpus: Python's reference-manual topics (pydoc_data.topics), {len(text):,} "
        f"characters; {mc.params['pool']:,} for training, {mc.params['test']:,} held out "
        "(every 7th chunk of 1000). Alphabet: a–z, space, one symbol for the rest. Student: "
        "order 3, add-k 0.1; weaker model: order 2, add-k 0.01, fitted on 20 000 characters. "
        f"{reps} repetitions; mean ± se. Weaker model's test loss "
        f"{_pm(mc.mean['loss_generator'], mc.stderr['loss_generator'])} bits/char.",
        "| n | clean | " + " | ".join(f"mixed p2={p2:g} | gap p2={p2:g} (z) | real part only "
                                      f"p2={p2:g}" for p2 in p2s) + " |",
        "|---|---|" + "---|---|---|" * len(p2s),
    ]
    for s, n in enumerate(sizes):
        cells = [f"{n:,}", _pm(mc.mean["loss_clean"][s], mc.stderr["loss_clean"][s])]
        for k, (_, g_mean, g_se) in enumerate(gaps):
            cells.append(_pm(mc.mean["loss_mixed"][k, s], mc.stderr["loss_mixed"][k, s]))
            cells.append(f"{_pm(g_mean[s], g_se[s])} ({g_mean[s] / g_se[s]:+.0f})")
            cells.append(_pm(mc.mean["loss_real_only"][k, s], mc.stderr["loss_real_only"][k, s]))
        notes.append("| " + " | ".join(cells) + " |")
    caption = (
        "The paper's GPT-2 experiment in miniature: a character-level 3-gram model with add-k "
        "smoothing trained on n characters of real English (Python's reference manual, which "
        "ships with the interpreter), either all real (clean) or with a fraction p2 of text "
        "sampled from a weaker model (a bigram fitted on 20 000 real characters). Test loss: "
        "cross-entropy on held-out real text. Clean training improves until the model's own "
        "capacity; the mixed curves stall above it, and the gap (b) stays open as n grows "
        "— the error floor of strong model collapse. Dashed: the mixed model's real part "
        "alone, which beats the mix once n is large."
    )
    return FigureOutput("ngram", title, fig, caption, [], notes)


#: Registry merged into the reproduce job.
REALDATA_FIGURES = {"digits": digits_figure, "network": network_figure, "ngram": ngram_figure}

#: Figure → the function that starts its Monte Carlo runs (the figure finds them under way).
REALDATA_PREFETCH = {"digits": _digits_runs, "network": _network_run, "ngram": _ngram_run}


def planned_realdata_runs(settings, figures) -> int:
    """Number of cached runs of the chosen real-data figures (progress-bar total)."""
    per = {"digits": len(rd.ROUTES) + 1, "network": 1, "ngram": 1}
    return sum(per.get(f, 0) for f in figures)
