"""Several data sources, each with its own covariance (docs/mathematics.md §7).

The model is not driven by the shared checks of ``tests/test_models.py`` (its inputs are a list
of sources, not one spectrum and one teacher); this module holds the same checks for it:

* the special cases, exactly: symbolically (blocks and assembly identically equal to weighted
  mixing, Theorem 1 and clean ridge) and numerically to 1e-12 through the public solvers;
* the full-matrix numerics against the SymPy statement solved by mpmath at 40 digits
  (non-commuting covariances, three sources, weights, a target that is neither source);
* the corollary (the large-n plateau) against the numerics at large n;
* theory against the exact finite model by the finite-size rule of docs/mathematics.md §5.3
  (Monte Carlo at d = 50, 100, 200, ``mc − theory = a + b/d``, ``|a| ≤ 3 se(a)``), for every
  scenario of :data:`modelcollapse.verify.montecarlo_multi.SCENARIOS`, with the power to reject
  a formula that is off by 2 %;
* bad inputs (a ValueError naming the field), the convergence report, batch independence.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from modelcollapse.numerics import ConvergenceError, evaluate, ridge_risk, weighted_ridge_risk
from modelcollapse.numerics.multi_source import Source, Target, multi_source_risk
from modelcollapse.theory import multi_source as ms
from modelcollapse.verify.agreement import finite_size_check
from modelcollapse.verify.montecarlo_multi import (
    SCENARIOS,
    MultiSourceFamily,
    row_counts,
    simulate_multi_source,
    simulate_problem,
)

KEYS = ("test_error", "bias", "variance", "zeta")


def _spectrum(d: int, exponent: float = 1.0) -> np.ndarray:
    s = np.arange(1, d + 1, dtype=float) ** (-exponent)
    return s / s.sum()


def _rotation(d: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def _close(res, ref, rtol: float) -> None:
    scale = np.abs(np.asarray(ref.test_error))
    for key in KEYS:
        got, want = np.asarray(getattr(res, key)), np.asarray(getattr(ref, key))
        assert np.all(np.abs(got - want) <= rtol * scale), (key, got, want)


# ------------------------------------------------------------------------------------------
# the special cases


@pytest.mark.parametrize("teacher", ["fixed", "random"])
def test_reductions_are_identities(teacher):
    # ours against the known model's blocks (one symbolic direction: every block is a sum over
    # directions), and the assembly on abstract blocks with one covariance
    red = ms.reductions(teacher)
    for case, kinds in red.items():
        for kind in ("blocks", "assembly"):
            for name, (ours, known) in kinds[kind].items():
                assert ms.identically_zero(ours - known), (case, kind, name)


# grid: d = 60 against n = 20 (d > n), 90, 400, and λ = 0 (ridgeless, both sides of n = d)
_N = np.array([20.0, 90.0, 400.0])
_LAM = np.array([[0.0], [1e-3], [0.05]])


def _teachers(kind: str, d: int, rng: np.random.Generator):
    if kind == "fixed":
        w1 = rng.standard_normal(d)
        w2 = w1 + 0.5 * rng.standard_normal(d)
        return ({"teacher": w1}, {"teacher": w2}, {}, {"w_real": w1, "w_synth": w2})
    gamma, delta = rng.uniform(0.5, 1.5, d), rng.uniform(0.1, 0.5, d)
    return ({}, {"delta": delta}, {"gamma": gamma}, {"gamma": gamma, "delta": delta})


@pytest.mark.parametrize("teacher", ["fixed", "random"])
def test_two_sources_one_covariance_is_theorem1(teacher):
    d = 60
    rng = np.random.default_rng(1)
    s = np.exp(rng.uniform(-2, 1, d))
    t1, t2, extra, ref_kw = _teachers(teacher, d, rng)
    res = multi_source_risk([Source(0.7, s, noise=0.5, **t1), Source(0.3, s, noise=0.2, **t2)],
                            n=_N, ridge=_LAM, **extra)
    ref = ridge_risk(s, n=_N, p2=0.3, ridge=_LAM, noise_real=0.5, noise_synth=0.2, **ref_kw)
    assert res.converged.all()
    _close(res, ref, 1e-12)


@pytest.mark.parametrize("teacher", ["fixed", "random"])
def test_one_source_is_clean_ridge(teacher):
    d = 60
    rng = np.random.default_rng(2)
    s = np.exp(rng.uniform(-2, 1, d))
    t1, _, extra, ref_kw = _teachers(teacher, d, rng)
    res = multi_source_risk([Source(1.0, s, noise=0.5, **t1)], n=_N, ridge=_LAM, **extra)
    if teacher == "fixed":
        ref_kw["w_synth"] = ref_kw["w_real"]
    else:
        ref_kw["delta"] = np.zeros(d)
    ref = ridge_risk(s, n=_N, p2=0.0, ridge=_LAM, noise_real=0.5, **ref_kw)
    _close(res, ref, 1e-12)
    assert np.all(res.zeta == 0)


@pytest.mark.parametrize("teacher", ["fixed", "random"])
@pytest.mark.parametrize("alpha", [0.1, 0.6])
def test_per_row_weights_are_weighted_mixing(teacher, alpha):
    # weighted mixing's loss ((1 − α)/n1) Σ_real + (α/n2) Σ_synth is a1 = (1 − α)/p1,
    # a2 = α/p2 in (1/n) Σ_g a_g Σ_rows
    d = 60
    rng = np.random.default_rng(3)
    s = np.exp(rng.uniform(-2, 1, d))
    t1, t2, extra, ref_kw = _teachers(teacher, d, rng)
    p2 = 0.3
    lam = _LAM[1:]  # ridgeless weighted mixing is its own limit (weights moot)
    res = multi_source_risk(
        [Source(1 - p2, s, noise=0.5, weight=(1 - alpha) / (1 - p2), **t1),
         Source(p2, s, noise=0.2, weight=alpha / p2, **t2)], n=_N, ridge=lam, **extra)
    ref = weighted_ridge_risk(s, n=_N, p2=p2, alpha=alpha, ridge=lam, noise_real=0.5,
                              noise_synth=0.2, **ref_kw)
    _close(res, ref, 1e-12)


@pytest.mark.parametrize("teacher", ["fixed", "random"])
def test_matrices_in_a_rotated_basis_equal_the_diagonal_case(teacher):
    d = 40
    rng = np.random.default_rng(4)
    s = _spectrum(d)
    tail = np.where(np.arange(d) < 10, s, 0.1 * s)
    q = _rotation(d, 5)
    t1, t2, extra, _ = _teachers(teacher, d, rng)

    def rot(x, vector):
        if vector:
            return q @ x
        return q @ np.diag(x) @ q.T

    def dense(t):
        return {k: rot(v, k == "teacher") for k, v in t.items()}

    kw = dict(n=np.array([25.0, 120.0]), ridge=np.array([[0.0], [0.01]]))
    diag = multi_source_risk([Source(0.6, s, noise=0.5, **t1),
                              Source(0.4, tail, noise=0.3, **t2)], **kw, **extra)
    full = multi_source_risk([Source(0.6, rot(s, False), noise=0.5, **dense(t1)),
                              Source(0.4, rot(tail, False), noise=0.3, **dense(t2))], **kw,
                             **dense(extra))
    _close(full, diag, 1e-11)


# ------------------------------------------------------------------------------------------
# full matrices against the SymPy statement at 40 digits

_R = sp.Rational
_C = [sp.Matrix([[2, _R(1, 2), 0], [_R(1, 2), 1, _R(1, 4)], [0, _R(1, 4), _R(1, 2)]]),
      sp.Matrix([[1, 0, _R(1, 3)], [0, _R(1, 5), 0], [_R(1, 3), 0, _R(3, 2)]]),
      sp.diag(_R(1, 2), 2, _R(1, 10))]
_CT = sp.Matrix([[1, _R(1, 5), _R(1, 5)], [_R(1, 5), 1, 0], [_R(1, 5), 0, 1]])
_P, _A, _SIG = [_R(1, 2), _R(3, 10), _R(1, 5)], [1, _R(1, 2), 2], [_R(1, 2), _R(1, 3), 1]


def _mp_reference(teachers: ms.Teachers, n, lam) -> tuple[list, dict]:
    """Solve the fixed point of :func:`ms.equivalent` at 40 digits; the components there."""
    mpmath.mp.dps = 40

    def at(dl):
        return ms.equivalent(_C, _CT, teachers, p=_P, a=_A, sigma=_SIG, n=n, lam=lam,
                             delta=[sp.Float(str(x), 40) for x in dl])

    def residual(*dl):
        return [mpmath.mpf(str(sp.N(r, 40))) for r in at(dl)["fixed_point"]]

    sol = mpmath.findroot(residual, [0.5] * len(_C))
    eq = at(list(sol))
    return [float(x) for x in sol], {k: float(sp.N(eq[k], 30)) for k in KEYS}


def _as_float(m: sp.Matrix) -> np.ndarray:
    return np.array(m.tolist(), dtype=float)


def test_full_matrices_match_the_statement_at_40_digits():
    # three non-commuting covariances, weights, fixed teachers, a target that is neither source
    w = [sp.Matrix([1, -1, _R(1, 2)]), sp.Matrix([_R(3, 2), -1, 0]), sp.Matrix([0, _R(1, 2), 1])]
    wt = sp.Matrix([1, 0, -1])
    delta, ref = _mp_reference(ms.fixed_teachers(w, wt), _R(7), _R(1, 10))
    sources = [Source(float(_P[g]), _as_float(_C[g]), _as_float(w[g]).ravel(),
                      noise=float(_SIG[g]), weight=float(_A[g])) for g in range(3)]
    res = multi_source_risk(sources, n=7, ridge=0.1,
                            target=Target(_as_float(_CT), _as_float(wt).ravel()))
    for key in KEYS:
        assert float(getattr(res, key)) == pytest.approx(ref[key], rel=1e-12, abs=1e-14), key
    got = [float(res.auxiliary[f"delta_loo_{g + 1}"]) for g in range(3)]
    assert got == pytest.approx(delta, rel=1e-12)


def test_random_effects_full_matrices_match_the_statement_at_40_digits():
    gamma = sp.Matrix([[1, _R(1, 3), 0], [_R(1, 3), 1, 0], [0, 0, _R(1, 2)]])
    deltas = [None, sp.diag(_R(1, 4), _R(1, 2), 0), sp.Matrix([[_R(1, 2), _R(1, 5), 0],
                                                               [_R(1, 5), _R(1, 3), 0],
                                                               [0, 0, 1]])]
    target_delta = sp.diag(_R(1, 10), _R(1, 10), _R(1, 10))
    teachers = ms.random_teachers(gamma, deltas, target_delta=target_delta)
    _, ref = _mp_reference(teachers, _R(5), _R(1, 20))
    sources = [Source(float(_P[g]), _as_float(_C[g]), noise=float(_SIG[g]), weight=float(_A[g]),
                      delta=None if deltas[g] is None else _as_float(deltas[g]))
               for g in range(3)]
    res = multi_source_risk(sources, n=5, ridge=0.05, gamma=_as_float(gamma),
                            target=Target(_as_float(_CT), delta=_as_float(target_delta)))
    for key in KEYS:
        assert float(getattr(res, key)) == pytest.approx(ref[key], rel=1e-12, abs=1e-14), key


# ------------------------------------------------------------------------------------------
# the corollary: the large-n plateau


def test_large_n_plateau_is_the_limit_of_the_numerics():
    lim = ms.large_n_plateau(3)
    sy = lim["symbols"]
    d = 12
    rng = np.random.default_rng(6)
    cs = [rng.uniform(0.0, 2.0, d) for _ in range(3)]
    ct = rng.uniform(0.1, 2.0, d)
    ws = [rng.standard_normal(d) for _ in range(3)]
    wt = rng.standard_normal(d)
    p, a, lam = [0.5, 0.3, 0.2], [1.0, 0.4, 2.0], 0.05
    f = sp.lambdify([*sy["c"], sy["c_t"], *sy["w"], sy["w_t"], *sy["p"], *sy["a"], ms.lam],
                    lim["E"], "numpy")
    want = float(np.sum(f(*cs, ct, *ws, wt, *p, *a, lam)))
    n = 1e9
    res = multi_source_risk([Source(p[g], cs[g], ws[g], noise=1.0, weight=a[g])
                             for g in range(3)], n=n, ridge=lam, target=Target(ct, wt))
    # the rest is O(1/n): a few units of d/n relative
    assert float(res.test_error) == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("rho", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("weights", [(1.0, 1.0), (1.5, 0.5)])
def test_tail_plateau_is_the_limit_of_the_numerics(rho, weights):
    # E_∞(ρ) = θ_head² c²_head + θ_tail(ρ)² c²_tail, n → ∞ then λ → 0
    tp = ms.tail_plateau()
    sy = tp["symbols"]
    d, head, p2 = 40, 10, 0.4
    s = _spectrum(d)
    rng = np.random.default_rng(7)
    w = rng.standard_normal(d)
    shift = 0.5 * rng.standard_normal(d)
    c2_head = float(np.sum((s * shift**2)[:head]))
    c2_tail = float(np.sum((s * shift**2)[head:]))
    want = float(tp["E"].subs({sy["rho"]: rho, sy["p2"]: p2, sy["a1"]: weights[0],
                               sy["a2"]: weights[1], sy["c2_head"]: c2_head,
                               sy["c2_tail"]: c2_tail}))
    synth = np.where(np.arange(d) < head, s, rho * s)
    res = multi_source_risk([Source(1 - p2, s, w, noise=0.5, weight=weights[0]),
                             Source(p2, synth, w + shift, noise=0.5, weight=weights[1])],
                            n=1e12, ridge=1e-9)
    assert float(res.test_error) == pytest.approx(want, rel=1e-6)
    if rho == 1.0 and weights == (1.0, 1.0):  # Theorem 1's strong-collapse floor p2² c²
        assert want == pytest.approx(p2**2 * (c2_head + c2_tail), rel=1e-14, abs=0.0)


def test_synthetic_only_plateau_when_the_tail_is_lost():
    tp = ms.tail_plateau()
    sy = tp["symbols"]
    d, head = 40, 10
    s = _spectrum(d)
    rng = np.random.default_rng(8)
    w, shift = rng.standard_normal(d), 0.5 * rng.standard_normal(d)
    want = float(tp["E_synthetic_only_lost_tail"].subs({
        sy["c2_head"]: float(np.sum((s * shift**2)[:head])),
        sy["r2_tail"]: float(np.sum((s * w**2)[head:]))}))
    synth = np.where(np.arange(d) < head, s, 0.0)
    res = multi_source_risk([Source(0.0, s, w), Source(1.0, synth, w + shift)], n=1e12,
                            ridge=1e-9)
    assert float(res.test_error) == pytest.approx(want, rel=1e-6)


# ------------------------------------------------------------------------------------------
# theory against Monte Carlo: the finite-size rule

_SIZES, _SEED = (50, 100, 200), 13
#: Draws per size.  The ridgeless fit with fewer rows than dimensions spreads ~10× more from draw
#: to draw (its variance ~ 1/smallest singular value²): it needs more draws for the same power.
_DRAWS = {"d_above_n": 200}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenarios_agree_with_monte_carlo_extrapolated(name):
    family = SCENARIOS[name]
    runs: dict = {}

    def simulate(problem, draws, seed):  # the same draws for both checks
        key = (len(problem["sources"][0]["covariance"]), draws, seed)
        if key not in runs:
            runs[key] = simulate_problem(problem, draws, seed)
        return runs[key]

    kw = dict(sizes=_SIZES, draws=_DRAWS.get(name, 20), seed=_SEED)
    check = finite_size_check(family, simulate, **kw)
    assert check.all_agree, check.describe()

    # the rule sees a 2 % error in the formula with these draws (in at least one quantity)
    class Scaled:
        def __init__(self, res):
            self.res = res

        def __getattr__(self, key):
            return 1.02 * np.asarray(getattr(self.res, key))

    wrong = finite_size_check(family, simulate,
                              theory=lambda p: Scaled(evaluate("multi_source", **p)), **kw)
    assert not wrong.all_agree, wrong.describe()


def _plateau_family(rho: float) -> MultiSourceFamily:
    """Many rows (n = 16 d), the synthetic tail shrunk by ρ: the error near its floor."""
    def build(d: int) -> dict:
        s = _spectrum(d)
        j = np.arange(1, d + 1, dtype=float)
        w = np.cos(j) / np.sqrt(s)
        w /= np.sqrt(w @ (s * w))
        z = np.sin(3 * j) / np.sqrt(s)
        z *= np.sqrt(0.5 / (z @ (s * z)))
        synth = np.where(np.arange(d) < d // 4, s, rho * s)
        return {"sources": [{"fraction": 0.5, "covariance": s, "teacher": w, "noise": 0.3},
                            {"fraction": 0.5, "covariance": synth, "teacher": w + z,
                             "noise": 0.3}], "n": 16 * d, "ridge": 1e-3 / d}
    return MultiSourceFamily(f"plateau_rho_{rho}", build)


@pytest.mark.parametrize("rho", [0.0, 1.0])
def test_near_the_plateau_theory_agrees_with_monte_carlo(rho):
    check = finite_size_check(_plateau_family(rho), simulate_problem, sizes=(40, 80, 160),
                              draws=20, seed=17)
    assert check.all_agree, check.describe()


# ------------------------------------------------------------------------------------------
# bad inputs name the field


def _good(d: int = 4) -> dict:
    s = np.linspace(0.5, 1.5, d)
    return {"sources": [{"fraction": 0.5, "covariance": s, "teacher": np.ones(d), "noise": 0.5},
                        {"fraction": 0.5, "covariance": s, "teacher": np.zeros(d),
                         "weight": 0.4}], "n": 10, "ridge": 0.1}


def _with(field: str, value, index: int = 1) -> dict:
    p = _good()
    p["sources"][index] = dict(p["sources"][index], **{field: value})
    return p


_ASYM = np.array([[1.0, 0.5, 0, 0], [0.0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
_INDEF = np.array([[1.0, 2.0, 0, 0], [2.0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])  # eigenvalue −1
_BAD = [
    ("asymmetric", _with("covariance", _ASYM), r"sources\[1\]\.covariance: not symmetric"),
    ("indefinite", _with("covariance", _INDEF),
     r"sources\[1\]\.covariance: not positive semi-definite \(smallest eigenvalue -1\)"),
    ("negative eigenvalue", _with("covariance", [1.0, -1.0, 1.0, 1.0]),
     r"sources\[1\]\.covariance: eigenvalues must be ≥ 0"),
    ("wrong size", _with("covariance", np.ones(5)), r"sources\[1\]\.covariance: expected "
                                                    "dimension 4"),
    ("wrong size matrix", _with("covariance", np.eye(3)), r"sources\[1\]\.covariance"),
    ("nan", _with("covariance", [1.0, np.nan, 1.0, 1.0]), r"sources\[1\]\.covariance"),
    ("string", _with("covariance", "1 2 3 4"), r"sources\[1\]\.covariance"),
    ("3-d array", _with("covariance", np.ones((4, 4, 4))), r"sources\[1\]\.covariance"),
    ("teacher length", _with("teacher", np.ones(3)), r"sources\[1\]\.teacher"),
    ("teacher nan", _with("teacher", [0.0, np.nan, 0, 0]), r"sources\[1\]\.teacher"),
    ("missing teacher", _with("teacher", None), r"sources\[1\]\.teacher: missing"),
    ("fraction above 1", _with("fraction", 1.5), r"sources\[1\]\.fraction"),
    ("fraction negative", _with("fraction", -0.1), r"sources\[1\]\.fraction"),
    ("fractions do not sum to 1", _with("fraction", 0.6), r"sources: the fractions must sum"),
    ("negative weight", _with("weight", -1.0), r"sources\[1\]\.weight"),
    ("negative noise", _with("noise", -0.1), r"sources\[1\]\.noise"),
    ("boolean noise", _with("noise", True), r"sources\[1\]\.noise"),
    ("unknown field", _with("colour", 1.0), r"sources\[1\]\.colour: unknown field"),
    ("no sources", {"sources": [], "n": 10, "ridge": 0.1}, r"sources: need at least one"),
    ("sources not a list", {"sources": {"fraction": 1.0}, "n": 10, "ridge": 0.1},
     r"sources: expected a list"),
    ("missing sources", {"n": 10, "ridge": 0.1}, r"sources: missing"),
    ("n negative", {**_good(), "n": -1.0}, r"^n: "),
    ("n nan", {**_good(), "n": np.nan}, r"^n: "),
    ("ridge negative", {**_good(), "ridge": -0.1}, r"^ridge: "),
    ("ridge string", {**_good(), "ridge": "0.1"}, r"^ridge: "),
    ("target wrong size", {**_good(), "target": {"covariance": np.ones(3)}},
     r"target\.covariance"),
    ("target unknown field", {**_good(), "target": {"covariance": np.ones(4), "noise": 1.0}},
     r"target\.noise: unknown field"),
    ("fixed and random", {**_good(), "gamma": np.ones(4)}, r"gamma: cannot be combined"),
    ("unknown keyword", {**_good(), "p2": 0.3}, r"p2: not a parameter"),
    ("a spectrum", {**_good(), "spectrum": np.ones(4)}, r"spectrum: model 'multi_source'"),
    ("grid does not broadcast", {**_with("noise", np.ones(3)), "n": np.ones(4) * 10},
     r"do not broadcast"),
]


@pytest.mark.parametrize("problem, match", [c[1:] for c in _BAD], ids=[c[0] for c in _BAD])
def test_bad_inputs_name_the_field(problem, match):
    with pytest.raises(ValueError, match=match) as info:
        evaluate("multi_source", **problem)
    assert "\n" not in str(info.value)


def test_random_effects_need_gamma():
    p = _good()
    for s in p["sources"]:
        s.pop("teacher")
    p["sources"][1]["delta"] = np.ones(4)
    with pytest.raises(ValueError, match=r"^gamma: missing"):
        evaluate("multi_source", **p)
    with pytest.raises(ValueError, match=r"sources\[1\]\.delta: not positive semi-definite"):
        evaluate("multi_source", **{**p, "gamma": np.eye(4),
                                    "sources": [dict(p["sources"][0], covariance=np.eye(4)),
                                                dict(p["sources"][1], delta=-np.eye(4))]})


def test_monte_carlo_bad_inputs():
    good = _good()
    with pytest.raises(ValueError, match="^n: "):
        simulate_multi_source(good["sources"], n=10.5, ridge=[0.1], draws=2)
    with pytest.raises(ValueError, match="^ridge: "):
        simulate_multi_source(good["sources"], n=10, ridge=[-0.1], draws=2)
    with pytest.raises(ValueError, match="draws"):
        simulate_multi_source(good["sources"], n=10, ridge=[0.1], draws=0)
    with pytest.raises(ValueError, match=r"sources\[1\]\.covariance"):
        simulate_multi_source(_with("covariance", _ASYM)["sources"], n=10, ridge=[0.1], draws=2)


# ------------------------------------------------------------------------------------------
# convergence report, batch independence, Monte Carlo determinism


def test_convergence_is_reported():
    d = 30
    s = _spectrum(d)
    w = np.ones(d)
    src = [Source(0.5, s, w, noise=0.5), Source(0.5, np.where(np.arange(d) < 5, s, 0.0), 2 * w,
                                                noise=0.5)]
    res = multi_source_risk(src, n=np.array([10.0, 30.0, 100.0]), ridge=1e-2)
    assert res.converged.all() and (res.status == 0).all() and (res.iterations > 0).all()
    assert (res.residual <= 1e-11).all()
    with pytest.raises(ConvergenceError, match="did not converge"):
        multi_source_risk(src, n=np.array([10.0, 30.0, 100.0]), ridge=1e-2, maxiter=1)
    bad = multi_source_risk(src, n=np.array([10.0, 30.0, 100.0]), ridge=1e-2, maxiter=1,
                            on_failure="nan")
    failed = ~bad.converged
    assert failed.any() and (bad.status[failed] == -1).all()
    for key in KEYS:
        assert np.isnan(np.asarray(getattr(bad, key))[failed]).all()
    assert all("iteration limit" in note for note in bad.notes()[failed])
    with pytest.raises(ValueError, match="maxiter"):
        multi_source_risk(src, n=10, ridge=0.1, maxiter=2.5)


def test_ridgeless_threshold_is_status_1():
    # λ = 0 with exactly as many active rows as seen directions: the variance diverges
    d = 20
    s = _spectrum(d)
    res = multi_source_risk([Source(0.5, s, np.ones(d), noise=0.5),
                             Source(0.5, s, np.ones(d), noise=0.5)], n=d, ridge=0.0)
    assert int(res.status) == 1 and bool(res.converged)
    assert np.isinf(res.variance) and np.isinf(res.test_error)


def test_a_point_does_not_depend_on_its_grid():
    d = 50
    s = _spectrum(d)
    tail = np.where(np.arange(d) < 10, s, 0.2 * s)
    rng = np.random.default_rng(9)
    w = rng.standard_normal(d)
    n = np.array([20.0, 50.0, 80.0, 300.0])
    lam = np.array([[0.0], [1e-4], [0.1]])
    p2 = np.array([0.0, 0.3, 1.0])[:, None, None]
    src = [Source(1 - p2, s, w, noise=0.5), Source(p2, tail, w + 0.3, noise=0.2, weight=0.5)]
    grid = multi_source_risk(src, n=n, ridge=lam, on_failure="nan")
    for i, j, m in [(0, 0, 0), (1, 1, 2), (2, 2, 3), (1, 0, 1)]:
        alone = multi_source_risk([Source(1 - float(p2[i, 0, 0]), s, w, noise=0.5),
                                   Source(float(p2[i, 0, 0]), tail, w + 0.3, noise=0.2,
                                          weight=0.5)],
                                  n=n[m], ridge=lam[j, 0], on_failure="nan")
        for key in (*KEYS, "status"):
            assert np.array_equal(np.asarray(getattr(grid, key))[i, j, m],
                                  np.asarray(getattr(alone, key)), equal_nan=True), key


def test_monte_carlo_is_deterministic_and_row_counts_are_whole():
    assert row_counts(np.array([1 / 3, 1 / 3, 1 / 3]), 10).tolist() == [4, 3, 3]
    assert row_counts(np.array([0.0, 1.0]), 7).tolist() == [0, 7]
    problem = SCENARIOS["three_sources"].at(12)
    a = simulate_problem(problem, 3, 5)
    b = simulate_problem(problem, 3, 5)
    for key in KEYS:
        assert np.array_equal(a.draws[key], b.draws[key])
        # the split is exact per draw
    assert np.allclose(a.draws["test_error"],
                       a.draws["bias"] + a.draws["variance"] + a.draws["zeta"], rtol=1e-12)



def test_covariate_figure_runs_and_its_monte_carlo_agrees():
    from modelcollapse.verify.reproduce._cache import MonteCarloCache
    from modelcollapse.verify.reproduce._context import Context
    from modelcollapse.verify.reproduce._settings import settings_for
    from modelcollapse.verify.reproduce.figures_covariate import (
        RHOS,
        covariate_figure,
        planned_covariate_runs,
        plateau,
    )

    settings = settings_for("tiny")
    ticks = []
    out = covariate_figure(Context(settings, MonteCarloCache(None), seed=0,
                                   tick=lambda: ticks.append(1)))
    assert len(ticks) == planned_covariate_runs(settings, {"covariate"})
    assert out.points and all(p.agree for p in out.points), [
        (p.series, p.x, p.quantity, p.z) for p in out.points if not p.agree]
    # the floors fall as more of the tail is lost (docs/mathematics.md §7)
    floors = [plateau(40, rho) for rho in RHOS]
    assert floors == sorted(floors, reverse=True)
