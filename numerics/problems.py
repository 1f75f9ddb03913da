"""Problem files for ``modelcollapse predict``: parse, validate, evaluate predictions in batches.

A *problem* is one JSON object describing a model, a data mix and a spectrum; its prediction is
the deterministic equivalent of the test error (docs/mathematics.md §1 for ``"ridge"``, §2 for
``"random_projection"``) split into bias B, variance V and the collapse term ζ.

Input format
------------
The input is one JSON object (one problem) or a JSON list of objects (problems ``0, 1, …`` in
list order; a single object is problem 0).  Conventions are those of docs/mathematics.md §0.

The keys of a problem are generated from the declaration of its model
(:data:`modelcollapse.numerics.models.MODELS`; :func:`schema` lists them):

* ``model``: ``"ridge"`` (Theorem 1), ``"random_projection"`` (Theorem 2), ``"weighted_ridge"``
  (weighted mixing, docs/mathematics.md §3) or ``"recursive_retraining"`` (§6);
* every parameter of the model, **all required** (there are no defaults for physical quantities
  — a forgotten ``noise_real`` is an error, not a silent σ1 = 0):

  - ridge: ``n`` (rows, > 0, need not be whole), ``p2`` ([0, 1]), ``ridge`` (λ ≥ 0; 0 is the
    ridgeless limit λ → 0⁺), ``noise_real`` (σ1 ≥ 0), ``noise_synth`` (σ2 ≥ 0);
  - random projections: the same plus ``m`` (width, > 0); optional ``form``
    (``"corrected"``, ``"paper"`` or ``"printed"``);
  - weighted mixing: ridge's plus ``mixing_weight`` (α ∈ [0, 1], the synthetic group's weight in
    ``((1−α)/n1) Σ_real + (α/n2) Σ_synth + λ‖w‖²``).  A ``"ridge"`` problem with a
    ``mixing_weight`` is evaluated as weighted mixing (α = p2 is plain ridge);
  - recursive retraining: ``t0`` (> d), ``t``, ``ridge``, ``generations`` (whole, ≥ 0),
    ``noise_generator`` (σ0), ``noise`` (σ);

* ``spectrum``: the d eigenvalues of Σ, each > 0, 1 ≤ d ≤ :data:`MAX_DIMENSION`;
* one teacher description, in Σ's eigenbasis: ``w_real`` and ``w_synth`` (fixed vectors, d
  numbers of any sign) or ``gamma`` and ``delta`` (random effects: diagonals of Γ = cov(w1) and
  Δ = cov(w2 − w1), d numbers ≥ 0); recursive retraining takes ``w_real`` or ``gamma`` alone;
* ``id`` (optional): a string (≤ 200 characters) or an integer, echoed in the output.

Any other key is an error (a key of another model says which models take it).  Numbers must be
JSON numbers: strings, booleans,
``null`` and the non-standard literals ``NaN``/``Infinity`` are rejected, as is anything that
overflows to infinity (``1e999``).  Keys must not repeat.

Output
------
One JSON object per problem, in the input's order and shape (object in, object out; list in, list
out), with

* ``model`` (and ``id`` if given);
* ``test_error``, ``bias``, ``variance``, ``zeta``: ``E_test ≃ B + V + ζ`` (excess risk on the real
  distribution);
* the model's reported auxiliaries, named as in its declaration: ridge ``kappa`` (κ of eq. 8)
  and ``u``; random projections ``theta``, ``e``, ``tau``, ``t_star``, ``u``, ``omega_prime``
  (θ, e, τ, t*, u, ω' of Definition 2); weighted mixing ``delta_loo`` (the leave-one-out factor),
  ``kappa`` (= λ/ξ), ``xi`` and ``teacher_weight`` (the effective teacher is
  ``w1 + θ_w(w2 − w1)``); recursive retraining ``kappa``, ``u`` and ``rho``;
* ``converged``, ``iterations``, ``residual``, ``status`` (0 converged, 1 interpolation threshold,
  −1 iteration limit, −2 non-finite value met) and ``note`` (``""`` when there is nothing to say).

At an interpolation threshold (λ = 0 with d = n for ridge, with min(m, d) = n for random
projections) the ridgeless limit diverges: the diverging values are written as the JSON extension
``Infinity`` (what :func:`json.dumps` writes with ``allow_nan=True``; :func:`json.loads` reads it
back; ``modelcollapse predict --strict-json`` writes ``null`` instead) and
``note`` says why.  ``NaN`` appears only in a problem with ``"converged": false``.

Problems are evaluated in batches — one vectorised engine call per (model, d, teacher kind,
options) — so thousands of problems with d in the thousands take seconds.  A problem's result does
not depend on the other problems of the file (the batch sums every spectrum row by row).

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
from typing import Any

import numpy as np

from modelcollapse.theory.model import ModelSpec, Parameter

from .models import MODELS as _REGISTRY

__all__ = [
    "MAX_DIMENSION",
    "MODELS",
    "Problem",
    "ProblemError",
    "schema",
    "parse_problems",
    "validate_problems",
    "validate_problem",
    "evaluate_problems",
    "predict",
]

#: Largest accepted spectrum length d.
MAX_DIMENSION = 10**6

#: Accepted values of the ``model`` key (the registered models).
MODELS = tuple(_REGISTRY)

_MAX_ID_LENGTH = 200
# Rows per solver call: keeps a group's stacked (rows, d) arrays at ~2**22 floats each.
_CHUNK_ELEMENTS = 1 << 22
# A "ridge" problem with this key is weighted mixing.
_MIXING_KEY = "mixing_weight"


@dataclass(frozen=True)
class _Schema:
    spec: ModelSpec
    scalars: tuple[Parameter, ...]  # grid parameters, by JSON key
    options: tuple[Parameter, ...]
    teachers: dict[str, tuple[str, ...]]

    @property
    def keys(self) -> tuple[str, ...]:
        return ("model", *(p.json_key for p in self.scalars), *(p.json_key for p in self.options),
                "spectrum", *(k for keys in self.teachers.values() for k in keys), "id")


def _schema_of(spec: ModelSpec) -> _Schema:
    return _Schema(spec, spec.grid_parameters, spec.options, dict(spec.teachers))


_SCHEMAS = {name: _schema_of(m.spec) for name, m in _REGISTRY.items()}


def schema(model: str) -> dict[str, Any]:
    """The problem-file keys of ``model``: required scalars, options, teacher descriptions.

    Examples
    --------
    >>> from modelcollapse.numerics.problems import schema
    >>> schema("random_projection")["required"]
    ['n', 'm', 'p2', 'ridge', 'noise_real', 'noise_synth', 'spectrum']
    >>> schema("multi_source")["required"]
    ['n', 'ridge', 'sources']
    """
    sch = _SCHEMAS[model]
    if model == "multi_source":  # structured: a list of sources instead of one spectrum
        from ._problems_sources import SOURCE_KEYS, TARGET_KEYS

        return {
            "required": [p.json_key for p in sch.scalars] + ["sources"],
            "optional": ["target", "gamma"],
            "options": {},
            "teachers": {"fixed": ["sources[i].teacher", "target.teacher"],
                         "random": ["gamma", "sources[i].delta", "target.delta"]},
            "sources": list(SOURCE_KEYS),
            "target": list(TARGET_KEYS),
            "docs": {p.json_key: p.doc for p in sch.scalars},
        }
    return {
        "required": [p.json_key for p in sch.scalars] + ["spectrum"],
        "options": {p.json_key: list(p.choices) for p in sch.options},
        "teachers": {k: list(v) for k, v in sch.teachers.items()},
        "docs": {p.json_key: p.doc for p in (*sch.scalars, *sch.options)},
    }


def _all_keys() -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for name, sch in _SCHEMAS.items():
        for key in sch.keys:
            out[key].append(name)
    out[_MIXING_KEY].append("ridge")
    for key in ("sources", "target", "gamma"):  # the structured form of multi_source
        out[key].append("multi_source")
    return out


_KEY_MODELS = _all_keys()


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

    ``values`` maps the model's parameter names (as in the Python API, e.g. ``alpha`` for
    ``mixing_weight``) to floats, also reachable as attributes (``problem.n``); ``teacher`` maps
    the given teacher keys to float arrays of length d; ``teacher_kind`` is ``"fixed"`` or
    ``"random"``; ``engine_model`` is the registered model that evaluates it.
    """

    index: int
    model: str
    engine_model: str
    values: dict[str, float]
    spectrum: np.ndarray
    teacher_kind: str
    teacher: dict[str, np.ndarray] = field(repr=False)
    options: dict[str, str] = field(default_factory=dict)
    id: str | int | None = None
    structured: dict[str, Any] | None = field(default=None, repr=False)

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "values")
        if name in values:
            return values[name]
        if name in ("m", "mixing_weight", "alpha"):  # parameters of other models
            return values.get("alpha") if name == "mixing_weight" else None
        raise AttributeError(name)

    @property
    def d(self) -> int | float:
        """Dimension (length of the spectrum; ``math.inf`` for an infinite analytic one)."""
        if isinstance(self.spectrum, np.ndarray):
            return int(self.spectrum.shape[0])
        return self.spectrum.d

    @property
    def analytic(self) -> bool:
        """True for an analytic spectrum (``{"power_law": β, "dimension": d or null}``)."""
        return not isinstance(self.spectrum, np.ndarray)


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
'ridge', 'random_projection', ..., got a string ('lasso')
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


