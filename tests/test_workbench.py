"""Derivation workbench and catalog: every derived result checked against the numeric solver."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from modelcollapse.numerics import ridge_risk
from modelcollapse.theory import catalog, workbench
from modelcollapse.theory.symbols import c, kappa, lam, p2, phi, r, sigma1, sigma2
from modelcollapse.verify.cli import main

D = 400


def iso_numeric(phi_v, p2_v, lam_v, r2=1.0, c2=0.5, s1=0.7, s2=0.4):
    return ridge_risk(np.ones(D), n=D / phi_v, p2=p2_v, ridge=lam_v, noise_real=s1,
                      noise_synth=s2, gamma=np.full(D, r2 / D), delta=np.full(D, c2 / D))


VALUES = {r: 1.0, c: np.sqrt(0.5), sigma1: 0.7, sigma2: 0.4}


def ev(expr, **kw):
    subs = {**VALUES, **{dict(phi=phi, p2=p2, lam=lam)[k]: v for k, v in kw.items()}}
    return float(expr.subs(subs))


def test_zeta_series_first_order_in_phi_and_p2():
    res = catalog.derive("zeta-series").expressions
    # ridgeless, φ < 1: ζ = c²p2(p2 + (1−2p2)φ)/(1−φ) (Corollary 1), whose first-order
    # remainder is exactly c²p2(1−p2)φ²/(1−φ)
    for phi_v in (0.02, 0.01):
        num = float(iso_numeric(phi_v, 0.3, 0.0).zeta)
        approx = ev(res["zeta_ridgeless_order1_phi"], phi=phi_v, p2=0.3)
        remainder = 0.5 * 0.3 * 0.7 * phi_v**2 / (1 - phi_v)
        assert num - approx == pytest.approx(remainder, rel=1e-9, abs=0.0)
    # first order in p2: remainder O(p2²)
    p2_small = 1e-3
    num = float(iso_numeric(0.3, p2_small, 0.0).zeta)
    assert num == pytest.approx(ev(res["zeta_ridgeless_order1_p2"], phi=0.3, p2=p2_small),
                                rel=5 * p2_small)
    # fixed λ = 0.5: first order in φ
    phi_v = 0.005
    num = float(iso_numeric(phi_v, 0.3, 0.5).zeta)
    assert num == pytest.approx(ev(res["zeta_fixed_ridge_order1_phi"], phi=phi_v, p2=0.3,
                                   lam=0.5), abs=phi_v**2)


def test_limits_against_numerics():
    res = catalog.derive("limits-isotropic").expressions
    for key, phi_v in (("lambda_to_0_phi_lt_1", 0.4), ("lambda_to_0_phi_gt_1", 2.5)):
        num = float(iso_numeric(phi_v, 0.3, 0.0).test_error)
        assert num == pytest.approx(ev(res[key], phi=phi_v, p2=0.3), rel=1e-12)
    num = float(iso_numeric(1e-6, 0.3, 0.2).test_error)
    assert num == pytest.approx(ev(res["phi_to_0"], p2=0.3, lam=0.2), rel=1e-5)
    num = float(iso_numeric(1e5, 0.3, 0.2).test_error)
    assert num == pytest.approx(ev(res["phi_to_oo"]), rel=1e-4)
    for key, kw in (("p2_to_0", dict(p2_v=0.0)), ("c_to_0", dict(p2_v=0.3, c2=0.0))):
        num = float(iso_numeric(0.7, lam_v=0.1, **kw).test_error)
        vals = {**VALUES, c: np.sqrt(kw.get("c2", 0.5)), p2: kw["p2_v"], phi: 0.7, lam: 0.1}
        # written with κ; κ(λ, φ) is the entry's "kappa" line
        value = res[key].subs(kappa, res["kappa"]).subs(vals)
        assert num == pytest.approx(float(value), rel=1e-12)


def test_workbench_regimes_and_helpers():
    assert workbench.in_regime(sp.sqrt((phi - 1) ** 2), "phi>1", sp.simplify) == phi - 1
    with pytest.raises(ValueError, match="regime"):
        workbench.limit(phi, phi, 0, regime="bogus")
    with pytest.raises(ValueError, match="order"):
        workbench.series(phi, phi, -1)
    x, a = sp.symbols("x a", positive=True)
    assert workbench.minimize((x - a) ** 2 + 1, x) == (a, 1)


def test_implicit_derivative_of_kappa_matches_finite_difference():
    from modelcollapse.numerics import solve_kappa
    from modelcollapse.theory import ridge
    from modelcollapse.theory.ridge_isotropic import TOTALS
    from modelcollapse.theory.spectral import isotropic
    from modelcollapse.theory.symbols import kappa, n

    dk = workbench.implicit_derivative(ridge.FIXED_POINT, kappa, lam)
    dk_iso = isotropic(dk, TOTALS)
    k0 = float(solve_kappa(np.ones(D), 0.3, D / 0.6).kappa)
    exact = float(dk_iso.subs({kappa: k0, phi: 0.6, n: D / 0.6, lam: 0.3}))
    h = 1e-6
    fd = (float(solve_kappa(np.ones(D), 0.3 + h, D / 0.6).kappa)
          - float(solve_kappa(np.ones(D), 0.3 - h, D / 0.6).kappa)) / (2 * h)
    assert exact == pytest.approx(fd, rel=1e-7)


def test_catalog_lists_and_rejects():
    assert {"corollary1", "corollary4", "optimal-ridge-plateau", "power-law-scaling"} <= set(
        catalog.names())
    with pytest.raises(ValueError, match="unknown result"):
        catalog.derive("nope")
    with pytest.raises(ValueError, match="already registered"):
        catalog.register("corollary1", "x", "y")(lambda: {})


def test_cli_derive(capsys):
    assert main(["derive", "--list"]) == 0
    out = capsys.readouterr().out
    assert "corollary4" in out and "power-law-scaling" in out
    assert main(["derive", "optimal-ridge-plateau"]) == 0
    out = capsys.readouterr().out
    assert "assumptions:" in out and r"\frac" in out and "plateau = " in out
    assert main(["derive", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown result" in err
    assert main(["derive"]) == 2
