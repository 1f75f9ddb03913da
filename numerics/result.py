"""One result type for every model: :class:`Risk`.

Every solver of :mod:`modelcollapse.numerics` returns a :class:`Risk`: the risk components of
``E_test ≃ B + V + ζ`` on the broadcast grid of the inputs, the model's auxiliary quantities (its
unknowns and the named quantities of its declaration, e.g. ``kappa`` and ``u`` for ridge), the
broadcast inputs themselves (``coords``) and a convergence report per point.
:meth:`Risk.to_frame` gives a tidy :class:`pandas.DataFrame` (one row per grid point), so a table
of a sweep — or "theory against Monte Carlo", a join with
:meth:`modelcollapse.verify.MonteCarloResult.to_frame` — needs no re-broadcasting.

Status codes (:data:`STATUS`): 0 converged; 1 interpolation threshold (the ridgeless limit
diverges where its terms carry ``u``; the values are the exact limits); −1 iteration limit or a
residual that failed the independent check; −2 a non-finite value was met.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._rootfind import STATUS, status_notes

__all__ = ["Risk", "ConvergenceError", "STATUS"]


class ConvergenceError(RuntimeError):
    """A solver did not converge for some grid points; the message says which and why."""


@dataclass(frozen=True, repr=False, eq=False)
class Risk:
    """Deterministic equivalent of a model's test error on a grid.

    Attributes
    ----------
    model : str
        Registry name of the model (``"ridge"``, ``"random_projection"``, …).
    test_error, bias, variance, zeta : ndarray
        ``E_test ≃ B + V + ζ``: the excess risk on the target (real) distribution and its parts;
        ``±inf`` at an interpolation threshold where a limit diverges; NaN where not converged.
    auxiliary : mapping of str to ndarray
        The model's reported quantities (also reachable as attributes: ``res.kappa``).
    coords : mapping of str to ndarray
        Every grid input broadcast to the result's shape (read-only views).
    converged, iterations, residual, status : ndarray
        Convergence report per point (see :data:`STATUS`).
    d : int
        The dimension (length of the spectrum).
    options : mapping of str to str
        The model options used (e.g. ``{"form": "corrected"}``).
    """

    model: str
    test_error: np.ndarray
    bias: np.ndarray
    variance: np.ndarray
    zeta: np.ndarray
    auxiliary: Mapping[str, np.ndarray]
    coords: Mapping[str, np.ndarray]
    converged: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray
    status: np.ndarray
    d: int = 0
    options: Mapping[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        aux = object.__getattribute__(self, "auxiliary")
        if name in aux:
            return aux[name]
        model = object.__getattribute__(self, "model")
        raise AttributeError(f"{model!r} result has no attribute {name!r} (auxiliaries: "
                             f"{', '.join(aux) or 'none'})")

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.auxiliary))

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the grid."""
        return np.shape(self.test_error)

    @property
    def size(self) -> int:
        """Number of grid points."""
        return int(np.prod(self.shape))

    def notes(self) -> np.ndarray:
        """A human-readable note per grid point ('' where all is well)."""
        return status_notes(self.status)

    def raise_if_unconverged(self) -> None:
        """Raise :class:`ConvergenceError` naming the first failed point, if any."""
        bad = ~np.asarray(self.converged, dtype=bool)
        if bad.any():
            idx = np.argwhere(bad)
            first = tuple(int(i) for i in idx[0]) if bad.ndim else ()
            status = np.asarray(self.status)
            code = int(status[first] if status.ndim else status)
            res = np.asarray(self.residual)
            raise ConvergenceError(
                f"{self.model}: {int(bad.sum())} grid point(s) did not converge; first at index "
                f"{first}: {STATUS[code]} (residual {float(res[first] if res.ndim else res):.3g})"
            )

    def values(self) -> dict[str, np.ndarray]:
        """Components, then auxiliaries, by name."""
        out = {k: getattr(self, k) for k in ("test_error", "bias", "variance", "zeta")}
        out.update(self.auxiliary)
        return out

    def to_frame(self):
        """A tidy :class:`pandas.DataFrame`: one row per grid point, inputs then outputs.

        Columns: the model, ``d``, the options, every coordinate, ``test_error``, ``bias``,
        ``variance``, ``zeta``, the auxiliaries, ``converged``, ``iterations``, ``residual``,
        ``status`` and ``note``.

        Examples
        --------
        >>> import numpy as np
        >>> from modelcollapse.numerics import ridge_risk
        >>> res = ridge_risk(np.ones(10), n=[20, 40], p2=0.5, ridge=0.1, gamma=np.full(10, 0.1),
        ...                  delta=np.full(10, 0.01))
        >>> df = res.to_frame()
        >>> df[["n", "p2", "test_error", "kappa"]].shape, bool(df.converged.all())
        ((2, 4), True)
        """
        import pandas as pd

        size = self.size
        cols: dict[str, Any] = {"model": np.full(size, self.model, dtype=object),
                                "d": np.full(size, self.d)}
        for k, v in self.options.items():
            cols[k] = np.full(size, v, dtype=object)
        for k, v in self.coords.items():
            cols[k] = np.broadcast_to(v, self.shape).reshape(size)
        for k, v in self.values().items():
            cols[k] = np.asarray(v).reshape(size)
        for k in ("converged", "iterations", "residual", "status"):
            cols[k] = np.broadcast_to(getattr(self, k), self.shape).reshape(size)
        cols["note"] = np.asarray(self.notes()).reshape(size)
        return pd.DataFrame(cols)

    def __repr__(self) -> str:
        te = np.asarray(self.test_error, dtype=float)
        finite = te[np.isfinite(te)]
        span = (f"{finite.min():.6g}" if finite.size and finite.min() == finite.max()
                else f"{finite.min():.6g} … {finite.max():.6g}" if finite.size else "none finite")
        conv = int(np.asarray(self.converged).sum())
        status = np.asarray(self.status)
        extra = f", {int((status == 1).sum())} at the threshold" if (status == 1).any() else ""
        aux = ", ".join(self.auxiliary)
        return (f"<Risk {self.model} shape={self.shape} converged {conv}/{self.size}{extra}; "
                f"test_error {span}; auxiliaries: {aux}>")
