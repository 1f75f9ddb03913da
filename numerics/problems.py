"""Problem files for ``modelcollapse predict``: parse, validate, evaluate predictions in batches.

A *problem* is one JSON object describing a model, a data mix and a spectrum; its prediction is
the deterministic equivalent of the test error (THEORY.md §1 for ``"ridge"``, §2 for
``"random_projection"``) split into bias B, variance V and the collapse term ζ.

Input format
------------
The input is one JSON object (one problem) or a JSON list of objects (problems ``0, 1, …`` in
list order; a single object is problem 0).  Conventions are those of THEORY.md §0.

============== ======== =================================================================
key            required meaning
============== ======== =================================================================
``model``      yes      ``"ridge"`` (Theorem 1) or ``"random_projection"`` (Theorem 2)
``n``          yes      total training rows, a number > 0 (need not be an integer)
``m``          RP only  width of the random projection, a number > 0; only for
                        ``"random_projection"`` (an error for ``"ridge"``)
``p2``         yes      fraction of synthetic rows, in [0, 1]
``ridge``      yes      λ ≥ 0 (loss ``(1/n) Σ (f(x_i) − y_i)² + λ‖params‖²``); 0 is the
                        ridgeless limit λ → 0⁺
``noise_real`` yes      σ1 ≥ 0, label-noise standard deviation of the real rows
``noise_synth`` yes     σ2 ≥ 0, label-noise standard deviation of the synthetic rows
``spectrum``   yes      the d eigenvalues of Σ, each > 0, 1 ≤ d ≤ :data:`MAX_DIMENSION`
``w_real``     teacher  fixed teacher w1 in Σ's eigenbasis (d numbers, any sign) …
``w_synth``    teacher  … with the synthetic teacher w2 (d numbers); or instead:
``gamma``      teacher  random effects: the diagonal of Γ = cov(w1) (d numbers ≥ 0) …
``delta``      teacher  … with the diagonal of Δ = cov(w2 − w1) (d numbers ≥ 0)
``mixing_weight`` no    ridge only: weight α ∈ [0, 1] of the synthetic group in the loss
                        ``((1−α)/n1) Σ_real + (α/n2) Σ_synth + λ‖w‖²`` (THEORY.md §3; the
                        default, plain ridge, is α = p2)
``id``         no       a string (≤ 200 characters) or an integer, echoed in the output
============== ======== =================================================================

Exactly one teacher description is required: ``w_real`` and ``w_synth``, or ``gamma`` and
``delta``.  There are no defaults for physical quantities — a forgotten ``noise_real`` is an error,
not a silent σ1 = 0.  Any other key is an error.  Numbers must be JSON numbers: strings, booleans,
``null`` and the non-standard literals ``NaN``/``Infinity`` are rejected, as is anything that
overflows to infinity (``1e999``).  Keys must not repeat.

Output
------
One JSON object per problem, in the input's order and shape (object in, object out; list in, list
out), with

* ``model`` (and ``id`` if given);
* ``test_error``, ``bias``, ``variance``, ``zeta``: ``E_test ≃ B + V + ζ`` (excess risk on the real
  distribution);
* ridge: ``kappa`` (κ of eq. 8) and ``u``; weighted mixing (``mixing_weight`` given): ``kappa``
  (= λ/ξ) and ``theta`` (the effective teacher is ``w1 + θ(w2 − w1)``); random projections:
  ``theta``, ``e``, ``tau``, ``u``, ``omega_prime`` (θ, e, τ, u, ω' of Definition 2);
* ``converged``, ``iterations``, ``residual``, ``status`` (0 converged, 1 interpolation threshold,
  −1 iteration limit, −2 non-finite value met) and ``note`` (``""`` when there is nothing to say).

At an interpolation threshold (λ = 0 with d = n for ridge, with min(m, d) = n for random
projections) the ridgeless limit diverges: the diverging values are written as the JSON extension
``Infinity`` (what :func:`json.dumps` writes with ``allow_nan=True``; :func:`json.loads` reads it
back; ``modelcollapse predict --strict-json`` writes ``null`` instead) and
``note`` says why.  ``NaN`` appears only in a problem with ``"converged": false``.

Problems are evaluated in batches — one vectorised solver call per (model, d, teacher kind) —
so thousands of problems with d in the thousands take seconds.

Examples
--------
Isotropic Σ = I with d = 2, n = 4 (φ = 1/2), ridgeless, random effects with c² = tr Δ = 0.5,
σ1 = σ2 = 1, p2 = 0.2: Corollary 1 gives ``σ²φ/(1−φ) + (p2² + p1 p2 φ/(1−φ)) c² = 1 + 0.1``.

>>> from modelcollapse.numerics.problems import predict
>>> out = predict({"model": "ridge", "n": 4, "p2": 0.2, "ridge": 0, "noise_real": 1,
...                "noise_synth": 1, "spectrum": [1, 1], "gamma": [0.5, 0.5],
...                "delta": [0.25, 0.25]})
>>> round(out["test_error"], 12), round(out["zeta"], 12), out["converged"]
(1.1, 0.1, True)
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = [
    "MAX_DIMENSION",
    "MODELS",
    "Problem",
    "ProblemError",
    "parse_problems",
    "validate_problems",
    "validate_problem",
    "evaluate_problems",
    "predict",
]

#: Largest accepted spectrum length d.
MAX_DIMENSION = 10**6

#: Accepted values of the ``model`` key.
MODELS = ("ridge", "random_projection")

_COMMON = ("model", "n", "p2", "ridge", "noise_real", "noise_synth", "spectrum")
_REQUIRED = {"ridge": _COMMON, "random_projection": (*_COMMON, "m")}
_TEACHERS = {"fixed": ("w_real", "w_synth"), "random": ("gamma", "delta")}
_OPTIONAL = ("mixing_weight", "id")
_ALL_KEYS = (*_REQUIRED["random_projection"], *_TEACHERS["fixed"], *_TEACHERS["random"], *_OPTIONAL)
_MAX_ID_LENGTH = 200
# Rows per solver call: keeps a group's stacked (rows, d) arrays at ~2**22 floats each.
_CHUNK_ELEMENTS = 1 << 22


class ProblemError(ValueError):
    """Bad input in a problem file; the message names the problem (index) and the field.

    Attributes
    ----------
    index : int or None
        0-based position of the problem (None for an error about the whole input).
    field : str or None
        The offending key (None for an error about the whole input or a whole problem).
    """

    def __init__(self, index: int | None, field: str | None, message: str):
        self.index, self.field = index, field
        where = "input" if index is None else f"problem {index}"
        if field is not None:
            where += f": field {_show(field)}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Problem:
    """One validated problem (see the module docstring for the meaning of each field).

    ``teacher`` maps the given teacher keys (``w_real``/``w_synth`` or ``gamma``/``delta``) to
    float arrays of length d; ``teacher_kind`` is ``"fixed"`` or ``"random"``.
    """

    index: int
    model: Literal["ridge", "random_projection"]
    n: float
    p2: float
    ridge: float
    noise_real: float
    noise_synth: float
    spectrum: np.ndarray
    teacher_kind: Literal["fixed", "random"]
    teacher: dict[str, np.ndarray] = field(repr=False)
    m: float | None = None
    mixing_weight: float | None = None
    id: str | int | None = None

    @property
    def d(self) -> int:
        """Dimension (length of the spectrum)."""
        return int(self.spectrum.shape[0])


# --------------------------------------------------------------------------------------------
# Parsing


class _Literal:
    """Stand-in for the non-standard JSON literals NaN/Infinity/-Infinity (rejected later)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


