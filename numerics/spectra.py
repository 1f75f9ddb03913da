r"""Spectra given by a formula or compressed: spectral moments without an O(d) sum.

Every formula of the theory is a rational function of the spectral moments
``M_W(a, b; t) = tr W Σ^a (Σ + t)^{-b} = Σ_j ω_j s_j^a (s_j + t)^{-b}`` (docs/mathematics.md §0).
An array spectrum costs ``O(d)`` per moment and shift.  The two objects here evaluate the same
moments in ``O(1)`` work per shift, with a bound on the error of every value, and follow the
contract of :class:`modelcollapse.numerics._moments.SpectrumBatch`: ``moments(t, specs)`` returns
``{(weight, a, b): array like t}``; ``trace``, ``smallest`` (shape (1,)), ``d``, ``shared``
(True) and ``rows`` (1).

* :class:`PowerLawSpectrum` — ``s_j = j^{-β}`` (β > 1), ``j = 1..d`` with ``d`` finite or
  ``∞``, and power-law teacher diagonals ``Γ_jj = g j^{-e_Γ}``, ``Δ_jj = c j^{-e_Δ}``.  A head sum
  over ``j < J`` and an Euler–Maclaurin tail with a certified remainder
  (:mod:`modelcollapse.numerics._euler_maclaurin` states and proves the bound).
* :func:`compress_spectrum` — a long array spectrum (with weights) replaced by per-group Gauss
  rules in ``ln s`` that reproduce every moment with ``a, b ≤ max_power``, for every ``t ≥ 0``,
  to a stated relative tolerance, with a bound checked against the exact sums
  (:mod:`modelcollapse.numerics._gauss_compress`).

Examples
--------
>>> import numpy as np
>>> from modelcollapse.numerics.spectra import PowerLawSpectrum
>>> spec = PowerLawSpectrum(2.0)                       # s_j = 1/j², d = ∞
>>> bool(abs(spec.trace[0] - np.pi**2 / 6) < 1e-15)    # ζ(2)
True
>>> m = spec.moments(np.array([1e-8]), [("I_d", 1, 1)])[("I_d", 1, 1)]   # df1(1e-8)
>>> round(float(m[0]), 3)                              # ≈ (π/2)·10⁴ − 1/2
15707.463
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Iterable, Mapping

import numpy as np
from numpy.typing import ArrayLike

from ._euler_maclaurin import power_sums
from ._gauss_compress import GroupRules, compress_measure, group_bounds

__all__ = ["PowerLawSpectrum", "CompressedSpectrum", "compress_spectrum", "MomentSpec"]

#: ``(weight name, a, b)``: the moment ``Σ_j ω_j s_j^a (s_j + t)^{-b}``.
MomentSpec = tuple[str, int, int]

_WEIGHT_NAMES = ("I_d", "Gamma", "Delta")
_U = 2.0**-53
#: Rounding allowance (in units of u, relative) for the computed Gauss rules: Stieltjes inner
#: products and the tridiagonal eigenproblem perturb nodes by O(u) in ln s and weights by O(n u).
_RULE_ROUNDING = 64


def _check_spec(spec, available: Iterable[str]) -> MomentSpec:
    try:
        name, a, b = spec
    except (TypeError, ValueError):
        raise ValueError(f"specs: each moment is (weight, a, b), got {spec!r}") from None
    if name not in _WEIGHT_NAMES:
        raise ValueError(f"specs: unknown weight {name!r} in {spec!r}; use one of "
                         f"{', '.join(_WEIGHT_NAMES)}")
    if name not in available:
        param = name.lower()
        raise ValueError(f"specs: the moment {spec!r} needs the weight {name!r}, but this "
                         f"spectrum was built without {param}=")
    for label, val in (("a", a), ("b", b)):
        if isinstance(val, bool) or not isinstance(val, numbers.Integral) or val < 0:
            raise ValueError(f"specs: the power {label} of {spec!r} must be an integer >= 0")
    return (name, int(a), int(b))


def _check_shifts(t: ArrayLike) -> np.ndarray:
    try:
        arr = np.asarray(t, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"t: expected real shifts, got {t!r:.60}") from None
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError("t: every shift must be finite and >= 0")
    return arr


class PowerLawSpectrum:
    r"""The spectrum ``s_j = j^{-β}``, ``j = 1..d`` (``d`` finite or ``∞``), with power-law
    teacher diagonals, evaluated to a relative accuracy of about ``10⁻¹⁴`` with a bound.

    Parameters
    ----------
    beta : float
        Decay exponent β > 1 (``tr Σ = ζ(β)`` at ``d = ∞``).
    dimension : int or None
        ``d``; ``None`` (or ``math.inf``) for ``d = ∞``.
    gamma : (scale, exponent) or None
        ``Γ_jj = scale · j^{-exponent}`` (random-effects covariance of ``w1``), scale ≥ 0.
        :func:`modelcollapse.theory.power_law.source_diagonal` builds it from a source exponent.
    delta : (scale, exponent) or None
        ``Δ_jj = scale · j^{-exponent}`` (covariance of ``δ = w2 − w1``), scale ≥ 0.

    Notes
    -----
    With weight ``ω_j = g j^{-e}`` the moment is ``g Σ_j j^{-q} (j^{-β} + t)^{-b}`` with
    ``q = e + aβ``.  At ``d = ∞`` it converges iff ``q > 1`` (``t > 0``) and iff ``q − bβ > 1``
    (``t = 0``); a divergent moment raises ``ValueError`` naming it.  The sum is computed as an
    exact head ``j < J`` (``J = 32`` unless β > 5) plus the Euler–Maclaurin tail: the integral
    ``∫_J^d`` by binomial series where ``t x^β ≤ 1/4`` or ``≥ 4`` and Gauss–Legendre in between,
    ``f(J)/2`` and ``m`` derivative corrections.  The remainder is at most
    ``|B_{2m}| K (ρJ)^{-2m} ∫_J^d f`` with ``K`` a constant free of ``t`` (``f`` is analytic in a
    sector around the positive axis, so Cauchy's estimate bounds ``f^{(2m)}(x)`` by
    ``(2m)! K f(x) (ρx)^{-2m}``); the full statement and proof are in
    :mod:`modelcollapse.numerics._euler_maclaurin`.  The work per shift does not depend on ``t``
    or ``d``.  :meth:`error_bounds` returns, per moment and shift, that truncation bound plus a
    standard-model estimate of the floating-point rounding.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.numerics.spectra import PowerLawSpectrum
    >>> spec = PowerLawSpectrum(1.5, gamma=(1.0, 0.8))
    >>> t = np.logspace(-10, 4, 3)
    >>> vals, bounds = spec.moments_with_error(t, [("Gamma", 1, 2)])
    >>> bool(np.all(bounds[("Gamma", 1, 2)] < 1e-13 * vals[("Gamma", 1, 2)]))
    True
    >>> PowerLawSpectrum(1.5).moments(t, [("I_d", 0, 1)])
    Traceback (most recent call last):
    ...
    ValueError: specs: the moment ('I_d', 0, 1) = tr Σ^0 (Σ + t)^-1 diverges for dimension=∞ ...
    """

    shared = True
    rows = 1

    def __init__(
        self,
        beta: float,
        dimension: int | None = None,
        gamma: tuple[float, float] | None = None,
        delta: tuple[float, float] | None = None,
    ):
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not (
            math.isfinite(beta) and beta > 1
        ):
            raise ValueError(f"beta: the decay exponent must be a finite number > 1, got {beta!r}")
        self.beta = float(beta)
        if dimension is None or (isinstance(dimension, float) and dimension == math.inf):
            self._n: int | None = None
        elif (isinstance(dimension, bool) or not isinstance(dimension, numbers.Integral)
              or dimension < 1):
            raise ValueError(f"dimension: expected a positive integer or None (d = ∞), got "
                             f"{dimension!r}")
        else:
            self._n = int(dimension)
        self._weights: dict[str, tuple[float, float]] = {"I_d": (1.0, 0.0)}
        for name, param, value in (("Gamma", "gamma", gamma), ("Delta", "delta", delta)):
            if value is None:
                continue
            try:
                scale, exponent = value
                scale, exponent = float(scale), float(exponent)
            except (TypeError, ValueError):
                raise ValueError(f"{param}: expected (scale, exponent), got {value!r}") from None
            if not (math.isfinite(scale) and scale >= 0):
                raise ValueError(f"{param}: the scale must be finite and >= 0, got {scale!r}")
            if not math.isfinite(exponent):
                raise ValueError(f"{param}: the exponent must be finite, got {exponent!r}")
            self._weights[name] = (scale, exponent)

    def __repr__(self) -> str:
        d = "None" if self._n is None else str(self._n)
        extra = "".join(f", {k.lower()}={v}" for k, v in self._weights.items() if k != "I_d")
        return f"PowerLawSpectrum(beta={self.beta!r}, dimension={d}{extra})"

    @property
    def d(self) -> float | int:
        """The dimension: an ``int``, or ``math.inf``."""
        return math.inf if self._n is None else self._n

    @property
    def weights(self) -> dict[str, tuple[float, float]]:
        """``{name: (scale, exponent)}`` for ``"I_d"`` and the teacher diagonals given."""
        return dict(self._weights)

    @functools.cached_property
    def trace(self) -> np.ndarray:
        """``tr Σ = Σ_{j≤d} j^{-β}`` (``ζ(β)`` at ``d = ∞``), shape (1,)."""
        return self.moments(np.zeros(1), [("I_d", 1, 0)])[("I_d", 1, 0)]

    @property
    def smallest(self) -> np.ndarray:
        """Smallest eigenvalue ``d^{-β}`` (0 at ``d = ∞``), shape (1,)."""
        return np.array([0.0 if self._n is None else float(self._n) ** -self.beta])

    def _keys(self, t: np.ndarray, specs) -> dict[MomentSpec, tuple[float, float, int]]:
        """``spec -> (scale, q, b)``, with the convergence checks at ``d = ∞``."""
        out = {}
        has_zero = bool(np.any(t == 0))
        for raw in specs:
            spec = _check_spec(raw, self._weights)
            name, a, b = spec
            scale, e = self._weights[name]
            q = e + a * self.beta
            if self._n is None and scale > 0:
                at_zero = has_zero and b > 0
                decay = q - b * self.beta if at_zero else q
                if decay <= 1:
                    w = {"I_d": "", "Gamma": "Γ ", "Delta": "Δ "}[name]
                    where = " at t = 0" if at_zero else ""
                    raise ValueError(
                        f"specs: the moment {spec!r} = tr {w}Σ^{a} (Σ + t)^-{b} diverges for "
                        f"dimension=∞{where} (its terms decay like j^-{decay:.6g}; the sum needs "
                        "an exponent > 1)")
            out[spec] = (scale, q, b)
        return out

    def moments_with_error(
        self, t: ArrayLike, specs: Iterable[MomentSpec]
    ) -> tuple[dict[MomentSpec, np.ndarray], dict[MomentSpec, np.ndarray]]:
        """Values and absolute error bounds ``{spec: array like t}`` of the moments at ``t``."""
        t = _check_shifts(t)
        flat = t.ravel()
        keys = self._keys(flat, list(dict.fromkeys(specs)))
        sums = power_sums(self.beta, self._n, flat,
                          [(q, b) for scale, q, b in keys.values() if scale > 0])
        values, bounds = {}, {}
        for spec, (scale, q, b) in keys.items():
            if scale == 0:
                values[spec] = np.zeros(t.shape)
                bounds[spec] = np.zeros(t.shape)
                continue
            val, err = sums[(q, b)]
            values[spec] = (scale * val).reshape(t.shape)
            bounds[spec] = (scale * err * (1 + 4 * _U) + 2 * _U * scale * np.abs(val)).reshape(
                t.shape)
        return values, bounds

    def moments(
        self, t: ArrayLike, specs: Iterable[MomentSpec], index: np.ndarray | None = None
    ) -> dict[MomentSpec, np.ndarray]:
        """The moments ``Σ_j ω_j s_j^a (s_j + t)^{-b}`` at the shifts ``t`` (shape (K,)).

        ``index`` is accepted for the :class:`SpectrumBatch` contract and ignored (one shared
        spectrum).
        """
        return self.moments_with_error(t, specs)[0]

    def error_bounds(
        self, t: ArrayLike, specs: Iterable[MomentSpec], index: np.ndarray | None = None
    ) -> dict[MomentSpec, np.ndarray]:
        """Absolute error bound of every moment of :meth:`moments` (same keys and shapes)."""
        return self.moments_with_error(t, specs)[1]


class CompressedSpectrum:
    """A long spectrum replaced by per-group Gauss rules (see :func:`compress_spectrum`)."""

    shared = True
    rows = 1

    def __init__(self, rules: Mapping[str, GroupRules], d: int, trace: float, smallest: float,
                 power_sums: Mapping[str, np.ndarray], rtol: float, max_power: int):
        self._rules = dict(rules)
        self._d = d
        self._trace = trace
        self._smallest = smallest
        self._power_sums = dict(power_sums)
        self.rtol = rtol
        self.max_power = max_power

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}: {v.nodes.size}" for k, v in self._rules.items())
        return f"CompressedSpectrum(d={self._d}, nodes={{{sizes}}}, rtol={self.rtol:g})"

    @property
    def d(self) -> int:
        """The dimension of the original spectrum."""
        return self._d

    @property
    def trace(self) -> np.ndarray:
        """``tr Σ`` of the original spectrum (its sum), shape (1,)."""
        return np.array([self._trace])

    @property
    def smallest(self) -> np.ndarray:
        """Smallest eigenvalue of the original spectrum, shape (1,)."""
        return np.array([self._smallest])

    @property
    def node_count(self) -> dict[str, int]:
        """Number of quadrature nodes per weight name."""
        return {k: int(v.nodes.size) for k, v in self._rules.items()}

    def _evaluate(self, t: ArrayLike, specs: Iterable[MomentSpec], with_bounds: bool):
        t = _check_shifts(t)
        flat = t.ravel()
        values, bounds = {}, {}
        order = list(dict.fromkeys(_check_spec(raw, self._rules) for raw in specs))
        by_weight: dict[str, list[MomentSpec]] = {}
        for spec in order:
            by_weight.setdefault(spec[0], []).append(spec)
        for name, group in by_weight.items():
            rules = self._rules[name]
            s = rules.nodes
            exact = [sp for sp in group if sp[2] == 0 and sp[1] < self._power_sums[name].size]
            for spec in exact:  # pairwise sum of the original
                values[spec] = np.full(flat.shape, self._power_sums[name][spec[1]])
            quad = [sp for sp in group if sp not in exact]
            with np.errstate(divide="ignore", invalid="ignore"):
                cols = np.stack([rules.weights * s ** sp[1] for sp in quad], axis=1) if quad \
                    else np.zeros((s.size, 0))
            out = np.empty((flat.size, len(quad)))
            top = max((sp[2] for sp in quad), default=0)
            rows = max(1, (1 << 18) // max(s.size, 1))
            for lo in range(0, flat.size, rows):
                hi = min(flat.size, lo + rows)
                inv = 1.0 / (s[None, :] + flat[lo:hi, None])
                power = np.ones_like(inv)
                for b in range(top + 1):
                    if b:
                        power *= inv
                    idx = [i for i, sp in enumerate(quad) if sp[2] == b]
                    if idx:
                        out[lo:hi, idx] = power @ cols[:, idx]
            for i, spec in enumerate(quad):
                values[spec] = out[:, i]
            if with_bounds:
                for spec in group:
                    a, b = spec[1], spec[2]
                    val = np.abs(values[spec])
                    if spec in exact:
                        bounds[spec] = (2 * a + 40) * _U * val
                    else:
                        bounds[spec] = (group_bounds(rules, flat, a, b)
                                        + (s.size + 2 * b + _RULE_ROUNDING) * _U * val)
        values = {k: v.reshape(t.shape) for k, v in values.items()}
        bounds = {k: v.reshape(t.shape) for k, v in bounds.items()}
        return ({k: values[k] for k in order},
                {k: bounds[k] for k in order} if with_bounds else {})

    def moments_with_error(
        self, t: ArrayLike, specs: Iterable[MomentSpec]
    ) -> tuple[dict[MomentSpec, np.ndarray], dict[MomentSpec, np.ndarray]]:
        """Values and absolute error bounds ``{spec: array like t}`` of the moments at ``t``."""
        return self._evaluate(t, specs, True)

    def moments(
        self, t: ArrayLike, specs: Iterable[MomentSpec], index: np.ndarray | None = None
    ) -> dict[MomentSpec, np.ndarray]:
        """The moments at the shifts ``t`` (``index`` accepted and ignored, as above)."""
        return self._evaluate(t, specs, False)[0]

    def error_bounds(
        self, t: ArrayLike, specs: Iterable[MomentSpec], index: np.ndarray | None = None
    ) -> dict[MomentSpec, np.ndarray]:
        """Absolute error bound of every moment of :meth:`moments`."""
        return self._evaluate(t, specs, True)[1]


def compress_spectrum(
    eigenvalues: ArrayLike,
    weights: Mapping[str, ArrayLike] | None = None,
    *,
    rtol: float = 1e-12,
    max_power: int = 3,
    check: bool = True,
) -> CompressedSpectrum:
    r"""Replace a long spectrum by a small quadrature with the same moments, to ``rtol``.

    The eigenvalues are grouped by ``ln s`` in bins of width 2 (a factor ``e² ≈ 7.4``); each
    group's measure ``Σ ω_j δ_{s_j}`` (one per weight name) becomes its Gauss rule in ``ln s`` with
    ``n`` positive weights, ``n`` chosen so that for every ``a, b ≤ max_power`` and *every*
    ``t ≥ 0`` the relative error of the group's contribution is at most ``rtol/4``: the moment
    integrand is analytic in ``ln s`` in the strip ``|Im| < π`` whatever ``t`` is (proof in
    :mod:`modelcollapse.numerics._gauss_compress`).  :meth:`CompressedSpectrum.error_bounds`
    reports that truncation bound, evaluated per shift, plus an allowance for the rounding of the
    computed rules and of the sum; ``check=True`` verifies on a grid of shifts that the actual
    error against the exact array sum is within it and that it is within ``rtol``.  Groups with
    few distinct eigenvalues are kept exactly, and the ``b = 0`` moments with ``a ≤ max_power``
    are sums of the original.  Weights are positive, so compressed moments keep their signs and
    their monotonicity in ``t``.

    Parameters
    ----------
    eigenvalues : array_like, shape (d,)
        Eigenvalues of Σ, ≥ 0.
    weights : mapping, optional
        ``{"Gamma": array (d,), "Delta": array (d,)}``, each ≥ 0; ``"I_d"`` is always present.
    rtol : float
        Relative tolerance for the moments with ``a, b ≤ max_power`` (default ``1e-12``;
        between ``1e-14`` and ``0.1``).
    max_power : int
        Largest ``a`` and ``b`` guaranteed (default 3, what the models use).
    check : bool
        Compare every moment with ``a, b ≤ max_power`` against the exact array sum at 8 shifts
        from 0 to ``10⁶ s_max`` and raise ``RuntimeError`` if an error exceeds its reported bound
        or a bound exceeds ``rtol`` (default True; about ``8·max_power·(max_power + 1)`` array
        passes per weight).

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.numerics.spectra import compress_spectrum
    >>> s = np.arange(1, 100_001.0) ** -1.5
    >>> comp = compress_spectrum(s, {"Gamma": s**0.3})
    >>> comp.node_count["I_d"] < 500
    True
    >>> t = np.array([1e-9, 1e-3, 10.0])
    >>> vals, bounds = comp.moments_with_error(t, [("Gamma", 1, 2)])
    >>> exact = np.array([(s**1.3 / (s + x) ** 2).sum() for x in t])
    >>> bool(np.all(np.abs(vals[("Gamma", 1, 2)] - exact) <= 1e-12 * exact))
    True
    """
    s = np.asarray(eigenvalues, dtype=float) if not isinstance(eigenvalues, str) else None
    if s is None or s.ndim != 1 or s.size == 0:
        raise ValueError("eigenvalues: expected a non-empty one-dimensional array")
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("eigenvalues: every eigenvalue must be finite and >= 0")
    if isinstance(rtol, bool) or not isinstance(rtol, numbers.Real) or not 1e-14 <= rtol <= 0.1:
        raise ValueError(f"rtol: expected a number between 1e-14 and 0.1, got {rtol!r}")
    if (isinstance(max_power, bool) or not isinstance(max_power, numbers.Integral)
            or not 0 <= max_power <= 8):
        raise ValueError(f"max_power: expected an integer from 0 to 8, got {max_power!r}")
    measures = {"I_d": np.ones_like(s)}
    for name, w in (weights or {}).items():
        if name not in ("Gamma", "Delta"):
            raise ValueError(f"weights: unknown weight {name!r}; use 'Gamma' or 'Delta'")
        arr = np.asarray(w, dtype=float)
        if arr.shape != s.shape:
            raise ValueError(f"weights: {name!r} has shape {arr.shape}, the eigenvalues {s.shape}")
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise ValueError(f"weights: every entry of {name!r} must be finite and >= 0")
        measures[name] = arr
    order = np.argsort(s, kind="stable")
    s_sorted = s[order]
    rules = {name: compress_measure(s_sorted, w[order], rtol / 4, max_power)
             for name, w in measures.items()}
    sums = {name: np.array([np.sum(w * s**a) for a in range(max_power + 1)])
            for name, w in measures.items()}
    comp = CompressedSpectrum(rules, int(s.size), float(np.sum(s)), float(s.min()), sums,
                              float(rtol), int(max_power))
    if check:
        _check_against_sums(comp, s, measures, rtol)
    return comp


def _check_against_sums(comp: CompressedSpectrum, s: np.ndarray,
                        measures: Mapping[str, np.ndarray], rtol: float) -> None:
    """Compare every moment with ``a, b ≤ max_power`` to the exact array sum at 8 shifts from 0
    to ``10⁶ s_max``: the error must be within the reported bound (allowing for the pairwise
    summation of the exact sum, ``(2b + 40) u`` relative) and the bound within ``rtol``."""
    t_check = float(s.max()) * np.r_[0.0 if s.min() > 0 else 1e-15, np.logspace(-12, 6, 7)]
    powers = range(comp.max_power + 1)
    specs = [(name, a, b) for name in measures for a in powers for b in powers if b]
    vals, bounds = comp.moments_with_error(t_check, specs)
    cols = {(name, a): w * s**a for name, w in measures.items() for a in powers}
    for k, t in enumerate(t_check):
        inv = 1.0 / (s + t)
        inv_b = np.ones_like(s)
        for b in range(1, comp.max_power + 1):
            inv_b = inv_b * inv
            for name, a in cols:
                spec = (name, a, b)
                exact = float(np.sum(inv_b * cols[(name, a)]))
                err = abs(float(vals[spec][k]) - exact)
                bound = float(bounds[spec][k])
                if err > bound + (2 * b + 40) * _U * exact or bound > rtol * exact:
                    raise RuntimeError(
                        f"compress_spectrum: check failed for {spec} at t = {t:.3g}: error "
                        f"{err:.3g}, bound {bound:.3g}, value {exact:.3g} (rtol={rtol:g})")
