"""Theorem 1 throughput: ``ridge_risk`` over a (λ, n, p2) grid against two baselines and a floor.

* (a) per-point ``scipy.optimize.brentq`` on the κ fixed point, then B, V, ζ per point in plain
  NumPy — timed on a random subset of the grid and extrapolated linearly to the whole grid;
* (b) damped fixed-point iteration ``κ ← (1−η)κ + η(λ + κ df1(κ)/n)`` vectorised over the grid
  (converged points leave the active set), then B, V, ζ vectorised;
* (a') brentq once per distinct (λ, n) pair, then B, V, ζ vectorised (no target; the honest
  comparison for a user who noticed that κ depends on (λ, n) only);
* floor: one vectorised pass of ``df1`` over the distinct (λ, n) pairs (the faster of a plain and
  a row-chunked pass) times the **mean** number of iterations the toolkit's κ solver used.  The
  toolkit solves κ on the broadcast shape of (Σ, λ, n) only, so the floor counts the same work.

Every solver runs to the relative tolerance :data:`_baselines.TOL` on κ; the baselines' κ, B, V, ζ
are checked against the toolkit's.
"""

from __future__ import annotations

import _baselines as base
import numpy as np
from _timing import Row, interleaved_min

__all__ = ["run_ridge_theory", "relative_gap"]


def relative_gap(a, b) -> float:
    """``max |a − b| / max(|b|, 1e-12·max|b|)``: relative, with entries that are 0 in ``b``
    (e.g. ζ at p2 = 0) compared on the scale of the largest entry.

    >>> relative_gap([1.0, 1e-20], [1.0, 0.0])
    1e-08
    """
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    scale = max(float(np.max(np.abs(b))), 1e-300) * 1e-12
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), scale)))


def run_ridge_theory(
    d: int = 1000,
    shape: tuple[int, int, int] = (25, 20, 20),
    subset: int = 200,
    reps: int = 3,
    eta: float = 0.5,
    seed: int = 0,
) -> tuple[list[Row], dict[str, float]]:
    """Time and cross-check the ridge theory on the grid of :func:`_baselines.theory_problem`.

    Returns the table rows and the agreement checks (max relative gaps to the toolkit).
    """
    from modelcollapse.numerics import ridge_risk

    prob = base.theory_problem(d, shape)
    size = prob.size
    kw = dict(
        n=prob.n, p2=prob.p2, ridge=prob.lam, noise_real=prob.noise_real,
        noise_synth=prob.noise_synth, gamma=prob.gamma, delta=prob.delta,
    )
    res = ridge_risk(prob.s, **kw)  # warm-up (compiles the theory expressions once)
    if not np.all(res.converged):
        raise RuntimeError("ridge_risk did not converge on the benchmark grid")
    lam_f, n_f, _ = prob.flat()
    _, first = np.unique(np.c_[lam_f, n_f], axis=0, return_index=True)
    distinct = first.size
    kappa = res.kappa.ravel()[first]  # one κ per distinct (λ, n): the floor's unit of work
    its = res.iterations.ravel()[first]
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(size, size=min(subset, size), replace=False))

    out: dict[str, object] = {}
    funcs = {
        "toolkit": lambda: out.__setitem__("toolkit", ridge_risk(prob.s, **kw)),
        "brentq": lambda: out.__setitem__("brentq", base.ridge_brentq_subset(prob, idx)),
        "damped": lambda: out.__setitem__("damped", base.ridge_damped(prob, eta=eta)),
        "distinct": lambda: out.__setitem__("distinct", base.ridge_brentq_distinct(prob)),
        "pass": lambda: base.df1_pass(prob.s, kappa),
        "pass_chunked": lambda: base.df1_pass(prob.s, kappa, chunk=1024),
    }
    t = interleaved_min(funcs, reps)

    ref = [res.kappa.ravel(), res.bias.ravel(), res.variance.ravel(), res.zeta.ravel()]
    bq = out["brentq"]
    dk, db, dv, dz, d_its = out["damped"]
    names = ["kappa", "bias", "variance", "zeta"]
    checks = {f"brentq_{k}": relative_gap(bq[j], ref[j][idx]) for j, k in enumerate(names)}
    damped = (dk, db, dv, dz)
    checks.update(
        {f"damped_{k}": relative_gap(x, r) for k, x, r in zip(names, damped, ref, strict=True)}
    )
    checks.update({f"distinct_{k}": relative_gap(x, r)
                   for k, x, r in zip(names, out["distinct"], ref, strict=True)})

    t_pass = min(t["pass"], t["pass_chunked"])
    t_brentq = t["brentq"] * size / idx.size
    grid = f"d={d}, {size} pts"
    rows = [
        Row(
            f"ridge theory vs brentq/point ({grid})", t["toolkit"], t_brentq, "speedup", 100,
            [f"brentq timed on {idx.size} random points, extrapolated ×{size / idx.size:g}",
             f"max rel. gap to toolkit: κ {checks['brentq_kappa']:.1e}, "
             f"B {checks['brentq_bias']:.1e}, V {checks['brentq_variance']:.1e}, "
             f"ζ {checks['brentq_zeta']:.1e} (tolerance {base.TOL:g} on κ)"],
        ),
        Row(
            "ridge theory vs brentq per distinct (λ, n)", t["toolkit"], t["distinct"], "speedup",
            None,
            [f"{distinct} brentq solves, then B, V, ζ vectorised over all {size} points; "
             f"max rel. gap to toolkit: κ {checks['distinct_kappa']:.1e}, "
             f"ζ {checks['distinct_zeta']:.1e}"],
        ),
        Row(
            f"ridge theory vs damped iteration η={eta:g}", t["toolkit"], t["damped"], "speedup", 20,
            [f"damped iterations: mean {d_its.mean():.1f}, max {d_its.max()}",
             f"max rel. gap to toolkit: κ {checks['damped_kappa']:.1e}, "
             f"B {checks['damped_bias']:.1e}, V {checks['damped_variance']:.1e}, "
             f"ζ {checks['damped_zeta']:.1e}"],
        ),
        Row(
            "ridge theory vs floor (df1 pass over distinct (λ, n) × mean its)", t["toolkit"],
            t_pass * its.mean(),
            "floor", 2,
            [f"toolkit κ iterations: mean {its.mean():.2f}, max {its.max()}; one df1 pass "
             f"{t_pass * 1e3:.1f} ms (plain {t['pass'] * 1e3:.1f} ms, chunked "
             f"{t['pass_chunked'] * 1e3:.1f} ms); with max its the floor is "
             f"{t_pass * its.max() * 1e3:.1f} ms",
             f"distinct (λ, n) pairs (κ depends on nothing else): {distinct} of {size} points; "
             "the toolkit solves κ on the broadcast shape of (Σ, λ, n) and evaluates B, V, ζ "
             "over the full grid"],
        ),
    ]
    return rows, checks
