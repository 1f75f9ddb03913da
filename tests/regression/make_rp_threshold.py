"""50-digit references for the baseline's random-projection problems at a threshold (λ > 0):
n = d < m, m = d < n or n = m < d.

There the plain forms cancel — the θ equation's at n = d < m and m = d < n, ``e = τ = 1 − df1/n``
at n = m < d — and the recorded baseline (float64, commit 3f45a1c) is off by up to 1e-11; the
solver uses least-cancelling forms declared in ``theory/random_projection.py`` (and a last Newton
step on θ), and ``tests/test_regression.py`` compares those problems with these references
instead:

    python tests/regression/make_rp_threshold.py

writes ``rp_threshold.json`` beside this file ({index: {key: value with 25 digits}}), values from
:func:`modelcollapse.numerics.reference_rp.rp_risk_mp` (mpmath, 50 digits, its own root finding).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import mpmath

from modelcollapse.numerics.reference_rp import rp_risk_mp

HERE = Path(__file__).resolve().parent
KEYS = ("theta", "t_star", "u", "omega_prime", "bias", "variance", "zeta", "test_error")


def at_threshold(problem: dict) -> bool:
    """Random projections with λ > 0 at n = d < m, m = d < n or n = m < d (where a plain form
    cancels; m = d > n does not, and the reference's precision control gives up there)."""
    if not (problem["model"] == "random_projection" and isinstance(problem.get("spectrum"), list)
            and float(problem["ridge"]) > 0):
        return False
    n, m, d = float(problem["n"]), float(problem["m"]), float(len(problem["spectrum"]))
    return (n == d < m) or (m == d < n) or (n == m < d)


def main() -> None:
    with gzip.open(HERE / "baseline.json.gz", "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    out = {}
    for i, p in enumerate(data["problems"]):
        if not at_threshold(p):
            continue
        kw = {k: p[k] for k in ("n", "m", "p2", "ridge", "noise_real", "noise_synth",
                                "gamma", "delta", "w_real", "w_synth") if k in p}
        ref = rp_risk_mp(p["spectrum"], **kw)
        out[str(i)] = {k: mpmath.nstr(ref[k], 25) for k in KEYS}
        if float(p["n"]) == float(p["m"]):  # e = τ = 1 − df1(θ)/n (Theorem 2's factors, n = m)
            with mpmath.workdps(60):
                theta = mpmath.mpf(ref["theta"])
                df1 = mpmath.fsum(mpmath.mpf(s) / (mpmath.mpf(s) + theta) for s in p["spectrum"])
                out[str(i)]["e"] = out[str(i)]["tau"] = mpmath.nstr(1 - df1 / p["n"], 25)
    (HERE / "rp_threshold.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