class _Object(dict):
    """A JSON object that remembers its first repeated key (JSON allows them; we do not)."""

    duplicate: str | None = None


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    for key, value in pairs:
        if key in obj and obj.duplicate is None:
            obj.duplicate = key
        obj[key] = value
    return obj


def parse_problems(text: str | bytes) -> tuple[list[Problem], bool]:
    """Parse and validate a problem file.

    Parameters
    ----------
    text : str or bytes
        JSON text (bytes are decoded as UTF-8; a byte-order mark is ignored).

    Returns
    -------
    problems : list of Problem
    single : bool
        True if the input was one object rather than a list.

    Raises
    ------
    ProblemError
        Not JSON, or a problem is malformed; the message names the problem and the field.

    Examples
    --------
    >>> from modelcollapse.numerics.problems import parse_problems
    >>> parse_problems('[{"model": "lasso"}]')
    Traceback (most recent call last):
    ...
    modelcollapse.numerics.problems.ProblemError: problem 0: field 'model': expected one of \
'ridge', 'random_projection', got a string ('lasso')
    """
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ProblemError(
                None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None
    elif text.startswith("\ufeff"):
        text = text[1:]
    try:
        data = json.loads(text, parse_constant=_Literal, object_pairs_hook=_object_pairs)
    except json.JSONDecodeError as exc:
        raise ProblemError(None, None, f"not valid JSON: {exc.msg} at line {exc.lineno} "
                           f"column {exc.colno}") from None
    except RecursionError:
        raise ProblemError(None, None, "not valid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer literal with too many digits
        raise ProblemError(None, None, f"not valid JSON: {_clip(str(exc))}") from None
    return validate_problems(data)


# --------------------------------------------------------------------------------------------
# Validation


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(value: Any) -> str:
    """A short, ASCII-only, single-line rendering of a user-supplied key or string."""
    return _clip(ascii(value) if isinstance(value, str) else f"<{type(value).__name__}>")


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool | np.bool_):
        return "a boolean"
    if isinstance(value, _Literal):
        return f"the literal {value.text} (not allowed)"
    if isinstance(value, str):
        return f"a string ({_show(value)})"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple | np.ndarray):
        return "a list"
    if _is_number(value):
        return f"a number ({_fmt(value)})"
    return f"a {type(value).__name__}"


