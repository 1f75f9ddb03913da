"""Figures 9 and 10 of the paper (strategic mixing) and a generations figure (docs/mathematics.md
§3, §6).

Same interface as :mod:`modelcollapse.verify.reproduce.figures`: each function takes a
:class:`~modelcollapse.verify.reproduce.Context` and returns a
:class:`~modelcollapse.verify.reproduce.FigureOutput`.  Theory lines come from
:func:`modelcollapse.numerics.weighted_ridge_risk`,
:func:`modelcollapse.numerics.recursive_retraining_risk` and the closed forms of
:mod:`modelcollapse.theory.iterative`; markers are Monte Carlo (mean ± 3 se).  Every point is
simulated at two sizes with the same ratios, except the isotropic generations panel, whose exact
finite-size expectation is known (:func:`generations_exact`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from modelcollapse.numerics import recursive_retraining_risk, weighted_ridge_risk
from modelcollapse.numerics.bridge import closed_form
from modelcollapse.theory import iterative as it
from modelcollapse.theory import mixing as mixing_theory
from modelcollapse.theory.symbols import c, p2, phi, sigma1, sigma2

from .._result import MonteCarloResult
from ..montecarlo_iterative import simulate_iterative_mixing, simulate_recursive_retraining
from ..montecarlo_mixing import simulate_weighted_ridge
from ._agreement import SizedRun, compare
from ._context import Context, FigureOutput
from ._rp import harmonic
from ._style import mc_errorbar, mc_handle, new_figure, plain_log_axis, style_handles

__all__ = [
    "figure9",
    "figure10",
    "generations_figure",
    "generations_exact",
    "MIXING_FIGURES",
    "MIXING_PREFETCH",
    "planned_mixing_runs",
    "FIG9_PANELS",
    "FIG10_C0",
]

#: Fig. 9 panels (docs/mathematics.md §4): (n1, d, n2 values).  c² and σ are not stated: c² = 0.1,
#: σ = 1.
FIG9_PANELS = ((1000, 500, (1000, 2000, 4000)), (10000, 100, (200, 1000, 10000)))
FIG9_C2, FIG9_NOISE, FIG9_RIDGE = 0.1, 1.0, 1e-8
#: Monte Carlo dimension of each Fig. 9 panel at the larger size, per mode (the rows scale with
#: it; the smaller size is half of it).
FIG9_MC_D = {"tiny": (30, 20), "quick": (60, 20), "full": (500, 100)}
#: Fig. 10: c0² grid, 5 iterations, p1 = p2 = 1/2; d = 100, n = 1000, σ = 1 (not stated).
FIG10_C0 = (1.0, 0.1, 0.01)
FIG10_D, FIG10_N, FIG10_STEPS, FIG10_NOISE = 100, 1000, 5, 1.0
#: Generations: d = 50, T0 = 200, T ∈ {100, 200, 400}, σ0 = σ = 1, N = 0 … 6.
GEN_D, GEN_T0, GEN_T, GEN_N = 50, 200, (100, 200, 400), 6
#: General-ridge panel: power law 1/j (tr Σ = 1), more dimensions than downstream rows.
GEN_RIDGE = dict(d=150, t0=300, t=60, generations=(0, 2, 4), ridge=np.logspace(-5, 0, 11),
                 noise=0.5)
_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red")


def _draws(ctx: Context, j: int) -> int:
    """Draws at size index ``j`` (0: the larger size)."""
    st = ctx.settings
    return st.mixing_draws * (1 if j == 0 else st.half_draws)


# --------------------------------------------------------------------------------------------
# Figure 9: weighted single-step mixing
# --------------------------------------------------------------------------------------------


def figure9(ctx: Context) -> FigureOutput:
    """Figure 9: test error of weighted mixing against the weight α of the synthetic group.

    Isotropic Σ, random effects r² = 1, c² = 0.1, σ1 = σ2 = 1, λ = 1e-8.  Solid: the two-group
    deterministic equivalent; dashed: the paper's printed Corollary 2 (rejected by Monte Carlo);
    triangles: the first-order optimum α* = φσ1²/(p1c²); markers: Monte Carlo at a reduced size
    with the same ratios (the isotropic theory depends on the ratios only).
    """
    st = ctx.settings
    fig, axes = new_figure(2, width=5.0, height=4.3)
    alphas = np.linspace(0.0, 1.0, 101)
    points, notes = [], []
    printed = closed_form(mixing_theory.printed_corollary2(), mixing_theory.alpha, p2, c, sigma1,
                          sigma2, phi)
    mc_dims = FIG9_MC_D.get(st.mode, FIG9_MC_D["full"])
    started = _fig9_runs(ctx)
    for ax, (n1, d, n2s), dm in zip(axes, FIG9_PANELS, mc_dims, strict=True):
        for color, n2 in zip(_COLORS, n2s, strict=False):
            n = n1 + n2
            p2v = n2 / n
            teach = dict(gamma=np.full(d, 1.0 / d), delta=np.full(d, FIG9_C2 / d))
            common = dict(n=n, p2=p2v, ridge=FIG9_RIDGE, noise_real=FIG9_NOISE,
                          noise_synth=FIG9_NOISE)
            th = weighted_ridge_risk(np.ones(d), alpha=alphas, **common, **teach)
            ax.semilogy(alphas, th.test_error, color=color, lw=1.6)
            ax.semilogy(alphas, printed(alphas, p2v, np.sqrt(FIG9_C2), FIG9_NOISE, FIG9_NOISE,
                                        d / n), color=color, ls="--", lw=0.8)
            a_star = float(mixing_theory.optimal_alpha().subs(
                {phi: d / n, sigma1: FIG9_NOISE, p2: p2v, c: np.sqrt(FIG9_C2)}))
            if a_star <= 1:
                e_star = weighted_ridge_risk(np.ones(d), alpha=a_star, **common, **teach)
                ax.plot([a_star], [float(e_star.test_error)], "v", color=color, ms=7)
            points += started[n1, n2](ax, color)
        ax.set_title(f"n1 = {n1}, d = {d}; Monte Carlo at d = {dm} and {dm // 2}", fontsize=9)
        ax.set_xlabel("α (weight of the synthetic rows)")
        ax.grid(True, alpha=0.3)
        plain_log_axis(ax, "y")
        ax.legend(handles=style_handles([(f"n2 = {n2}", dict(color=col, lw=1.6))
                                         for col, n2 in zip(_COLORS, n2s, strict=False)]),
                  fontsize=8, loc="lower center" if d == 500 else "upper left")
    axes[0].set_ylabel("test error")
    handles = style_handles([
        ("solid: two-group deterministic equivalent", dict(ls="-")),
        ("dashed: the paper's printed Corollary 2", dict(ls="--", lw=0.8)),
        ("first-order optimum α* = φσ1²/(p1c²)", dict(ls="", marker="v", ms=7)),
    ])
    handles.append(mc_handle("Monte Carlo (± 3 se)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=7.5,
               frameon=False)
    caption = (
        "Weighted single-step mixing, loss ((1−α)/n1)Σ_real + (α/n2)Σ_synth + λ‖w‖²: test error "
        "against α. Isotropic Σ, w1 ~ N(0, I/d), Δ = (c²/d) I with c² = 0.1 and σ1 = σ2 = 1 "
        "(not stated in the paper), λ = 1e-8. Solid: the two-group deterministic equivalent "
        "(effective teacher w1 + θδ with θ ≠ α at finite φ). Dashed: the printed Corollary 2 "
        "p2²α²c² + ((1−α)p1σ1² + αp2σ2²)φ, which Monte Carlo rejects (it misses the α²c² floor "
        "at α = 1). Triangles: the first-order optimum α* = φσ1²/(p1c²); the printed "
        "α* ≈ 1 − (p1σ1² − p2σ2²)φ/(2c²) points the wrong way. Markers: Monte Carlo at "
        f"α ∈ {{{', '.join(f'{a:g}' for a in st.fig9_alphas)}}} with d, n1, n2 divided by the "
        "same factor (the isotropic theory depends on the ratios only, so the markers belong "
        f"on the paper-size curves), at two sizes ({st.mixing_draws} and "
        f"{st.mixing_draws * st.half_draws} draws) for the extrapolated agreement rule."
    )
    return FigureOutput("fig9", "Figure 9 — weighted mixing", fig, caption, points, notes)


def _fig9_runs(ctx: Context) -> dict:
    """Start every curve's runs (they overlap on a cluster); ``(n1, n2)`` → its collector."""
    mc_dims = FIG9_MC_D.get(ctx.settings.mode, FIG9_MC_D["full"])
    return {(n1, n2): _fig9_mc(ctx, n1, d, n2, dm)
            for (n1, d, n2s), dm in zip(FIG9_PANELS, mc_dims, strict=True) for n2 in n2s}


