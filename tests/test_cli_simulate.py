"""``modelcollapse simulate``: the finite-size rule with the replicated problem, against the plain
one-size z-test (docs/mathematics.md §5.3)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import modelcollapse.numerics.problems as problems_module
from modelcollapse.numerics import (
    recursive_retraining_risk,
    rf_risk,
    ridge_risk,
    rp_risk,
    weighted_ridge_risk,
)
from modelcollapse.verify._cli_simulate import simulate_problems
from modelcollapse.verify.agreement import replicate
from modelcollapse.verify.cli import main

RNG = np.random.default_rng(5)
S = RNG.uniform(0.1, 1.0, 12)
RE = dict(gamma=np.full(12, 0.05), delta=np.full(12, 0.01))
CASES = [
    (ridge_risk, dict(n=30, p2=0.3, ridge=0.05, noise_real=0.2, noise_synth=0.4, **RE)),
    (ridge_risk, dict(n=30, p2=0.3, ridge=0.05, noise_real=0.2, noise_synth=0.4,
                      w_real=RNG.normal(size=12), w_synth=RNG.normal(size=12))),
    (rp_risk, dict(n=30, m=20, p2=0.3, ridge=0.05, noise_real=0.2, noise_synth=0.4, **RE)),
    (rf_risk, dict(n=30, m=40, p2=0.3, ridge=0.05, noise_real=0.2, noise_synth=0.4, **RE)),
    (weighted_ridge_risk, dict(n=30, p2=0.3, alpha=0.5, ridge=0.05, noise_real=0.2,
                               noise_synth=0.4, **RE)),
    (recursive_retraining_risk, dict(t0=30, t=20, ridge=0.05, generations=2,
                                     noise_generator=0.5, noise=0.3, gamma=RE["gamma"])),
]


@pytest.mark.parametrize("solver, kw", CASES, ids=[f"{c[0].__name__}-{i}"
                                                    for i, c in enumerate(CASES)])
def test_the_replicated_problem_has_the_same_theory(solver, kw):
    base = solver(S, **kw)
    big = replicate(dict(kw, spectrum=S), 3)
    rep = solver(big.pop("spectrum"), **big)
    assert rep.d == 3 * base.d if hasattr(rep, "d") else True
    for key in ("test_error", "bias", "variance", "zeta"):
        assert float(getattr(rep, key)) == pytest.approx(float(getattr(base, key)), rel=1e-12,
                                                         abs=1e-15), key


def test_replicate_scales_lists_of_widths():
    big = replicate({"spectrum": S, "n": 30, "m": [10, 20]}, 2)
    assert big["n"] == 60 and list(big["m"]) == [20, 40]


def test_replicate_refuses_a_bad_factor():
    with pytest.raises(ValueError, match="factor"):
        replicate({"spectrum": S}, 0)


# Ridgeless least squares at n = 1.5 d: the exact variance σ² d/(n − d − 1) is 11 % above the
# deterministic equivalent σ² d/(n − d) at d = 20 — a finite-size bias, not an error.
D = 20
PROBLEM = {"model": "ridge", "n": 30, "p2": 0.0, "ridge": 0.0, "noise_real": 1.0,
           "noise_synth": 1.0, "spectrum": [1.0] * D, "gamma": [0.0] * D, "delta": [0.0] * D,
           "draws": 200, "seed": 3}


def test_the_rule_accepts_the_finite_size_bias_that_fools_a_one_size_test():
    (one,), _ = simulate_problems(PROBLEM, single_size=True)
    (two,), _ = simulate_problems(PROBLEM)
    v1, v2 = one["quantities"]["variance"], two["quantities"]["variance"]
    assert v1["theory"] == pytest.approx(2.0)
    assert v1["mc"] == pytest.approx(D / (30 - D - 1), rel=0.02)  # the exact 2.22
    assert not v1["agree"] and v1["z"] > 5
    assert two["d"] == D and v2["agree"], v2
    assert v2["mc_2d"] == pytest.approx(2 * D / (60 - 2 * D - 1), rel=0.02)  # exact at 2d


def test_the_rule_rejects_a_theory_off_by_two_percent(monkeypatch):
    # random effects are integrated exactly per design: the se is the design's fluctuation
    problem = {"model": "ridge", "n": 80, "p2": 0.3, "ridge": 0.01, "noise_real": 0.3,
               "noise_synth": 0.3, "spectrum": [1.0] * 40, "gamma": [1 / 40] * 40,
               "delta": [0.02] * 40, "draws": 400, "seed": 4}
    (good,), _ = simulate_problems(problem)
    assert good["quantities"]["test_error"]["agree"]
    exact = problems_module.evaluate_problems

    def off(problems):
        return [dict(r, test_error=1.02 * r["test_error"]) for r in exact(problems)]

    monkeypatch.setattr(problems_module, "evaluate_problems", off)
    (bad,), _ = simulate_problems(problem)
    assert not bad["quantities"]["test_error"]["agree"], bad["quantities"]["test_error"]


def test_cli_bad_models_and_spectra_exit_2(tmp_path, capsys):
    path = tmp_path / "p.json"
    for obj, field in (
        ({"model": "multi_source", "n": 10, "ridge": 0.1, "draws": 10,
          "sources": [{"fraction": 1, "covariance": [1, 1], "teacher": [1, 0]}]}, "model"),
        (dict(PROBLEM, spectrum={"power_law": 2.0, "dimension": None},
              gamma={"power_law": 0.0, "scale": 1.0}, delta={"power_law": 0.0, "scale": 0.1}),
         "spectrum"),
    ):
        path.write_text(json.dumps(obj))
        assert main(["simulate", str(path)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and len(err.splitlines()) == 1 and f"field '{field}'" in err, err
