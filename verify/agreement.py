"""Finite-size-aware agreement: theory against Monte Carlo without a free relative slack.

A simulation at finite d differs from the deterministic equivalent by its statistical error and by
a finite-size bias of relative size O(1/d) (e.g. ``d/(n − d − 1)`` against ``d/(n − d)`` for
least squares).  A fixed relative tolerance that covers the bias also covers a wrong formula of
the same size.  :func:`finite_size_check` removes the slack: it simulates one
:class:`~modelcollapse.verify.families.ProblemFamily` at several sizes ``d_k`` (same ratios),
fits the differences ``mc_k − theory_k = a + b/d_k`` by weighted least squares (weights
``1/se_k²``) and tests the extrapolated difference at d → ∞: agreement iff ``|a| ≤ 3 se(a)``
(``z = a/se(a)``), with an absolute floor only for exact zeros (``atol``, default 1e-12 of the
problem's scale).  A verdict needs at least ``MIN_DRAWS`` draws per size.

Examples
--------
>>> from modelcollapse.verify.agreement import fit_intercept
>>> a, se = fit_intercept([100, 200, 400], [0.02, 0.01, 0.005], [0.001, 0.001, 0.001])
>>> round(a, 12), se > 0
(0.0, True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelcollapse.numerics.engine import evaluate

from .families import ProblemFamily

__all__ = ["MIN_DRAWS", "SizeCheck", "fit_intercept", "finite_size_check", "inverse_size",
           "log_over_size", "replicate", "SIZE_KEYS"]

#: Problem sizes that grow with d in a replicated problem (rows, widths, generator rows).
SIZE_KEYS = ("n", "m", "t0", "t")

#: Fewest draws per size from which a verdict is drawn.
MIN_DRAWS = 10

KEYS = ("test_error", "bias", "variance", "zeta")


def inverse_size(d: np.ndarray) -> np.ndarray:
    """``1/d``: the finite-size bias of a deterministic equivalent with smooth features."""
    return 1.0 / d


def log_over_size(d: np.ndarray) -> np.ndarray:
    """``ln(d)/d``: the finite-size bias measured for ReLU random features (docs §5.3)."""
    return np.log(d) / d


def fit_intercept(sizes: Sequence[float], diffs: Sequence[float], ses: Sequence[float],
                  shape: Callable[[np.ndarray], np.ndarray] = inverse_size
                  ) -> tuple[float, float]:
    """``(a, se(a))`` of the weighted least-squares fit ``diff_k = a + b·shape(d_k)``
    (``shape`` = :func:`inverse_size` by default)."""
    d = np.asarray(sizes, dtype=float)
    y = np.asarray(diffs, dtype=float)
    w = 1.0 / np.asarray(ses, dtype=float) ** 2
    x = np.stack([np.ones_like(d), shape(d)], axis=1)
    xtwx = x.T @ (w[:, None] * x)
    cov = np.linalg.inv(xtwx)
    coef = cov @ (x.T @ (w * y))
    if d.size > 2:  # scale by the reduced χ² when it exceeds 1 (misfit of the a + b/d model)
        resid = y - x @ coef
        chi2 = float(resid @ (w * resid)) / (d.size - 2)
        cov = cov * max(1.0, chi2)
    return float(coef[0]), float(np.sqrt(cov[0, 0]))


def replicate(problem: dict[str, Any], factor: int = 2) -> dict[str, Any]:
    """The same problem at ``factor`` times the dimension: every eigenvalue ``factor`` times.

    Random-effects diagonals (``gamma``, ``delta``) are divided by ``factor`` per coordinate and
    fixed teachers (``w_real``, ``w_synth``) by ``√factor``, so that every trace
    ``tr W Σ^a (Σ + t)^{-b}`` of the models is multiplied by ``factor``, exactly like the sizes
    (:data:`SIZE_KEYS`: ``n``, ``m``, ``t0``, ``t``, multiplied).  Every normalised trace — and so
    the deterministic equivalent — is unchanged, while the finite-size bias of a simulation
    shrinks: the second size of the finite-size rule for a problem on any spectrum (one size
    cannot separate a formula's error from that bias).

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.numerics import ridge_risk
    >>> from modelcollapse.verify.agreement import replicate
    >>> prob = dict(spectrum=np.array([1.0, 0.5, 0.1]), n=5, p2=0.4, ridge=0.1, noise_real=0.3,
    ...             noise_synth=0.3, w_real=np.array([1.0, -1.0, 0.5]),
    ...             w_synth=np.array([1.0, 0.0, 0.5]))
    >>> big = replicate(prob)
    >>> big["spectrum"].size, big["n"]
    (6, 10)
    >>> a = ridge_risk(prob.pop("spectrum"), **prob).test_error
    >>> b = ridge_risk(big.pop("spectrum"), **big).test_error
    >>> bool(abs(a - b) < 1e-14 * a)
    True
    """
    if isinstance(factor, bool) or not isinstance(factor, int | np.integer) or factor < 1:
        raise ValueError(f"factor: expected a whole number ≥ 1, got {factor!r}")
    out = dict(problem)
    for key, value in problem.items():
        if key == "spectrum":
            out[key] = np.repeat(np.asarray(value, dtype=float), factor)
        elif key in ("gamma", "delta"):
            out[key] = np.repeat(np.asarray(value, dtype=float), factor) / factor
        elif key in ("w_real", "w_synth"):
            out[key] = np.repeat(np.asarray(value, dtype=float), factor) / np.sqrt(factor)
        elif key in SIZE_KEYS:  # a list of widths is scaled, never repeated
            out[key] = (np.asarray(value) * factor if isinstance(value, list | tuple | np.ndarray)
                        else value * factor)
    return out


@dataclass(frozen=True)
class SizeCheck:
    """The outcome of :func:`finite_size_check`.

    Attributes
    ----------
    family : ProblemFamily
    sizes : ndarray
    theory, mean, stderr : dict of str to ndarray
        Per quantity, over the sizes.
    intercept, intercept_se, z : dict of str to float
        The extrapolated difference ``mc − theory`` at d → ∞, its standard error and ratio.
    agree : dict of str to bool
        ``|z| ≤ nse`` (or the difference within ``atol`` where the quantity is an exact zero).
    """

    family: ProblemFamily
    sizes: np.ndarray
    theory: dict[str, np.ndarray]
    mean: dict[str, np.ndarray]
    stderr: dict[str, np.ndarray]
    intercept: dict[str, float]
    intercept_se: dict[str, float]
    z: dict[str, float]
    agree: dict[str, bool]

    @property
    def all_agree(self) -> bool:
        return all(self.agree.values())

    def describe(self) -> str:
        """Per quantity: the extrapolated difference ± se and z, then the per-size table."""
        lines = [self.family.describe()]
        for k in self.theory:
            lines.append(f"  {k}: a = {self.intercept[k]:.4g} ± {self.intercept_se[k]:.2g} "
                         f"(z = {self.z[k]:.2f}) {'agree' if self.agree[k] else 'DISAGREE'}")
            for j, d in enumerate(self.sizes):
                lines.append(f"    d={int(d)}: theory {self.theory[k][j]:.6g}, mc "
                             f"{self.mean[k][j]:.6g} ± {self.stderr[k][j]:.2g}")
        return "\n".join(lines)


def finite_size_check(
    family: ProblemFamily,
    simulate: Callable[[dict[str, Any], int, int], Any],
    *,
    sizes: Sequence[int] = (100, 200, 400),
    draws: int = 40,
    seed: int = 0,
    keys: Sequence[str] = KEYS,
    nse: float = 3.0,
    atol: float | None = None,
    theory: Callable[[dict[str, Any]], Any] | None = None,
    shape: Callable[[np.ndarray], np.ndarray] = inverse_size,
) -> SizeCheck:
    """Simulate ``family`` at each size and test the d → ∞ extrapolation of ``mc − theory``.

    Parameters
    ----------
    family : ProblemFamily
    simulate : callable
        ``simulate(problem, draws, seed) -> MonteCarloResult`` with one grid point.
    sizes : sequence of int
        The dimensions (at least two).
    draws, seed : int
        Draws per size (≥ :data:`MIN_DRAWS`) and the seed (each size gets its own stream).
    keys : sequence of str
        The quantities tested.
    nse : float
        The z bound.
    atol : float, optional
        Absolute floor for exact zeros (default ``1e-12 ×`` the family's largest ``|theory|``).
    theory : callable, optional
        ``theory(problem) -> result with the keys`` (default: the registered model's engine).
    shape : callable, optional
        The form of the finite-size bias, ``diff_k = a + b·shape(d_k)`` (default ``1/d``; a
        registered model states its own as ``finite_size`` in
        :data:`modelcollapse.verify.registry.MODELS`).
    """
    if draws < MIN_DRAWS:
        raise ValueError(f"draws: a verdict needs at least {MIN_DRAWS} draws per size, got "
                         f"{draws}")
    if len(sizes) < 2:
        raise ValueError("sizes: need at least two sizes to extrapolate")
    theory = theory or (lambda p: evaluate(family.model, **p))
    th: dict[str, list[float]] = {k: [] for k in keys}
    mean: dict[str, list[float]] = {k: [] for k in keys}
    se: dict[str, list[float]] = {k: [] for k in keys}
    for j, d in enumerate(sizes):
        problem = family.at(int(d))
        res = theory(problem)
        mc = simulate(problem, draws, seed + 7919 * j)
        for k in keys:
            th[k].append(float(np.ravel(getattr(res, k))[0]))
            mean[k].append(float(np.ravel(mc.mean[k])[0]))
            se[k].append(float(np.ravel(mc.stderr[k])[0]))
    scale = max(abs(v) for vals in th.values() for v in vals) or 1.0
    floor = 1e-12 * scale if atol is None else atol
    out = dict(intercept={}, intercept_se={}, z={}, agree={})
    for k in keys:
        diffs = np.subtract(mean[k], th[k])
        ses = np.sqrt(np.square(se[k]) + floor**2)
        a, a_se = fit_intercept(sizes, diffs, ses, shape)
        z = a / a_se
        out["intercept"][k], out["intercept_se"][k], out["z"][k] = a, a_se, z
        out["agree"][k] = bool(abs(z) <= nse or np.all(np.abs(diffs) <= floor))
    return SizeCheck(family=family, sizes=np.asarray(sizes, dtype=float),
                     theory={k: np.array(v) for k, v in th.items()},
                     mean={k: np.array(v) for k, v in mean.items()},
                     stderr={k: np.array(v) for k, v in se.items()}, **out)
