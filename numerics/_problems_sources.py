"""The ``sources``/``target`` problem format of model ``multi_source`` (docs/mathematics.md §7).

A private part of :mod:`modelcollapse.numerics.problems`: it turns the JSON of one problem into
the structured inputs of :func:`~modelcollapse.numerics.multi_source.multi_source_risk`, with
every error naming the problem and the field (``sources[1].covariance``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._multi_source_inputs import read_inputs
from .diagonals import PowerLawDiagonal

__all__ = ["SOURCE_KEYS", "TARGET_KEYS", "PROBLEM_KEYS", "DIAGONAL_KEYS", "structured_inputs"]

#: Keys of one source, of the target and of a multi-source problem.
SOURCE_KEYS = ("fraction", "covariance", "teacher", "delta", "noise", "weight")
TARGET_KEYS = ("covariance", "teacher", "delta")
PROBLEM_KEYS = ("model", "n", "ridge", "sources", "target", "gamma", "id")


def _numbers(value: Any, where: str) -> np.ndarray:
    """A JSON number or (nested) list of numbers as floats; anything else names ``where``."""

    def ok(v: Any) -> bool:
        if isinstance(v, list):
            return all(ok(x) for x in v)
        return isinstance(v, int | float) and not isinstance(v, bool)

    if not ok(value):
        raise ValueError(f"{where}: expected numbers or lists of numbers")
    try:
        return np.asarray(value, dtype=float)
    except ValueError:
        raise ValueError(f"{where}: ragged nested lists (every row needs the same length)"
                         ) from None


#: Keys of a power-law diagonal (``{"power_law": 1.5, "dimension": null}``).
DIAGONAL_KEYS = ("power_law", "scale", "dimension", "tail_from", "tail_scale")
_DIAGONAL_FIELDS = ("covariance", "delta", "gamma")


def _diagonal(value: dict, where: str) -> PowerLawDiagonal:
    """``{"power_law": β, "scale": s, "dimension": d | null, "tail_from": k, "tail_scale": ρ}``."""
    for key in value:
        if key not in DIAGONAL_KEYS:
            raise ValueError(f"{where}.{str(key)[:40]}: unknown key (a power-law diagonal has: "
                             f"{', '.join(DIAGONAL_KEYS)})")
    if "power_law" not in value:
        raise ValueError(f"{where}.power_law: missing (the exponent of c_j = scale·j^-power_law)")
    kwargs: dict[str, Any] = {}
    for key, v in value.items():
        integer = key in ("dimension", "tail_from")
        if v is None and key in ("dimension", "tail_from"):
            kwargs[key] = None
            continue
        ok = isinstance(v, int) if integer else isinstance(v, int | float)
        if isinstance(v, bool) or not ok:
            kind = "a whole number" + (" or null" if key == "dimension" else "") if integer \
                else "a number"
            raise ValueError(f"{where}.{key}: expected {kind}, got {json_repr(v)}")
        kwargs[key] = v
    try:
        return PowerLawDiagonal(**kwargs)
    except ValueError as exc:
        raise ValueError(f"{where}.{exc}") from None


def json_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _object(value: Any, keys: tuple[str, ...], where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object with keys {', '.join(keys)}")
    for key in value:
        if key not in keys:
            raise ValueError(f"{where}.{key}: unknown key (allowed: {', '.join(keys)})")
    return {key: _diagonal(v, f"{where}.{key}") if key in _DIAGONAL_FIELDS and isinstance(v, dict)
            else _numbers(v, f"{where}.{key}") for key, v in value.items()}


def structured_inputs(obj: dict, n: float, ridge: float) -> dict[str, Any]:
    """``{"sources", "target", "gamma"}`` of one problem, validated against ``n`` and ``ridge``.

    Raises
    ------
    ValueError
        ``"<field>: <what is wrong>"``, the field written as ``sources[i].key``,
        ``target.key`` or ``gamma``.

    Examples
    --------
    >>> from modelcollapse.numerics._problems_sources import structured_inputs
    >>> obj = {"sources": [{"fraction": 1, "covariance": [1, 1], "teacher": [1, 0]}]}
    >>> sorted(structured_inputs(obj, 4.0, 0.1))
    ['gamma', 'sources', 'target']
    >>> structured_inputs({"sources": [{"fraction": 1, "covariance": [[1, 2], [0, 1]],
    ...                                 "teacher": [1, 0]}]}, 4.0, 0.1)
    Traceback (most recent call last):
    ...
    ValueError: sources[0].covariance: not symmetric ...
    """
    raw = obj.get("sources")
    if not isinstance(raw, list) or not raw:
        raise ValueError("sources: expected a non-empty list of sources (objects with a "
                         "fraction, a covariance and a teacher)")
    sources = [_object(s, SOURCE_KEYS, f"sources[{i}]") for i, s in enumerate(raw)]
    for i, s in enumerate(sources):
        for key in ("fraction", "noise", "weight"):
            if key in s and s[key].ndim != 0:
                raise ValueError(f"sources[{i}].{key}: expected one number")
    target = (None if obj.get("target") is None
              else _object(obj["target"], TARGET_KEYS, "target"))
    raw_gamma = obj.get("gamma")
    gamma = (None if raw_gamma is None else _diagonal(raw_gamma, "gamma")
             if isinstance(raw_gamma, dict) else _numbers(raw_gamma, "gamma"))
    read_inputs(sources, target, gamma, np.asarray(n, dtype=float),
                np.asarray(ridge, dtype=float))  # every check, fields named
    return {"sources": sources, "target": target, "gamma": gamma}
