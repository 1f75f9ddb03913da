"""Small dense linear-algebra kernels shared by the Monte Carlo simulators."""

from __future__ import annotations

import numpy as np
from scipy.linalg.blas import dsyrk

__all__ = ["gram"]


def gram(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``a diag(w) aᵀ`` for ``w ≥ 0``, by a symmetric rank-k update (half a matrix product).

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify._linalg import gram
    >>> a = np.array([[1.0, 2.0], [0.0, 1.0]])
    >>> gram(a, np.array([1.0, 4.0])).tolist()
    [[17.0, 8.0], [8.0, 4.0]]
    """
    b = np.asarray(a * np.sqrt(w), dtype=float, order="C")
    if b.size == 0:
        return np.zeros((a.shape[0], a.shape[0]))
    # row-major b is column-major bᵀ: syrk with trans=1 gives (bᵀ)ᵀ bᵀ = b bᵀ (upper triangle)
    upper = dsyrk(1.0, b.T, trans=1)
    return np.triu(upper) + np.triu(upper, 1).T
