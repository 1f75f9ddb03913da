"""Record the outputs of ``predict`` and the Python API on seeded random problems.

Run once, before the model engine replaced the hand-written solvers (commit 3f45a1c):

    python tests/regression/make_baseline.py

It writes ``baseline.json.gz`` beside this file: the problems (inputs stored, not regenerated,
so NumPy's random streams may change without invalidating the file) and every output value.
``tests/test_regression.py`` re-evaluates the stored inputs with the current code and requires
agreement to 1e-12 relative (identical where a value is inf/NaN, with the same status).
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PER_MODEL = 1500


def _spectrum(rng, d):
    kind = rng.integers(4)
    if kind == 0:
        s = np.ones(d)
    elif kind == 1:
        s = np.arange(1, d + 1, dtype=float) ** (-rng.uniform(0.3, 2.0))
    elif kind == 2:
        s = 10.0 ** rng.uniform(-3, 3, d)
    else:
        s = np.sort(np.exp(rng.normal(0, 1, d)))[::-1]
    return s * 10.0 ** rng.uniform(-2, 2)


def _teacher(rng, s, kind):
    d = s.size
    if kind == "random":
        g = s ** rng.uniform(-1, 1) * rng.uniform(0.1, 2)
        dl = s ** rng.uniform(-1, 1) * rng.uniform(0, 2)
        if rng.random() < 0.15:
            dl = np.zeros(d)
        return {"gamma": (g / g.sum()).tolist(), "delta": (dl / max(dl.sum(), 1e-300)).tolist()}
    w1 = rng.standard_normal(d) / np.sqrt(s.sum())
    w2 = w1 + rng.uniform(0, 1.5) * rng.standard_normal(d) / np.sqrt(s.sum())
    if rng.random() < 0.1:
        w2 = w1.copy()
    return {"w_real": w1.tolist(), "w_synth": w2.tolist()}


def _ridge(rng, s):
    u = rng.random()
    if u < 0.25:
        return 0.0
    return float(s.mean() * 10.0 ** rng.uniform(-8, 3))


def _p2(rng):
    u = rng.random()
    return 0.0 if u < 0.15 else 1.0 if u < 0.25 else float(rng.uniform(0, 1))


def _noise(rng):
    return 0.0 if rng.random() < 0.15 else float(rng.uniform(0, 2))


def ridge_problems(rng):
    out = []
    for _ in range(PER_MODEL):
        d = int(rng.integers(1, 9))
        s = _spectrum(rng, d)
        lam = _ridge(rng, s)
        n = float(d) if (lam == 0 and rng.random() < 0.15) else float(
            max(1, round(d / 10.0 ** rng.uniform(-1, 1))) if rng.random() < 0.7
            else d / 10.0 ** rng.uniform(-1, 1))
        p = {"model": "ridge", "n": n, "p2": _p2(rng), "ridge": lam, "noise_real": _noise(rng),
             "noise_synth": _noise(rng), "spectrum": s.tolist()}
        p.update(_teacher(rng, s, "random" if rng.random() < 0.5 else "fixed"))
        out.append(p)
    return out


def rp_problems(rng):
    out = []
    for _ in range(PER_MODEL):
        d = int(rng.integers(1, 9))
        s = _spectrum(rng, d)
        lam = _ridge(rng, s)
        n = float(max(1, round(d / 10.0 ** rng.uniform(-1, 1))))
        u = rng.random()
        if lam == 0 and u < 0.1:
            m = n
        elif u < 0.2:
            m = float(d)
        else:
            m = float(max(1, round(n * 10.0 ** rng.uniform(-1.3, 1.3))))
        p = {"model": "random_projection", "n": n, "m": m, "p2": _p2(rng), "ridge": lam,
             "noise_real": _noise(rng), "noise_synth": _noise(rng), "spectrum": s.tolist()}
        p.update(_teacher(rng, s, "random" if rng.random() < 0.5 else "fixed"))
        out.append(p)
    return out


def mixing_problems(rng):
    out = []
    for _ in range(PER_MODEL):
        d = int(rng.integers(1, 9))
        s = _spectrum(rng, d)
        lam = _ridge(rng, s)
        n = float(max(2, round(d / 10.0 ** rng.uniform(-1, 0.7))))
        p2 = _p2(rng)
        alpha = p2 if p2 in (0.0, 1.0) else (p2 if rng.random() < 0.1 else float(rng.random()))
        p = {"model": "ridge", "n": n, "p2": p2, "ridge": lam, "noise_real": _noise(rng),
             "noise_synth": _noise(rng), "spectrum": s.tolist(), "mixing_weight": alpha}
        p.update(_teacher(rng, s, "random" if rng.random() < 0.5 else "fixed"))
        out.append(p)
    return out


def _arrays(res, names):
    return {k: np.asarray(getattr(res, k), dtype=float).tolist() for k in names}


def api_cases(rng):
    from modelcollapse.numerics import ridge_risk, solve_kappa
    from modelcollapse.numerics.mixing import weighted_ridge_risk
    from modelcollapse.numerics.random_projection import rp_risk
    from modelcollapse.numerics.retraining import recursive_retraining_risk

    conv = ("converged", "iterations", "residual", "status")
    cases = []
    for i in range(40):
        d = int(rng.integers(2, 40))
        s = _spectrum(rng, d)
        teach = _teacher(rng, s, "random" if i % 2 else "fixed")
        lam = np.r_[0.0, s.mean() * np.logspace(-6, 2, 5)][:, None, None]
        n = np.array([d / 3, d / 1.5, float(d), 1.5 * d, 4.0 * d])[None, :, None]
        p2 = np.array([0.0, 0.3, 1.0])[None, None, :]
        kw = dict(n=n, p2=p2, ridge=lam, noise_real=0.7, noise_synth=0.4, **teach)
        res = ridge_risk(s, on_failure="nan", **kw)
        cases.append({"fn": "ridge_risk", "spectrum": s.tolist(),
                      "kwargs": {k: np.asarray(v).tolist() for k, v in kw.items()},
                      "out": _arrays(res, ("test_error", "bias", "variance", "zeta", "kappa",
                                           "u", *conv))})
        k = solve_kappa(s, lam, n)
        cases.append({"fn": "solve_kappa", "spectrum": s.tolist(),
                      "kwargs": {"ridge": lam.tolist(), "n": n.tolist()},
                      "out": _arrays(k, ("kappa", *conv))})
        m = np.array([d / 4, d / 2, float(d), 2.0 * d, 5.0 * d])[None, None, :]
        nn = np.array([float(d), d / 2.0])[None, :, None]
        for form in ("corrected", "paper", "printed"):
            kw = dict(n=nn, m=m, p2=0.3, ridge=lam, noise_real=0.5, noise_synth=0.8, **teach)
            res = rp_risk(s, form=form, on_failure="nan", **kw)
            cases.append({"fn": "rp_risk", "form": form, "spectrum": s.tolist(),
                          "kwargs": {k: np.asarray(v).tolist() for k, v in kw.items()},
                          "out": _arrays(res, ("test_error", "bias", "variance", "zeta", "theta",
                                               "e", "tau", "u", "omega_prime", *conv))})
        alpha = np.array([0.0, 0.2, 0.3, 0.7])[:, None]
        kw = dict(n=np.array([d / 2, 3.0 * d]), p2=0.3, alpha=alpha,
                  ridge=float(s.mean() * 10.0 ** rng.uniform(-4, 1)), noise_real=0.6,
                  noise_synth=0.9, **teach)
        res = weighted_ridge_risk(s, **kw)
        cases.append({"fn": "weighted_ridge_risk", "spectrum": s.tolist(),
                      "kwargs": {k: np.asarray(v).tolist() for k, v in kw.items()},
                      "out": _arrays(res, ("test_error", "bias", "variance", "zeta", "kappa",
                                           "delta", "theta", "xi", *conv))})
        t_kw = {"gamma": teach["gamma"]} if "gamma" in teach else {"w_real": teach["w_real"]}
        kw = dict(t0=np.array([d + 5.0, 4.0 * d])[:, None, None], t=np.array([d / 2, 2.0 * d]),
                  ridge=lam[:, :, 0], generations=np.array([0, 1, 3])[:, None, None, None],
                  noise_generator=0.8, noise=0.5, **t_kw)
        res = recursive_retraining_risk(s, on_failure="nan", **kw)
        cases.append({"fn": "recursive_retraining_risk", "spectrum": s.tolist(),
                      "kwargs": {k: np.asarray(v).tolist() for k, v in kw.items()},
                      "out": _arrays(res, ("test_error", "bias", "variance", "rho", "collapse",
                                           "kappa", "u", *conv))})
    return cases


def _clean(x):
    if isinstance(x, float) and not math.isfinite(x):
        return repr(x)
    if isinstance(x, list):
        return [_clean(v) for v in x]
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    return x


def main() -> None:
    from modelcollapse.numerics.problems import predict

    rng = np.random.default_rng(20261130)
    problems = ridge_problems(rng) + rp_problems(rng) + mixing_problems(rng)
    outputs = predict(problems)
    data = {"commit": "3f45a1c", "problems": problems, "predict": outputs,
            "api": api_cases(rng)}
    with gzip.open(HERE / "baseline.json.gz", "wt", encoding="utf-8") as fh:
        json.dump(_clean(data), fh, separators=(",", ":"))


if __name__ == "__main__":
    main()