def _bound(value: float | str | None, d: int) -> float | None:
    return None if value is None else float(d) if value == "d" else float(value)


def _scalar(obj: dict, p: Parameter, index: int, d: int) -> float:
    key = p.json_key
    x = _number(obj, key, index, lower=_bound(p.lower, d) if p.lower is not None else -math.inf,
                upper=_bound(p.upper, d), strict=p.strict)
    if p.whole and x != round(x):
        raise ProblemError(index, key, f"expected a whole number, got {_fmt(obj[key])}")
    return x


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
        if not isinstance(key, str) or key not in _KEY_MODELS:
            raise ProblemError(index, key, f"unknown key (allowed: {', '.join(_KEY_MODELS)})")
    if "model" not in obj:
        raise ProblemError(index, "model", f"missing (one of {', '.join(map(repr, MODELS))})")
    model = obj["model"]
    if not isinstance(model, str) or model not in MODELS:
        raise ProblemError(
            index, "model", f"expected one of {', '.join(map(repr, MODELS))}, got "
            f"{_describe(model)}"
        )
    if model == "multi_source":
        return _sources_problem(obj, index)
    engine_model = "weighted_ridge" if model == "ridge" and _MIXING_KEY in obj else model
    sch = _SCHEMAS[engine_model]
    for key in obj:
        if key not in sch.keys:
            takers = " or ".join(repr(m) for m in _KEY_MODELS[key])
            raise ProblemError(index, key, f"only model {takers} takes this key")
    for p in sch.scalars:
        if p.json_key not in obj:
            raise ProblemError(index, p.json_key, f"missing (required for model {model!r})")
    if "spectrum" not in obj:
        raise ProblemError(index, "spectrum", f"missing (required for model {model!r})")

    values: dict[str, float] = {}
    for p in sch.scalars:
        if p.lower != "d" and p.upper != "d":
            values[p.name] = _scalar(obj, p, index, 0)
    if isinstance(obj["spectrum"], dict):
        return _analytic_problem(obj, index, model, engine_model, sch, values)
    spectrum = _vector(obj, "spectrum", index, lower=0.0, strict=True)
    d = spectrum.shape[0]
    for p in sch.scalars:
        if p.name not in values:
            values[p.name] = _scalar(obj, p, index, d)
    options = {}
    for p in sch.options:
        value = obj.get(p.json_key, p.default)
        if not isinstance(value, str) or value not in p.choices:
            raise ProblemError(index, p.json_key, f"expected one of "
                               f"{', '.join(map(repr, p.choices))}, got {_describe(value)}")
        options[p.name] = value

    kinds = sch.teachers
    given = {kind: [k for k in keys if k in obj] for kind, keys in kinds.items()}
    present = [k for k, v in given.items() if v]
    if len(present) > 1:
        other = [k for k in present if k != "fixed"][0]
        raise ProblemError(
            index, given[other][0], f"cannot be combined with {given['fixed'][0]!r}: give "
            f"either {' and '.join(kinds['fixed'])} (fixed teachers) or "
            f"{' and '.join(kinds[other])} (random effects)"
        )
    if not present:
        first = kinds["fixed"][0] if "fixed" in kinds else next(iter(kinds.values()))[0]
        alternatives = " or ".join(f"{' and '.join(v)}" for v in kinds.values())
        raise ProblemError(index, first, f"missing: give either {alternatives} (fixed teachers "
                           "or random effects)")
    kind = present[0]
    teacher = {}
    for key in kinds[kind]:
        if key not in obj:
            raise ProblemError(index, key, f"missing ({given[kind][0]!r} is given)")
        lower = 0.0 if kind == "random" else None
        teacher[key] = _vector(obj, key, index, lower=lower, length=d)

    if engine_model == "weighted_ridge":
        p2, weight = values["p2"], values["alpha"]
        if (p2 == 0 and weight != 0) or (p2 == 1 and weight != 1):
            raise ProblemError(index, _MIXING_KEY, f"with p2 = {p2:g} the only possible "
                               f"weight is {p2:g}, got {_fmt(obj[_MIXING_KEY])}")
    ident = _ident(obj, index)
    return Problem(
        index=index, model=model, engine_model=engine_model, values=values, spectrum=spectrum,
        teacher_kind=kind, teacher=teacher, options=options, id=ident,
    )