def _fmt(value: Any) -> str:
    if isinstance(value, int | np.integer):
        return _clip(str(int(value)), 30)
    return repr(float(value))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer beyond the float range
        return math.inf


def _number(
    obj: dict, key: str, index: int, *, lower: float, upper: float | None = None,
    strict: bool = False,
) -> float:
    value = obj[key]
    if not _is_number(value):
        raise ProblemError(index, key, f"expected a finite number, got {_describe(value)}")
    x = _as_float(value)
    if not math.isfinite(x):
        raise ProblemError(index, key, f"expected a finite number, got {_fmt(value)}")
    if upper is not None and not lower <= x <= upper:
        raise ProblemError(index, key, f"must be in [{lower:g}, {upper:g}], got {_fmt(value)}")
    if x < lower or (strict and x == lower):
        rel = ">" if strict else ">="
        raise ProblemError(index, key, f"must be {rel} {lower:g}, got {_fmt(value)}")
    return x


def _vector(
    obj: dict, key: str, index: int, *, lower: float | None = None, strict: bool = False,
    length: int | None = None,
) -> np.ndarray:
    value = obj[key]
    if isinstance(value, np.ndarray):
        if value.ndim != 1 or value.dtype.kind not in "iuf":
            raise ProblemError(index, key, "expected a flat list of numbers")
        items: Sequence[Any] = value
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise ProblemError(index, key, f"expected a list of numbers, got {_describe(value)}")
    if length is None:
        if len(items) == 0:
            raise ProblemError(index, key, "must not be empty")
        if len(items) > MAX_DIMENSION:
            raise ProblemError(
                index, key, f"{len(items)} eigenvalues exceed the limit d <= {MAX_DIMENSION}"
            )
    elif len(items) != length:
        raise ProblemError(index, key, f"expected length {length} (the spectrum's), got "
                           f"{len(items)}")
    if not isinstance(items, np.ndarray) and not set(map(type, items)) <= {int, float}:
        for j, v in enumerate(items):  # slow path only when something is not a plain number
            if not _is_number(v):
                raise ProblemError(index, key, f"element {j}: expected a finite number, got "
                                   f"{_describe(v)}")
    try:
        arr = np.array(items, dtype=float)
    except OverflowError:
        arr = np.array([_as_float(v) for v in items])
    bad = ~np.isfinite(arr)
    if lower is not None:
        bad |= (arr <= lower) if strict else (arr < lower)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        if not np.isfinite(arr[j]):
            msg = f"expected a finite number, got {_fmt(items[j])}"
        else:
            msg = f"must be {'>' if strict else '>='} {lower:g}, got {_fmt(items[j])}"
        raise ProblemError(index, key, f"element {j}: {msg}")
    return arr


