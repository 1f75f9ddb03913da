"""Validation of the sources and the target of the multi-source model, into one array layout.

Every error is a ``ValueError`` that names the field, as ``sources[i].field`` (0-based ``i``),
``target.field`` or the keyword (``gamma``).  Covariances are a vector of d eigenvalues (all
covariances diagonal in one common basis) or a d × d symmetric positive semi-definite matrix;
once any is a matrix, vectors are read as diagonal matrices.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.linalg import LinAlgError, cholesky

from ._direction_rule import direction_rule
from ._validate import check_array, format_number
from .diagonals import PowerLawDiagonal

__all__ = ["Inputs", "read_inputs", "SOURCE_FIELDS", "TARGET_FIELDS"]

#: The fields of one source (Python names; the problem files use the same words).
SOURCE_FIELDS = ("fraction", "covariance", "teacher", "delta", "noise", "weight")
#: The fields of the target.
TARGET_FIELDS = ("covariance", "teacher", "delta")
#: Symmetry tolerance, relative to the largest entry.
_SYMMETRY_RTOL = 1e-10
#: Smallest eigenvalue allowed, relative to the largest |entry| (rounding of a PSD matrix).
_PSD_RTOL = 1e-10
#: Fractions must sum to 1 within this.
_SUM_TOL = 1e-9


@dataclass(frozen=True)
class Inputs:
    """Validated inputs, broadcast to the grid.

    Attributes
    ----------
    dense : bool
        Covariances as d × d matrices (else vectors of eigenvalues in a common basis).
    covs : ndarray, shape (k, d) or (k, d, d)
    target_cov : ndarray, shape (d,) or (d, d)
    teacher_kind : {"fixed", "random"}
    latents : ndarray
        Fixed: the latent vectors, shape (L, d).  Random: their covariances, shape (L, d)
        (diagonals) or (L, d, d).
    coef : ndarray, shape (k + 1, L)
        Row g (the target last): which latents make up that teacher (0 or 1).
    shape : tuple of int
        The grid.
    n, ridge : ndarray, shape ``shape``
    fraction, weight, noise : ndarray, shape ``shape + (k,)``
    """

    dense: bool
    covs: np.ndarray
    target_cov: np.ndarray
    teacher_kind: str
    latents: np.ndarray
    coef: np.ndarray
    shape: tuple[int, ...]
    n: np.ndarray
    ridge: np.ndarray
    fraction: np.ndarray
    weight: np.ndarray
    noise: np.ndarray
    mult: np.ndarray | None = None
    dimension: float = math.nan
    exact_nodes: int = 0

    @property
    def k(self) -> int:
        return self.covs.shape[0]

    @property
    def d(self) -> int | float:
        if self.mult is not None:
            return self.dimension
        return self.target_cov.shape[0]


def _field(obj: Any, name: str, where: str) -> Any:
    if isinstance(obj, Mapping):
        unknown = [key for key in obj if key not in (SOURCE_FIELDS if where.startswith("sources")
                                                     else TARGET_FIELDS)]
        if unknown:
            allowed = SOURCE_FIELDS if where.startswith("sources") else TARGET_FIELDS
            raise ValueError(f"{where}.{str(unknown[0])[:40]}: unknown field (allowed: "
                             f"{', '.join(allowed)})")
        return obj.get(name)
    return getattr(obj, name, None)


def _covariance(value: Any, name: str, d: int | None) -> np.ndarray:
    if value is None:
        raise ValueError(f"{name}: missing (d eigenvalues, or a d × d matrix)")
    arr = check_array(value, name)
    if arr.ndim == 1:
        if arr.size == 0:
            raise ValueError(f"{name}: must not be empty")
        if (arr < 0).any():
            raise ValueError(f"{name}: eigenvalues must be ≥ 0 (positive semi-definite), got "
                             f"{format_number(arr[arr < 0][0])}")
    elif arr.ndim == 2:
        if arr.shape[0] != arr.shape[1]:
            raise ValueError(f"{name}: a matrix must be square, got shape {arr.shape}")
        scale = float(np.abs(arr).max()) if arr.size else 0.0
        asym = float(np.abs(arr - arr.T).max()) if arr.size else 0.0
        if asym > _SYMMETRY_RTOL * scale:
            raise ValueError(f"{name}: not symmetric (largest |C − Cᵀ| = {asym:.3g})")
        arr = 0.5 * (arr + arr.T)
        if scale > 0:
            try:  # C + τI positive definite ⇔ smallest eigenvalue > −τ
                cholesky(arr + _PSD_RTOL * scale * np.eye(arr.shape[0]), lower=True,
                         check_finite=False)
            except LinAlgError:
                low = float(np.linalg.eigvalsh(arr)[0])
                raise ValueError(f"{name}: not positive semi-definite (smallest eigenvalue "
                                 f"{low:.3g})") from None
    else:
        raise ValueError(f"{name}: expected d eigenvalues or a d × d matrix, got an array of "
                         f"shape {arr.shape}")
    if d is not None and arr.shape[0] != d:
        raise ValueError(f"{name}: expected dimension {d} (that of sources[0].covariance), got "
                         f"{arr.shape[0]}")
    return arr


def _vector(value: Any, name: str, d: int, *, psd: bool = False, dense: bool = False
            ) -> np.ndarray:
    """A teacher vector (any sign), or a random-effects covariance (diagonal or matrix)."""
    if psd:
        arr = _covariance(value, name, d)
        if arr.ndim == 2 and not dense:
            raise ValueError(f"{name}: a matrix of random effects needs matrix covariances "
                             "(give its diagonal, or the covariances as matrices)")
        return arr
    arr = check_array(value, name)
    if arr.ndim != 1 or arr.shape[0] != d:
        got = "a scalar" if arr.ndim == 0 else f"shape {arr.shape}"
        raise ValueError(f"{name}: expected a vector of length {d}, got {got}")
    return arr


def _as_dense(arr: np.ndarray) -> np.ndarray:
    return np.diag(arr) if arr.ndim == 1 else arr


def read_inputs(sources: Any, target: Any, gamma: Any, n: np.ndarray, ridge: np.ndarray
                ) -> Inputs:
    """Validate ``sources``, ``target`` and ``gamma`` against the grid of ``n`` and ``ridge``."""
    if isinstance(sources, str | bytes | Mapping) or not isinstance(sources, Sequence):
        raise ValueError("sources: expected a list of sources (each with a fraction, a "
                         "covariance and a teacher)")
    if len(sources) == 0:
        raise ValueError("sources: need at least one source")
    analytic = _analytic_layout(sources, target, gamma)
    if analytic is not None:
        layout, extra = analytic
    else:
        layout, extra = _array_layout(sources, target, gamma), {}
    dense, covs, tcov, kind, latents, coef = layout
    return _grid(sources, n, ridge, dense, covs, tcov, kind, latents, coef, extra)


def _array_layout(sources: Sequence, target: Any, gamma: Any) -> tuple:
    """Covariances and teachers given as arrays: ``dense, covs, tcov, kind, latents, coef``."""
    k = len(sources)
    covs = []
    d = None
    for i, src in enumerate(sources):
        c = _covariance(_field(src, "covariance", f"sources[{i}]"), f"sources[{i}].covariance",
                        d)
        d = c.shape[0]
        covs.append(c)
    assert d is not None
    tcov_raw = None if target is None else _field(target, "covariance", "target")
    if target is not None and tcov_raw is None:
        raise ValueError("target.covariance: missing (d eigenvalues, or a d × d matrix)")
    tcov = covs[0] if tcov_raw is None else _covariance(tcov_raw, "target.covariance", d)
    dense = any(c.ndim == 2 for c in (*covs, tcov))

    # teachers: fixed vectors for every source, or random effects (gamma + per-source delta)
    teach = [_field(s, "teacher", f"sources[{i}]") for i, s in enumerate(sources)]
    dels = [_field(s, "delta", f"sources[{i}]") for i, s in enumerate(sources)]
    t_teach = None if target is None else _field(target, "teacher", "target")
    t_delta = None if target is None else _field(target, "delta", "target")
    fixed = any(w is not None for w in teach) or t_teach is not None
    random = gamma is not None or any(x is not None for x in dels) or t_delta is not None
    if fixed and random:
        which = ("gamma" if gamma is not None else next(
            f"sources[{i}].delta" for i, x in enumerate(dels) if x is not None)
            if any(x is not None for x in dels) else "target.delta")
        raise ValueError(f"{which}: cannot be combined with fixed teachers (give every source a "
                         "teacher vector, or gamma and optional deltas for random effects)")
    if fixed:
        missing = [i for i, w in enumerate(teach) if w is None]
        if missing:
            raise ValueError(f"sources[{missing[0]}].teacher: missing (every source needs its "
                             "teacher vector, or use random effects: gamma and deltas)")
        vecs = [_vector(w, f"sources[{i}].teacher", d) for i, w in enumerate(teach)]
        coef = np.zeros((k + 1, k + (t_teach is not None)))
        coef[np.arange(k), np.arange(k)] = 1.0
        if t_teach is not None:
            vecs.append(_vector(t_teach, "target.teacher", d))
            coef[k, k] = 1.0
        else:
            coef[k, 0] = 1.0
        latents = np.stack(vecs)
        kind = "fixed"
    elif random:
        if gamma is None:
            raise ValueError("gamma: missing (random effects: w_g = w_0 + δ_g with "
                             "w_0 ~ N(0, Γ); give gamma, the covariance Γ)")
        covs_lat = [_vector(gamma, "gamma", d, psd=True, dense=dense)]
        for i, x in enumerate(dels):
            covs_lat.append(np.zeros(d) if x is None else _vector(
                x, f"sources[{i}].delta", d, psd=True, dense=dense))
        coef = np.zeros((k + 1, k + 1 + (t_delta is not None)))
        coef[:, 0] = 1.0
        coef[np.arange(k), np.arange(1, k + 1)] = 1.0
        if t_delta is not None:
            covs_lat.append(_vector(t_delta, "target.delta", d, psd=True, dense=dense))
            coef[k, k + 1] = 1.0
        else:
            coef[k, 1] = 1.0
        if dense:
            covs_lat = [_as_dense(x) for x in covs_lat]
        latents = np.stack(covs_lat)
        kind = "random"
    else:
        raise ValueError("sources[0].teacher: missing (give every source a teacher vector, or "
                         "gamma and optional deltas for random effects)")
    if dense:
        covs = [_as_dense(c) for c in covs]
        tcov = _as_dense(tcov)
    return dense, np.stack(covs), np.asarray(tcov, dtype=float), kind, latents, coef


def _grid(sources: Sequence, n: np.ndarray, ridge: np.ndarray, dense: bool, covs: np.ndarray,
          tcov: np.ndarray, kind: str, latents: np.ndarray, coef: np.ndarray,
          extra: dict[str, Any]) -> Inputs:
    """The per-source grid values (fractions, weights, noises), broadcast with n and ridge."""
    per: dict[str, list[np.ndarray]] = {"fraction": [], "weight": [], "noise": []}
    for i, src in enumerate(sources):
        frac = _field(src, "fraction", f"sources[{i}]")
        if frac is None:
            raise ValueError(f"sources[{i}].fraction: missing (its share p_g of the rows)")
        per["fraction"].append(check_array(frac, f"sources[{i}].fraction", lower=0.0,
                                           upper=1.0))
        wgt = _field(src, "weight", f"sources[{i}]")
        per["weight"].append(check_array(1.0 if wgt is None else wgt, f"sources[{i}].weight",
                                         lower=0.0))
        noise = _field(src, "noise", f"sources[{i}]")
        per["noise"].append(check_array(0.0 if noise is None else noise, f"sources[{i}].noise",
                                        lower=0.0))
    shapes = {"n": n.shape, "ridge": ridge.shape}
    for key, arrs in per.items():
        for i, arr in enumerate(arrs):
            shapes[f"sources[{i}].{key}"] = arr.shape
    try:
        shape = np.broadcast_shapes(*shapes.values())
    except ValueError:
        desc = ", ".join(f"{k_} {v}" for k_, v in shapes.items())
        raise ValueError(f"sources: shapes do not broadcast ({desc})") from None
    stacked = {key: np.stack([np.broadcast_to(x, shape) for x in arrs], axis=-1)
               for key, arrs in per.items()}
    total = stacked["fraction"].sum(axis=-1)
    bad = np.abs(total - 1.0) > _SUM_TOL
    if bad.any():
        got = float(total[bad].flat[0])
        raise ValueError(f"sources: the fractions must sum to 1, got {got:.12g}")
    fraction = stacked["fraction"] / total[..., None]
    return Inputs(dense=dense, covs=covs, target_cov=tcov,
                  teacher_kind=kind, latents=latents, coef=coef, shape=tuple(shape),
                  n=np.broadcast_to(n, shape).astype(float), ridge=np.broadcast_to(
                      ridge, shape).astype(float), fraction=fraction,
                  weight=stacked["weight"].astype(float), noise=stacked["noise"].astype(float),
                  **extra)


def _analytic_layout(sources: Sequence, target: Any, gamma: Any) -> tuple | None:
    """Power-law diagonals: the layout on the quadrature's nodes, or None (arrays)."""
    k = len(sources)
    fields = [(f"sources[{i}].covariance", _field(s, "covariance", f"sources[{i}]"))
              for i, s in enumerate(sources)]
    t_cov = None if target is None else _field(target, "covariance", "target")
    if target is not None:
        fields.append(("target.covariance", t_cov))
    diag = [(name, v) for name, v in fields if isinstance(v, PowerLawDiagonal)]
    if not diag:
        return None
    other = [name for name, v in fields if not isinstance(v, PowerLawDiagonal)]
    if other:
        raise ValueError(f"{other[0]}: every covariance must be a PowerLawDiagonal once one is "
                         f"({diag[0][0]} is)")
    teach = [(f"sources[{i}].teacher", _field(s, "teacher", f"sources[{i}]"))
             for i, s in enumerate(sources)]
    if target is not None:
        teach.append(("target.teacher", _field(target, "teacher", "target")))
    fixed = [name for name, v in teach if v is not None]
    if fixed:
        raise ValueError(f"{fixed[0]}: a teacher vector needs d entries; with power-law "
                         "covariances give random effects (gamma and deltas as PowerLawDiagonal)")
    if gamma is None:
        raise ValueError("gamma: missing (random effects: w_g = w_0 + δ_g with w_0 ~ N(0, Γ); "
                         "give gamma as a PowerLawDiagonal)")
    lat_fields = [("gamma", gamma)]
    lat_fields += [(f"sources[{i}].delta", _field(s, "delta", f"sources[{i}]"))
                   for i, s in enumerate(sources)]
    t_delta = None if target is None else _field(target, "delta", "target")
    if t_delta is not None:
        lat_fields.append(("target.delta", t_delta))
    for name, v in lat_fields:
        if v is not None and not isinstance(v, PowerLawDiagonal):
            raise ValueError(f"{name}: expected a PowerLawDiagonal (the covariances are)")
    dims = {v.dimension for _, v in diag} | {v.dimension for _, v in lat_fields if v is not None}
    if len(dims) > 1:
        name = next(nm for nm, v in diag + lat_fields
                    if v is not None and v.dimension != diag[0][1].dimension)
        raise ValueError(f"{name}: dimension differs from {diag[0][0]}'s (every diagonal of a "
                         "problem has the same d)")
    dimension = diag[0][1].dimension
    betas = [v.power_law for _, v in diag if v.scale > 0]
    if not betas:
        raise ValueError(f"{diag[0][0]}: every covariance is zero")
    if dimension is None:
        for name, v in diag:
            if v.scale > 0 and v.power_law <= 1:
                raise ValueError(f"{name}: the exponent must be > 1 at d = ∞ (a finite trace), "
                                 f"got {v.power_law!r}")
        slowest = min(betas)
        for name, v in lat_fields:
            if v is not None and v.scale > 0 and v.power_law + slowest <= 1:
                raise ValueError(f"{name}: the exponent must exceed {1 - slowest:.6g} at d = ∞ "
                                 "(Σ_j c_j Γ_jj must converge)")
    head = max(v.head() for _, v in diag + lat_fields if v is not None)
    nodes, mult = direction_rule(dimension, max(betas), min(betas), head)
    covs = np.stack([v.values(nodes) for _, v in diag[:k]])
    tcov = diag[k][1].values(nodes) if target is not None else covs[0]
    lats = [gamma.values(nodes)]
    lats += [np.zeros_like(nodes) if v is None else v.values(nodes) for _, v in lat_fields[1:k + 1]]
    coef = np.zeros((k + 1, k + 1 + (t_delta is not None)))
    coef[:, 0] = 1.0
    coef[np.arange(k), np.arange(1, k + 1)] = 1.0
    if t_delta is not None:
        lats.append(t_delta.values(nodes))
        coef[k, k + 1] = 1.0
    else:
        coef[k, 1] = 1.0
    exact = int(np.argmax(mult != 1.0)) if (mult != 1.0).any() else mult.size
    extra = {"mult": mult, "dimension": math.inf if dimension is None else float(dimension),
             "exact_nodes": exact}
    return (False, covs, tcov, "random", np.stack(lats), coef), extra
