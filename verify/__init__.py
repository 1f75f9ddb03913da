"""Monte Carlo of the exact finite-size models, Hypothesis strategies and the command line."""

from ._result import MonteCarloResult
from .montecarlo import simulate_ridge

__all__ = ["MonteCarloResult", "simulate_ridge"]
