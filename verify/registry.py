"""Every registered model with its Monte Carlo, reference and problem families.

:data:`MODELS` pairs each model of :data:`modelcollapse.numerics.models.MODELS` with

* ``simulate(problem, draws, seed)``: the exact finite model at one point of the theory's inputs
  (a dict of the theory function's keyword arguments), a :class:`MonteCarloResult` with one grid
  point;
* ``reference(problem)`` (optional): a high-precision (mpmath, 50 digits) value of the theory;
* ``valid(values)``: which :class:`~modelcollapse.verify.families.ProblemFamily` values make a
  meaningful Monte Carlo (away from interpolation thresholds, where the finite-size bias is not
  O(1/d));

and the test module ``tests/test_models.py`` is parametrised over it.  Adding a model: declare it
in :mod:`modelcollapse.theory`, register its solver in :mod:`modelcollapse.numerics.models`, add
its simulator and one entry here.

Examples
--------
>>> from modelcollapse.verify.registry import MODELS
>>> sorted(MODELS) == sorted(["ridge", "random_projection", "weighted_ridge",
...                           "recursive_retraining", "random_features"])
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelcollapse.numerics.engine import NumericModel
from modelcollapse.numerics.models import MODELS as NUMERIC

from ._result import MonteCarloResult
from .agreement import inverse_size, log_over_size
from .montecarlo import simulate_ridge
from .montecarlo_iterative import simulate_recursive_retraining
from .montecarlo_mixing import simulate_weighted_ridge
from .montecarlo_rf import simulate_rf
from .montecarlo_rp import simulate_rp

__all__ = ["VerifiedModel", "MODELS"]


@dataclass(frozen=True)
class VerifiedModel:
    """A registered model and its verification routes (see the module docstring)."""

    numeric: NumericModel
    simulate: Callable[[dict[str, Any], int, int], MonteCarloResult]
    valid: Callable[[Mapping[str, float]], bool]
    reference: Callable[[dict[str, Any]], dict] | None = None
    keys: tuple[str, ...] = ("test_error", "bias", "variance", "zeta")
    teachers: tuple[str, ...] = ("random", "fixed")
    #: Spectrum families (:mod:`modelcollapse.verify.families`) on which the theory is claimed
    #: to hold at every generated point (None: all).
    spectra: tuple[str, ...] | None = None
    #: Form of the finite-size bias of its Monte Carlo (``d ↦ shape``; see
    #: :func:`modelcollapse.verify.agreement.finite_size_check`).
    finite_size: Callable[[np.ndarray], np.ndarray] = inverse_size

    @property
    def name(self) -> str:
        return self.numeric.name


def _teacher(problem: dict) -> dict:
    return {k: problem[k] for k in ("gamma", "delta", "w_real", "w_synth") if k in problem}


def _simulate_ridge(p: dict, draws: int, seed: int) -> MonteCarloResult:
    return simulate_ridge(p["spectrum"], n=p["n"], p2=p["p2"], ridge=[p["ridge"]],
                          noise_real=p["noise_real"], noise_synth=p["noise_synth"],
                          draws=draws, seed=seed, **_teacher(p))


def _simulate_rp(p: dict, draws: int, seed: int) -> MonteCarloResult:
    return simulate_rp(p["spectrum"], n=p["n"], m=[p["m"]], p2=p["p2"], ridge=p["ridge"],
                       noise_real=p["noise_real"], noise_synth=p["noise_synth"], draws=draws,
                       seed=seed, **_teacher(p))


def _simulate_rf(p: dict, draws: int, seed: int) -> MonteCarloResult:
    return simulate_rf(p["spectrum"], n=p["n"], m=[p["m"]], p2=p["p2"], ridge=p["ridge"],
                       noise_real=p["noise_real"], noise_synth=p["noise_synth"],
                       activation=p.get("activation", "relu"), draws=draws, seed=seed,
                       **_teacher(p))


def _simulate_mixing(p: dict, draws: int, seed: int) -> MonteCarloResult:
    return simulate_weighted_ridge(p["spectrum"], n=p["n"], p2=p["p2"], alpha=p["alpha"],
                                   ridge=[p["ridge"]], noise_real=p["noise_real"],
                                   noise_synth=p["noise_synth"], draws=draws, seed=seed,
                                   **_teacher(p))


def _simulate_retraining(p: dict, draws: int, seed: int) -> MonteCarloResult:
    s = np.asarray(p["spectrum"])
    gens = int(p["generations"])
    if "w_real" in p:
        raise ValueError("w_real: the retraining simulator integrates a random teacher; give "
                         "gamma")
    mc = simulate_recursive_retraining(d=s.size, t0=p["t0"], t=p["t"], ridge=[p["ridge"]],
                                       noise_generator=p["noise_generator"], noise=p["noise"],
                                       generations=gens, spectrum=s, gamma=p["gamma"],
                                       draws=draws, seed=seed)
    # the simulator records generations 0 … N: keep N; its draws integrate B, V and ζ together
    draws_n = mc.draws["test_error"][:, gens, :]
    return MonteCarloResult.from_draws({"test_error": draws_n}, mc.seed, mc.params,
                                       model=mc.model, coords={k: v[gens] for k, v in
                                                               mc.coords.items()})


def _away(x: float, gap: float = 0.3) -> bool:
    return abs(x - 1.0) >= gap


MODELS: dict[str, VerifiedModel] = {}


def _register(model: VerifiedModel) -> None:
    MODELS[model.name] = model


def _ridge_reference(p: dict) -> dict:
    from modelcollapse.numerics.reference import ridge_risk_mp

    return ridge_risk_mp(**p)


def _rp_reference(p: dict) -> dict:
    from modelcollapse.numerics.reference_rp import rp_risk_mp

    return rp_risk_mp(**p)


_register(VerifiedModel(NUMERIC["ridge"], _simulate_ridge,
                        valid=lambda v: _away(v["n"]), reference=_ridge_reference))
_register(VerifiedModel(NUMERIC["random_projection"], _simulate_rp,
                        valid=lambda v: _away(v["n"]) and _away(v["m"] / v["n"]),
                        reference=_rp_reference))
# the Gaussian equivalence is off above ψ = 1 on spectra of small effective rank
# (docs/mathematics.md §2.8): property tests draw isotropic spectra only
_register(VerifiedModel(NUMERIC["random_features"], _simulate_rf,
                        valid=lambda v: _away(v["m"] / v["n"]), spectra=("isotropic",),
                        finite_size=log_over_size))
_register(VerifiedModel(NUMERIC["weighted_ridge"], _simulate_mixing,
                        valid=lambda v: _away(v["n"]) and 0.05 <= v["p2"] <= 0.95))
_register(VerifiedModel(NUMERIC["recursive_retraining"], _simulate_retraining,
                        valid=lambda v: _away(v["t"]) and v["t0"] >= 1.5,
                        keys=("test_error",), teachers=("random",)))
# "multi_source" is registered in modelcollapse.numerics.models but has no entry here: the shared
# checks of tests/test_models.py build every problem from one spectrum and one teacher
# (ProblemFamily, model_families, the "spectrum"/"teacher" bad-input cases, predict records),
# while its inputs are a list of sources, each with its own covariance (d eigenvalues or a d × d
# matrix).  Its verification — the same finite-size rule (verify.agreement.finite_size_check)
# on its own families (verify.montecarlo_multi.SCENARIOS), bad inputs, convergence, batch
# independence — is tests/test_multi_source.py.
