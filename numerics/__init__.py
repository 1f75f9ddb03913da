"""Fast vectorised numerics compiled from the symbolic theory."""

from .kappa import ConvergenceError, KappaResult, solve_kappa
from .ridge import RidgeRisk, ridge_risk

__all__ = ["ConvergenceError", "KappaResult", "solve_kappa", "RidgeRisk", "ridge_risk"]
