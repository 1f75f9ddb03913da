"""Monte Carlo cost per draw: ``simulate_ridge`` on a λ grid against a fresh solve per λ and an SVD.

* toolkit: ``simulate_ridge(..., draws=1)`` with fixed teachers (sampling, one thin SVD, exact
  noise average, all λ) — and with random-effects teachers, which it averages exactly given the
  design (:func:`~modelcollapse.verify.montecarlo.ridge_fit_errors_random`);
* (a) :func:`_baselines.mc_fresh_solve_draw`: the same sampling, then ``np.linalg.solve`` of
  ``(XᵀX/n + λI)`` for every λ (three right-hand sides: noisy labels, noise-free labels, ``w1``);
* (b) floor: one ``np.linalg.svd(X, full_matrices=False)`` of the design.

The check: on the same design, the toolkit's bias and ζ (deterministic given X and the teachers)
equal the direct solves'.
"""

from __future__ import annotations

import resource

import _baselines as base
import numpy as np
from _timing import Row, interleaved_min, peak_traced_bytes

__all__ = ["run_montecarlo"]


def run_montecarlo(
    n: int = 1000,
    d: int = 1000,
    n_ridges: int = 50,
    p2: float = 0.3,
    reps: int = 3,
    seed: int = 0,
) -> tuple[list[Row], dict[str, float]]:
    """Time one Monte Carlo draw; returns rows and checks (max relative gaps, peak memory)."""
    from modelcollapse.verify.montecarlo import ridge_fit_errors, simulate_ridge

    s = base.power_law_spectrum(d)
    gamma, delta = np.full(d, 1.0 / d), 0.5 / d / s
    ridges = np.logspace(-4, 0, n_ridges)
    n2 = int(round(p2 * n))
    n1 = n - n2
    noise = (0.5, 1.0)
    mc_kw = dict(n=n, p2=p2, ridge=ridges, noise_real=noise[0], noise_synth=noise[1],
                 gamma=gamma, delta=delta)

    teach_rng = np.random.default_rng(seed + 1)
    w1_fixed = np.sqrt(gamma) * teach_rng.standard_normal(d)
    w2_fixed = w1_fixed + np.sqrt(delta) * teach_rng.standard_normal(d)
    fixed_kw = {k: v for k, v in mc_kw.items() if k not in ("gamma", "delta")}

    def toolkit():
        return simulate_ridge(s, draws=1, seed=seed, w_real=w1_fixed, w_synth=w2_fixed,
                              **fixed_kw)

    def toolkit_random():
        return simulate_ridge(s, draws=1, seed=seed, **mc_kw)

    def direct():
        rng = np.random.default_rng(seed)
        return base.mc_fresh_solve_draw(rng, s, gamma, delta, n1, n2, ridges, *noise)

    x_fixed = np.random.default_rng(seed).standard_normal((n, d)) * np.sqrt(s)

    def svd():
        return np.linalg.svd(x_fixed, full_matrices=False)

    toolkit()  # warm-up
    toolkit_random()
    t = interleaved_min({"toolkit": toolkit, "random": toolkit_random, "direct": direct,
                         "svd": svd}, reps)
    # what the exact average buys: per-draw spread of E_test over 6 designs, exact teacher
    # average against one sampled teacher pair per design (the old route)
    exact_draws = simulate_ridge(s, draws=6, seed=seed + 2, **mc_kw).draws["test_error"]
    rng_v = np.random.default_rng(seed + 3)
    noise_rows_v = np.r_[np.full(n1, noise[0] ** 2), np.full(n2, noise[1] ** 2)]
    sampled = []
    for _ in range(6):
        w1_v = np.sqrt(gamma) * rng_v.standard_normal(d)
        w2_v = w1_v + np.sqrt(delta) * rng_v.standard_normal(d)
        x_v = rng_v.standard_normal((n, d)) * np.sqrt(s)
        y_v = np.r_[x_v[:n1] @ w1_v, x_v[n1:] @ w2_v]
        sampled.append(ridge_fit_errors(x_v, y_v, w1_v, s, ridges, noise_rows_v)["test_error"])
    spread = float(np.median(np.std(np.array(sampled), axis=0, ddof=1)
                             / np.std(exact_draws, axis=0, ddof=1)))

    ref = direct()
    x, w1, w2 = ref["x"], ref["w1"], ref["w2"]
    y_sig = np.r_[x[:n1] @ w1, x[n1:] @ w2]
    noise_rows = np.r_[np.full(n1, noise[0] ** 2), np.full(n2, noise[1] ** 2)]
    errs = ridge_fit_errors(x, y_sig, w1, s, ridges, noise_rows)
    checks = {
        "bias": float(np.max(np.abs(errs["bias"] - ref["bias"]) / np.abs(ref["bias"]))),
        "zeta": float(np.max(np.abs(errs["zeta"] - ref["zeta"]) / np.abs(ref["zeta"]))),
    }
    mem = {
        "toolkit": peak_traced_bytes(toolkit),
        "direct": peak_traced_bytes(direct),
        "svd": peak_traced_bytes(svd),
    }
    checks.update({f"peak_{k}_bytes": float(v) for k, v in mem.items()})
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    setting = f"n=d={n}" if n == d else f"n={n}, d={d}"
    mib = {k: v / 2**20 for k, v in mem.items()}
    rows = [
        Row(
            f"Monte Carlo draw, {n_ridges} λ ({setting}) vs solve per λ", t["toolkit"],
            t["direct"], "speedup", 20,
            [f"same design: max rel. gap bias {checks['bias']:.1e}, ζ {checks['zeta']:.1e}",
             f"peak traced memory per draw: toolkit {mib['toolkit']:.0f} MiB, solve per λ "
             f"{mib['direct']:.0f} MiB, SVD alone {mib['svd']:.0f} MiB; process max RSS so far "
             f"{maxrss_mb:.0f} MiB"],
        ),
        Row(
            "Monte Carlo draw vs floor (one SVD of X)", t["toolkit"], t["svd"], "floor", 1.5,
            ["toolkit time includes sampling X and the teachers; the floor is the SVD alone"],
        ),
        Row(
            "Monte Carlo draw, random effects averaged exactly, vs floor", t["random"],
            t["svd"], "floor", 2.0,
            [f"per-draw standard deviation of E_test, one sampled teacher pair / exact average: "
             f"{spread:.0f}× (median over λ; {spread**2:.0f}× fewer draws for the same error)"],
        ),
    ]
    return rows, checks
