"""Teacher descriptions → validated arrays and the diagonal weights the formulas use.

A model declares the teacher descriptions it accepts
(:attr:`modelcollapse.theory.model.ModelSpec.teachers`): random effects (``gamma``, ``delta``:
diagonals of Γ = cov w1 and Δ = cov(w2 − w1)) and/or fixed vectors (``w_real``, ``w_synth``).  The
formulas see them as diagonal weights in Σ's eigenbasis, named as the weight tags of
:mod:`modelcollapse.theory.spectral`: ``Gamma``, ``Delta`` (random) and ``w1w1 = w1²``,
``dd = δ²``, ``w1d = w1 δ`` with ``δ = w2 − w1`` (fixed).

Examples
--------
>>> from modelcollapse.numerics._teacher import teacher_weights
>>> kind, w = teacher_weights(2, w_real=[1.0, 0.0], w_synth=[1.0, 2.0])
>>> kind, w["dd"].tolist()
('fixed', [0.0, 4.0])
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._validate import check_array, check_same_length

__all__ = ["teacher_weights", "LABEL_SHIFT"]

#: The two descriptions of the label-shift models.
LABEL_SHIFT: Mapping[str, tuple[str, ...]] = {"random": ("gamma", "delta"),
                                               "fixed": ("w_real", "w_synth")}


def _describe(kinds: Mapping[str, tuple[str, ...]]) -> str:
    words = {"random": "random effects", "fixed": "fixed teachers"}
    return " or ".join(f"{' and '.join(keys)} ({words.get(k, k)})" for k, keys in kinds.items())


def teacher_weights(
    d: int,
    kinds: Mapping[str, tuple[str, ...]] = LABEL_SHIFT,
    **given,
) -> tuple[str, dict[str, np.ndarray]]:
    """Validate one teacher description of length ``d``; return ``(kind, weights)``.

    Parameters
    ----------
    d : int
        Dimension (every array's last axis).
    kinds : mapping
        The accepted descriptions and their parameter names (all required).
    **given
        The teacher arguments; ``None`` means not given.

    Returns
    -------
    kind : {"random", "fixed"}
    weights : dict of str to ndarray
        ``Gamma``/``Delta`` or ``w1w1``/``dd``/``w1d`` (only those the description determines).
    """
    chosen = {kind: [k for k in keys if given.get(k) is not None] for kind, keys in kinds.items()}
    present = [kind for kind, keys in chosen.items() if keys]
    if len(present) > 1:
        raise ValueError(f"teacher: give either {_describe(kinds)}, not both")
    if not present:
        raise ValueError(f"teacher: missing: give {_describe(kinds)}")
    kind = present[0]
    for key in kinds[kind]:
        if given.get(key) is None:
            raise ValueError(f"{key}: missing ({chosen[kind][0]!r} is given)")
    if kind == "random":
        arrays = {k: check_same_length(check_array(given[k], k, lower=0.0), d, k)
                  for k in kinds[kind]}
        names = {"gamma": "Gamma", "delta": "Delta"}
        return kind, {names[k]: v for k, v in arrays.items()}
    if kind != "fixed":
        raise ValueError(f"teacher: unknown description {kind!r}")
    arrays = {k: check_same_length(check_array(given[k], k), d, k) for k in kinds[kind]}
    w1 = arrays["w_real"]
    weights = {"w1w1": w1 * w1}
    if "w_synth" in arrays:
        dl = arrays["w_synth"] - w1
        weights.update(dd=dl * dl, w1d=w1 * dl)
    return kind, weights
