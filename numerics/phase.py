"""Phase diagram of random projections: does a wider model amplify model collapse?

The sign of ``∂ζ/∂ψ`` (ζ the model-collapse term of Theorem 2, docs/mathematics.md §2, ``ψ = m/n``
the
width ratio) over a grid of ``(ψ, p2)`` tells where a bigger model *amplifies* collapse
(``> 0``) and where it mitigates it (``< 0``).  The same for the total test error over
``(ψ, c²)``.

Derivative.  :func:`~modelcollapse.numerics.random_projection.rp_risk` offers no exact
ψ-derivative, so we take a centred difference of the converged theory (every solve must converge,
``on_failure="raise"``) in ``log ψ``::

    D_h(ψ) = [f(ψ e^{h}) − f(ψ e^{−h})] / (2 h ψ)

with truncation error O(h²) and rounding error ``O(ε |f| / (hψ))``.  Each point is computed with
``h`` and ``h/2``; a sign is *reliable* when both estimates have the same sign and differ by less
than ``tol·|D_h| + 1e-9·|f|/ψ`` (the Richardson check: the truncation error of ``D_{h/2}`` is about
``|D_h − D_{h/2}|/3``).  Cells within ``2h`` of the interpolation threshold ψ = 1, where ζ
diverges for λ → 0⁺, are never reliable.

Random effects make ζ *linear* in Δ with θ, u, ω' independent of it, so for ``Δ = c² Δ₁`` the
sign of ``∂ζ/∂ψ`` does not depend on ``c² > 0``; the ``(ψ, c²)`` diagram is therefore drawn for
the test error ``E = B + V + c² ζ₁``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ._validate import check_array
from .random_projection import rp_risk

__all__ = ["PhaseDiagram", "phase_diagram"]


@dataclass(frozen=True)
class PhaseDiagram:
    """Result of :func:`phase_diagram`.

    Attributes
    ----------
    psi : ndarray, shape (P,)
        Width ratios ψ = m/n (columns).
    rows : ndarray, shape (R,)
        Values of the row parameter (``p2`` or ``c2``).
    row_name : str
        ``"p2"`` or ``"c2"``.
    quantity : str
        ``"zeta"`` or ``"test_error"``.
    value : ndarray, shape (R, P)
        The quantity itself at each cell.
    derivative : ndarray, shape (R, P)
        ``∂(quantity)/∂ψ`` (the finer estimate ``D_{h/2}``).
    sign : ndarray of int, shape (R, P)
        ``+1`` (wider amplifies), ``−1`` (wider mitigates), ``0`` where not reliable.
    reliable : ndarray of bool, shape (R, P)
        Step-size check passed and cell away from ψ = 1.
    rel_step : float
        The step ``h`` in ``log ψ``.
    """

    psi: np.ndarray
    rows: np.ndarray
    row_name: str
    quantity: str
    value: np.ndarray
    derivative: np.ndarray
    sign: np.ndarray
    reliable: np.ndarray
    rel_step: float


def phase_diagram(
    spectrum,
    *,
    n: float,
    psi,
    ridge: float,
    gamma,
    delta_unit,
    p2=None,
    c2=None,
    noise_real: float = 0.0,
    noise_synth: float = 0.0,
    quantity: Literal["zeta", "test_error"] = "zeta",
    rel_step: float = 1e-3,
    tol: float = 1e-2,
) -> PhaseDiagram:
    """Sign of ``∂ζ/∂ψ`` (or ``∂E_test/∂ψ``) over a ``(ψ, p2)`` or a ``(ψ, c²)`` grid.

    Exactly one of ``p2`` and ``c2`` is a 1-D grid (the rows); the other is a scalar.

    Parameters
    ----------
    spectrum : array_like, shape (d,)
        Eigenvalues of Σ.
    n : float
        Total training rows.
    psi : array_like, shape (P,)
        Width ratios ψ = m/n (> 0).
    ridge : float
        λ ≥ 0.
    gamma : array_like, shape (d,)
        Diagonal of Γ = cov(w1).
    delta_unit : array_like, shape (d,)
        Diagonal of Δ₁ with ``tr ΣΔ₁ = 1``: ``Δ = c² Δ₁``.
    p2, c2 : float or array_like, shape (R,)
        Synthetic fraction and quality; one of them is the row grid.
    noise_real, noise_synth : float
        σ1, σ2.
    quantity : {"zeta", "test_error"}
        Which derivative.
    rel_step : float
        ``h`` of the centred difference in ``log ψ`` (checked against ``h/2``).
    tol : float
        Relative disagreement between the two step sizes allowed for a reliable sign.

    Returns
    -------
    PhaseDiagram

    Examples
    --------
    Isotropic, underparametrised side (ψ = 0.5) vs far overparametrised (ψ = 4):

    >>> import numpy as np
    >>> from modelcollapse.numerics.phase import phase_diagram
    >>> d = 200
    >>> ph = phase_diagram(np.ones(d), n=100, psi=[0.5, 4.0], p2=[0.5], c2=1.0, ridge=1e-8,
    ...                    gamma=np.full(d, 1 / d), delta_unit=np.full(d, 1 / d))
    >>> ph.sign.tolist()
    [[1, -1]]
    """
    if quantity not in ("zeta", "test_error"):
        raise ValueError(f"quantity: expected 'zeta' or 'test_error', got {quantity!r}")
    psi_a = check_array(psi, "psi", lower=0.0, strict=True)
    if psi_a.ndim != 1:
        raise ValueError("psi: expected a 1-D grid")
    h = float(check_array(rel_step, "rel_step", lower=0.0, strict=True))
    if h >= 0.05:
        raise ValueError(f"rel_step: must be < 0.05, got {h:g}")
    if p2 is None or c2 is None:
        raise ValueError("p2: give p2 and c2, one of them as the row grid")
    p2_a = check_array(p2, "p2", lower=0.0, upper=1.0)
    c2_a = check_array(c2, "c2", lower=0.0)
    if p2_a.ndim == 1 and c2_a.ndim == 0:
        row_name, rows = "p2", p2_a
    elif c2_a.ndim == 1 and p2_a.ndim == 0:
        row_name, rows = "c2", c2_a
    else:
        raise ValueError("p2: exactly one of p2, c2 must be a 1-D grid, the other a scalar")
    nf = float(check_array(n, "n", lower=0.0, strict=True))
    dl1 = check_array(delta_unit, "delta_unit", lower=0.0)

    def evaluate(factor: float) -> np.ndarray:
        m = nf * psi_a * factor
        p2_rows = rows[:, None] if row_name == "p2" else p2_a
        res = rp_risk(spectrum, n=nf, m=m[None, :], p2=p2_rows, ridge=ridge,
                      noise_real=noise_real, noise_synth=noise_synth, gamma=gamma,
                      delta=dl1, on_failure="raise")
        zeta1 = np.broadcast_to(res.zeta, (rows.size, psi_a.size))
        c2_rows = rows[:, None] if row_name == "c2" else c2_a
        if quantity == "zeta":
            return c2_rows * zeta1
        return np.broadcast_to(res.bias + res.variance, zeta1.shape) + c2_rows * zeta1

    with np.errstate(invalid="ignore", over="ignore"):
        f0 = evaluate(1.0)
        d_h = (evaluate(np.exp(h)) - evaluate(np.exp(-h))) / (2 * h * psi_a)
        d_h2 = (evaluate(np.exp(h / 2)) - evaluate(np.exp(-h / 2))) / (h * psi_a)
        floor = 1e-9 * np.abs(f0) / psi_a
        reliable = (
            np.isfinite(d_h) & np.isfinite(d_h2)
            & (np.sign(d_h) == np.sign(d_h2))
            & (np.abs(d_h - d_h2) <= tol * np.abs(d_h2) + floor)
            & (np.abs(np.log(psi_a)) > 2 * h)[None, :]
            & (np.abs(d_h2) > floor)
        )
    sign = np.where(reliable, np.sign(d_h2), 0).astype(int)
    return PhaseDiagram(psi=psi_a, rows=rows, row_name=row_name, quantity=quantity, value=f0,
                        derivative=d_h2, sign=sign, reliable=reliable, rel_step=h)
