"""``modelcollapse predict``: in-process (``main([...])``) and as a subprocess."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys

import pytest
from test_problems import BAD_INPUTS, BASE, MALFORMED, RANDOM, _random_effects

from modelcollapse.numerics.problems import predict
from modelcollapse.verify.cli import main


def _stdin(monkeypatch, data: str | bytes) -> None:
    raw = data.encode() if isinstance(data, str) else data
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))


def _run(monkeypatch, capsys, data: str | bytes, *options: str) -> tuple[int, str, str]:
    _stdin(monkeypatch, data)
    code = main(["predict", *options, "-"])
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_error(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("modelcollapse predict: error: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize("text, field", [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_malformed_problem_exits_2_with_one_line(monkeypatch, capsys, text, field):
    needles = ["problem 1"] + ([] if field is None else [f"field '{field}'"])
    _assert_one_line_error(*_run(monkeypatch, capsys, text), *needles)


@pytest.mark.parametrize("text", [c[1] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_exits_2_with_one_line(monkeypatch, capsys, text):
    _assert_one_line_error(*_run(monkeypatch, capsys, text), "input: ")


def test_unreadable_file_exits_2(capsys, tmp_path):
    for path in (tmp_path / "missing.json", tmp_path):
        code = main(["predict", str(path)])
        _assert_one_line_error(code, *capsys.readouterr(), "cannot read")


def test_object_in_object_out_list_in_list_out(monkeypatch, capsys, tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(BASE))
    assert main(["predict", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    obj = json.loads(out)
    assert obj == predict(BASE)
    assert {"test_error", "bias", "variance", "zeta", "kappa", "converged", "iterations",
            "residual", "status", "note"} <= obj.keys()

    code, out, err = _run(monkeypatch, capsys, json.dumps([RANDOM, dict(BASE, id="b")]),
                          "--compact")
    assert code == 0 and err == "" and out.count("\n") == 1
    listed = json.loads(out)
    assert isinstance(listed, list) and listed == predict([RANDOM, dict(BASE, id="b")])
    assert listed[1]["id"] == "b"

    assert _run(monkeypatch, capsys, "[]") == (0, "[]\n", "")


def test_closed_form_through_the_cli(monkeypatch, capsys):
    # Corollary 1 (Σ = I, φ = 1/2, λ → 0⁺, r² = 1, c² = 0.8, σ1 = 1, σ2 = 0.5, p2 = 0.3):
    # V = σ²φ/(1−φ) = 0.775, ζ = (p2² + p1p2 φ/(1−φ)) c² = 0.24, E_test = 1.015.
    problem = _random_effects(100, 1.0, 0.8, n=200, p2=0.3, ridge=0, noise_real=1,
                              noise_synth=0.5)
    code, out, _ = _run(monkeypatch, capsys, json.dumps(problem))
    res = json.loads(out)
    assert code == 0
    assert res["test_error"] == pytest.approx(1.015, rel=1e-12)
    assert res["zeta"] == pytest.approx(0.24, rel=1e-12)


def test_threshold_writes_infinity_and_a_note(monkeypatch, capsys):
    problem = _random_effects(50, 1.0, 0.5, n=50, p2=0.3, ridge=0, noise_real=1, noise_synth=1)
    code, out, err = _run(monkeypatch, capsys, json.dumps(problem))
    assert code == 0 and err == ""
    assert '"test_error": Infinity' in out
    res = json.loads(out)
    assert res["test_error"] == math.inf and res["status"] == 1 and "threshold" in res["note"]

    code, out, _ = _run(monkeypatch, capsys, json.dumps(problem), "--strict-json")
    assert code == 0 and "Infinity" not in out
    res = json.loads(out, parse_constant=lambda c: pytest.fail(f"literal {c} in strict output"))
    assert res["test_error"] is None and res["bias"] == 0.0


def test_unconverged_exits_1_and_says_so(monkeypatch, capsys):
    import dataclasses

    from modelcollapse.numerics.engine import SolverOptions
    from modelcollapse.numerics.models import MODELS

    real = MODELS["ridge"]
    one_step = dataclasses.replace(
        real, solve=lambda batch, inputs, options: real.solve(batch, inputs, SolverOptions(
            maxiter=1)))
    monkeypatch.setitem(MODELS, "ridge", one_step)
    code, out, err = _run(monkeypatch, capsys, json.dumps([BASE, BASE]))
    assert code == 1
    res = json.loads(out)
    assert [r["converged"] for r in res] == [False, False]
    assert len(err.splitlines()) == 1 and "2 problem(s) did not converge" in err


def test_subprocess_stdin_round_trip():
    problems = [BASE, _random_effects(50, 1.0, 0.5, n=50, p2=0.3, ridge=0, noise_real=1,
                                      noise_synth=1)]
    done = subprocess.run(
        [sys.executable, "-m", "modelcollapse.verify.cli", "predict", "-"],
        input=json.dumps(problems), capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    res = json.loads(done.stdout)
    assert res[0] == predict(BASE) and res[1]["test_error"] == math.inf


def test_subprocess_bad_input_has_no_traceback():
    text = [c[1] for c in MALFORMED if c[0] == "p2-nan-literal"][0]
    done = subprocess.run(
        [sys.executable, "-m", "modelcollapse.verify.cli", "predict", "-"],
        input=text, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "modelcollapse predict: error: problem 1: field 'p2': expected a finite number, got the "
        "literal NaN (not allowed)"
    ]
