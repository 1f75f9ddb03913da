"""Real data, experiment 2: random ReLU features on the digits, clean against mixed labels, over
the width (the paper's Figure 6 in miniature; docs/mathematics.md §2.8).

Same contract as :mod:`modelcollapse.verify.reproduce.figures`: the figure function takes a
:class:`~modelcollapse.verify.reproduce.Context` and returns a
:class:`~modelcollapse.verify.reproduce.FigureOutput`.  The experiment is
:func:`modelcollapse.verify.realdata_rf.simulate_realdata_rf` (its module docstring explains the
design); the population, label and synthetic labeller are experiment 1's.  Every run goes through
``ctx.submit`` (seeded, cached).

**What enters the agreement table.**  Only the Gaussian route (``x ~ N(0, Σ)``: the theory's own
model) is compared with the theory by the finite-size rule
(:mod:`modelcollapse.verify.reproduce._agreement`), over two sizes: d = 54 and the *replicated*
problem (every eigenvalue of Σ twice, d = 108, the teachers' eigen-coordinates repeated and divided
by √2, twice the rows and the widths, the same λ — the theory is unchanged, the finite-size bias
shrinks), simulated with :func:`~modelcollapse.verify.montecarlo_rf.simulate_rf`.  Only widths
below the threshold enter (ψ = m/n ≤ 1/2): docs/mathematics.md §2.8 states the Gaussian
equivalence for anisotropic spectra only below ψ = 1, and the digits spectrum has effective rank
(tr Σ)²/tr Σ² ≈ 17.  The Gaussian points above the threshold are extrapolated by the same rule and
printed in the report's notes, with their z, as a measurement of that limitation.  The real-data
points are measurements, printed with their relative errors and the clean-vs-mixed gaps.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullFormatter

from modelcollapse.numerics.random_features import rf_risk

from .. import realdata as rd
from .. import realdata_rf as rrf
from .._provenance import source_version
from .._result import MonteCarloResult
from ..agreement import log_over_size
from ..montecarlo_rf import simulate_rf
from ._agreement import AgreementPoint, SizedRun, compare
from ._context import Context, FigureOutput
from .figures_realdata import _pm, _sklearn_version

__all__ = ["digits_rf_figure", "REALDATA_RF_FIGURES", "REALDATA_RF_PREFETCH",
           "planned_realdata_rf_runs", "sizes_of"]

#: Training rows, ridges, synthetic fractions and activation of the experiment.
N_ROWS, RIDGES, P2, ACTIVATION = 200, (1e-3, 0.1), (0.0, 0.5), "relu"
#: Experiment 1's real label and synthetic labeller (ridge λ = 1 on 60 real rows, seed 0).
TARGET, GENERATOR_ROWS, GENERATOR_RIDGE, GENERATOR_SEED = "odd", 60, 1.0, 0
#: The second size of the family: each eigenvalue repeated this many times.
REPLICAS = 2
#: Widths up to this ψ = m/n enter the agreement table (module docstring).
AGREEMENT_PSI = 0.5

_ROUTE_LABEL = {"pool": "real rows, without replacement", "iid": "real rows, with replacement",
                "iid-noise": "real inputs, independent noise",
                "gaussian": "Gaussian inputs (theory's model)"}


def sizes_of(mode: str) -> dict:
    """Grid and draws of a mode: ``widths`` (all simulated), ``replicated`` (widths also simulated
    at d = 108: the agreement widths, ψ ≤ :data:`AGREEMENT_PSI`, and some above the threshold),
    ``routes``, ``draws`` (d = 54) and ``replicated_draws``.

    Examples
    --------
    >>> from modelcollapse.verify.reproduce.figures_realdata_rf import sizes_of
    >>> sizes_of("quick")["routes"]
    ('pool', 'gaussian')
    """
    if mode == "tiny":
        return dict(widths=(20, 400), replicated=(20,), routes=("pool", "gaussian"), draws=10,
                    replicated_draws=10)
    if mode == "quick":
        return dict(widths=(10, 20, 50, 100, 150, 250, 300, 400, 800),
                    replicated=(20, 100, 300, 800), routes=("pool", "gaussian"), draws=40,
                    replicated_draws=12)
    if mode == "full":
        return dict(widths=(10, 20, 50, 100, 150, 180, 220, 250, 300, 400, 600, 800),
                    replicated=(10, 20, 50, 100, 300, 400, 600, 800),
                    routes=("pool", "iid", "iid-noise", "gaussian"), draws=400,
                    replicated_draws=60)
    raise ValueError(f"mode: expected 'tiny', 'quick' or 'full', got {mode!r}")


def _replicated(pop, w2) -> dict:
    """The digits problem with every eigenvalue repeated :data:`REPLICAS` times."""
    k = REPLICAS
    return dict(spectrum=np.repeat(pop.spectrum, k),
                w_real=np.repeat(pop.eigenbasis(pop.w_real), k) / np.sqrt(k),
                w_synth=np.repeat(pop.eigenbasis(w2), k) / np.sqrt(k))


def _columns(mc: MonteCarloResult, cols, j: int, k: int) -> MonteCarloResult:
    """The draws of ``test_error`` at the widths ``cols``, ridge ``j``, p2 ``k``."""
    return MonteCarloResult.from_draws({"test_error": mc.draws["test_error"][:, cols, j, k]},
                                       mc.seed, mc.params)


def _gaussian_rows(ctx: Context, pop, w2, gauss: MonteCarloResult, theory: np.ndarray,
                   widths: np.ndarray, sz: dict) -> tuple[list, list]:
    """Agreement rows of the Gaussian route (ψ ≤ AGREEMENT_PSI) and, separately, the same rule
    above the threshold.  Returns (points, beyond)."""
    rep = _replicated(pop, w2)
    d_rep = rep["spectrum"].size
    rep_widths = np.array(sz["replicated"])
    cols = np.searchsorted(widths, rep_widths)
    p2_eff = np.array(gauss.params["p2_effective"])
    draws = sz["replicated_draws"]
    points: list[AgreementPoint] = []
    beyond: list[AgreementPoint] = []
    n_rep, m_rep = REPLICAS * N_ROWS, REPLICAS * rep_widths
    started = {}  # every run starts first: they overlap on a cluster
    for j, lam in enumerate(RIDGES):
        for k, p2 in enumerate(p2_eff):
            params = dict(figure="realdata-rf-replicated", d=d_rep, n=n_rep, m=m_rep,
                          p2=float(p2), ridge=lam, activation=ACTIVATION,
                          noise_real=pop.noise_real, draws=draws, data=pop.fingerprint,
                          generator=(GENERATOR_ROWS, GENERATOR_RIDGE, GENERATOR_SEED))

            def run(seed, p2=float(p2), lam=lam, n_rep=n_rep, m_rep=m_rep):
                return simulate_rf(rep["spectrum"], n=n_rep, m=m_rep, p2=p2, ridge=lam,
                                   noise_real=pop.noise_real, noise_synth=0.0,
                                   w_real=rep["w_real"], w_synth=rep["w_synth"],
                                   activation=ACTIVATION, draws=draws, seed=seed, progress=False)

            started[j, k] = ctx.submit(f"realdata rf replicated λ={lam:g} p2={float(p2):g}",
                                       params, run,
                                       expect={"test_error": (draws, rep_widths.size)})
    for j, lam in enumerate(RIDGES):
        for k, p2 in enumerate(p2_eff):
            mc = started[j, k].result()
            th_rep = rf_risk(rep["spectrum"], n=float(n_rep), m=m_rep.astype(float), p2=p2,
                             ridge=lam, noise_real=pop.noise_real, w_real=rep["w_real"],
                             w_synth=rep["w_synth"], activation=ACTIVATION).test_error
            large = SizedRun(d_rep, {"test_error": th_rep}, mc)
            small = SizedRun(pop.dim, {"test_error": theory[cols, j, k]},
                             _columns(gauss, cols, j, k))
            rows = compare(figure="digits_rf", series=f"Gaussian, λ={lam:g}, p2={p2:g}",
                           x_name="psi", x=list(rep_widths / N_ROWS), runs=[large, small],
                           quantities=["test_error"], shape=log_over_size)
            for row in rows:
                (points if row.x <= AGREEMENT_PSI else beyond).append(row)
    return points, beyond


def _new_figure() -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(10.8, 7.6), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(2, 2)


def _psi_axis(ax, psi_ticks) -> None:
    ax.set_xscale("log")
    ax.set_xticks(list(psi_ticks), [f"{v:g}" for v in psi_ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.axvline(1.0, color="gray", ls="--", lw=1)
    ax.grid(True, which="major", alpha=0.3)


def _routes(ctx: Context) -> dict:
    """Start the runs of every route (they overlap on a cluster); route → future (empty
    without scikit-learn)."""
    if _sklearn_version() is None:
        return {}
    sz = sizes_of(ctx.settings.mode)
    pop = rd.digits_population(target=TARGET)
    w2 = rd.ridge_generator(pop, rows=GENERATOR_ROWS, ridge=GENERATOR_RIDGE, seed=GENERATOR_SEED)
    widths, lams = np.array(sz["widths"]), np.array(RIDGES)
    code = source_version(["modelcollapse.verify.realdata_rf"])
    runs: dict = {}
    grid = (widths.size, lams.size, len(P2))
    for route in sz["routes"]:
        params = dict(figure="realdata-rf", route=route, n=N_ROWS, m=widths, ridge=lams, p2=P2,
                      activation=ACTIVATION, draws=sz["draws"], target=TARGET,
                      generator=(GENERATOR_ROWS, GENERATOR_RIDGE, GENERATOR_SEED),
                      data=pop.fingerprint, code=code)

        def run(seed, route=route):
            return rrf.simulate_realdata_rf(pop, w2, n=N_ROWS, m=widths, p2=P2, ridge=lams,
                                            activation=ACTIVATION, route=route,
                                            draws=sz["draws"], seed=seed, progress=False)

        expect = {"test_error": (sz["draws"], *grid)}
        if route == "pool":
            expect.update(heldout_mse=expect["test_error"], heldout_excess=expect["test_error"])
        runs[route] = ctx.submit(f"realdata rf route={route}", params, run, expect=expect)
    return runs


def digits_rf_figure(ctx: Context) -> FigureOutput:
    """Ridge on random ReLU features of the digits against the Gaussian-equivalence theory, clean
    and mixed labels, over ψ = m/n (module docstring)."""
    title = "Real data — random ReLU features on the digits, clean and mixed labels"
    if _sklearn_version() is None:
        fig, axes = _new_figure()
        for ax in axes.ravel():
            ax.axis("off")
        reason = "scikit-learn is not installed (the digits ship inside it)"
        return FigureOutput("digits_rf", title, fig, f"Not run: {reason}.", [],
                            [f"Not run: {reason}."])
    sz = sizes_of(ctx.settings.mode)
    pop = rd.digits_population(target=TARGET)
    w2 = rd.ridge_generator(pop, rows=GENERATOR_ROWS, ridge=GENERATOR_RIDGE, seed=GENERATOR_SEED)
    c2 = float(pop.excess_risk(w2))
    widths, lams = np.array(sz["widths"]), np.array(RIDGES)
    runs = {route: future.result()  # they ran together
            for route, future in _routes(ctx).items()}
    p2_eff = np.array(runs["pool"].params["p2_effective"])
    theory = rrf.realdata_rf_theory(pop, w2, n=N_ROWS, m=widths[:, None, None],
                                    p2=p2_eff[None, None, :], ridge=lams[None, :, None],
                                    activation=ACTIVATION).test_error  # (M, L, P)
    points, beyond = _gaussian_rows(ctx, pop, w2, runs["gaussian"], theory, widths, sz)

    psi = widths / N_ROWS
    psi_line = np.geomspace(min(psi.min(), 0.05) * 0.9, max(psi.max(), 4.0) * 1.1, 400)
    psi_line = psi_line[np.abs(psi_line - 1) > 0.004]  # λ = 1e-3: a sharp peak, not a pole
    fig, axes = _new_figure()
    colors = {0: "black", 1: "tab:red"}
    psi_ticks = [t for t in (0.05, 0.1, 0.25, 0.5, 1, 2, 4) if psi_line[0] <= t <= psi_line[-1]]
    for j, lam in enumerate(lams):
        ax = axes[0, j]
        for k, p2 in enumerate(p2_eff):
            line = rrf.realdata_rf_theory(pop, w2, n=N_ROWS, m=N_ROWS * psi_line, p2=p2,
                                          ridge=lam, activation=ACTIVATION).test_error
            ax.plot(psi_line, line, color=colors[k], lw=1.3)
            for route, face, shift in (("pool", colors[k], 1.0), ("gaussian", "white", 1.04)):
                mc = runs[route]
                ax.errorbar(psi * shift, mc.mean["test_error"][:, j, k],
                            yerr=3 * mc.stderr["test_error"][:, j, k],
                            fmt="o" if route == "pool" else "s", ms=4.5, capsize=2,
                            color=colors[k], mfc=face, zorder=5)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(FuncFormatter(
            lambda v, _: f"{v:g}" if round(v / 10 ** np.floor(np.log10(v)), 6) in (2, 3, 5)
            else ""))
        _psi_axis(ax, psi_ticks)
        ax.set_title(f"({'ab'[j]}) λ = {lam:g}: excess risk $E_x(v^T\\varphi(x) - x^Tw_1)^2$",
                     fontsize=9)
        ax.set_xlabel("ψ = m/n (width / training rows)")
    axes[0, 0].set_ylabel("$E_{test}$ (population excess risk)")
    handles = [Line2D([], [], color=colors[k], label=f"theory, p2 = {p2:g}")
               for k, p2 in enumerate(p2_eff)]
    handles += [Line2D([], [], ls="", marker="o", color="gray", label=_ROUTE_LABEL["pool"]),
                Line2D([], [], ls="", marker="s", color="gray", mfc="white",
                       label=_ROUTE_LABEL["gaussian"]),
                Line2D([], [], color="gray", ls="--", lw=1, label="threshold m = n")]
    axes[0, 0].legend(handles=handles, fontsize=7, loc="upper left")

    gaps = {}
    for j, lam in enumerate(lams):
        ax = axes[1, j]
        lines = [rrf.realdata_rf_theory(pop, w2, n=N_ROWS, m=N_ROWS * psi_line, p2=p2, ridge=lam,
                                        activation=ACTIVATION).test_error for p2 in p2_eff]
        ax.plot(psi_line, lines[1] - lines[0], color="tab:purple", lw=1.3, label="theory")
        for route, face, shift in (("pool", "tab:purple", 1.0), ("gaussian", "white", 1.04)):
            g = runs[route].draws["test_error"][:, :, j, 1] - runs[route].draws["test_error"][
                :, :, j, 0]
            mean, se = g.mean(axis=0), g.std(axis=0, ddof=1) / np.sqrt(g.shape[0])
            gaps[route, j] = (mean, se)
            ax.errorbar(psi * shift, mean, yerr=3 * se, fmt="o" if route == "pool" else "s",
                        ms=4.5, capsize=2, color="tab:purple", mfc=face, zorder=5,
                        label=_ROUTE_LABEL[route])
        ax.axhline(0, color="black", lw=0.7)
        ax.set_xlabel("ψ = m/n (width / training rows)")
        ax.set_title(f"({'cd'[j]}) λ = {lam:g}: gap mixed − clean (p2 = {p2_eff[1]:g}), paired, "
                     "± 3 se", fontsize=9)
        _psi_axis(ax, psi_ticks)
        if j == 1:  # the gap is small here: centre the axis on the points, not the theory peak
            ys = np.concatenate([gaps[r, j][0] + 3 * sgn * gaps[r, j][1]
                                 for r in ("pool", "gaussian") for sgn in (-1, 1)]
                                + [lines[1] - lines[0]])
            pad = 0.15 * (ys.max() - ys.min())
            ax.set_ylim(ys.min() - pad, ys.max() + pad)
    axes[1, 0].set_ylabel("$E_{test}$(p2) − $E_{test}$(0)")
    axes[1, 0].legend(fontsize=7, loc="lower left")

    notes = _notes(pop, c2, runs, theory, gaps, widths, lams, p2_eff, beyond, sz)
    caption = (
        "Random ReLU features on real data. Population: the "
        f"{pop.size} digit images of scikit-learn's load_digits ({pop.dim} pixels kept, centred "
        "and scaled), Σ their covariance (effective rank (tr Σ)²/tr Σ² = "
        f"{pop.spectrum.sum()**2 / (pop.spectrum**2).sum():.1f}); real label: the digit is odd "
        f"(centred), w1 its population least-squares teacher, σ1² = {pop.noise_real**2:.4f}; "
        f"synthetic labels xᵀw2 without noise, w2 = ridge on {GENERATOR_ROWS} real rows, "
        f"c² = {c2:.4f} — experiment 1's. Model: φ(x) = relu(Sx), S iid N(0, 1/d) of width m, "
        f"ridge (λ‖v‖², no intercept) on n = {N_ROWS} rows, n2 = p2·n of them synthetic. "
        "(a, b) Lines: the Gaussian-equivalence theory (rf_risk on Σ's eigenvalues, fixed "
        "teachers); filled circles: rows drawn without replacement from the pool; open squares: "
        "Gaussian inputs of the same Σ (the theory's model); the excess risk is exact over the "
        f"pool (resp. the Gaussian law); mean ± 3 se over {sz['draws']} draws of S and rows. "
        "(c, d) The cost of the synthetic labels, E(p2 = 0.5) − E(0), paired per draw (same S "
        "and rows), ± 3 se. The synthetic labels are noise-free and c² < σ1²: near the "
        "threshold, where label noise is amplified, they lower the error (c); with a ridge that "
        "tames the noise "
        "(d) they raise it by a little, most below the threshold. Above the threshold the "
        "theory is too low even for Gaussian inputs (the §2.8 limitation: effective rank 17), "
        "and real images fall below it near the threshold; see the notes. Only the Gaussian "
        f"points with ψ ≤ {AGREEMENT_PSI:g} enter the agreement table (extrapolated over d = "
        f"{pop.dim} and the replicated problem, d = {REPLICAS * pop.dim})."
    )
    return FigureOutput("digits_rf", title, fig, caption, points, notes)


def _notes(pop, c2, runs, theory, gaps, widths, lams, p2_eff, beyond, sz) -> list[str]:
    routes = list(runs)

    def rel(route, i, j, k):
        mc = runs[route]
        th = theory[i, j, k]
        return (f"{100 * (mc.mean['test_error'][i, j, k] / th - 1):+.1f} ± "
                f"{100 * mc.stderr['test_error'][i, j, k] / th:.1f} %")

    pool = runs["pool"]
    notes = [
        f"d = {pop.dim}, N = {pop.size}, n = {N_ROWS}, σ1² = {pop.noise_real**2:.4f}, c² = "
        f"{c2:.4f}, {sz['draws']} draws per route. Relative error = measured mean / theory − 1 "
        "(± 1 se). `held-out` is the real-label mean squared error on the rows not drawn minus "
        "that of xᵀw1 on the same rows (pool route, for information: the features can fit part "
        "of the residual y − xᵀw1, which is a function of the image, so it is not E_test).",
        "| λ | p2 | m | ψ | theory | E_test, pool | " + " | ".join(
            f"rel. error: {_ROUTE_LABEL[r]}" for r in routes) + " | held-out (pool) |",
        "|---|---|---|---|---|---|" + "---|" * len(routes) + "---|",
    ]
    for j, lam in enumerate(lams):
        for k, p2 in enumerate(p2_eff):
            for i, m in enumerate(widths):
                notes.append(
                    f"| {lam:g} | {p2:g} | {m} | {m / N_ROWS:g} | {theory[i, j, k]:.4g} | "
                    f"{_pm(pool.mean['test_error'][i, j, k], pool.stderr['test_error'][i, j, k])}"
                    " | " + " | ".join(rel(r, i, j, k) for r in routes) + " | "
                    f"{_pm(pool.mean['heldout_excess'][i, j, k], pool.stderr['heldout_excess'][i, j, k])} |"  # noqa: E501
                )
    notes.append("The cost of the synthetic labels, E(p2 = 0.5) − E(p2 = 0) (paired per draw, "
                 "± 1 se):")
    notes.append("| λ | m | ψ | theory | pool | Gaussian inputs |")
    notes.append("|---|---|---|---|---|---|")
    for j, lam in enumerate(lams):
        th_gap = theory[:, j, 1] - theory[:, j, 0]
        for i, m in enumerate(widths):
            cells = [f"{lam:g}", f"{m}", f"{m / N_ROWS:g}", f"{th_gap[i]:+.4f}"]
            cells += [f"{gaps[r, j][0][i]:+.4f} ± {gaps[r, j][1][i]:.4f}"
                      for r in ("pool", "gaussian")]
            notes.append("| " + " | ".join(cells) + " |")
    if beyond:
        notes.append(
            "Gaussian inputs above the threshold (not in the agreement table; docs/mathematics.md "
            "§2.8): the finite-size rule over d = " + " and ".join(
                str(s) for s in beyond[0].sizes) + " — mc/theory − 1 at each size, the "
            "extrapolated difference a (relative to the theory) and its z:")
        notes.append("| λ, p2 | ψ | " + " | ".join(f"d = {s}" for s in beyond[0].sizes)
                     + " | a / theory | z |")
        notes.append("|---|---|" + "---|" * len(beyond[0].sizes) + "---|---|")
        for p in beyond:
            cells = [p.series.removeprefix("Gaussian, "), f"{p.x:g}"]
            cells += [f"{100 * (m / t - 1):+.1f} ± {100 * s / t:.1f} %"
                      for m, t, s in zip(p.mc_at, p.theory_at, p.se_at, strict=True)]
            cells += [f"{100 * p.intercept / p.theory:+.1f} ± {100 * p.intercept_se / p.theory:.1f}"
                      " %", f"{p.z:+.1f}"]
            notes.append("| " + " | ".join(cells) + " |")
    return notes


#: Figure name → function (registration: see the module docstring of the job).
REALDATA_RF_FIGURES = {"digits_rf": digits_rf_figure}

#: Figure → the function that starts its Monte Carlo runs (the figure finds them under way).
REALDATA_RF_PREFETCH = {"digits_rf": _routes}


def planned_realdata_rf_runs(settings, figures) -> int:
    """Monte Carlo runs of the chosen figures: one per route and one replicated run per (λ, p2).

    Examples
    --------
    >>> from modelcollapse.verify.reproduce._settings import settings_for
    >>> from modelcollapse.verify.reproduce.figures_realdata_rf import planned_realdata_rf_runs
    >>> quick = settings_for("quick")
    >>> planned_realdata_rf_runs(quick, ["digits_rf"]), planned_realdata_rf_runs(quick, ["digits"])
    (6, 0)
    """
    if "digits_rf" not in figures:
        return 0
    return len(sizes_of(settings.mode)["routes"]) + len(RIDGES) * len(P2)
