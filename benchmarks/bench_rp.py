"""Theorem 2 throughput: ``rp_risk`` over a width × λ × p2 grid against two baselines and a floor.

* (a) per-point nested ``brentq`` (outer in t on ``t(1 − df1(κ2(t))/n) = λ``, inner for κ2), then
  B, V, ζ per point — timed on a random subset and extrapolated linearly to the whole grid;
* (b) damped iteration of the paper's (e, τ) system (Definition 2), vectorised over the grid;
* floor: one vectorised ``df1`` pass over the distinct (m, λ) pairs (θ depends on nothing
  else; ``rp_risk`` solves each once) times the **mean** iterations ``rp_risk`` reports.

All solvers run to the relative tolerance :data:`_baselines.TOL` on θ; the baselines' θ, B, V, ζ
are checked against the toolkit's.
"""

from __future__ import annotations

import importlib.util

import _baselines as base
import numpy as np
from _timing import Row, interleaved_min
from bench_theory import relative_gap

__all__ = ["run_rp_theory", "rp_available"]


def rp_available() -> bool:
    """Whether :func:`modelcollapse.numerics.random_projection.rp_risk` can be imported."""
    return importlib.util.find_spec("modelcollapse.numerics.random_projection") is not None


def run_rp_theory(
    d: int = 1000,
    n: float = 500.0,
    shape: tuple[int, int, int] = (100, 10, 10),
    subset: int = 100,
    reps: int = 3,
    eta: float = 0.5,
    seed: int = 0,
) -> tuple[list[Row], dict[str, float]]:
    """Time and cross-check the random-projections theory on :func:`_baselines.rp_problem`."""
    if not rp_available():
        return [Row("RP theory", None, None, "info", None, ["rp_risk not available"])], {}
    from modelcollapse.numerics.random_projection import rp_risk

    prob = base.rp_problem(d, n, shape)
    size = prob.size
    kw = dict(
        n=prob.n, m=prob.m, p2=prob.p2, ridge=prob.lam, noise_real=prob.noise_real,
        noise_synth=prob.noise_synth, gamma=prob.gamma, delta=prob.delta,
    )
    res = rp_risk(prob.s, **kw)  # warm-up (compiles the theory expressions once)
    if not np.all(res.converged):
        raise RuntimeError("rp_risk did not converge on the benchmark grid")
    theta = res.theta.ravel()
    m_f, lam_f, _ = prob.flat()
    _, first = np.unique(np.c_[m_f, lam_f], axis=0, return_index=True)
    its = res.iterations.ravel()[first]
    theta_distinct = theta[first]
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(size, size=min(subset, size), replace=False))

    out: dict[str, object] = {}
    funcs = {
        "toolkit": lambda: rp_risk(prob.s, **kw),
        "brentq": lambda: out.__setitem__("brentq", base.rp_brentq_subset(prob, idx)),
        "damped": lambda: out.__setitem__("damped", base.rp_damped(prob, eta=eta)),
        "pass": lambda: base.df1_pass(prob.s, theta_distinct),
        "pass_chunked": lambda: base.df1_pass(prob.s, theta_distinct, chunk=1024),
    }
    t = interleaved_min(funcs, reps)

    ref = [theta, res.bias.ravel(), res.variance.ravel(), res.zeta.ravel()]
    bq = out["brentq"]
    th, b, v, z, d_its = out["damped"]
    names = ["theta", "bias", "variance", "zeta"]
    checks = {f"brentq_{k}": relative_gap(bq[j], ref[j][idx]) for j, k in enumerate(names)}
    damped = (th, b, v, z)
    checks.update(
        {f"damped_{k}": relative_gap(x, r) for k, x, r in zip(names, damped, ref, strict=True)}
    )

    def gaps(prefix: str) -> str:
        return (f"max rel. gap to toolkit: θ {checks[prefix + '_theta']:.1e}, "
                f"B {checks[prefix + '_bias']:.1e}, V {checks[prefix + '_variance']:.1e}, "
                f"ζ {checks[prefix + '_zeta']:.1e}")

    t_pass = min(t["pass"], t["pass_chunked"])
    grid = f"d={d}, n={n:g}, {size} pts"
    rows = [
        Row(f"RP theory vs nested brentq/point ({grid})", t["toolkit"],
            t["brentq"] * size / idx.size, "speedup", 100,
            [f"nested brentq timed on {idx.size} random points, extrapolated "
             f"×{size / idx.size:g}", gaps("brentq")]),
        Row(f"RP theory vs damped (e, τ) iteration η={eta:g}", t["toolkit"], t["damped"],
            "speedup", 20,
            [f"damped iterations: mean {d_its.mean():.1f}, max {d_its.max()}", gaps("damped")]),
        Row("RP theory vs floor (df1 pass over distinct (m, λ) × mean its)", t["toolkit"],
            t_pass * its.mean(), "floor", 2,
            [f"rp_risk iterations: mean {its.mean():.2f}, max {its.max()}; one df1 pass over "
             f"the {first.size} distinct (m, λ) of {size} points {t_pass * 1e3:.1f} ms; with "
             f"max its the floor is {t_pass * its.max() * 1e3:.1f} ms"]),
    ]
    return rows, checks
