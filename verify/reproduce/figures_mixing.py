"""Figures 9 and 10 of the paper (strategic mixing) and a generations figure (docs/mathematics.md
§3, §6).

Same interface as :mod:`modelcollapse.verify.reproduce.figures`: each function takes a
:class:`~modelcollapse.verify.reproduce.Context` and returns a
:class:`~modelcollapse.verify.reproduce.FigureOutput`.  Theory lines come from
:func:`modelcollapse.numerics.mixing.weighted_ridge_risk` and the closed forms of
:mod:`modelcollapse.theory.iterative`; markers are Monte Carlo (mean ± 3 se).
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from modelcollapse.numerics.bridge import closed_form
from modelcollapse.numerics.mixing import weighted_ridge_risk
from modelcollapse.numerics.retraining import recursive_retraining_risk
from modelcollapse.theory import iterative as it
from modelcollapse.theory import mixing as mixing_theory
from modelcollapse.theory.symbols import c, p2, phi, sigma1, sigma2

from .._result import MonteCarloResult
from ..montecarlo_iterative import simulate_iterative_mixing, simulate_recursive_retraining
from ..montecarlo_mixing import simulate_weighted_ridge
from ._agreement import compare
from ._context import Context, FigureOutput

__all__ = [
    "figure9",
    "figure10",
    "generations_figure",
    "MIXING_FIGURES",
    "planned_mixing_runs",
    "FIG9_PANELS",
    "FIG10_C0",
]

#: Fig. 9 panels (docs/mathematics.md §4): (n1, d, n2 values).  c² and σ are not stated: c² = 0.1,
#: σ = 1.
FIG9_PANELS = ((1000, 500, (1000, 2000, 4000)), (10000, 100, (200, 1000, 10000)))
FIG9_C2, FIG9_NOISE, FIG9_RIDGE = 0.1, 1.0, 1e-8
#: Fig. 10: c0² grid, 5 iterations, p1 = p2 = 1/2; d = 100, n = 1000, σ = 1 (not stated).
FIG10_C0 = (1.0, 0.1, 0.01)
FIG10_D, FIG10_N, FIG10_STEPS, FIG10_NOISE = 100, 1000, 5, 1.0
#: Generations: d = 50, T0 = 200, T ∈ {100, 200, 400}, σ0 = σ = 1, N = 0 … 6.
GEN_D, GEN_T0, GEN_T, GEN_N = 50, 200, (100, 200, 400), 6
#: General-ridge panel: power law 1/j (tr Σ = 1), more dimensions than downstream rows.
GEN_RIDGE = dict(d=150, t0=300, t=60, generations=(0, 2, 4), ridge=np.logspace(-5, 0, 11),
                 noise=0.5)
#: Finite-size allowance: ridgeless least squares has relative bias 1/(n − d − 1) ≤ 1 % here.
MIXING_RTOL = 0.02


def _sizes(ctx: Context) -> dict:
    mode = ctx.settings.mode
    return {
        "tiny": dict(scale=5, draws=8, alphas=(0.0, 1.0)),
        "quick": dict(scale=5, draws=30, alphas=(0.0, 0.5, 1.0)),
    }.get(mode, dict(scale=1, draws=100, alphas=(0.0, 0.25, 0.5, 0.75, 1.0)))


def _new_figure(ncols: int) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(4.6 * ncols, 3.8), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, np.atleast_1d(fig.subplots(1, ncols))


def figure9(ctx: Context) -> FigureOutput:
    """Figure 9: test error of weighted mixing against the weight α of the synthetic group.

    Isotropic Σ, random effects r² = 1, c² = 0.1, σ1 = σ2 = 1, λ = 1e-8.  Solid: the two-group
    deterministic equivalent; dashed: the paper's printed Corollary 2 (rejected by Monte Carlo);
    triangles: the first-order optimum α* = φσ1²/(p1c²).  Monte Carlo runs at d/scale with the
    same ratios (scale 5 in quick mode).
    """
    sz = _sizes(ctx)
    fig, axes = _new_figure(2)
    alphas = np.linspace(0.0, 1.0, 101)
    points, notes = [], []
    printed = closed_form(mixing_theory.printed_corollary2(), mixing_theory.alpha, p2, c, sigma1,
                          sigma2, phi)
    for ax, (n1, d, n2s) in zip(axes, FIG9_PANELS, strict=True):
        colors = ["tab:blue", "tab:orange", "tab:green"]
        for color, n2 in zip(colors, n2s, strict=True):
            n = n1 + n2
            p2v = n2 / n
            teach = dict(gamma=np.full(d, 1.0 / d), delta=np.full(d, FIG9_C2 / d))
            common = dict(n=n, p2=p2v, ridge=FIG9_RIDGE, noise_real=FIG9_NOISE,
                          noise_synth=FIG9_NOISE)
            th = weighted_ridge_risk(np.ones(d), alpha=alphas, **common, **teach)
            ax.semilogy(alphas, th.test_error, color=color, label=f"n2 = {n2}")
            ax.semilogy(alphas, printed(alphas, p2v, np.sqrt(FIG9_C2), FIG9_NOISE, FIG9_NOISE,
                                        d / n), color=color, ls="--", lw=0.8)
            a_star = float(mixing_theory.optimal_alpha().subs(
                {phi: d / n, sigma1: FIG9_NOISE, p2: p2v, c: np.sqrt(FIG9_C2)}))
            if a_star <= 1:
                e_star = weighted_ridge_risk(np.ones(d), alpha=a_star, **common, **teach)
                ax.plot([a_star], [float(e_star.test_error)], "v", color=color, ms=7)
            # Monte Carlo at reduced size, same ratios
            dm, n1m, n2m = d // sz["scale"], n1 // sz["scale"], n2 // sz["scale"]
            teach_m = dict(gamma=np.full(dm, 1.0 / dm), delta=np.full(dm, FIG9_C2 / dm))
            means, ses = [], []
            for a in sz["alphas"]:
                params = dict(figure="fig9", d=dm, n1=n1m, n2=n2m, alpha=a, c2=FIG9_C2,
                              noise=FIG9_NOISE, ridge=FIG9_RIDGE, draws=sz["draws"])

                def run(seed, a=a, dm=dm, n1m=n1m, n2m=n2m, teach_m=teach_m):
                    return simulate_weighted_ridge(
                        np.ones(dm), n=n1m + n2m, p2=n2m / (n1m + n2m), alpha=a,
                        ridge=[FIG9_RIDGE], noise_real=FIG9_NOISE, noise_synth=FIG9_NOISE,
                        draws=sz["draws"], seed=seed, **teach_m)

                mc = ctx.simulate(f"fig9 n1={n1} n2={n2} alpha={a}", params, run)
                thm = weighted_ridge_risk(np.ones(dm), n=n1m + n2m, p2=n2m / (n1m + n2m),
                                          alpha=a, ridge=FIG9_RIDGE, noise_real=FIG9_NOISE,
                                          noise_synth=FIG9_NOISE, **teach_m)
                points += compare(figure="fig9", series=f"n1={n1m}, n2={n2m}, d={dm}",
                                  x_name="alpha", x=[a],
                                  theory={"test_error": np.atleast_1d(thm.test_error)}, mc=mc,
                                  quantities=["test_error"], rtol=MIXING_RTOL, d=dm)
                means.append(mc.mean["test_error"][0])
                ses.append(mc.stderr["test_error"][0])
            if sz["scale"] == 1:
                ax.errorbar(sz["alphas"], means, yerr=3 * np.asarray(ses), fmt="o", ms=4,
                            color=color, mfc="white", capsize=2)
        ax.set_title(f"n1 = {n1}, d = {d}")
        ax.set_xlabel("α (weight of the synthetic rows)")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("test error")
    axes[0].legend(fontsize=8)
    if _sizes(ctx)["scale"] != 1:
        notes.append(f"Monte Carlo at d/{sz['scale']} with the same ratios (table only).")
    caption = (
        "Weighted single-step mixing, loss ((1−α)/n1)Σ_real + (α/n2)Σ_synth + λ‖w‖²: test error "
        "against α. Isotropic Σ, w1 ~ N(0, I/d), Δ = (c²/d) I with c² = 0.1 and σ1 = σ2 = 1 "
        "(not stated in the paper), λ = 1e-8. Solid: the two-group deterministic equivalent "
        "(effective teacher w1 + θδ with θ ≠ α at finite φ). Dashed: the printed Corollary 2 "
        "p2²α²c² + ((1−α)p1σ1² + αp2σ2²)φ, which Monte Carlo rejects (it misses the α²c² floor "
        "at α = 1). Triangles: the first-order optimum α* = φσ1²/(p1c²); the printed "
        "α* ≈ 1 − (p1σ1² − p2σ2²)φ/(2c²) points the wrong way."
    )
    return FigureOutput("fig9", "Figure 9 — weighted mixing", fig, caption, points, notes)


def figure10(ctx: Context) -> FigureOutput:
    """Figure 10: iterative mixing, test error over 5 iterations for three initial qualities."""
    sz = _sizes(ctx)
    d, n, steps = FIG10_D, FIG10_N, FIG10_STEPS
    fig, axes = _new_figure(1)
    ax = axes[0]
    ts = np.arange(steps + 1)
    vals = {phi: d / n, p2: 0.5, sigma1: FIG10_NOISE, sigma2: FIG10_NOISE}
    exact = closed_form(it.mixing_recursion()["E_t"].subs(vals), it.c0, it.step)
    cor3 = closed_form(it.corollary3()["E_t"].subs(vals), it.c0, it.step)
    clean = FIG10_NOISE**2 * (d / n) / (1 - d / n)
    points = []
    colors = ["tab:blue", "tab:orange", "tab:green"]
    draws = max(sz["draws"], 20)
    for color, c0 in zip(colors, FIG10_C0, strict=True):
        ax.semilogy(ts, [exact(np.sqrt(c0), t) for t in ts], color=color, marker=".",
                    label=f"c0² = {c0:g}")
        ax.semilogy(ts, [cor3(np.sqrt(c0), t) for t in ts], color=color, ls="--", lw=0.8)
        params = dict(figure="fig10", d=d, n=n, c0=c0, steps=steps, draws=draws)

        def run(seed, c0=c0):
            return simulate_iterative_mixing(d=d, n=n, p2=0.5, c0_sq=c0, noise_real=FIG10_NOISE,
                                             noise_synth=FIG10_NOISE, steps=steps, draws=draws,
                                             seed=seed)

        mc = ctx.simulate(f"fig10 c0={c0}", params, run)
        theory = np.array([exact(np.sqrt(c0), t) for t in ts])
        points += compare(figure="fig10", series=f"c0²={c0:g}", x_name="t", x=list(ts[1:]),
                          theory={"test_error": theory[1:]},
                          mc=_tail(mc), quantities=["test_error"], rtol=MIXING_RTOL, d=d)
        ax.errorbar(ts, mc.mean["test_error"], yerr=3 * mc.stderr["test_error"], fmt="o",
                    ms=4, color=color, mfc="white", capsize=2)
    ax.axhline(clean, color="black", ls=":", label="Clean (n real rows)")
    ax.set_xlabel("iteration t")
    ax.set_ylabel("test error")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    caption = (
        f"Iterative mixing: step t + 1 refits on n1 = {n // 2} fresh real rows and n2 = {n // 2} "
        "rows labelled by the step-t model (isotropic, d = 100, n = 1000, σ = 1, ridgeless; "
        "not stated in the paper). Solid: the exact recursion E(t+1) = σ²u + (p2² + p1p2u)E(t), "
        "u = φ/(1−φ); dashed: Corollary 3 (contraction p2² only), visibly low; markers: "
        "simulation. All curves approach σ²u/(1 − p2² − p1p2u), above Clean."
    )
    return FigureOutput("fig10", "Figure 10 — iterative mixing", fig, caption, points)


def _tail(mc):
    """The Monte Carlo result without its t = 0 column (which is the drawn c0², not a fit)."""
    return MonteCarloResult.from_draws({"test_error": mc.draws["test_error"][:, 1:]}, mc.seed,
                                       mc.params)


def generations_figure(ctx: Context) -> FigureOutput:
    """Recursive retraining: error grows linearly in the number of generations N (§6).

    (a) isotropic OLS downstream, the closed form; (b) power-law Σ, ridge downstream on fewer
    rows than dimensions, the general-ridge formula ``E_N ≃ B + V + Nσ0²ρ`` against λ.
    """
    sz = _sizes(ctx)
    fig, axes = _new_figure(2)
    ax = axes[0]
    ns = np.arange(GEN_N + 1)
    e_n = it.recursive_retraining()["E_N"]
    points = []
    draws = max(sz["draws"], 20)
    for color, t in zip(["tab:blue", "tab:orange", "tab:green"], GEN_T, strict=True):
        f = closed_form(e_n.subs({phi: GEN_D / t, it.phi0: GEN_D / GEN_T0, it.sigma0: 1.0,
                                  sigma1: 1.0}), it.generations)
        theory = np.array([float(f(k)) for k in ns])
        ax.plot(ns, theory, color=color, label=f"T = {t}")
        params = dict(figure="generations", d=GEN_D, t0=GEN_T0, t=t, n=GEN_N, draws=draws)

        def run(seed, t=t):
            return simulate_recursive_retraining(d=GEN_D, t0=GEN_T0, t=t, noise_generator=1.0,
                                                 noise=1.0, generations=GEN_N, draws=draws,
                                                 seed=seed)

        mc = ctx.simulate(f"generations T={t}", params, run)
        points += compare(figure="generations", series=f"T={t}", x_name="N", x=list(ns),
                          theory={"test_error": theory}, mc=mc, quantities=["test_error"],
                          rtol=MIXING_RTOL, d=GEN_D)
        ax.errorbar(ns, mc.mean["test_error"], yerr=3 * mc.stderr["test_error"], fmt="o", ms=4,
                    color=color, mfc="white", capsize=2)
    ax.set_xlabel("generations N")
    ax.set_ylabel("test error")
    ax.set_title("(a) isotropic, OLS downstream", fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    points += _generations_ridge_panel(ctx, axes[1], draws)
    g = GEN_RIDGE
    caption = (
        f"Recursive retraining (Dohmatob, Feng, Kempe 2024): each generation is OLS on T0 "
        f"rows labelled by the previous one. (a) σ0 = σ = 1, downstream OLS on T rows, "
        f"d = {GEN_D}, T0 = {GEN_T0}: E_N = σ²φ/(1−φ) + Nσ0²φ0/(1−φ0), linear growth. "
        f"(b) Σ eigenvalues ∝ 1/j, tr Σ = 1, w ~ N(0, I), d = {g['d']}, T0 = {g['t0']}, "
        f"σ0 = σ = {g['noise']}, downstream ridge on T = {g['t']} rows: E_N ≃ B + V + Nσ0²ρ, "
        "ρ = [df2(κ) + uκ² tr(Σ+κ)^-2]/(T0−d); "
        "the best λ (stars) grows with N. Markers: simulation (± 3 se)."
    )
    return FigureOutput("generations", "Generations of recursive retraining", fig, caption,
                        points)


def _generations_ridge_panel(ctx: Context, ax, draws: int) -> list:
    g = GEN_RIDGE
    d, lam = g["d"], g["ridge"]
    s = 1.0 / np.arange(1, d + 1)
    s /= s.sum()
    gamma = np.ones(d)  # tr ΣΓ = 1
    gens, sig = np.array(g["generations"]), g["noise"]
    theory = recursive_retraining_risk(s, t0=g["t0"], t=g["t"], ridge=lam[None, :],
                                       generations=gens[:, None], noise_generator=sig,
                                       noise=sig, gamma=gamma)
    params = dict(figure="generations-ridge", d=d, t0=g["t0"], t=g["t"], draws=draws, noise=sig,
                  generations=int(gens.max()), ridge=lam.tolist())

    def run(seed):
        return simulate_recursive_retraining(d=d, t0=g["t0"], t=g["t"], noise_generator=sig,
                                             noise=sig, generations=int(gens.max()),
                                             spectrum=s, ridge=lam, gamma=gamma, draws=draws,
                                             seed=seed)

    mc = ctx.simulate("generations ridge", params, run)
    points = []
    colors = ["tab:blue", "tab:orange", "tab:red"]
    for row, (color, k) in enumerate(zip(colors, gens, strict=True)):
        sl = MonteCarloResult.from_draws({"test_error": mc.draws["test_error"][:, k, :]},
                                         mc.seed, mc.params)
        points += compare(figure="generations", series=f"ridge N={k}", x_name="lambda",
                          x=list(lam), theory={"test_error": theory.test_error[row]}, mc=sl,
                          quantities=["test_error"], rtol=MIXING_RTOL, d=d)
        ax.plot(lam, theory.test_error[row], color=color, label=f"N = {k}")
        best = int(np.argmin(theory.test_error[row]))
        ax.plot(lam[best], theory.test_error[row][best], "*", color=color, ms=9)
        ax.errorbar(lam, sl.mean["test_error"], yerr=3 * sl.stderr["test_error"], fmt="o", ms=4,
                    color=color, mfc="white", capsize=2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("downstream ridge λ")
    ax.set_ylabel("test error")
    ax.set_title("(b) power law, ridge downstream, T < d", fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return points


#: Registry merged into the reproduce job.
MIXING_FIGURES = {9: figure9, 10: figure10, "generations": generations_figure}


def planned_mixing_runs(settings, figures) -> int:
    """Number of Monte Carlo runs of the chosen mixing figures (progress-bar total)."""
    alphas = {"tiny": 2, "quick": 3}.get(settings.mode, 5)
    per = {9: sum(len(p[2]) for p in FIG9_PANELS) * alphas, 10: len(FIG10_C0),
           "generations": len(GEN_T) + 1}
    return sum(per.get(f, 0) for f in figures)
