"""Problem files (``modelcollapse.numerics.problems``): validation and batched evaluation.

The malformed-input table ``MALFORMED`` is shared with ``test_cli_predict.py``.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from modelcollapse.numerics import ridge_risk
from modelcollapse.numerics.problems import (
    MAX_DIMENSION,
    ProblemError,
    evaluate_problems,
    parse_problems,
    predict,
    validate_problems,
)

D = 4
BASE = {
    "model": "ridge",
    "n": 8,
    "p2": 0.25,
    "ridge": 0.1,
    "noise_real": 0.5,
    "noise_synth": 0.25,
    "spectrum": [1.0, 2.0, 3.0, 4.0],
    "w_real": [0.5, -0.5, 0.25, 0.0],
    "w_synth": [0.5, 0.5, 0.25, 1.0],
}
RANDOM = {k: v for k, v in BASE.items() if k not in ("w_real", "w_synth")}
RANDOM |= {"gamma": [0.25] * D, "delta": [0.1] * D}
RP = dict(BASE, model="random_projection", m=6)
DROP = object()


def _text(problem: dict, raw: dict | None = None) -> str:
    """JSON list ``[BASE, problem]`` (the bad problem is problem 1); ``raw`` pastes literal text."""
    problem = {k: v for k, v in problem.items() if v is not DROP}
    text = json.dumps(problem)
    for key, literal in (raw or {}).items():
        text = text.replace(f'"{key}": "@"', f'"{key}": {literal}')
    return "[" + json.dumps(BASE) + ", " + text + "]"


def _bad(base: dict = BASE, raw: dict | None = None, **changes) -> str:
    return _text({**base, **changes}, raw)


# (case id, JSON text, offending field); every bad problem is problem 1.
MALFORMED: list[tuple[str, str, str | None]] = [
    ("missing-model", _bad(model=DROP), "model"),
    ("missing-n", _bad(n=DROP), "n"),
    ("missing-p2", _bad(p2=DROP), "p2"),
    ("missing-ridge", _bad(ridge=DROP), "ridge"),
    ("missing-noise-real", _bad(noise_real=DROP), "noise_real"),
    ("missing-spectrum", _bad(spectrum=DROP), "spectrum"),
    ("unknown-key", _bad(**{"lambda": 0.1}), "lambda"),
    ("unknown-model", _bad(model="lasso"), "model"),
    ("model-not-string", _bad(model=3), "model"),
    ("n-string", _bad(n="100"), "n"),
    ("n-boolean", _bad(n=True), "n"),
    ("n-null", _bad(n=None), "n"),
    ("n-zero", _bad(n=0), "n"),
    ("n-list", _bad(n=[8]), "n"),
    ("n-huge-int", _bad(n="@", raw={"n": "1" + "0" * 400}), "n"),
    ("p2-above-1", _bad(p2=1.5), "p2"),
    ("p2-negative", _bad(p2=-0.1), "p2"),
    ("p2-nan-literal", _bad(p2="@", raw={"p2": "NaN"}), "p2"),
    ("ridge-negative", _bad(ridge=-1), "ridge"),
    ("ridge-infinity-literal", _bad(ridge="@", raw={"ridge": "Infinity"}), "ridge"),
    ("ridge-overflow", _bad(ridge="@", raw={"ridge": "1e999"}), "ridge"),
    ("noise-synth-negative", _bad(noise_synth=-0.5), "noise_synth"),
    ("noise-real-minus-infinity", _bad(noise_real="@", raw={"noise_real": "-Infinity"}),
     "noise_real"),
    ("noise-real-boolean", _bad(noise_real=False), "noise_real"),
    ("spectrum-empty", _bad(spectrum=[]), "spectrum"),
    ("spectrum-zero", _bad(spectrum=[1, 0, 2, 3]), "spectrum"),
    ("spectrum-negative", _bad(spectrum=[1, -2, 3, 4]), "spectrum"),
    ("spectrum-string", _bad(spectrum="1,2,3,4"), "spectrum"),
    ("spectrum-scalar", _bad(spectrum=1.0), "spectrum"),
    ("spectrum-boolean-element", _bad(spectrum=[1, True, 3, 4]), "spectrum"),
    ("spectrum-nan-element", _bad(spectrum="@", raw={"spectrum": "[1, NaN, 3, 4]"}),
     "spectrum"),
    ("spectrum-nested", _bad(spectrum=[[1, 2], [3, 4]]), "spectrum"),
    ("spectrum-too-long", _bad(spectrum="@", raw={"spectrum": json.dumps(
        [1] * (MAX_DIMENSION + 1))}), "spectrum"),
    ("w-real-wrong-length", _bad(w_real=[1, 2, 3]), "w_real"),
    ("w-synth-missing", _bad(w_synth=DROP), "w_synth"),
    ("w-real-string-element", _bad(w_real=[1, "2", 3, 4]), "w_real"),
    ("w-synth-null-element", _bad(w_synth=[1, None, 3, 4]), "w_synth"),
    ("no-teacher", _bad(w_real=DROP, w_synth=DROP), "w_real"),
    ("both-teachers", _bad(gamma=[1] * D, delta=[1] * D), "gamma"),
    ("delta-missing", _bad(RANDOM, delta=DROP), "delta"),
    ("delta-negative", _bad(RANDOM, delta=[0.1, -0.1, 0.1, 0.1]), "delta"),
    ("gamma-wrong-length", _bad(RANDOM, gamma=[1] * (D + 1)), "gamma"),
    ("m-for-ridge", _bad(m=6), "m"),
    ("rp-missing-m", _bad(RP, m=DROP), "m"),
    ("rp-m-zero", _bad(RP, m=0), "m"),
    ("rp-m-negative", _bad(RP, m=-3), "m"),
    ("rp-m-boolean", _bad(RP, m=True), "m"),
    ("duplicate-key", "[" + json.dumps(BASE) + ", " + json.dumps(BASE)[:-1] + ', "n": 9}]', "n"),
    ("id-list", _bad(id=[1]), "id"),
    ("id-boolean", _bad(id=True), "id"),
    ("not-an-object", "[" + json.dumps(BASE) + ", [1, 2]]", None),
]

# Inputs that are wrong as a whole (no problem index).
BAD_INPUTS: list[tuple[str, str | bytes]] = [
    ("empty", ""),
    ("not-json", "predict this"),
    ("trailing-comma", '{"model": "ridge",}'),
    ("scalar", "3"),
    ("string", '"ridge"'),
    ("deeply-nested", "[" * 100_000),
    ("not-utf8", b'{"model": "\xff"}'),
]


def test_table_is_large_enough():
    assert len(MALFORMED) >= 25


@pytest.mark.parametrize("text, field", [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_malformed_problem_names_index_and_field(text, field):
    with pytest.raises(ProblemError) as info:
        parse_problems(text)
    exc = info.value
    assert isinstance(exc, ValueError)
    assert exc.index == 1 and exc.field == field
    message = str(exc)
    prefix = "problem 1: " if field is None else f"problem 1: field '{field}': "
    assert message.startswith(prefix), message
    assert "\n" not in message and message.isascii() and len(message) < 300


@pytest.mark.parametrize("text", [c[1] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_as_a_whole(text):
    with pytest.raises(ProblemError) as info:
        parse_problems(text)
    assert info.value.index is None and str(info.value).startswith("input: ")


def test_messages_are_specific():
    cases = {
        _bad(p2=1.5): "problem 1: field 'p2': must be in [0, 1], got 1.5",
        _bad(n=0): "problem 1: field 'n': must be > 0, got 0",
        _bad(ridge=-1e-3): "problem 1: field 'ridge': must be >= 0, got -0.001",
        _bad(spectrum=[1, 2, -3, 4]): "problem 1: field 'spectrum': element 2: must be > 0, got -3",
        _bad(w_real=[1, 2, 3]): "problem 1: field 'w_real': expected length 4 (the spectrum's), "
        "got 3",
        _bad(p2="@", raw={"p2": "NaN"}): "problem 1: field 'p2': expected a finite number, got "
        "the literal NaN (not allowed)",
        _bad(n=True): "problem 1: field 'n': expected a finite number, got a boolean",
    }
    for text, expected in cases.items():
        with pytest.raises(ProblemError) as info:
            parse_problems(text)
        assert str(info.value) == expected


def test_user_strings_are_not_evaluated_and_are_quoted_safely():
    text = _bad(**{"__import__('os').system('false')\n\u00e9" * 5: 1})
    with pytest.raises(ProblemError) as info:
        parse_problems(text)
    message = str(info.value)
    assert message.isascii() and "\n" not in message and "..." in message


def test_valid_shapes_and_types():
    problems, single = parse_problems(json.dumps(BASE))
    assert single and len(problems) == 1 and problems[0].teacher_kind == "fixed"
    problems, single = parse_problems(json.dumps([BASE, RANDOM, dict(BASE, id="a"), RP]))
    assert not single and [p.index for p in problems] == [0, 1, 2, 3]
    assert problems[1].teacher_kind == "random" and problems[2].id == "a"
    assert problems[3].m == 6.0
    assert parse_problems("[]") == ([], False)
    # integers and floats are both numbers; n need not be an integer; a BOM is ignored
    problems, _ = parse_problems(b"\xef\xbb\xbf" + json.dumps(dict(BASE, n=8.5)).encode())
    assert problems[0].n == 8.5
    # decoded Python data with NumPy arrays is accepted too
    problems, _ = validate_problems(dict(BASE, spectrum=np.array([1.0, 2, 3, 4])))
    assert problems[0].spectrum.tolist() == [1, 2, 3, 4]


def _ridge_kwargs(problem: dict) -> dict:
    keys = ("n", "p2", "ridge", "noise_real", "noise_synth", "w_real", "w_synth", "gamma",
            "delta")
    return {k: problem[k] for k in keys if k in problem}


def test_batched_prediction_equals_ridge_risk_per_problem():
    rng = np.random.default_rng(7)
    problems = []
    for i in range(40):
        d = int(rng.choice([5, 30, 64]))
        spectrum = rng.uniform(0.05, 3.0, d)
        p = {
            "model": "ridge",
            "n": float(rng.choice([10, 40, 100, d])),
            "p2": float(rng.uniform()),
            "ridge": float(rng.choice([0.0, 1e-3, 0.5])),
            "noise_real": float(rng.uniform()),
            "noise_synth": float(rng.uniform()),
            "spectrum": spectrum.tolist(),
            "id": i,
        }
        if i % 2:
            p |= {"w_real": rng.normal(size=d).tolist(), "w_synth": rng.normal(size=d).tolist()}
        else:
            p |= {"gamma": rng.uniform(0, 1, d).tolist(), "delta": rng.uniform(0, 1, d).tolist()}
        problems.append(p)
    out = predict(problems)
    assert isinstance(out, list) and [r["id"] for r in out] == list(range(40))
    for p, r in zip(problems, out, strict=True):
        ref = ridge_risk(p["spectrum"], **_ridge_kwargs(p))
        for key in ("test_error", "bias", "variance", "zeta", "kappa", "u"):
            assert r[key] == pytest.approx(float(getattr(ref, key)), rel=1e-12, abs=1e-300), key
        # residuals sit at the rounding level and iteration counts may differ by one step
        # (the batched and the single call sum the spectrum in different orders)
        assert r["residual"] <= 1e-13 and float(ref.residual) <= 1e-13
        assert r["converged"] == bool(ref.converged) and r["status"] == int(ref.status)
        assert abs(r["iterations"] - int(ref.iterations)) <= 1
        assert type(r["test_error"]) is float and type(r["converged"]) is bool


def _random_effects(d: int, r_sq: float, c_sq: float, **kw) -> dict:
    return {"model": "ridge", "spectrum": [1.0] * d, "gamma": [r_sq / d] * d,
            "delta": [c_sq / d] * d, **kw}


def test_corollary_1_isotropic_ridgeless_underparametrised():
    # Σ = I, d = 100, n = 200 (φ = 1/2), λ → 0⁺, r² = 1, c² = 0.8, σ1 = 1, σ2 = 0.5, p2 = 0.3:
    # σ² = 0.7·1 + 0.3·0.25 = 0.775;  V = σ²φ/(1−φ) = 0.775;  B = 0 (κ = 0);
    # ζ = (p2² + p1p2 φ/(1−φ)) c² = (0.09 + 0.21)·0.8 = 0.24;  E_test = 1.015.
    out = predict(_random_effects(100, 1.0, 0.8, n=200, p2=0.3, ridge=0, noise_real=1,
                                  noise_synth=0.5))
    assert out["kappa"] == 0 and out["bias"] == 0 and out["converged"] and out["status"] == 0
    assert out["variance"] == pytest.approx(0.775, rel=1e-12)
    assert out["zeta"] == pytest.approx(0.24, rel=1e-12)
    assert out["test_error"] == pytest.approx(1.015, rel=1e-12)


def test_corollary_4_isotropic_ridgeless_overparametrised():
    # Σ = I, d = 300, n = 100 (φ = 3), λ → 0⁺, r² = 1, c² = 1, σ1 = σ2 = 0.5 (σ² = 0.25), p2 = 0.5:
    # κ = φ − 1 = 2, u = 1/(φ − 1) = 1/2, B = r²(1 − 1/φ) = 2/3, V = σ²/(φ − 1) = 1/8,
    # ζ = (p2c²/φ²)(p2(φ−p2)/(φ−1) + (φ−p2)²/(φ−1)) = (1/18)(0.625 + 3.125) = 0.208333…
    # (from the isotropic ζ = (p2(1+p1u) + (p1+κ)²u) p2c²/(1+κ)²; Monte Carlo with
    # simulate_ridge, 200 draws, seed 1, gives ζ = 0.2046 ± 0.0030.)
    expected = {"kappa": 2.0, "u": 0.5, "bias": 2 / 3, "variance": 0.125, "zeta": 3.75 / 18}
    expected["test_error"] = expected["bias"] + expected["variance"] + expected["zeta"]
    kw = dict(n=100, p2=0.5, ridge=0, noise_real=0.5, noise_synth=0.5)
    random_effects = _random_effects(300, 1.0, 1.0, **kw)
    # fixed teachers with w1 ⊥ δ, ‖w1‖² = r² = 1, ‖δ‖² = c² = 1: the cross term X vanishes
    w1 = np.zeros(300)
    w1[:100] = 0.1
    dl = np.zeros(300)
    dl[100:200] = 0.1
    fixed = {"model": "ridge", "spectrum": [1.0] * 300, "w_real": w1.tolist(),
             "w_synth": (w1 + dl).tolist(), **kw}
    for out in predict([random_effects, fixed]):
        assert out["converged"] and out["status"] == 0
        for key, value in expected.items():
            assert out[key] == pytest.approx(value, rel=1e-10), key


def test_isotropic_ridge_closed_form():
    # Σ = I, φ = 1/2, λ = 1: κ = (λ+φ−1 + sqrt((λ+φ−1)² + 4λ))/2 = (1/2 + sqrt(17/4))/2;
    # u = φ/((1+κ)² − φ), B = κ²r²/((1+κ)² − φ), V = σ²u, ζ = (p2(1+p1u) + (p1+κ)²u) p2c²/(1+κ)².
    phi, lam, r2, c2, p2, sig2 = 0.5, 1.0, 2.0, 0.5, 0.4, 0.6 * 0.09 + 0.4 * 0.25
    k = (lam + phi - 1 + math.sqrt((lam + phi - 1) ** 2 + 4 * lam)) / 2
    den = (1 + k) ** 2 - phi
    u = phi / den
    zeta = (p2 * (1 + (1 - p2) * u) + (1 - p2 + k) ** 2 * u) * p2 * c2 / (1 + k) ** 2
    out = predict(_random_effects(50, r2, c2, n=100, p2=p2, ridge=lam, noise_real=0.3,
                                  noise_synth=0.5))
    assert out["kappa"] == pytest.approx(k, rel=1e-11)
    assert out["bias"] == pytest.approx(k**2 * r2 / den, rel=1e-10)
    assert out["variance"] == pytest.approx(sig2 * u, rel=1e-10)
    assert out["zeta"] == pytest.approx(zeta, rel=1e-10)


def test_threshold_gives_infinity_with_a_note():
    out = predict(_random_effects(50, 1.0, 0.5, n=50, p2=0.3, ridge=0, noise_real=1,
                                  noise_synth=1))
    assert out["test_error"] == math.inf and out["variance"] == math.inf
    assert out["status"] == 1 and out["converged"] and "threshold" in out["note"]
    # No label noise and no synthetic rows: every divergent term has zero weight.
    out = predict(_random_effects(50, 1.0, 0.5, n=50, p2=0.0, ridge=0, noise_real=0,
                                  noise_synth=0))
    assert out["status"] == 1 and out["test_error"] == 0.0 and "finite" in out["note"]


def test_unconverged_problems_are_reported_not_raised(monkeypatch):
    from modelcollapse.numerics.engine import SolverOptions
    from modelcollapse.numerics.models import MODELS

    real = MODELS["ridge"]
    one_step = dataclasses.replace(
        real, solve=lambda batch, inputs, options: real.solve(batch, inputs, SolverOptions(
            maxiter=1)))
    monkeypatch.setitem(MODELS, "ridge", one_step)
    out = predict([BASE, dict(BASE, ridge=0, n=2)])  # λ > 0 needs Newton; λ = 0, d > n too
    assert [r["converged"] for r in out] == [False, False]
    assert all(math.isnan(r["test_error"]) and r["status"] == -1 for r in out)
    assert "iteration limit" in out[0]["note"]


def test_non_finite_values_are_never_reported_as_converged():
    # Converged fixed points whose risk overflows in double precision: never "converged" with a
    # NaN or an infinity.  (A teacher entry of 1e200: its square overflows in B; eigenvalues near
    # 1e308: the moments overflow.)
    huge_teacher = dict(BASE, w_real=[1e200, 0.0, 0.0, 0.0])
    with np.errstate(over="ignore"):
        out = predict([huge_teacher, dict(BASE, spectrum=[1e308, 1.0, 2.0, 3.0]), BASE])
    assert [r["converged"] for r in out] == [False, False, True]
    assert [r["status"] for r in out] == [-2, -2, 0]
    assert "non-finite" in out[0]["note"] and out[2]["note"] == ""
    assert all(math.isnan(r["test_error"]) for r in out[:2])


def test_a_huge_ridge_is_answered_not_refused():
    # κ = λ = 1e300 squares past the double range; the large-shift form of the risk never forms
    # κ².  Reference (ridge_risk_mp at 20 digits): B = Σ s w² = 0.9375 exactly in the limit,
    # V = 7.6e-601 (underflows to 0), ζ = 1.0e-300.
    (out,) = predict([dict(BASE, ridge=1e300)])
    assert out["converged"] and out["status"] == 0
    assert out["bias"] == pytest.approx(0.9375, rel=1e-14, abs=0.0)
    assert out["test_error"] == pytest.approx(0.9375, rel=1e-14, abs=0.0)
    assert 0.0 <= out["variance"] < 1e-300
    assert out["zeta"] == pytest.approx(1e-300, rel=1e-12, abs=0.0)


def test_groups_are_chunked(monkeypatch):
    from modelcollapse.numerics import problems as module

    monkeypatch.setattr(module, "_CHUNK_ELEMENTS", 2 * D)  # two problems per solver call
    data = [dict(BASE, n=8 + i) for i in range(5)] + [RANDOM]
    chunked = module.predict(data)
    monkeypatch.undo()
    assert chunked == predict(data)


def test_evaluate_empty():
    assert evaluate_problems([]) == []


# ------------------------------------------------------------------------------------------
# Random projections (coded against the rp_risk contract)


def _rp_module():
    return pytest.importorskip(
        "modelcollapse.numerics.random_projection",
        reason="modelcollapse.numerics.random_projection (rp_risk) is not available yet",
    )


def test_rp_prediction_equals_rp_risk():
    rp = _rp_module()
    rng = np.random.default_rng(3)
    d = 40
    spectrum = (1 / np.arange(1, d + 1)).tolist()
    problems = [
        {"model": "random_projection", "n": 30, "m": m, "p2": 0.3, "ridge": lam,
         "noise_real": 0.2, "noise_synth": 0.4, "spectrum": spectrum,
         "gamma": [1 / d] * d, "delta": rng.uniform(0, 0.1, d).tolist()}
        for m, lam in [(10, 1e-2), (25, 1e-3), (60, 0.1), (80, 0.0)]
    ]
    out = predict(problems + [dict(BASE, id="ridge")])
    assert out[-1]["id"] == "ridge" and "kappa" in out[-1]
    for p, r in zip(problems, out[:-1], strict=True):
        ref = rp.rp_risk(p["spectrum"], **_ridge_kwargs(p), m=p["m"])
        assert r["model"] == "random_projection" and "kappa" not in r
        for key in ("test_error", "bias", "variance", "zeta", "theta", "e", "tau", "u",
                    "omega_prime"):
            assert r[key] == pytest.approx(float(getattr(ref, key)), rel=1e-12, abs=0.0), key
        assert r["converged"] and r["status"] == 0


def test_rp_threshold_gives_infinity_with_a_note():
    _rp_module()
    d = 40
    out = predict({"model": "random_projection", "n": 20, "m": 20, "p2": 0.3, "ridge": 0,
                   "noise_real": 0.2, "noise_synth": 0.4, "spectrum": [1.0] * d,
                   "gamma": [1 / d] * d, "delta": [0.5 / d] * d})
    assert out["status"] == 1 and out["test_error"] == math.inf and out["note"]


def test_rp_wide_limit_recovers_ridge():
    # docs/mathematics.md §2: ψ = m/n → ∞ with λ_RP·d/m fixed recovers Theorem 1 at λ = λ_RP·d/m.
    _rp_module()
    d, lam = 40, 0.5
    base = {"n": 30, "p2": 0.3, "noise_real": 0.2, "noise_synth": 0.4, "spectrum": [1.0] * d,
            "gamma": [1 / d] * d, "delta": [0.5 / d] * d}
    m = 1e7
    ridge_out, rp_out = predict([dict(base, model="ridge", ridge=lam),
                                 dict(base, model="random_projection", m=m, ridge=lam * m / d)])
    assert rp_out["converged"]
    for key in ("test_error", "bias", "variance", "zeta"):
        assert rp_out[key] == pytest.approx(ridge_out[key], rel=1e-5), key
    assert rp_out["theta"] == pytest.approx(ridge_out["kappa"], rel=1e-5)


def test_mixing_weight_problems():
    from modelcollapse.numerics.mixing import weighted_ridge_risk

    base = {"model": "ridge", "n": 400, "p2": 0.3, "ridge": 0.05, "noise_real": 1.0,
            "noise_synth": 0.5, "spectrum": [1.0] * 50, "gamma": [0.02] * 50,
            "delta": [0.01] * 50}
    out = predict([dict(base, mixing_weight=0.3), base, dict(base, mixing_weight=0.8, id="w")])
    # α = p2 is plain ridge
    assert out[0]["test_error"] == pytest.approx(out[1]["test_error"], rel=1e-10)
    ref = weighted_ridge_risk(np.ones(50), n=400, p2=0.3, alpha=0.8, ridge=0.05, noise_real=1.0,
                              noise_synth=0.5, gamma=np.full(50, 0.02), delta=np.full(50, 0.01))
    assert out[2]["id"] == "w"
    assert out[2]["teacher_weight"] == pytest.approx(float(ref.teacher_weight))
    assert out[2]["test_error"] == pytest.approx(float(ref.test_error), rel=1e-12)
    for bad, field in ((dict(base, mixing_weight=1.5), "mixing_weight"),
                       (dict(base, p2=0.0, mixing_weight=0.5), "mixing_weight"),
                       (dict(base, model="random_projection", m=10, mixing_weight=0.5),
                        "mixing_weight")):
        with pytest.raises(ValueError, match=field):
            predict(bad)
