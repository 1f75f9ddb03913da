"""Right at the interpolation threshold: integer n = d, λ from 1e-40 to 1e-3 (× mean eigenvalue).

There ``1 − df1(κ)/n`` cancels to nothing in float64 and the old solver returned κ up to 40 %
off with "converged" (e.g. Σ = I₁₀₀, n = d = 100, λ = 1e-30: κ 1.41e-15 against 1.0e-15).  The
solver now evaluates the fixed point in its least-cancelling declared form
(``(n − d)/n + κ tr(Σ+κ)^{-1}/n − λ/κ``) and judges the residual relative to its terms.  Rule:
every problem is right to 1e-8 against the 50-digit reference
(:func:`modelcollapse.numerics.reference.ridge_risk_mp`), or flagged (status ≠ 0 with a note).
The components are compared relative to ``max(|ref|, 1e-3 |E_test|)`` (ζ of a fixed teacher may
cancel to far below the total error).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from modelcollapse.numerics import ridge_risk, rp_risk
from modelcollapse.numerics.reference import ridge_risk_mp
from modelcollapse.numerics.reference_rp import rp_risk_mp

KEYS = ("kappa", "u", "test_error", "bias", "variance", "zeta")


def _sweep(count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    failures = []
    for i in range(count):
        d = int(rng.integers(2, 30))
        s = np.exp(rng.normal(0, 1.5, d))
        lam = float(s.mean() * 10 ** rng.uniform(-40, -3))
        kw = dict(n=float(d), p2=float(rng.uniform()), ridge=lam,
                  noise_real=float(rng.uniform()), noise_synth=float(rng.uniform()))
        if i % 2:
            teach = dict(gamma=rng.uniform(0, 1, d), delta=rng.uniform(0, 1, d))
        else:
            teach = dict(w_real=rng.normal(size=d), w_synth=rng.normal(size=d))
        res = ridge_risk(s, on_failure="nan", **kw, **teach)
        if int(res.status) != 0:
            assert res.notes().item(), f"problem {i}: status {int(res.status)} without a note"
            continue
        ref = ridge_risk_mp(s.tolist(), **kw, **{k: v.tolist() for k, v in teach.items()})
        total = abs(float(ref["test_error"]))
        for key in KEYS:
            want = float(ref[key])
            scale = abs(want) if key in ("kappa", "u") else max(abs(want), 1e-3 * total)
            got = float(getattr(res, key))
            if not abs(got - want) <= 1e-8 * scale:
                failures.append((i, key, got, want, lam / s.mean()))
    assert not failures, failures[:5]


def test_n_equals_d_sweep_is_right_or_flagged():
    _sweep(100, seed=0)


@pytest.mark.slow
def test_n_equals_d_sweep_long():
    _sweep(int(os.environ.get("MODELCOLLAPSE_THRESHOLD_PROBLEMS", "300")), seed=1)


def test_the_reported_example():
    d = 100
    res = ridge_risk(np.ones(d), n=100, p2=0.2, ridge=1e-30, noise_real=1.0, noise_synth=1.0,
                     gamma=np.full(d, 1 / d), delta=np.full(d, 0.5 / d))
    # κ² − λκ − λ = 0 (Σ = I, n = d): κ = (λ + sqrt(λ² + 4λ))/2 ≈ 1e-15
    lam = 1e-30
    assert abs(float(res.kappa) / ((lam + np.sqrt(lam**2 + 4 * lam)) / 2) - 1) < 1e-12
    assert int(res.status) == 0


# ------------------------------------------------------------------------------------------
# random projections at n = d < m: the threshold min(m, d) = n with m > d

RP_KEYS = ("theta", "test_error", "bias", "variance", "zeta")


def _rp_sweep(count: int, seed: int) -> None:
    # there ``1 − df1(θ)/n`` cancels in the θ equation's "over" form; before the fix 15 of 40
    # such problems were up to 31 % off with status 0, and the 50-digit reference raised
    # mpmath's "could not find root" at exactly these points (so nothing could see it)
    rng = np.random.default_rng(seed)
    failures = []
    for i in range(count):
        d = int(rng.integers(2, 11))
        s = np.exp(rng.normal(0, 1.0, d))
        lam = float(s.mean() * 10 ** rng.uniform(-40, -3))
        kw = dict(n=float(d), m=float(d * rng.uniform(1.05, 3.0)), p2=float(rng.uniform()),
                  ridge=lam, noise_real=float(rng.uniform()), noise_synth=float(rng.uniform()),
                  gamma=rng.uniform(0, 1, d) / d, delta=rng.uniform(0, 1, d) / d)
        res = rp_risk(s, on_failure="nan", **kw)
        if int(res.status) != 0:
            assert res.notes().item(), f"problem {i}: status {int(res.status)} without a note"
            continue
        ref = rp_risk_mp(s.tolist(), **{k: v.tolist() if isinstance(v, np.ndarray) else v
                                        for k, v in kw.items()})
        total = abs(float(ref["test_error"]))
        for key in RP_KEYS:
            want = float(ref[key])
            scale = abs(want) if key == "theta" else max(abs(want), 1e-3 * total)
            got = float(getattr(res, key))
            if not abs(got - want) <= 1e-8 * scale:
                failures.append((i, key, got, want, lam / s.mean()))
    assert not failures, failures[:5]


def test_rp_n_equals_d_below_the_width_is_right_or_flagged():
    _rp_sweep(12, seed=3)


@pytest.mark.slow
def test_rp_n_equals_d_below_the_width_long():
    _rp_sweep(int(os.environ.get("MODELCOLLAPSE_THRESHOLD_PROBLEMS", "300")) // 3, seed=4)


def test_the_rp_reported_example():
    # s = (1, 2), n = d = 2 < m = 3, λ = 1e-30: was 2.851e14 (−13.4 %) with status 0
    kw = dict(n=2.0, m=3.0, p2=0.3, ridge=1e-30, noise_real=1.0, noise_synth=0.5,
              gamma=[0.5, 0.5], delta=[0.05, 0.05])
    res = rp_risk(np.array([1.0, 2.0]), **kw)
    ref = rp_risk_mp([1.0, 2.0], **kw)
    assert int(res.status) == 0
    assert float(res.test_error) == pytest.approx(float(ref["test_error"]), rel=1e-12)
    # and the reference itself: E·√λ is the same constant from λ = 1e-16 (where the plain forms
    # are fine) to 1e-60, up to the O(√λ) correction
    far = rp_risk_mp([1.0, 2.0], **{**kw, "ridge": 1e-16})
    deep = rp_risk_mp([1.0, 2.0], **{**kw, "ridge": 1e-60})
    assert float(deep["test_error"]) * 1e-30 == pytest.approx(float(far["test_error"]) * 1e-8,
                                                               rel=1e-7)
