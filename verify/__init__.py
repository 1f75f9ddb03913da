"""Monte Carlo of the exact finite-size models, Hypothesis strategies and the command line."""

from ._result import MonteCarloResult

__all__ = ["MonteCarloResult"]
