"""Input checks that raise a :class:`ValueError` naming the offending parameter."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_array", "as_positive_spectrum", "check_same_length", "check_count",
           "format_number"]


def format_number(x: float) -> str:
    """``x`` in the shortest form that round-trips (so ``1 + 2.2e-16`` is not shown as ``1``)."""
    x = float(x)
    short = f"{x:g}"
    return short if float(short) == x else repr(x)


def _numeric_array(value, name: str) -> np.ndarray:
    """A float array from numbers, lists of numbers or real numeric arrays — nothing else."""
    if isinstance(value, np.ndarray):
        arr = value
    elif isinstance(value, bool | np.bool_ | str | bytes) or value is None:
        arr = None
    elif isinstance(value, numbers.Number):
        arr = np.asarray(value)
    else:
        try:
            arr = np.asarray(value)
        except ValueError:  # ragged nested lists
            raise ValueError(f"{name}: expected a number or a rectangular array of numbers "
                             "(the nested lists have different lengths)") from None
    if (arr is not None and arr.dtype.kind == "f" and isinstance(value, list | tuple)
            and any(isinstance(v, bool | np.bool_) for v in np.asarray(value, dtype=object).flat)):
        arr = np.asarray(True)  # a boolean among the numbers
    if arr is None or arr.dtype.kind not in "iuf":
        what = (
            "a boolean" if isinstance(value, bool | np.bool_) or (arr is not None
                                                                  and arr.dtype.kind == "b")
            else "a complex number" if arr is not None and arr.dtype.kind == "c"
            else f"{str(value)[:60]!r}"
        )
        raise ValueError(f"{name}: expected a real number or an array of real numbers, got "
                         f"{what}")
    return np.asarray(arr, dtype=float)


def check_array(
    value,
    name: str,
    *,
    lower: float | None = None,
    upper: float | None = None,
    strict: bool = False,
) -> np.ndarray:
    """Convert to a float array; reject non-numbers, NaN, ±inf and values out of range.

    Booleans, complex numbers, strings (even numeric ones) and ragged lists are rejected;
    ``strict`` makes the lower bound exclusive.

    Examples
    --------
    >>> from modelcollapse.numerics._validate import check_array
    >>> check_array([1, 2.5], "n").tolist()
    [1.0, 2.5]
    >>> check_array(1 + 2.3e-16, "p2", upper=1.0)
    Traceback (most recent call last):
    ...
    ValueError: p2: must be ≤ 1, got 1.0000000000000002
    """
    arr = _numeric_array(value, name)
    if arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: must be finite (got NaN or infinity)")
    if lower is not None and arr.size:
        bad = arr <= lower if strict else arr < lower
        if bad.any():
            rel = ">" if strict else "≥"
            raise ValueError(f"{name}: must be {rel} {format_number(lower)}, got "
                             f"{format_number(arr[bad].flat[0])}")
    if upper is not None and arr.size and (arr > upper).any():
        raise ValueError(f"{name}: must be ≤ {format_number(upper)}, got "
                         f"{format_number(arr[arr > upper].flat[0])}")
    return arr


def check_count(value, name: str, *, minimum: int = 1) -> int:
    """A whole number ≥ ``minimum`` given as an int (or a float with an integral value)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}: expected a whole number, got {str(value)[:60]!r}")
    if not np.isfinite(float(value)) or float(value) != int(value) or int(value) < minimum:
        raise ValueError(f"{name}: expected a whole number ≥ {minimum}, got {value!r}")
    return int(value)


def as_positive_spectrum(value, name: str = "spectrum") -> np.ndarray:
    """Eigenvalues of Σ: a non-empty array whose last axis is the spectrum, all finite and > 0."""
    arr = check_array(value, name)
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise ValueError(f"{name}: must be a non-empty list of eigenvalues")
    if (arr <= 0).any():
        raise ValueError(f"{name}: eigenvalues must be > 0, got "
                         f"{format_number(arr[arr <= 0].flat[0])}")
    return arr


def check_same_length(arr: np.ndarray, d: int, name: str, what: str = "spectrum") -> np.ndarray:
    """Require the last axis of ``arr`` to have length ``d``."""
    if arr.ndim == 0 or arr.shape[-1] != d:
        got = "a scalar" if arr.ndim == 0 else f"length {arr.shape[-1]}"
        raise ValueError(f"{name}: expected length {d} (the {what}'s), got {got}")
    return arr