def _ident(obj: dict, index: int) -> str | int | None:
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
    return ident


def _sources_problem(obj: dict, index: int) -> Problem:
    """A ``multi_source`` problem: ``n``, ``ridge``, ``sources`` and optional ``target``,
    ``gamma`` (:mod:`modelcollapse.numerics._problems_sources`)."""
    from ._problems_sources import PROBLEM_KEYS, structured_inputs

    for key in obj:
        if key not in PROBLEM_KEYS:
            raise ProblemError(index, key, "not a key of model 'multi_source' (its keys: "
                               f"{', '.join(PROBLEM_KEYS)}; each source has its own covariance)")
    sch = _SCHEMAS["multi_source"]
    for key in ("n", "ridge", "sources"):
        if key not in obj:
            raise ProblemError(index, key, "missing (required for model 'multi_source')")
    values = {p.name: _scalar(obj, p, index, 0) for p in sch.scalars}
    try:
        structured = structured_inputs(obj, values["n"], values["ridge"])
    except ValueError as exc:
        field_name, _, message = str(exc).partition(": ")
        raise ProblemError(index, field_name, message) from None
    return Problem(index=index, model="multi_source", engine_model="multi_source", values=values,
                   spectrum=np.zeros(0), teacher_kind="structured", teacher={},
                   id=_ident(obj, index), structured=structured)


