"""Exact Gaussian expectations of random features: ``K = E φφᵀ`` and ``C = E φxᵀ``.

For ``x ~ N(0, Σ)``, ``φ(x) = c σ(Sx/c)`` (``c = √(tr Σ/d)``) and ``H = SΣSᵀ/c²`` (the
pre-activations' covariance, ``ν_i² = H_ii``, correlations ``r_ij``):

* ``C = diag(μ1(ν)) SΣ`` with ``μ1(ν) = E z σ(νz)/ν`` (Stein's lemma);
* ``K/c²``: ReLU by the arc-cosine kernel ``ν_iν_j (sin t + (π − t) cos t)/(2π)``,
  ``t = arccos r``; erf by ``(2/π) arcsin(2H_ij/√((1 + 2H_ii)(1 + 2H_jj)))``; σ(z) = z by ``H``;
  any other activation by Mehler's formula ``Σ_k a_k(ν_i) a_k(ν_j) r_ij^k`` with
  ``a_k(ν) = E σ(νz) He_k(z)/√k!`` (Gauss–Hermite), the diagonal ``E σ(ν_i z)²`` exactly, and the
  truncation bounded by Cauchy–Schwarz, ``|R_ij| ≤ |r_ij|^{K+1} √(tail_i tail_j)`` with
  ``tail_i = E σ(ν_i z)² − Σ_{k≤K} a_k(ν_i)²``: the order grows until that bound is below 1e-11 of
  the diagonal.

Examples
--------
>>> import numpy as np
>>> from modelcollapse.numerics._rf_kernels import feature_moments
>>> rng = np.random.default_rng(0)
>>> s = np.ones(5) / 5; S = rng.standard_normal((3, 5)) / np.sqrt(5)
>>> from scipy.special import erf
>>> k_closed, _ = feature_moments("erf", S, s)  # arcsine kernel
>>> k_series, _ = feature_moments(erf, S, s)  # Mehler series of the callable
>>> float(np.max(np.abs(k_closed - k_series))) < 1e-13
True
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from modelcollapse.theory._activations import activation_function

__all__ = ["feature_moments", "feature_scale"]

_NODES = 200
_TOL = 1e-11


def feature_scale(spectrum: np.ndarray) -> float:
    """``c = √(tr Σ/d)``: pre-activations ``Sx/c`` have unit variance on average over S
    (``spectrum``: Σ's diagonal, or Σ)."""
    if spectrum.ndim == 2:
        return math.sqrt(float(np.trace(spectrum)) / spectrum.shape[0])
    return math.sqrt(float(np.sum(spectrum)) / spectrum.size)


def _hermite_table(f: Callable, nu: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray,
                                                                     np.ndarray]:
    """``a_k(ν_i)`` for k ≤ order, ``E σ(ν_i z)²`` and ``μ1(ν_i)``, by Gauss–Hermite."""
    x, w = np.polynomial.hermite_e.hermegauss(_NODES)
    w = w / math.sqrt(2 * math.pi)
    vals = np.asarray(f(np.outer(nu, x)), dtype=float)
    he = np.empty((order + 1, x.size))
    he[0] = 1.0
    if order:
        he[1] = x
    for k in range(1, order):
        # normalised: h_k = He_k/√k!, h_{k+1} = (x h_k − √k h_{k−1})/√(k+1)
        he[k + 1] = (x * he[k] - math.sqrt(k) * he[k - 1]) / math.sqrt(k + 1)
    a = (vals * w) @ he.T
    second = (vals**2) @ w
    return a, second, a[:, 1] / nu


def _series_kernel(f: Callable, nu: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    off = r - np.diag(np.diag(r))
    rmax = float(np.max(np.abs(off))) if r.shape[0] > 1 else 0.0
    order = 24
    while True:
        a, second, mu1 = _hermite_table(f, nu, order)
        tail = np.maximum(second - (a**2).sum(axis=1), 0.0)
        bound = rmax ** (order + 1) * float(np.max(tail))
        if bound <= _TOL * float(np.max(second)) or order >= 400:
            break
        order *= 2
    if bound > 1e-8 * float(np.max(second)):
        raise ValueError(f"activation: the Hermite series of the feature kernel does not converge "
                         f"(largest correlation {rmax:.4f}, bound {bound:.2g})")
    k = np.zeros_like(r)
    for j in range(order, -1, -1):  # Horner in the correlation
        k = k * r + np.outer(a[:, j], a[:, j])
    np.fill_diagonal(k, second)
    return k, mu1


def feature_moments(activation: str | Callable, s_mat: np.ndarray, spectrum: np.ndarray,
                    scale: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``K = E φφᵀ`` (m×m) and ``C = E φxᵀ`` (m×d) for Gaussian x (see the module docstring).

    ``spectrum`` is Σ's diagonal (d,) or Σ itself (d × d); ``scale`` is ``c`` (default
    :func:`feature_scale` of Σ: the network's scale may be set by another distribution's Σ).
    """
    c = feature_scale(spectrum) if scale is None else float(scale)
    sigma_s = s_mat * spectrum if spectrum.ndim == 1 else s_mat @ spectrum
    h = sigma_s @ s_mat.T / c**2
    nu = np.sqrt(np.diag(h))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.clip(np.nan_to_num(h / np.outer(nu, nu)), -1.0, 1.0)
    if activation == "linear":
        return c**2 * h, sigma_s
    if activation == "relu":
        t = np.arccos(r)
        k = np.outer(nu, nu) * (np.sin(t) + (math.pi - t) * r) / (2 * math.pi)
        np.fill_diagonal(k, nu**2 / 2)
        return c**2 * k, 0.5 * sigma_s
    if activation == "erf":
        dg = 1 + 2 * np.diag(h)
        k = 2 / math.pi * np.arcsin(np.clip(2 * h / np.sqrt(np.outer(dg, dg)), -1.0, 1.0))
        mu1 = 2 / math.sqrt(math.pi) / np.sqrt(dg)
        return c**2 * k, mu1[:, None] * sigma_s
    f = activation_function(activation) if isinstance(activation, str) else activation
    k, mu1 = _series_kernel(f, nu, r)
    return c**2 * k, mu1[:, None] * sigma_s
