"""Monte Carlo of the exact finite-size models, Hypothesis strategies and the command line.

Every simulator runs on one engine (:func:`run_monte_carlo`) around a per-model ``sample_once``;
:data:`~modelcollapse.verify.registry.MODELS` pairs each registered model with its simulator.
"""

from . import strategies
from ._result import MonteCarloResult
from .check import check
from .engine import run_monte_carlo
from .montecarlo import simulate_ridge
from .montecarlo_iterative import simulate_iterative_mixing, simulate_recursive_retraining
from .montecarlo_mixing import simulate_weighted_ridge
from .montecarlo_multi import simulate_multi_source
from .montecarlo_multi_rf import simulate_multi_source_rf
from .montecarlo_rf import simulate_rf
from .montecarlo_rp import simulate_rp

__all__ = [
    "MonteCarloResult",
    "check",
    "run_monte_carlo",
    "simulate_ridge",
    "simulate_rp",
    "simulate_rf",
    "simulate_multi_source",
    "simulate_multi_source_rf",
    "simulate_weighted_ridge",
    "simulate_iterative_mixing",
    "simulate_recursive_retraining",
    "strategies",
]
