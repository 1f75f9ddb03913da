"""Input checks that raise a :class:`ValueError` naming the offending parameter."""

from __future__ import annotations

import numpy as np

__all__ = ["check_array", "as_positive_spectrum", "check_same_length"]


def check_array(
    value,
    name: str,
    *,
    lower: float | None = None,
    upper: float | None = None,
    strict: bool = False,
) -> np.ndarray:
    """Convert to a float array; reject non-numbers, NaN, ±inf and values out of range.

    ``strict`` makes the lower bound exclusive.
    """
    if isinstance(value, bool | np.bool_) or (
        isinstance(value, list | tuple) and any(isinstance(v, bool) for v in np.ravel(value))
    ):
        raise ValueError(f"{name}: expected a number, got a boolean")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name}: expected a number or an array of numbers, got {str(value)[:80]!r}"
        ) from None
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: must be finite (got NaN or infinity)")
    if lower is not None and arr.size:
        bad = arr <= lower if strict else arr < lower
        if bad.any():
            rel = ">" if strict else "≥"
            raise ValueError(f"{name}: must be {rel} {lower:g}, got {arr[bad].flat[0]:g}")
    if upper is not None and arr.size and (arr > upper).any():
        raise ValueError(f"{name}: must be ≤ {upper:g}, got {arr[arr > upper].flat[0]:g}")
    return arr


def as_positive_spectrum(value, name: str = "spectrum") -> np.ndarray:
    """Eigenvalues of Σ: a non-empty array whose last axis is the spectrum, all finite and > 0."""
    arr = check_array(value, name)
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise ValueError(f"{name}: must be a non-empty list of eigenvalues")
    if (arr <= 0).any():
        raise ValueError(f"{name}: eigenvalues must be > 0, got {arr[arr <= 0].flat[0]:g}")
    return arr


def check_same_length(arr: np.ndarray, d: int, name: str, what: str = "spectrum") -> np.ndarray:
    """Require the last axis of ``arr`` to have length ``d``."""
    if arr.ndim == 0 or arr.shape[-1] != d:
        got = "a scalar" if arr.ndim == 0 else f"length {arr.shape[-1]}"
        raise ValueError(f"{name}: expected length {d} (the {what}'s), got {got}")
    return arr
