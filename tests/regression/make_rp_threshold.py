"""50-digit references for the baseline's random-projection problems at n = d < m (λ > 0).

There the θ equation's plain form cancels and the recorded baseline (float64, commit 3f45a1c) is
off by up to 5e-12; since 0c26fa7 the solver uses the least-cancelling form, and
``tests/test_regression.py`` compares those problems with these references instead:

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
    """Random projections with n = d < m and λ > 0."""
    return (problem["model"] == "random_projection" and isinstance(problem.get("spectrum"), list)
            and float(problem["n"]) == len(problem["spectrum"])
            and float(problem["m"]) > float(problem["n"]) and float(problem["ridge"]) > 0)


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
    (HERE / "rp_threshold.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
