"""Random features on several sources (numerics.multi_source_features), against the Monte Carlo
with the true activation on the same first layer S.

Rule (docs/mathematics.md §5.3): at each size d the theory is evaluated on the S drawn for that
size; ``mc − theory = a + b·s(d)`` (``s = ln(d)/d`` for ReLU, ``1/d`` otherwise) is fitted over the
sizes and the extrapolated ``a`` must satisfy ``|a| ≤ 3 se(a)``.  The same draws must reject the
theory scaled by 1.02.  The scenario: two sources — real rows and a generator that keeps the
head of the spectrum and shrinks its tail by 0.2, with a shifted teacher — n = d rows, widths
across the interpolation threshold m = n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from modelcollapse.numerics import Source
from modelcollapse.numerics.multi_source_features import feature_problem, multi_source_rf_risk
from modelcollapse.verify.agreement import finite_size_check, inverse_size, log_over_size
from modelcollapse.verify.montecarlo_multi_rf import simulate_multi_source_rf

KEYS = ("test_error", "bias", "variance", "zeta")


@dataclass(frozen=True)
class CovariateRF:
    """Two sources at dimension d: isotropic real rows (teacher w), a generator whose tail
    (past d/4) is shrunk by 0.2 with teacher w + δ; width m = ψ n, n = d."""

    psi: float
    activation: str
    ridge: float = 1e-3
    model: str = "multi_source_rf"

    def at(self, d: int) -> dict:
        j = np.arange(d)
        s = np.ones(d)
        tail = np.where(j < d // 4, s, 0.2 * s)
        w = np.cos(j) * np.sqrt(2 / d)  # wᵀw ≈ 1
        shift = np.sin(3 * j) * np.sqrt(2 * 0.3 / d)  # c² ≈ 0.3
        m = int(round(self.psi * d))
        proj = np.random.default_rng(1000 + d).standard_normal((m, d)) / np.sqrt(d)
        return {"sources": [Source(0.6, s, w, noise=0.3), Source(0.4, tail, w + shift, noise=0.1)],
                "projection": proj, "n": d, "ridge": self.ridge, "activation": self.activation}

    def describe(self) -> str:
        return f"two sources, {self.activation}, ψ = m/n = {self.psi}, λ = {self.ridge}"


def _theory(problem: dict):
    return multi_source_rf_risk(**problem)


def _simulate(problem: dict, draws: int, seed: int):
    p = dict(problem)
    return simulate_multi_source_rf(p.pop("sources"), ridge=[p.pop("ridge")], draws=draws,
                                    seed=seed, **p)


def _shape(activation: str):
    return log_over_size if activation == "relu" else inverse_size


_RUNS: dict = {}


def _simulate_once(problem: dict, draws: int, seed: int):
    """The same draws for the theory and its perturbation (memoised per problem size)."""
    key = (problem["activation"], problem["projection"].shape, problem["ridge"], draws, seed)
    if key not in _RUNS:
        _RUNS[key] = _simulate(problem, draws, seed)
    return _RUNS[key]


def _check(psi, activation, sizes, draws, seed=3, scale=1.0, ridge=1e-3):
    family = CovariateRF(psi, activation, ridge)

    def theory(problem):
        res = _theory(problem)
        if scale == 1.0:
            return res
        return type("Scaled", (), {k: scale * np.asarray(getattr(res, k)) for k in KEYS})()

    return finite_size_check(family, _simulate_once, sizes=sizes, draws=draws, seed=seed,
                             theory=theory, shape=_shape(activation))


def test_linear_features_given_s_are_the_multi_source_model_in_feature_space():
    # σ(z) = z: K_g = S C_g Sᵀ and Q_g = S C_g exactly; the residual form is C_g − Q_gᵀK_g⁺Q_g,
    # whose quadratic form vanishes on the row space of S C_g^{1/2} (m ≥ d: S has full rank)
    d, m = 20, 30
    rng = np.random.default_rng(0)
    proj = rng.standard_normal((m, d)) / np.sqrt(d)
    s = np.linspace(0.5, 1.5, d)
    prob = feature_problem([Source(1.0, s, np.ones(d))], projection=proj, activation="linear")
    np.testing.assert_allclose(prob["kernels"][0], (proj * s) @ proj.T, rtol=1e-13, atol=1e-15)
    assert np.max(np.abs(prob["residuals"][0])) < 1e-10
    # m < d: the residual is the part of x the features cannot see, with trace tr C − tr of
    # the projection of C^{1/2} onto the row space of S C^{1/2}
    narrow = proj[:5]
    res = feature_problem([Source(1.0, s, np.ones(d))], projection=narrow,
                          activation="linear")["residuals"][0]
    half = np.sqrt(s)
    b = narrow * half  # S C^{1/2}
    proj_row = b.T @ np.linalg.solve(b @ b.T, b)
    np.testing.assert_allclose(res, half[:, None] * (np.eye(d) - proj_row) * half[None, :],
                               rtol=0, atol=1e-12)


def test_the_split_adds_up_and_bad_inputs_are_named():
    fam = CovariateRF(1.5, "tanh")
    res = _theory(fam.at(40))
    assert bool(res.converged) and res.model == "multi_source_rf"
    assert abs(res.bias + res.variance + res.zeta - res.test_error) < 1e-12
    assert float(res.approximation_error) > 0  # tanh features miss part of the linear target
    p = fam.at(40)
    with pytest.raises(ValueError, match=r"projection: expected the first layer S as an m × 40"):
        multi_source_rf_risk(p["sources"], projection=np.ones((5, 39)), n=40, ridge=1e-3)
    with pytest.raises(ValueError, match="fixed teacher"):
        multi_source_rf_risk([Source(1.0, np.ones(40), delta=np.ones(40))], projection=p[
            "projection"], n=40, ridge=1e-3)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_one_width_agrees_with_the_true_activation_and_rejects_2_percent(activation):
    # above the threshold (ψ = 2), two sizes, λ = 0.1 (less spread from draw to draw than near
    # λ = 0: the variance's extrapolation has se ≈ 0.5 %, so a 2 % error is z ≈ 4); the
    # bounded form of the sweep below
    check = _check(2.0, activation, sizes=(60, 120), draws=60, ridge=0.1)
    assert check.all_agree, check.describe()
    wrong = _check(2.0, activation, sizes=(60, 120), draws=60, ridge=0.1, scale=1.02)
    assert not wrong.all_agree, wrong.describe()  # the variance, the best-measured part


@pytest.mark.slow
@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("psi", [0.5, 0.8, 1.25, 2.0, 3.0])
def test_widths_across_the_threshold_agree(psi, activation):
    check = _check(psi, activation, sizes=(100, 200), draws=40)
    assert check.all_agree, check.describe()