def validate_problem(obj: Any, index: int = 0) -> Problem:
    """Validate one problem (a mapping as decoded from JSON).

    Raises
    ------
    ProblemError
        Naming ``problem {index}`` and the first offending field, e.g.
        ``problem 3: field 'p2': must be in [0, 1], got 1.5``.

    Examples
    --------
    >>> from modelcollapse.numerics.problems import validate_problem
    >>> good = {"model": "ridge", "n": 10, "p2": 0.5, "ridge": 0.1, "noise_real": 1,
    ...         "noise_synth": 0, "spectrum": [1.0, 0.5], "w_real": [1, 0], "w_synth": [1, 1]}
    >>> p = validate_problem(good)
    >>> p.d, p.teacher_kind
    (2, 'fixed')
    >>> validate_problem(dict(good, p2=1.5), index=3)
    Traceback (most recent call last):
    ...
    modelcollapse.numerics.problems.ProblemError: problem 3: field 'p2': must be in [0, 1], got 1.5
    """
    if not isinstance(obj, dict):
        raise ProblemError(index, None, f"expected a JSON object, got {_describe(obj)}")
    if isinstance(obj, _Object) and obj.duplicate is not None:
        raise ProblemError(index, obj.duplicate, "duplicate key")
    for key in obj:
        if not isinstance(key, str) or key not in _ALL_KEYS:
            raise ProblemError(index, key, f"unknown key (allowed: {', '.join(_ALL_KEYS)})")
    if "model" not in obj:
        raise ProblemError(index, "model", f"missing (one of {', '.join(map(repr, MODELS))})")
    model = obj["model"]
    if not isinstance(model, str) or model not in MODELS:
        raise ProblemError(
            index, "model", f"expected one of {', '.join(map(repr, MODELS))}, got "
            f"{_describe(model)}"
        )
    if model == "ridge" and "m" in obj:
        raise ProblemError(index, "m", "only model 'random_projection' takes a width m")
    if model != "ridge" and "mixing_weight" in obj:
        raise ProblemError(index, "mixing_weight", "only model 'ridge' takes a mixing weight")
    for key in _REQUIRED[model]:
        if key not in obj:
            raise ProblemError(index, key, f"missing (required for model {model!r})")

    n = _number(obj, "n", index, lower=0.0, strict=True)
    m = _number(obj, "m", index, lower=0.0, strict=True) if model == "random_projection" else None
    p2 = _number(obj, "p2", index, lower=0.0, upper=1.0)
    lam = _number(obj, "ridge", index, lower=0.0)
    s1 = _number(obj, "noise_real", index, lower=0.0)
    s2 = _number(obj, "noise_synth", index, lower=0.0)
    spectrum = _vector(obj, "spectrum", index, lower=0.0, strict=True)
    d = spectrum.shape[0]

    given = {kind: [k for k in keys if k in obj] for kind, keys in _TEACHERS.items()}
    if given["fixed"] and given["random"]:
        raise ProblemError(
            index, given["random"][0], f"cannot be combined with {given['fixed'][0]!r}: give "
            "either w_real and w_synth (fixed teachers) or gamma and delta (random effects)"
        )
    kind: Literal["fixed", "random"] = "random" if given["random"] else "fixed"
    if not given[kind]:
        raise ProblemError(index, "w_real", "missing: give either w_real and w_synth (fixed "
                           "teachers) or gamma and delta (random effects)")
    teacher = {}
    for key in _TEACHERS[kind]:
        if key not in obj:
            other = given[kind][0]
            raise ProblemError(index, key, f"missing ({other!r} is given)")
        lower = 0.0 if kind == "random" else None
        teacher[key] = _vector(obj, key, index, lower=lower, length=d)

    weight = None
    if "mixing_weight" in obj:
        weight = _number(obj, "mixing_weight", index, lower=0.0, upper=1.0)
        if (p2 == 0 and weight != 0) or (p2 == 1 and weight != 1):
            raise ProblemError(index, "mixing_weight", f"with p2 = {p2:g} the only possible "
                               f"weight is {p2:g}, got {_fmt(obj['mixing_weight'])}")
    ident = obj.get("id")
    if ident is not None or "id" in obj:
        if isinstance(ident, str):
            if len(ident) > _MAX_ID_LENGTH:
                raise ProblemError(index, "id", f"longer than {_MAX_ID_LENGTH} characters")
        elif not isinstance(ident, int | np.integer) or isinstance(ident, bool | np.bool_):
            raise ProblemError(index, "id", f"expected a string or an integer, got "
                               f"{_describe(ident)}")
        else:
            ident = int(ident)
    return Problem(
        index=index, model=model, n=n, p2=p2, ridge=lam, noise_real=s1, noise_synth=s2,
        spectrum=spectrum, teacher_kind=kind, teacher=teacher, m=m, mixing_weight=weight,
        id=ident,
    )


