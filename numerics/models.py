"""The registry of models the engine evaluates: declaration + solver (+ checks, reductions).

Adding a model is one entry here (after its declaration in :mod:`modelcollapse.theory` and its
solver hook); :func:`register` adds one at run time.

Examples
--------
>>> from modelcollapse.numerics.models import MODELS
>>> list(MODELS)  # doctest: +NORMALIZE_WHITESPACE
['ridge', 'random_projection', 'weighted_ridge', 'recursive_retraining', 'random_features',
 'multi_source']
>>> [p.name for p in MODELS["ridge"].spec.grid_parameters]
['n', 'p2', 'ridge', 'noise_real', 'noise_synth']
"""

from __future__ import annotations

from modelcollapse.theory import models as theory

from .engine import NumericModel
from .mixing import check_weights, reduce_to_ridge, solve_mixing_fixed_point
from .multi_source import evaluate_multi_source
from .random_features import REGISTERED as RANDOM_FEATURES
from .random_projection import solve_rp_fixed_point
from .ridge import solve_ridge_fixed_point

__all__ = ["MODELS", "register"]

#: Every registered model, by name (the ``"model"`` of problem files).
MODELS: dict[str, NumericModel] = {
    m.name: m
    for m in (
        NumericModel(theory.RIDGE, solve_ridge_fixed_point),
        NumericModel(theory.RANDOM_PROJECTION, solve_rp_fixed_point),
        NumericModel(theory.WEIGHTED_RIDGE, solve_mixing_fixed_point, check=check_weights,
                     reduce=reduce_to_ridge),
        NumericModel(theory.RECURSIVE_RETRAINING, solve_ridge_fixed_point),
        RANDOM_FEATURES,  # the activation reaches its solver as an option value
        # several covariances, any number of sources: the model evaluates its inputs whole
        NumericModel(theory.MULTI_SOURCE, None, evaluate=evaluate_multi_source),
    )
}


def register(model: NumericModel) -> NumericModel:
    """Add ``model`` to :data:`MODELS` (a ValueError if its name is taken); returns it."""
    if model.name in MODELS:
        raise ValueError(f"model: {model.name!r} is already registered")
    MODELS[model.name] = model
    return model
