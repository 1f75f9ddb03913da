"""Monte Carlo of the exact finite-size models, Hypothesis strategies and the command line."""

from . import strategies
from ._result import MonteCarloResult
from .montecarlo import simulate_ridge
from .montecarlo_rp import simulate_rp

__all__ = ["MonteCarloResult", "simulate_ridge", "strategies"]
__all__ += ["simulate_rp"]
