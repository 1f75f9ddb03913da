"""Vectorised evaluation of the spectral moments ``Σ_j ω_j s_j^a (s_j + t)^{-b}``.

A :class:`SpectrumBatch` holds one spectrum shared by every grid point, or one spectrum per grid
point, and evaluates any set of moments at a vector of shifts ``t`` in chunks that keep memory
bounded (a 10⁴-point grid over a 10⁵-dimensional spectrum never materialises 10⁹ floats).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

__all__ = ["SpectrumBatch", "MomentSpec"]

#: ``(weight name, a, b)``: the moment ``Σ_j ω_j s_j^a (s_j + t)^{-b}``.
MomentSpec = tuple[str, int, int]

_CHUNK_ELEMENTS = 1 << 20


class SpectrumBatch:
    """Eigenvalues ``s`` (shape ``(d,)`` shared, or ``(P, d)`` per point) and diagonal weights.

    Parameters
    ----------
    eigenvalues : ndarray, shape (d,) or (P, d)
    weights : mapping of str to ndarray
        Each of shape ``(d,)`` or ``(P, d)``; the name ``"I_d"`` (ones) is always available.
    """

    def __init__(self, eigenvalues: np.ndarray, weights: Mapping[str, np.ndarray] | None = None):
        s = np.asarray(eigenvalues, dtype=float)
        if s.ndim == 1:
            s = s[None, :]
        self.s = s
        self.d = s.shape[-1]
        self.weights = {
            k: np.atleast_2d(np.asarray(v, dtype=float)) for k, v in (weights or {}).items()
        }
        self.shared = s.shape[0] == 1
        self.rows = max([s.shape[0], *(w.shape[0] for w in self.weights.values())])

    @property
    def trace(self) -> np.ndarray:
        """``tr Σ`` per spectrum, shape (P,) or (1,)."""
        return self.s.sum(axis=-1)

    @property
    def smallest(self) -> np.ndarray:
        """Smallest eigenvalue per spectrum."""
        return self.s.min(axis=-1)

    def _rows(self, arr: np.ndarray, lo: int, hi: int) -> np.ndarray:
        return arr if arr.shape[0] == 1 else arr[lo:hi]

    def moments(
        self, t: np.ndarray, specs: Iterable[MomentSpec], index: np.ndarray | None = None
    ) -> dict[MomentSpec, np.ndarray]:
        """Evaluate the moments at shifts ``t`` (shape (K,)).

        ``index`` (shape (K,)) says which spectrum row each shift belongs to when spectra are per
        point; by default row ``k`` for shift ``k`` (or the shared row).
        """
        specs = list(dict.fromkeys(specs))
        t = np.asarray(t, dtype=float)
        k_total = t.shape[0]
        out = {spec: np.empty(k_total) for spec in specs}
        if k_total == 0:
            return out
        rows_per_chunk = max(1, _CHUNK_ELEMENTS // max(self.d, 1))
        max_b = max((b for _, _, b in specs), default=0)
        for lo in range(0, k_total, rows_per_chunk):
            hi = min(k_total, lo + rows_per_chunk)
            pick = np.arange(lo, hi) if index is None else index[lo:hi]
            s = self.s if self.shared else self.s[pick]
            tt = t[lo:hi, None]
            inv = 1.0 / (s + tt)
            inv_pows = {0: None, 1: inv}
            for b in range(2, max_b + 1):
                inv_pows[b] = inv_pows[b - 1] * inv
            for name, a, b in specs:
                term = s**a if a else np.ones_like(s)
                if name != "I_d":
                    w = self.weights[name]
                    term = term * (w if w.shape[0] == 1 else w[pick])
                if b:
                    term = term * inv_pows[b]
                out[(name, a, b)][lo:hi] = np.broadcast_to(term, (hi - lo, self.d)).sum(axis=-1)
        return out
