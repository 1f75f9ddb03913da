"""The multi-source model with power-law diagonals, d finite or ∞ (numerics.diagonals).

References, each independent of the quadrature over the directions:

* the certified power-law moments of :class:`PowerLawSpectrum` (Euler–Maclaurin with a proven
  bound) — the rule's sums, and Theorem 1 through ``ridge_risk`` at d = ∞;
* plain sums over d = 2·10⁵ directions (the array path) — piecewise (head/tail) covariances;
* mpmath's ``nsum`` at 30 digits — the solver's own kind of summand at d = ∞;
* the corollary ``tail_plateau`` (SymPy) with the shift's energies from mpmath — the n → ∞ floor.
"""

from __future__ import annotations

import json
import subprocess
import sys

import mpmath
import numpy as np
import pytest

from modelcollapse.numerics import PowerLawDiagonal, Source, Target, multi_source_risk, ridge_risk
from modelcollapse.numerics._direction_rule import direction_rule
from modelcollapse.numerics.problems import ProblemError, evaluate_problems, parse_problems
from modelcollapse.numerics.spectra import PowerLawSpectrum
from modelcollapse.theory import multi_source as ms

P = PowerLawDiagonal


@pytest.mark.parametrize("beta", [1.1, 1.5, 2.0, 3.0])
def test_the_rule_reproduces_certified_power_law_moments(beta):
    x, w = direction_rule(None, beta, beta)
    spec = PowerLawSpectrum(beta)
    t = np.logspace(-12, 2, 8)
    specs = [("I_d", 1, 1), ("I_d", 2, 2), ("I_d", 1, 2), ("I_d", 3, 2)]
    ref, bound = spec.moments_with_error(t, specs)
    s = x**-beta
    for a, b in ((1, 1), (2, 2), (1, 2), (3, 2)):
        got = (w * s**a) @ (1.0 / (s[:, None] + t[None]) ** b)
        assert np.all(bound[("I_d", a, b)] < 1e-13 * ref[("I_d", a, b)])
        np.testing.assert_allclose(got, ref[("I_d", a, b)], rtol=5e-14, atol=0)
    # finite d: it counts the directions
    x, w = direction_rule(10**7, beta, beta)
    assert w.sum() == pytest.approx(1e7, rel=1e-14)


def test_the_rule_on_the_solvers_summand_against_mpmath():
    # Σ_j c2(j) / (u1 c1(j) + u2 c2(j) + 1)², c2 a head/tail power law, two exponents, d = ∞
    c1, c2 = P(1.3), P(2.2, 0.5, tail_from=40, tail_scale=0.2)
    u1, u2 = 3e4, 5e5
    x, w = direction_rule(None, 2.2, 1.3, c2.head())
    got = w @ (c2.values(x) / (u1 * c1.values(x) + u2 * c2.values(x) + 1.0) ** 2)

    def term(j):
        a = mpmath.mpf(j) ** -1.3
        b = 0.5 * mpmath.mpf(j) ** -2.2 * (0.2 if j >= 40 else 1)
        return b / (u1 * a + u2 * b + 1) ** 2

    # the summand turns over near j ≈ u1^{1/1.3} ≈ 2800: nsum's extrapolation started at j = 40
    # is fooled by it (17× off), so the head is summed term by term past the turn, and the tail
    # by mpmath's Euler–Maclaurin (its default Richardson/Shanks is 2e-3 off on this tail)
    with mpmath.workdps(30):
        ref = mpmath.fsum(term(j) for j in range(1, 20_000)) + mpmath.nsum(
            lambda j: 0.1 * j**-2.2 / (u1 * j**-1.3 + 0.1 * u2 * j**-2.2 + 1) ** 2,
            [20_000, mpmath.inf], method="e")
    assert got == pytest.approx(float(ref), rel=1e-13, abs=0.0)


def test_one_covariance_at_infinite_dimension_is_theorem_1():
    beta, a, b = 1.5, 0.8, 0.6
    n, lam = np.meshgrid(np.logspace(1, 9, 9), [1e-6, 1e-3, 1e-1], indexing="ij")
    res = multi_source_risk([Source(0.7, P(beta), noise=0.5),
                             Source(0.3, P(beta), delta=P(b, 0.05), noise=0.2)],
                            gamma=P(a), n=n, ridge=lam)
    ref = ridge_risk(PowerLawSpectrum(beta, gamma=(1.0, a), delta=(0.05, b)), n=n, p2=0.3,
                     ridge=lam, noise_real=0.5, noise_synth=0.2)
    assert res.d == np.inf and res.converged.all() and (res.status == 0).all()
    for key in ("test_error", "bias", "variance", "zeta"):
        np.testing.assert_allclose(getattr(res, key), getattr(ref, key), rtol=1e-12, atol=0)


def test_head_and_tail_at_large_finite_dimension_are_the_plain_sums():
    d = 200_000
    j = np.arange(1, d + 1.0)
    n, lam = np.meshgrid([30.0, 1e3, 1e5, 1e7], [1e-7, 1e-3], indexing="ij")

    def run(form):
        return multi_source_risk(
            [Source(0.6, form(P(1.5, dimension=d)), noise=0.3),
             Source(0.4, form(P(1.5, dimension=d, tail_from=11, tail_scale=0.3)),
                    delta=form(P(0.6, 0.05, dimension=d)), noise=0.1)],
            target=Target(form(P(1.2, 2.0, dimension=d))), gamma=form(P(0.8, dimension=d)),
            n=n, ridge=lam)

    analytic, plain = run(lambda x: x), run(lambda x: x.values(j))
    assert analytic.d == d
    for key in ("test_error", "bias", "variance", "zeta"):
        np.testing.assert_allclose(getattr(analytic, key), getattr(plain, key), rtol=1e-12,
                                   atol=0)
    for key in ("e_1", "delta_loo_2"):
        np.testing.assert_allclose(analytic.auxiliary[key], plain.auxiliary[key], rtol=1e-12,
                                   atol=0)