def validate_problems(data: Any) -> tuple[list[Problem], bool]:
    """Validate decoded JSON: one problem object or a list of them.

    Returns
    -------
    problems : list of Problem
    single : bool
        True if ``data`` was one object rather than a list.
    """
    if isinstance(data, dict):
        return [validate_problem(data, 0)], True
    if isinstance(data, list):
        return [validate_problem(obj, i) for i, obj in enumerate(data)], False
    raise ProblemError(None, None, f"expected a JSON object or a list of objects, got "
                       f"{_describe(data)}")


# --------------------------------------------------------------------------------------------
# Evaluation


def _column(problems: Sequence[Problem], name: str) -> np.ndarray:
    return np.array([getattr(p, name) for p in problems], dtype=float)


def _stack(problems: Sequence[Problem]) -> dict[str, Any]:
    first = problems[0]
    kwargs: dict[str, Any] = {
        name: _column(problems, name)
        for name in ("n", "p2", "ridge", "noise_real", "noise_synth")
    }
    kwargs["spectrum"] = np.stack([p.spectrum for p in problems])
    for key in first.teacher:
        kwargs[key] = np.stack([p.teacher[key] for p in problems])
    if first.model == "random_projection":
        kwargs["m"] = _column(problems, "m")
    return kwargs


_RIDGE_VALUES = ("test_error", "bias", "variance", "zeta", "kappa", "u")
_MIXING_VALUES = ("test_error", "bias", "variance", "zeta", "kappa", "theta")
_RP_VALUES = ("test_error", "bias", "variance", "zeta", "theta", "e", "tau", "u", "omega_prime")


_NON_FINITE_NOTE = (
    "a non-finite value was met while evaluating the risk (the inputs' magnitudes are beyond "
    "what double precision resolves); no answer"
)


def _threshold_note(note: str, test_error: float) -> str:
    if math.isfinite(test_error):
        return note + " (here every divergent term has zero weight, so test_error is finite)"
    return note


