"""Vectorised evaluation of the spectral moments ``Σ_j ω_j s_j^a (s_j + t)^{-b}``.

A :class:`SpectrumBatch` holds one spectrum shared by every grid point, or one spectrum per grid
point, and evaluates any set of moments at a vector of shifts ``t`` in chunks that keep memory
bounded (a 10⁴-point grid over a 10⁵-dimensional spectrum never materialises 10⁹ floats).

Determinism: a moment at a given shift is bit-identical whatever other shifts are evaluated with
it, and whatever other moments are asked for.  Per-point spectra are reduced row by row (NumPy's
pairwise sum along a contiguous row); a shared spectrum uses one matrix-vector product per moment
and chunk of a *fixed* number of rows (the last chunk is padded), so every value goes through the
same BLAS call shape.  (Different BLAS builds or CPUs may
still round differently: results are reproducible on one machine, not across machines.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

__all__ = ["SpectrumBatch", "MomentSpec"]

#: ``(weight name, a, b)``: the moment ``Σ_j ω_j s_j^a (s_j + t)^{-b}``.
MomentSpec = tuple[str, int, int]

_CHUNK_ELEMENTS = 1 << 20
_SHARED_CHUNK_ELEMENTS = 1 << 16  # temporaries of 512 KiB stay in cache
_SHARED_MAX_ROWS = 256  # padding the last chunk costs at most this many rows


class SpectrumBatch:
    """Eigenvalues ``s`` (shape ``(d,)`` shared, or ``(P, d)`` per point) and diagonal weights.

    Parameters
    ----------
    eigenvalues : ndarray, shape (d,) or (P, d)
        One spectrum for every shift (1-D), or one per row (2-D, even when ``P = 1``).
    weights : mapping of str to ndarray
        Each of shape ``(d,)`` or ``(P, d)``; the name ``"I_d"`` (ones) is always available.
    """

    def __init__(self, eigenvalues: np.ndarray, weights: Mapping[str, np.ndarray] | None = None):
        s = np.asarray(eigenvalues, dtype=float)
        arrays = [s, *(np.asarray(v) for v in (weights or {}).values())]
        self.shared = all(a.ndim == 1 for a in arrays)
        if s.ndim == 1:
            s = s[None, :]
        self.s = s
        self.d = s.shape[-1]
        self.weights = {
            k: np.atleast_2d(np.asarray(v, dtype=float)) for k, v in (weights or {}).items()
        }
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
        if self.shared:
            return self._shared_moments(t, specs)
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

    def _shared_moments(
        self, t: np.ndarray, specs: list[MomentSpec]
    ) -> dict[MomentSpec, np.ndarray]:
        """One spectrum and weights for every shift: evaluate each distinct shift once and get
        each moment of power ``b`` as one matrix-vector product ``(s + t)^{-b} @ ω s^a``, over
        chunks of a fixed number of rows (the last one padded, see the module docstring)."""
        if not specs or t.size == 0:
            return {spec: np.empty(t.size) for spec in specs}
        t_u, back = np.unique(t, return_inverse=True)
        if t_u.size > t.size // 2:
            t_u, back = t, None
        s = self.s[0]
        groups: dict[int, list[MomentSpec]] = {}
        for spec in specs:
            groups.setdefault(spec[2], []).append(spec)
        cols = {
            b: [np.ascontiguousarray((s**a) * (self.weights[w][0] if w != "I_d" else 1.0))
                for w, a, _ in group]
            for b, group in groups.items()
        }
        res = {spec: np.empty(t_u.size) for spec in specs}
        for j, spec in enumerate(groups.get(0, [])):  # b = 0: no shift, a plain sum
            res[spec][:] = cols[0][j].sum()
        rows = min(_SHARED_MAX_ROWS, max(1, _SHARED_CHUNK_ELEMENTS // max(self.d, 1)))
        top = max(groups)
        pad = (-t_u.size) % rows
        t_pad = np.concatenate([t_u, np.full(pad, t_u[0])]) if pad else t_u
        for lo in range(0, t_u.size, rows):
            hi = min(t_u.size, lo + rows)
            inv = np.add(s, t_pad[lo:lo + rows, None])
            np.reciprocal(inv, out=inv)
            power = inv
            for b in range(1, top + 1):
                if b == 2:
                    power = inv * inv
                elif b > 2:
                    np.multiply(power, inv, out=power)
                if b in groups:  # one matrix-vector product per moment
                    for j, spec in enumerate(groups[b]):
                        res[spec][lo:hi] = (power @ cols[b][j])[: hi - lo]
        if back is None:
            return res
        return {spec: v[back.ravel()] for spec, v in res.items()}
