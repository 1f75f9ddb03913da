"""Fast vectorised numerics compiled from the symbolic theory.

Every model is evaluated by one engine (:func:`evaluate`, :mod:`.engine`) from its declaration in
:mod:`modelcollapse.theory`; the public functions below are its documented entry points and all
return a :class:`Risk`.
"""

from .bridge import evaluate_expression
from .diagonals import PowerLawDiagonal
from .engine import NumericModel, Solution, evaluate
from .kappa import KappaResult, solve_kappa
from .mixing import weighted_ridge_risk
from .models import MODELS, register
from .multi_source import Source, Target, multi_source_risk
from .multi_source_features import multi_source_rf_risk
from .problems import ProblemError, evaluate_problems, parse_problems, validate_problems
from .random_features import rf_risk
from .random_projection import rp_risk
from .result import ConvergenceError, Risk
from .retraining import recursive_retraining_risk
from .ridge import ridge_risk

__all__ = [
    "Risk",
    "ConvergenceError",
    "evaluate",
    "evaluate_expression",
    "NumericModel",
    "Solution",
    "MODELS",
    "register",
    "ridge_risk",
    "rp_risk",
    "rf_risk",
    "multi_source_risk",
    "multi_source_rf_risk",
    "Source",
    "Target",
    "PowerLawDiagonal",
    "weighted_ridge_risk",
    "recursive_retraining_risk",
    "solve_kappa",
    "KappaResult",
    "ProblemError",
    "parse_problems",
    "validate_problems",
    "evaluate_problems",
]