def _records(problems: Sequence[Problem], res: Any, names: Sequence[str]) -> list[dict]:
    notes = res.notes()
    out = []
    for j, p in enumerate(problems):
        rec: dict[str, Any] = {"model": p.model}
        if p.id is not None:
            rec["id"] = p.id
        for name in names:
            rec[name] = float(np.asarray(getattr(res, name))[j])
        status = int(np.asarray(res.status)[j])
        converged = bool(np.asarray(res.converged)[j])
        note = str(notes[j])
        if status == 1:
            note = _threshold_note(note, rec["test_error"])
        values = [rec[name] for name in names]
        if converged and (
            any(math.isnan(v) for v in values)
            or (status == 0 and not all(math.isfinite(v) for v in values))
        ):
            # Safety net: a "converged" solve whose evaluation overflowed is not an answer.
            converged, status = False, -2
            note = _NON_FINITE_NOTE
        rec["converged"] = converged
        rec["iterations"] = int(np.asarray(res.iterations)[j])
        rec["residual"] = float(np.asarray(res.residual)[j])
        rec["status"] = status
        rec["note"] = note
        out.append(rec)
    return out


def _evaluate_mixing(p: Problem) -> dict:
    from .kappa import ConvergenceError
    from .mixing import weighted_ridge_risk

    kwargs = dict(n=[p.n], p2=p.p2, alpha=p.mixing_weight, ridge=p.ridge, noise_real=p.noise_real,
                  noise_synth=p.noise_synth, **p.teacher)
    try:
        res = weighted_ridge_risk(p.spectrum, **kwargs)
    except ConvergenceError as exc:
        rec: dict[str, Any] = {"model": p.model}
        if p.id is not None:
            rec["id"] = p.id
        rec.update({k: math.nan for k in _MIXING_VALUES})
        rec.update(converged=False, iterations=0, residual=math.nan, status=-1, note=str(exc))
        return rec
    return _records([p], res, _MIXING_VALUES)[0]


def _evaluate_group(problems: Sequence[Problem]) -> list[dict]:
    if problems[0].mixing_weight is not None:
        return [_evaluate_mixing(p) for p in problems]
    kwargs = _stack(problems)
    spectrum = kwargs.pop("spectrum")
    if problems[0].model == "ridge":
        from .ridge import ridge_risk

        res = ridge_risk(spectrum, on_failure="nan", **kwargs)
        return _records(problems, res, _RIDGE_VALUES)
    from .random_projection import rp_risk  # imported here: ridge needs no RP module

    res = rp_risk(spectrum, on_failure="nan", **kwargs)
    return _records(problems, res, _RP_VALUES)


def evaluate_problems(problems: Sequence[Problem]) -> list[dict]:
    """Predictions for validated problems, in order, as JSON-ready dicts.

    Problems are grouped by (model, d, teacher kind); each group is evaluated by one vectorised
    call of :func:`~modelcollapse.numerics.ridge_risk` or
    :func:`~modelcollapse.numerics.random_projection.rp_risk` on stacked spectra of shape
    ``(P, d)`` (split into chunks of about 4·10⁶ numbers to bound memory).  Unconverged problems
    are *not* raised: they come back with ``"converged": False``, NaN values, their ``status``
    and a ``note``.
    """
    groups: dict[tuple[str, int, str], list[int]] = defaultdict(list)
    for i, p in enumerate(problems):
        model = p.model if p.mixing_weight is None else "ridge-mixing"
        groups[(model, p.d, p.teacher_kind)].append(i)
    out: list[dict | None] = [None] * len(problems)
    for (_, d, _), members in groups.items():
        step = max(1, _CHUNK_ELEMENTS // d)
        for start in range(0, len(members), step):
            chunk = members[start : start + step]
            for i, rec in zip(chunk, _evaluate_group([problems[i] for i in chunk]), strict=True):
                out[i] = rec
    return out  # type: ignore[return-value]


def predict(data: Any) -> dict | list[dict]:
    """Validate and evaluate decoded problem data; same shape out as in (object or list).

    Raises
    ------
    ProblemError
        For malformed input (see :func:`validate_problem`).
    """
    problems, single = validate_problems(data)
    results = evaluate_problems(problems)
    return results[0] if single else results
