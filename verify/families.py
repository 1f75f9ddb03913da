"""Problem families: one dimensionless problem of a registered model, instantiated at any size d.

A Monte Carlo differs from the deterministic equivalent by terms of relative size O(1/d); to test
the theory without a free relative slack, the same problem is simulated at several d and the
difference extrapolated to d → ∞ (:mod:`modelcollapse.verify.agreement`).  A
:class:`ProblemFamily` holds what does not change with d — the shape of the spectrum, the
teacher's exponents and energies, the ratios ``n/d``, ``m/d``, the fractions, λ relative to the
mean eigenvalue, the noise levels — and :meth:`ProblemFamily.at` builds the problem (keyword
arguments of the model's theory function) at a given d, with whole numbers of rows.

Examples
--------
>>> from modelcollapse.verify.families import ProblemFamily
>>> fam = ProblemFamily("ridge", spectrum=("power_law", 1.0), teacher=("random", 1.0, 0.5, 0.0,
...                     -1.0, 0.0), values={"n": 2.0, "p2": 0.25, "ridge": 0.1,
...                     "noise_real": 0.5, "noise_synth": 0.5})
>>> p = fam.at(40)
>>> p["n"], p["p2"], p["spectrum"].shape, round(float(p["gamma"] @ p["spectrum"]), 12)
(80, 0.25, (40,), 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modelcollapse.numerics.models import MODELS

__all__ = ["ProblemFamily", "spectrum_at", "teacher_at"]


def spectrum_at(kind: str, exponent: float, d: int) -> np.ndarray:
    """Eigenvalues of a family's Σ at dimension d, normalised to ``tr Σ = 1``.

    ``"isotropic"``: Σ = I/d.  ``"power_law"``: ``s_j ∝ j^{-exponent}``.  ``"two_level"``: the first
    quarter of the eigenvalues ``exponent`` times the rest (a gapped spectrum).
    """
    j = np.arange(1, d + 1, dtype=float)
    if kind == "isotropic":
        s = np.ones(d)
    elif kind == "power_law":
        s = j ** (-exponent)
    elif kind == "two_level":
        s = np.where(j <= max(1, d // 4), exponent, 1.0)
    else:
        raise ValueError(f"spectrum: unknown kind {kind!r}")
    return s / s.sum()


def teacher_at(spec: tuple, s: np.ndarray, kinds: Mapping[str, tuple[str, ...]]
               ) -> dict[str, np.ndarray]:
    """A family's teacher at the spectrum ``s``.

    ``spec = (kind, r2, c2, gamma_exponent, delta_exponent, correlation)``: random effects with
    ``Γ ∝ Σ^a``, ``Δ ∝ Σ^b`` normalised to ``tr ΓΣ = r²``, ``tr ΔΣ = c²``; or fixed vectors with
    ``w1_j ∝ s_j^{a/2} cos(j)``, ``δ`` along ``s_j^{b/2} sin(3j)`` Σ-orthogonalised to ``w1`` then
    mixed with correlation ρ (deterministic directions, so the family is the same problem at every
    d).  Only the keys the model takes are returned.
    """
    kind, r2, c2, a, b, rho = spec
    d = s.size
    j = np.arange(1, d + 1, dtype=float)
    if kind == "random":
        g = s**a
        dl = s**b
        out = {"gamma": g * (r2 / (g @ s)), "delta": dl * (c2 / (dl @ s))}
    else:
        w = s ** (a / 2) * np.cos(j)
        z = s ** (b / 2) * np.sin(3 * j)

        def dot(x, y):
            return float(x @ (s * y))

        w_hat = w / np.sqrt(dot(w, w))
        z = z - dot(z, w_hat) * w_hat
        z_hat = z / np.sqrt(dot(z, z))
        w1 = np.sqrt(r2) * w_hat
        dl = np.sqrt(c2) * (rho * w_hat + np.sqrt(max(0.0, 1 - rho**2)) * z_hat)
        out = {"w_real": w1, "w_synth": w1 + dl}
    keys = kinds[kind]
    return {k: v for k, v in out.items() if k in keys}


@dataclass(frozen=True)
class ProblemFamily:
    """A dimensionless problem of ``model`` (see the module docstring).

    Attributes
    ----------
    model : str
        Registry name.
    spectrum : (str, float)
        ``(kind, exponent)`` of :func:`spectrum_at`.
    teacher : tuple
        ``(kind, r2, c2, gamma_exponent, delta_exponent, correlation)`` of :func:`teacher_at`.
    values : mapping
        The grid parameters: those declared with ``scale="d"`` as multiples of d (rounded to whole
        rows), ``scale="spectrum"`` as multiples of the mean eigenvalue, the rest as they are.
    """

    model: str
    spectrum: tuple[str, float]
    teacher: tuple
    values: Mapping[str, float] = field(default_factory=dict)

    def at(self, d: int) -> dict[str, Any]:
        """The problem at dimension ``d``: keyword arguments of the model's theory function."""
        spec = MODELS[self.model].spec
        s = spectrum_at(*self.spectrum, d)
        out: dict[str, Any] = {"spectrum": s}
        for p in spec.grid_parameters:
            v = float(self.values[p.name])
            if p.scale == "d":
                v = int(round(v * d))
            elif p.scale == "spectrum":
                v = v * float(s.mean())
            elif p.whole:
                v = int(round(v))
            out[p.name] = v
        if "p2" in out and "n" in out:  # whole synthetic rows: p2 = n2/n exactly
            out["p2"] = round(out["p2"] * out["n"]) / out["n"]
            if "alpha" in out and out["p2"] in (0.0, 1.0):  # a group with no rows has no weight
                out["alpha"] = out["p2"]
        out.update(teacher_at(self.teacher, s, spec.teachers))
        return out

    def describe(self) -> str:
        """One line for failure messages."""
        vals = ", ".join(f"{k}={v:.4g}" for k, v in self.values.items())
        return f"{self.model}: spectrum {self.spectrum}, teacher {self.teacher}, {vals}"
