"""The catalog of declared models (:class:`~modelcollapse.theory.model.ModelSpec`), by name.

Examples
--------
>>> from modelcollapse.theory.models import MODELS
>>> sorted(MODELS)  # doctest: +NORMALIZE_WHITESPACE
['multi_source', 'random_features', 'random_projection', 'recursive_retraining', 'ridge',
 'weighted_ridge']
>>> MODELS["ridge"].fixed_points[0].unknown
kappa
"""

from __future__ import annotations

from .iterative import MODEL as RECURSIVE_RETRAINING
from .mixing import MODEL as WEIGHTED_RIDGE
from .model import ModelSpec
from .multi_source import MODEL as MULTI_SOURCE
from .random_features import MODEL as RANDOM_FEATURES
from .random_projection import MODEL as RANDOM_PROJECTION
from .ridge import MODEL as RIDGE

__all__ = ["MODELS", "RIDGE", "RANDOM_PROJECTION", "WEIGHTED_RIDGE", "RECURSIVE_RETRAINING",
           "RANDOM_FEATURES", "MULTI_SOURCE"]

#: Every declared model, by its registry name.
MODELS: dict[str, ModelSpec] = {
    spec.name: spec for spec in (RIDGE, RANDOM_PROJECTION, WEIGHTED_RIDGE, RECURSIVE_RETRAINING,
                                 RANDOM_FEATURES, MULTI_SOURCE)
}
