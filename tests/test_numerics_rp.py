"""rp_risk: vectorised width grids, ridgeless limits on both sides of ψ = 1, input checks."""

from __future__ import annotations

import numpy as np
import pytest

from modelcollapse.numerics import ridge_risk, rp_risk

D = 300
SPEC = 1 / np.arange(1, D + 1)
SPEC = SPEC / SPEC.sum()
KW = dict(n=200, p2=0.4, noise_real=0.1, noise_synth=0.2, gamma=np.full(D, 1 / D),
          delta=0.5 / D / SPEC)


def test_whole_width_grid_in_one_call():
    widths = np.arange(1, 10_001)
    res = rp_risk(SPEC, m=widths, ridge=np.array([[0.0], [1e-8], [1.0]]), **KW)
    assert res.test_error.shape == (3, widths.size)
    assert res.converged.all()
    thr = res.status == 1
    assert thr[0].sum() == 1 and thr[0, 199] and not thr[1:].any()  # λ = 0 and m = n only
    for key in ("test_error", "bias", "variance", "zeta", "u"):
        arr = getattr(res, key)
        assert np.isposinf(arr[0, 199]), key
        assert np.isfinite(np.delete(arr, 199, axis=1)).all() and np.isfinite(arr[1:]).all()
    assert res.notes()[0, 199].startswith("interpolation threshold")
    assert res.notes()[1, 0] == ""
    assert (res.residual[res.status == 0] < 1e-10).all()


@pytest.mark.parametrize("m", [60, 150, 199, 201, 260, 900])
def test_ridgeless_is_the_limit(m):
    a = rp_risk(SPEC, m=m, ridge=0.0, **KW)
    b = rp_risk(SPEC, m=m, ridge=1e-15, **KW)  # next to ψ = 1 the error moves ~ λ·1e8
    for key in ("test_error", "bias", "variance", "zeta", "theta"):
        assert float(getattr(a, key)) == pytest.approx(float(getattr(b, key)), rel=1e-5), key


def test_ridgeless_least_squares_variance():
    # m < n < d: V = σ² ψ/(1 − ψ) exactly (least squares on m features); d < n < m: σ² φ/(1 − φ)
    res = rp_risk(SPEC, m=[50, 100], ridge=0.0, **{**KW, "p2": 0.0})
    assert res.variance.tolist() == pytest.approx([0.01 * 50 / 150, 0.01 * 100 / 100], rel=1e-12,
                                                  abs=0.0)
    res = rp_risk(SPEC, m=[400, 300], ridge=0.0, **{**KW, "n": 500, "p2": 0.0})
    assert res.variance.tolist() == pytest.approx([0.01 * 300 / 200] * 2, rel=1e-12, abs=0.0)
    assert res.bias.tolist() == [0.0, 0.0]


def test_threshold_with_d_equal_n():
    # λ = 0, d = n ≤ m: classical interpolation threshold (the projection is invertible)
    res = rp_risk(SPEC, m=[300, 600], ridge=0.0, **{**KW, "n": 300})
    assert (res.status == 1).all() and np.isposinf(res.variance).all()
    assert res.bias.tolist() == [0.0, 0.0]  # as for ridge at φ = 1


@pytest.mark.parametrize("teacher", ["random", "fixed"])
def test_large_width_recovers_ridge(teacher):
    rng = np.random.default_rng(3)
    tk = (dict(gamma=KW["gamma"], delta=KW["delta"]) if teacher == "random" else
          dict(w_real=rng.standard_normal(D) / np.sqrt(D),
               w_synth=rng.standard_normal(D) / np.sqrt(D)))
    base = {k: v for k, v in KW.items() if k not in ("gamma", "delta")}
    lam_eff, m = 1e-3, 1e9
    a = rp_risk(SPEC, m=m, ridge=lam_eff * m / D, **base, **tk)
    b = ridge_risk(SPEC, ridge=lam_eff, **base, **tk)
    for key in ("test_error", "bias", "variance", "zeta"):
        assert float(getattr(a, key)) == pytest.approx(float(getattr(b, key)), rel=1e-5), key
    assert float(a.theta) == pytest.approx(float(b.kappa), rel=1e-6)


def test_broadcasting_and_per_point_spectra():
    spectra = np.stack([SPEC, np.full(D, 1 / D)])
    res = rp_risk(spectra[:, None, :], m=[50, 400], ridge=0.01, **KW)
    assert res.test_error.shape == (2, 2)
    one = rp_risk(np.full(D, 1 / D), m=400, ridge=0.01, **KW)
    assert float(res.test_error[1, 1]) == pytest.approx(float(one.test_error), rel=1e-12, abs=0.0)


def test_printed_form_is_bigger_variance():
    a = rp_risk(SPEC, m=[80, 500], ridge=1e-3, **KW)
    b = rp_risk(SPEC, m=[80, 500], ridge=1e-3, form="printed", **KW)
    assert b.variance == pytest.approx(200 * a.variance, rel=1e-10)
    c = rp_risk(SPEC, m=[80, 500], ridge=1e-3, form="paper", **KW)
    assert c.zeta == pytest.approx(a.zeta, rel=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(m=0), "m"),
        (dict(m=[10, -1]), "m"),
        (dict(m=np.nan), "m"),
        (dict(m=10, ridge=-1.0), "ridge"),
        (dict(m=10, p2=1.5), "p2"),
        (dict(m=10, n=0), "n"),
        (dict(m=10, form="v3"), "form"),
        (dict(m=10, on_failure="ignore"), "on_failure"),
        (dict(m=10, gamma=np.ones(3)), "gamma"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, name):
    args = {**KW, "ridge": 0.1, **kwargs}
    with pytest.raises(ValueError, match=name):
        rp_risk(SPEC, **args)