def _fig9_mc(ctx: Context, n1: int, d: int, n2: int, dm: int) -> Callable[[Any, Any], list]:
    """Start the runs of one curve; the function ``collect(ax, color)`` that compares and
    draws them."""
    st = ctx.settings
    sizes = []
    for dd in (dm, dm // 2):
        if (n1 * dd) % d or (n2 * dd) % d:
            raise ValueError(f"sizes: d = {dd} does not scale n1 = {n1}, n2 = {n2} to whole rows")
        sizes.append((dd, n1 * dd // d, n2 * dd // d))
    started = []
    for a in st.fig9_alphas:
        futures = []
        for j, (dd, m1, m2) in enumerate(sizes):
            draws = _draws(ctx, j)
            teach = dict(gamma=np.full(dd, 1.0 / dd), delta=np.full(dd, FIG9_C2 / dd))
            params = dict(figure="fig9", d=dd, n1=m1, n2=m2, alpha=a, c2=FIG9_C2,
                          noise=FIG9_NOISE, ridge=FIG9_RIDGE, draws=draws)

            def run(seed, a=a, dd=dd, m1=m1, m2=m2, teach=teach, draws=draws):
                return simulate_weighted_ridge(
                    np.ones(dd), n=m1 + m2, p2=m2 / (m1 + m2), alpha=a, ridge=[FIG9_RIDGE],
                    noise_real=FIG9_NOISE, noise_synth=FIG9_NOISE, draws=draws, seed=seed,
                    progress=False, **teach)

            futures.append((dd, m1, m2, teach, ctx.submit(
                f"fig9 n1={m1} n2={m2} d={dd} alpha={a}", params, run,
                expect={"test_error": (draws, 1)})))
        started.append((a, futures))

    def collect(ax, color) -> list:
        points, means, ses = [], [], []
        for a, futures in started:
            runs = []
            for dd, m1, m2, teach, future in futures:
                th = weighted_ridge_risk(np.ones(dd), n=m1 + m2, p2=m2 / (m1 + m2), alpha=a,
                                         ridge=FIG9_RIDGE, noise_real=FIG9_NOISE,
                                         noise_synth=FIG9_NOISE, **teach)
                runs.append(SizedRun(dd, {"test_error": np.atleast_1d(th.test_error)},
                                     future.result()))
            points += compare(figure="fig9", series=f"n1={n1}, n2={n2}, d={d} (at d={dm})",
                              x_name="alpha", x=[a], runs=runs, quantities=["test_error"])
            means.append(runs[0].mc.mean["test_error"][0])
            ses.append(runs[0].mc.stderr["test_error"][0])
        mc_errorbar(ax, list(st.fig9_alphas), means, ses, color)
        return points

    return collect


def _fig10_runs(ctx: Context) -> dict:
    """Start the runs of every initial quality at two sizes; c0² → [(d, future)]."""
    d, n, steps = FIG10_D, FIG10_N, FIG10_STEPS
    started = {}  # every run starts first: they overlap on a cluster
    for c0 in FIG10_C0:
        for j, (dd, nn) in enumerate(((d, n), (d // 2, n // 2))):
            draws = _draws(ctx, j)
            params = dict(figure="fig10", d=dd, n=nn, c0=c0, steps=steps, draws=draws)

            def run(seed, c0=c0, dd=dd, nn=nn, draws=draws):
                return simulate_iterative_mixing(d=dd, n=nn, p2=0.5, c0_sq=c0,
                                                 noise_real=FIG10_NOISE,
                                                 noise_synth=FIG10_NOISE, steps=steps,
                                                 draws=draws, seed=seed, progress=False)

            started.setdefault(c0, []).append((dd, ctx.submit(
                f"fig10 c0={c0} d={dd}", params, run,
                expect={"test_error": (draws, steps + 1)})))
    return started


def figure10(ctx: Context) -> FigureOutput:
    """Figure 10: iterative mixing, test error over 5 iterations for three initial qualities."""
    d, n, steps = FIG10_D, FIG10_N, FIG10_STEPS
    fig, axes = new_figure(1, width=6.4, height=4.8)
    ax = axes[0]
    ts = np.arange(steps + 1)
    vals = {phi: d / n, p2: 0.5, sigma1: FIG10_NOISE, sigma2: FIG10_NOISE}
    exact = closed_form(it.mixing_recursion()["E_t"].subs(vals), it.c0, it.step)
    cor3 = closed_form(it.corollary3()["E_t"].subs(vals), it.c0, it.step)
    clean = FIG10_NOISE**2 * (d / n) / (1 - d / n)
    points = []
    started = _fig10_runs(ctx)
    for color, c0 in zip(_COLORS, FIG10_C0, strict=False):
        theory = np.array([exact(np.sqrt(c0), t) for t in ts])
        ax.semilogy(ts, theory, color=color, lw=1.6)
        ax.semilogy(ts, [cor3(np.sqrt(c0), t) for t in ts], color=color, ls="--", lw=0.8)
        # the isotropic recursion depends on φ = d/n only: the same values at both sizes
        runs = [SizedRun(dd, {"test_error": theory[1:]}, _tail(future.result()))
                for dd, future in started[c0]]
        points += compare(figure="fig10", series=f"c0²={c0:g}", x_name="t", x=list(ts[1:]),
                          runs=runs, quantities=["test_error"])
        mc = runs[0].mc
        mc_errorbar(ax, ts[1:], mc.mean["test_error"], mc.stderr["test_error"], color)
    ax.axhline(clean, color="black", ls=":")
    ax.set_xlabel("iteration t")
    ax.set_ylabel("test error")
    ax.grid(True, alpha=0.3)
    plain_log_axis(ax, "y")
    handles = style_handles([(f"c0² = {c0:g}", dict(color=col, lw=1.6))
                             for col, c0 in zip(_COLORS, FIG10_C0, strict=False)])
    handles += style_handles([
        ("solid: exact recursion", dict(ls="-")),
        ("dashed: Corollary 3 (leading order)", dict(ls="--", lw=0.8)),
        ("dotted: Clean, all n rows real", dict(ls=":", color="black")),
    ])
    handles.append(mc_handle(f"Monte Carlo, d = {d} (± 3 se)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=7.5,
               frameon=False)
    st = ctx.settings
    caption = (
        f"Iterative mixing: step t + 1 refits on n1 = {n // 2} fresh real rows and n2 = {n // 2} "
        "rows labelled by the step-t model (isotropic, d = 100, n = 1000, σ = 1, ridgeless; "
        "not stated in the paper). Solid: the exact recursion E(t+1) = σ²u + (p2² + p1p2u)E(t), "
        "u = φ/(1−φ); dashed: Corollary 3 (contraction p2² only), visibly low; dotted: Clean, "
        "the same n rows all real. All curves approach σ²u/(1 − p2² − p1p2u), above Clean. "
        f"Markers: simulation at d = {d}, n = {n} for t ≥ 1 (t = 0 is the drawn c0²), also run "
        f"at d = {d // 2}, n = {n // 2} ({st.mixing_draws} and "
        f"{st.mixing_draws * st.half_draws} draws) for the extrapolated agreement rule."
    )
    return FigureOutput("fig10", "Figure 10 — iterative mixing", fig, caption, points)


def _tail(mc):
    """The Monte Carlo result without its t = 0 column (which is the drawn c0², not a fit)."""
    return MonteCarloResult.from_draws({"test_error": mc.draws["test_error"][:, 1:]}, mc.seed,
                                       mc.params)


# --------------------------------------------------------------------------------------------
# Generations of recursive retraining
# --------------------------------------------------------------------------------------------


def generations_exact(*, d: int, t0: int, t: int, noise_generator: float, noise: float,
                      generations) -> np.ndarray:
    """Exact expected error of OLS downstream after N OLS generations, Σ = I, T0, T > d + 1.

    Each generator adds ``(X_kᵀX_k)^{-1}X_kᵀε_k`` to the teacher and least squares on T > d rows
    reproduces it exactly, so ``E_N = σ² d/(T − d − 1) + N σ0² d/(T0 − d − 1)``
    (``E tr(XᵀX)^{-1} = d/(T − d − 1)`` for a Gaussian T×d design); the deterministic equivalent
    has ``T − d`` and ``T0 − d``.

    Examples
    --------
    >>> from modelcollapse.verify.reproduce.figures_mixing import generations_exact
    >>> generations_exact(d=50, t0=200, t=100, noise_generator=1.0, noise=1.0,
    ...                   generations=[0, 1]).round(6).tolist()
    [1.020408, 1.355979]
    """
    n_gen = np.asarray(generations, dtype=float)
    return (noise**2 * d / (t - d - 1) + n_gen * noise_generator**2 * d / (t0 - d - 1))


def generations_figure(ctx: Context) -> FigureOutput:
    """Recursive retraining: error grows linearly in the number of generations N (§6).

    (a) isotropic OLS downstream, the closed form; (b) power-law Σ, ridge downstream on fewer
    rows than dimensions, the general-ridge formula ``E_N ≃ B + V + Nσ0²ρ`` against λ.
    """
    st = ctx.settings
    fig, axes = new_figure(2, width=5.0, height=4.3)
    ax = axes[0]
    ns = np.arange(GEN_N + 1)
    e_n = it.recursive_retraining()["E_N"]
    points = []
    started = _generations_runs(ctx)
    for color, t in zip(_COLORS, GEN_T, strict=False):
        f = closed_form(e_n.subs({phi: GEN_D / t, it.phi0: GEN_D / GEN_T0, it.sigma0: 1.0,
                                  sigma1: 1.0}), it.generations)
        theory = np.array([float(f(k)) for k in ns])
        ax.plot(ns, theory, color=color, lw=1.6)
        mc = started[t].result()
        exact = generations_exact(d=GEN_D, t0=GEN_T0, t=t, noise_generator=1.0, noise=1.0,
                                  generations=ns)
        points += compare(figure="generations", series=f"T={t}", x_name="N", x=list(ns),
                          runs=[SizedRun(GEN_D, {"test_error": theory}, mc,
                                         exact={"test_error": exact})],
                          quantities=["test_error"])
        ax.plot(ns, exact, color=color, ls="--", lw=0.8)
        mc_errorbar(ax, ns, mc.mean["test_error"], mc.stderr["test_error"], color)
    ax.set_xlabel("generations N")
    ax.set_ylabel("test error")
    ax.set_title(f"(a) isotropic, d = {GEN_D}, T0 = {GEN_T0}, OLS downstream", fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(handles=style_handles([(f"T = {t}", dict(color=col, lw=1.6))
                                     for col, t in zip(_COLORS, GEN_T, strict=False)]),
              fontsize=8, loc="upper left")
    points += _generations_ridge_panel(ctx, axes[1], started["ridge"])
    handles = style_handles([
        ("solid: theory (deterministic equivalent)", dict(ls="-")),
        ("dashed: exact finite-size expectation (a)", dict(ls="--", lw=0.8)),
        ("best λ of the theory (b)", dict(ls="", marker="*", ms=10)),
    ])
    handles.append(mc_handle("Monte Carlo (± 3 se)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=7.5,
               frameon=False)
    g = GEN_RIDGE
    caption = (
        f"Recursive retraining (Dohmatob, Feng, Kempe 2024): each generation is OLS on T0 "
        f"rows labelled by the previous one. (a) σ0 = σ = 1, downstream OLS on T rows, "
        f"d = {GEN_D}, T0 = {GEN_T0}: E_N = σ²φ/(1−φ) + Nσ0²φ0/(1−φ0), linear growth. Its "
        "Monte Carlo is compared with the exact finite-size expectation "
        "σ²d/(T−d−1) + Nσ0²d/(T0−d−1) (dashed; one size, no extrapolation needed), 0.5–2 % "
        "above the limit (solid). "
        f"(b) Σ eigenvalues ∝ 1/j, tr Σ = 1, w ~ N(0, I), d = {g['d']}, T0 = {g['t0']}, "
        f"σ0 = σ = {g['noise']}, downstream ridge on T = {g['t']} rows: E_N ≃ B + V + Nσ0²ρ, "
        "ρ = [df2(κ) + uκ² tr(Σ+κ)^-2]/(T0−d); the best λ (stars) grows with N; simulated "
        f"also at d = {g['d'] // 2} with T0, T halved and λ doubled (the same λ relative to "
        f"the mean eigenvalue) for the extrapolated agreement rule. Markers: simulation "
        f"({st.mixing_draws} draws at the larger size, {st.mixing_draws * st.half_draws} at "
        "the smaller), mean ± 3 se."
    )
    return FigureOutput("generations", "Not in the paper — generations of recursive retraining",
                        fig, caption, points)


def _generations_ridge_runs(ctx: Context) -> list:
    """Start panel (b)'s runs at two sizes; [(d, λ, theory, future)]."""
    g = GEN_RIDGE
    gens, sig = np.array(g["generations"]), g["noise"]
    runs = []
    for j, k in enumerate((1, 2)):
        d, t0, t = g["d"] // k, g["t0"] // k, g["t"] // k
        lam = g["ridge"] * k  # λ relative to the mean eigenvalue 1/d
        s = harmonic(d)
        gamma = np.ones(d)  # tr ΣΓ = 1
        draws = _draws(ctx, j)
        params = dict(figure="generations-ridge", d=d, t0=t0, t=t, draws=draws, noise=sig,
                      generations=int(gens.max()), ridge=lam.tolist())

        def run(seed, d=d, t0=t0, t=t, lam=lam, s=s, gamma=gamma, draws=draws):
            return simulate_recursive_retraining(d=d, t0=t0, t=t, noise_generator=sig,
                                                 noise=sig, generations=int(gens.max()),
                                                 spectrum=s, ridge=lam, gamma=gamma,
                                                 draws=draws, seed=seed, progress=False)

        runs.append((d, t0, t, lam, s, gamma, ctx.submit(
            f"generations ridge d={d}", params, run,
            expect={"test_error": (draws, int(gens.max()) + 1, lam.size)})))
    return runs


def _generations_runs(ctx: Context) -> dict:
    """Start both panels' runs: T → the future of panel (a)'s run, "ridge" → panel (b)'s."""
    draws = ctx.settings.mixing_draws
    started: dict = {"ridge": _generations_ridge_runs(ctx)}
    for t in GEN_T:
        params = dict(figure="generations", d=GEN_D, t0=GEN_T0, t=t, n=GEN_N, draws=draws)

        def run(seed, t=t):
            return simulate_recursive_retraining(d=GEN_D, t0=GEN_T0, t=t, noise_generator=1.0,
                                                 noise=1.0, generations=GEN_N, draws=draws,
                                                 seed=seed, progress=False)

        started[t] = ctx.submit(f"generations T={t}", params, run,
                                expect={"test_error": (draws, GEN_N + 1)})
    return started


def _generations_ridge_panel(ctx: Context, ax, started: list) -> list:
    g = GEN_RIDGE
    gens, sig = np.array(g["generations"]), g["noise"]
    runs = []
    for d, t0, t, lam, s, gamma, future in started:
        theory = recursive_retraining_risk(s, t0=t0, t=t, ridge=lam[None, :],
                                           generations=gens[:, None], noise_generator=sig,
                                           noise=sig, gamma=gamma)
        runs.append((d, theory, future.result()))
    points = []
    lam = g["ridge"]
    lam_line = np.geomspace(lam.min(), lam.max(), 120)
    line = recursive_retraining_risk(harmonic(g["d"]), t0=g["t0"], t=g["t"],
                                     ridge=lam_line[None, :], generations=gens[:, None],
                                     noise_generator=sig, noise=sig,
                                     gamma=np.ones(g["d"])).test_error
    colors = ["tab:blue", "tab:orange", "tab:red"]
    for row, (color, k) in enumerate(zip(colors, gens, strict=True)):
        sized = [SizedRun(d, {"test_error": th.test_error[row]},
                          MonteCarloResult.from_draws(
                              {"test_error": mc.draws["test_error"][:, k, :]}, mc.seed,
                              mc.params))
                 for d, th, mc in runs]
        points += compare(figure="generations", series=f"ridge N={k}", x_name="lambda",
                          x=list(lam), runs=sized, quantities=["test_error"])
        ax.plot(lam_line, line[row], color=color, lw=1.6)
        best = int(np.argmin(line[row]))
        ax.plot(lam_line[best], line[row][best], "*", color=color, ms=10)
        mc = sized[0].mc
        mc_errorbar(ax, lam, mc.mean["test_error"], mc.stderr["test_error"], color)
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_axis(ax, "y", mantissas=(2, 3, 4, 5, 6, 7, 8))
    ax.set_xlabel("downstream ridge λ")
    ax.set_ylabel("test error")
    ax.set_title(f"(b) power law, d = {g['d']}, T0 = {g['t0']}, ridge on T = {g['t']} < d rows",
                 fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(handles=style_handles([(f"N = {k}", dict(color=col, lw=1.6))
                                     for col, k in zip(colors, gens, strict=True)]),
              fontsize=8, loc="upper right")
    return points


#: Registry merged into the reproduce job.
MIXING_FIGURES = {9: figure9, 10: figure10, "generations": generations_figure}

#: Figure → the function that starts its Monte Carlo runs (the figure finds them under way).
MIXING_PREFETCH = {9: _fig9_runs, 10: _fig10_runs, "generations": _generations_runs}


def planned_mixing_runs(settings, figures) -> int:
    """Number of Monte Carlo runs of the chosen mixing figures (progress-bar total)."""
    per = {9: 2 * sum(len(p[2]) for p in FIG9_PANELS) * len(settings.fig9_alphas),
           10: 2 * len(FIG10_C0), "generations": len(GEN_T) + 2}
    return sum(per.get(f, 0) for f in figures)
