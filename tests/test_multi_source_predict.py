"""``predict`` with model ``multi_source``: the structured ``sources``/``target`` form
(docs/mathematics.md §7), checked against other models' predictions in the special cases, and its
errors (one line, exit 2, naming the problem and the field)."""

from __future__ import annotations

import io
import json
import sys

import pytest

from modelcollapse.numerics.problems import ProblemError, predict, schema
from modelcollapse.verify.cli import main

S = [1.0, 0.5, 0.25, 0.125]
W = [0.5, -0.25, 0.75, 0.1]
W2 = [0.6, -0.05, 0.65, 0.4]  # W + a shift

#: The issue's exact form: two sources, a weight on the second, an explicit target.
PROBLEM = {"model": "multi_source", "n": 40, "ridge": 0.01,
           "sources": [{"fraction": 0.5, "covariance": S, "teacher": W, "noise": 0.5},
                       {"fraction": 0.5, "covariance": S,
                        "teacher": W2, "noise": 0.5, "weight": 0.4}],
           "target": {"covariance": S, "teacher": W}}


def _ridge_problem(**extra):
    return {"model": "ridge", "n": 40, "p2": 0.5, "ridge": 0.01, "noise_real": 0.5,
            "noise_synth": 0.5, "spectrum": S, "w_real": W,
            "w_synth": W2, **extra}


def test_one_covariance_equals_the_ridge_and_weighted_mixing_predictions():
    # a = (1, 1): Theorem 1; a = ((1 − α)/p1, α/p2): weighted mixing with α = 0.2 (a2/a1 = 0.4/1.6)
    unweighted = {k: v for k, v in PROBLEM["sources"][1].items() if k != "weight"}
    plain = dict(PROBLEM, sources=[dict(PROBLEM["sources"][0]), unweighted])
    got, ref = predict(plain), predict(_ridge_problem())
    for key in ("test_error", "bias", "variance", "zeta"):
        assert got[key] == pytest.approx(ref[key], rel=1e-12, abs=1e-15), key
    alpha = 0.2
    weighted = dict(PROBLEM, sources=[dict(PROBLEM["sources"][0], weight=(1 - alpha) / 0.5),
                                      dict(PROBLEM["sources"][1], weight=alpha / 0.5)])
    got, ref = predict(weighted), predict(_ridge_problem(mixing_weight=alpha))
    for key in ("test_error", "bias", "variance", "zeta"):
        assert got[key] == pytest.approx(ref[key], rel=1e-12, abs=1e-15), key


def test_output_fields_and_independence_from_the_rest_of_the_file():
    alone = predict(PROBLEM)
    assert {"test_error", "bias", "variance", "zeta", "e_1", "e_2", "delta_loo_1",
            "delta_loo_2", "converged", "status", "note"} <= set(alone)
    assert alone["converged"] and alone["status"] == 0
    mixed = predict([_ridge_problem(), dict(PROBLEM, id="ms"), _ridge_problem()])
    assert mixed[1]["id"] == "ms"
    assert all(mixed[1][k] == alone[k] for k in ("test_error", "bias", "variance", "zeta"))
    assert schema("multi_source")["required"] == ["n", "ridge", "sources"]


def _with_source(i, **change):
    sources = [dict(s) for s in PROBLEM["sources"]]
    sources[i].update(change)
    return dict(PROBLEM, sources=sources)


BAD = [
    ("asymmetric", _with_source(1, covariance=[[1, 0.5], [0, 1]]), "sources[1].covariance"),
    ("indefinite", _with_source(1, covariance=[[1, 2], [2, 1]]), "sources[1].covariance"),
    ("wrong size", _with_source(1, covariance=[1, 0.5]), "sources[1].covariance"),
    ("text", _with_source(0, covariance=[1, "x", 1, 1]), "sources[0].covariance"),
    ("unknown source key", _with_source(0, colour=1), "sources[0].colour"),
    ("fraction list", _with_source(0, fraction=[0.5]), "sources[0].fraction"),
    ("fractions", _with_source(0, fraction=0.2), "sources"),
    ("no sources", dict(PROBLEM, sources=[]), "sources"),
    ("spectrum", dict(PROBLEM, spectrum=S), "spectrum"),
    ("target size", dict(PROBLEM, target={"covariance": [1.0], "teacher": [1.0]}), "target"),
    ("missing n", {k: v for k, v in PROBLEM.items() if k != "n"}, "n"),
]


@pytest.mark.parametrize("problem, field", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_names_the_field(problem, field):
    with pytest.raises(ProblemError, match=r"problem 0: field '[^']*" + field.replace(
            "[", r"\[").replace("]", r"\]")):
        predict(problem)


def test_cli_answers_and_exits_2_on_bad_input(monkeypatch, capsys):
    for data, code in ((PROBLEM, 0), (BAD[2][1], 2)):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(data).encode())))
        assert main(["predict", "-"]) == code
        out, err = capsys.readouterr()
        if code == 0:
            assert json.loads(out)["test_error"] == pytest.approx(predict(PROBLEM)["test_error"])
        else:
            assert out == "" and len(err.splitlines()) == 1 and "sources[1].covariance" in err