@pytest.mark.parametrize("rho", [0.0, 0.3, 1.0])
def test_the_floor_at_infinite_dimension_is_the_corollary(rho):
    # E(n) = E_∞ + A n^{-γ}: three sizes a factor 100 apart give γ and E_∞ (Richardson)
    tp = ms.tail_plateau()
    sy = tp["symbols"]
    beta, b, k, p2 = 1.5, 0.6, 11, 0.4
    # the shift's energies Σ_j Δ_jj s_j by Hurwitz's ζ (mpmath's default nsum is 3e-4 off here)
    with mpmath.workdps(30):
        c2_head = float(0.05 * (mpmath.zeta(b + beta) - mpmath.zeta(b + beta, k)))
        c2_tail = float(0.05 * mpmath.zeta(b + beta, k))
    want = float(tp["E"].subs({sy["rho"]: rho, sy["p2"]: p2, sy["a1"]: 1, sy["a2"]: 1,
                               sy["c2_head"]: c2_head, sy["c2_tail"]: c2_tail}))
    n = np.array([1e14, 1e16, 1e18])
    res = multi_source_risk([Source(1 - p2, P(beta)),
                             Source(p2, P(beta, tail_from=k, tail_scale=rho), delta=P(b, 0.05))],
                            gamma=P(0.8), n=n, ridge=1 / n)
    e1, e2, e3 = res.test_error
    assert e1 > e2 > e3 > want  # the approach from above
    ratio = (e1 - e2) / (e2 - e3)
    extrapolated = e3 - (e2 - e3) / (ratio - 1)
    assert extrapolated == pytest.approx(want, rel=1e-9)


def test_predict_takes_the_power_law_form():
    problem = {"model": "multi_source", "n": 1e6, "ridge": 1e-6,
               "sources": [{"fraction": 0.6, "covariance": {"power_law": 1.5, "dimension": None},
                            "noise": 0.3},
                           {"fraction": 0.4, "noise": 0.1,
                            "covariance": {"power_law": 1.5, "dimension": None, "tail_from": 11,
                                           "tail_scale": 0.3},
                            "delta": {"power_law": 0.6, "scale": 0.05, "dimension": None}}],
               "gamma": {"power_law": 0.8, "dimension": None}}
    (out,) = evaluate_problems(parse_problems(json.dumps([problem]))[0])
    ref = multi_source_risk([Source(0.6, P(1.5), noise=0.3),
                             Source(0.4, P(1.5, tail_from=11, tail_scale=0.3),
                                    delta=P(0.6, 0.05), noise=0.1)],
                            gamma=P(0.8), n=1e6, ridge=1e-6)
    assert out["status"] == 0 and out["converged"]
    assert out["test_error"] == pytest.approx(float(ref.test_error), rel=1e-15, abs=0.0)


@pytest.mark.parametrize("edit, field", [
    (("gamma", "power_law", "x"), "gamma.power_law"),
    (("gamma", "dimension", 1.5), "gamma.dimension"),
    (("gamma", "size", 3), "gamma.size"),
    (("source1", "tail_from", 1), "sources[1].covariance.tail_from"),
    (("source1", "power_law", 0.5), "sources[1].covariance"),
    (("source1", "dimension", 100), "sources[1].covariance"),
    (("source1", "scale", -1), "sources[1].covariance.scale"),
])
def test_bad_power_law_fields_are_named_and_exit_2(edit, field):
    problem = {"model": "multi_source", "n": 1e3, "ridge": 1e-3,
               "sources": [{"fraction": 0.5, "covariance": {"power_law": 1.5, "dimension": None}},
                           {"fraction": 0.5,
                            "covariance": {"power_law": 1.5, "dimension": None}}],
               "gamma": {"power_law": 0.8, "dimension": None}}
    where, key, value = edit
    target = problem["gamma"] if where == "gamma" else problem["sources"][1]["covariance"]
    target[key] = value
    with pytest.raises(ProblemError) as info:
        parse_problems(json.dumps([problem]))
    assert f"problem 0: field '{field}'" in str(info.value)
    if key == "power_law" and where == "gamma":  # once through the command line: exit 2, a line
        proc = subprocess.run([sys.executable, "-m", "modelcollapse", "predict", "-"],
                              input=json.dumps([problem]), capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 2, proc.stdout
        assert f"field '{field}'" in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_python_api_errors_name_the_field():
    with pytest.raises(ValueError, match=r"sources\[1\]\.covariance: every covariance must be"):
        multi_source_risk([Source(0.5, P(1.5)), Source(0.5, np.ones(3))], gamma=P(1.0), n=10,
                          ridge=0.1)
    with pytest.raises(ValueError, match=r"sources\[0\]\.teacher: a teacher vector needs d"):
        multi_source_risk([Source(0.5, P(1.5), teacher=np.ones(3)), Source(0.5, P(1.5))], n=10,
                          ridge=0.1)
    with pytest.raises(ValueError, match="gamma: missing"):
        multi_source_risk([Source(1.0, P(1.5))], n=10, ridge=0.1)
    with pytest.raises(ValueError, match="exponent must be > 1 at d = ∞"):
        multi_source_risk([Source(1.0, P(0.9))], gamma=P(1.0), n=10, ridge=0.1)
