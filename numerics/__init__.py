"""Fast vectorised numerics compiled from the symbolic theory."""

from .kappa import ConvergenceError, KappaResult, solve_kappa
from .problems import ProblemError, evaluate_problems, parse_problems, validate_problems
from .random_projection import RPRisk, rp_risk
from .ridge import RidgeRisk, ridge_risk

__all__ = ["ConvergenceError", "KappaResult", "solve_kappa", "RidgeRisk", "ridge_risk",
           "ProblemError", "parse_problems", "validate_problems", "evaluate_problems"]
__all__ += ["RPRisk", "rp_risk"]