_ANALYTIC_KEYS = {"spectrum": ("power_law", "dimension"), "gamma": ("power_law", "scale"),
                  "delta": ("power_law", "scale")}


def _analytic_part(obj: dict, key: str, index: int) -> dict:
    part = obj[key]
    if not isinstance(part, dict):
        raise ProblemError(index, key, f"with an analytic spectrum, expected an object "
                           f"{{{', '.join(map(repr, _ANALYTIC_KEYS[key]))}}}, got "
                           f"{_describe(part)}")
    for k in part:
        if k not in _ANALYTIC_KEYS[key]:
            raise ProblemError(index, key, f"unknown key {_show(k)} (allowed: "
                               f"{', '.join(_ANALYTIC_KEYS[key])})")
    for k in _ANALYTIC_KEYS[key]:
        if k not in part:
            raise ProblemError(index, key, f"missing {k!r}")
    return part


def _analytic_problem(obj: dict, index: int, model: str, engine_model: str, sch, values
                      ) -> Problem:
    """A problem on an analytic power-law spectrum: ``"spectrum": {"power_law": β,
    "dimension": d or null}``, ``"gamma": {"power_law": a, "scale": g}`` (Γ_jj = g j^{-a}) and
    the same form for ``"delta"``."""
    from .spectra import PowerLawSpectrum

    spec = _analytic_part(obj, "spectrum", index)
    beta, dim = spec["power_law"], spec["dimension"]
    if not _is_number(beta):
        raise ProblemError(index, "spectrum", f"'power_law': expected a number, got "
                           f"{_describe(beta)}")
    if dim is not None and (not isinstance(dim, int) or isinstance(dim, bool) or dim < 1
                            or dim > MAX_DIMENSION * 1000):
        raise ProblemError(index, "spectrum", f"'dimension': expected a whole number ≥ 1 or "
                           f"null (d = ∞), got {_describe(dim)}")
    if "random" not in sch.teachers:
        raise ProblemError(index, "spectrum", f"model {model!r} takes no analytic spectrum")
    for key in obj:
        if key in ("w_real", "w_synth"):
            raise ProblemError(index, key, "an analytic spectrum takes the teacher as "
                               "'gamma'/'delta' objects {'power_law', 'scale'}")
    diagonals = {}
    for key in sch.teachers["random"]:
        if key not in obj:
            raise ProblemError(index, key, "missing (an object {'power_law', 'scale'})")
        part = _analytic_part(obj, key, index)
        for k in ("power_law", "scale"):
            if not _is_number(part[k]) or not math.isfinite(_as_float(part[k])):
                raise ProblemError(index, key, f"{k!r}: expected a finite number, got "
                                   f"{_describe(part[k])}")
        diagonals[key] = (float(part["scale"]), float(part["power_law"]))
    try:
        spectrum = PowerLawSpectrum(float(beta), dim, **diagonals)
        probe = [("I_d", 1, 1), ("Gamma", 1, 2), ("Delta", 3, 2), ("Delta", 1, 0)]
        spectrum.moments(np.array([1.0]), [p for p in probe if p[0] in spectrum.weights])
    except ValueError as exc:
        field, _, msg = str(exc).partition(": ")
        field = {"beta": "spectrum", "dimension": "spectrum"}.get(field, field)
        raise ProblemError(index, field if field in obj else "spectrum", msg or str(exc)
                           ) from None
    if not math.isfinite(spectrum.d) and engine_model in ("random_projection",
                                                           "recursive_retraining"):
        raise ProblemError(index, "spectrum", f"model {model!r} needs a finite 'dimension'")
    for p in sch.scalars:
        if p.name not in values:
            values[p.name] = _scalar(obj, p, index, spectrum.d)
    options = {p.name: obj.get(p.json_key, p.default) for p in sch.options}
    ident = obj.get("id")
    return Problem(index=index, model=model, engine_model=engine_model, values=values,
                   spectrum=spectrum, teacher_kind="random", teacher={}, options=options,
                   id=ident if not isinstance(ident, bool) else None)


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


def _stack(problems: Sequence[Problem]) -> dict[str, Any]:
    first = problems[0]
    kwargs: dict[str, Any] = {
        name: np.array([p.values[name] for p in problems], dtype=float) for name in first.values
    }
    for key in first.teacher:
        kwargs[key] = np.stack([p.teacher[key] for p in problems])
    kwargs.update(first.options)
    return kwargs


def _threshold_note(note: str, test_error: float) -> str:
    if math.isfinite(test_error):
        return note + " (here every divergent term has zero weight, so test_error is finite)"
    return note


def _records(problems: Sequence[Problem], res: Any) -> list[dict]:
    names = ("test_error", "bias", "variance", "zeta", *res.auxiliary)
    columns = {name: np.asarray(getattr(res, name), dtype=float).reshape(-1) for name in names}
    notes = res.notes().reshape(-1)
    status = np.asarray(res.status).reshape(-1)
    converged = np.asarray(res.converged).reshape(-1)
    iterations = np.asarray(res.iterations).reshape(-1)
    residual = np.asarray(res.residual).reshape(-1)
    out = []
    for j, p in enumerate(problems):
        rec: dict[str, Any] = {"model": p.model}
        if p.id is not None:
            rec["id"] = p.id
        for name in names:
            rec[name] = float(columns[name][j])
        note = str(notes[j])
        if status[j] == 1:
            note = _threshold_note(note, rec["test_error"])
        rec["converged"] = bool(converged[j])
        rec["iterations"] = int(iterations[j])
        rec["residual"] = float(residual[j])
        rec["status"] = int(status[j])
        rec["note"] = note
        out.append(rec)
    return out


def _evaluate_group(problems: Sequence[Problem]) -> list[dict]:
    from .engine import evaluate

    kwargs = _stack(problems)
    if problems[0].analytic:  # one shared analytic spectrum (the group's key)
        res = evaluate(problems[0].engine_model, problems[0].spectrum, on_failure="nan",
                       **kwargs)
        return _records(problems, res)
    spectra = np.stack([p.spectrum for p in problems])
    res = evaluate(problems[0].engine_model, spectra, on_failure="nan", **kwargs)
    return _records(problems, res)


def _evaluate_structured(p: Problem) -> dict:
    from .engine import evaluate

    res = evaluate(p.engine_model, None, on_failure="nan", n=p.values["n"],
                   ridge=p.values["ridge"], **{k: v for k, v in p.structured.items()
                                               if v is not None})
    return _records([p], res)[0]


def evaluate_problems(problems: Sequence[Problem]) -> list[dict]:
    """Predictions for validated problems, in order, as JSON-ready dicts.

    Problems are grouped by (model, d, teacher kind, options); each group is evaluated by one
    vectorised call of :func:`~modelcollapse.numerics.engine.evaluate` on stacked spectra of shape
    ``(P, d)`` (split into chunks of about 4·10⁶ numbers to bound memory).  Unconverged problems
    are *not* raised: they come back with ``"converged": False``, NaN values, their ``status``
    and a ``note``.  A problem's numbers do not depend on the other problems of its group.
    """
    groups: dict[tuple, list[int]] = defaultdict(list)
    out: list[dict | None] = [None] * len(problems)
    for i, p in enumerate(problems):
        if p.structured is not None:  # its own sources and covariances: evaluated alone
            out[i] = _evaluate_structured(p)
            continue
        key = (p.engine_model, p.d, p.teacher_kind, tuple(sorted(p.options.items())),
               repr(p.spectrum) if p.analytic else None)
        groups[key].append(i)
    for (_, d, _, _, analytic), members in groups.items():
        step = len(members) if analytic else max(1, _CHUNK_ELEMENTS // d)
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
