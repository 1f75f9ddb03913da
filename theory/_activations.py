"""Gaussian-equivalence coefficients of an activation (docs/mathematics.md §2, random features).

For ``z ~ N(0, 1)`` and an activation σ,

    μ0 = E σ(z),   μ1 = E z σ(z),   μ*² = E σ(z)² − μ0² − μ1²,

so that ``σ(z) = μ0 + μ1 z + (a part uncorrelated with every linear function of z)`` with that
part's variance μ*².  ``a2 = E σ(z) He2(z)/√2`` (``He2 = z² − 1``) is the degree-2 share of μ*²
(``a2² ≤ μ*²``), reported because the quadratic part is the first to feel a spectrum of low
effective rank.

* ``"relu"``, ``"erf"`` and ``"linear"``: closed forms (SymPy, exact) — see :func:`closed_form`;
  :func:`derive_closed_form` re-derives them by symbolic integration (slow; the tests use it);
* ``"tanh"`` and any callable: Gauss–Hermite quadrature, with the number of nodes doubled until two
  successive rules agree to 1e-13 (smooth activations); an activation with a kink converges slowly
  under Gauss–Hermite and is integrated by adaptive quadrature on each half-line instead, with its
  error bound.  A callable is evaluated on arrays of nodes only — never parsed from text.

Examples
--------
>>> from modelcollapse.theory._activations import gaussian_coefficients
>>> c = gaussian_coefficients("relu")
>>> round(c.mu1, 12), round(c.mu_star_sq, 12)  # 1/2 and 1/4 − 1/(2π)
(0.5, 0.090845056908)
>>> round(gaussian_coefficients("tanh").mu1, 10)
0.6057055096
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

__all__ = [
    "ACTIVATIONS",
    "GaussianCoefficients",
    "activation_function",
    "closed_form",
    "derive_closed_form",
    "gaussian_coefficients",
]

#: Activations known by name (the choices of the random-features model's ``activation``).
ACTIVATIONS = ("relu", "tanh", "erf", "linear")

_CLOSED = ("relu", "erf", "linear")
_Z = sp.Symbol("z", real=True)


@dataclass(frozen=True)
class GaussianCoefficients:
    """μ0, μ1, μ*² (and a2) of one activation at unit pre-activation variance.

    Attributes
    ----------
    name : str
        The activation's name (``"custom"`` for a callable).
    mu0, mu1 : float
        ``E σ(z)`` and ``E z σ(z)``.
    mu_star_sq : float
        ``E σ(z)² − μ0² − μ1²`` (≥ 0).
    a2 : float
        ``E σ(z)(z² − 1)/√2``, the degree-2 Hermite coefficient.
    second_moment : float
        ``E σ(z)²``.
    exact : bool
        Closed form (True) or quadrature (False).
    error : float
        Bound on the absolute error of the quadrature (0 for closed forms).
    """

    name: str
    mu0: float
    mu1: float
    mu_star_sq: float
    a2: float
    second_moment: float
    exact: bool
    error: float = 0.0

    @property
    def mu_star(self) -> float:
        """μ* = √(μ*²)."""
        return math.sqrt(self.mu_star_sq)


def activation_function(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """The NumPy function of a named activation (a ValueError naming ``activation`` otherwise).

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.theory._activations import activation_function
    >>> activation_function("relu")(np.array([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    if name == "relu":
        return lambda z: np.maximum(z, 0.0)
    if name == "tanh":
        return np.tanh
    if name == "erf":
        from scipy.special import erf

        return erf
    if name == "linear":
        return lambda z: np.asarray(z, dtype=float) * 1.0
    raise ValueError(f"activation: expected one of {', '.join(map(repr, ACTIVATIONS))} or a "
                     f"callable, got {str(name)[:60]!r}")


def closed_form(name: str) -> dict[str, sp.Expr]:
    """``{"mu0", "mu1", "second_moment", "a2"}`` in closed form (SymPy) for relu, erf, linear.

    ReLU: ``μ0 = 1/√(2π)``, ``μ1 = 1/2``, ``E σ² = 1/2``, ``a2 = 1/(2√π)``.  erf: ``μ0 = 0``,
    ``μ1 = 2/√(3π)``, ``E σ² = (2/π) arcsin(2/3)`` (written ``(4 arctan √5 − π)/π``, as SymPy
    derives it), ``a2 = 0``.  Linear ``σ(z) = z``: ``0, 1, 1, 0``.

    Examples
    --------
    >>> import sympy as sp
    >>> from modelcollapse.theory._activations import closed_form
    >>> c = closed_form("relu")
    >>> mu_star_sq = c["second_moment"] - c["mu0"]**2 - c["mu1"]**2
    >>> sp.simplify(mu_star_sq - (sp.Rational(1, 4) - 1 / (2 * sp.pi)))
    0
    """
    half = sp.Rational(1, 2)
    if name == "relu":
        return {"mu0": 1 / sp.sqrt(2 * sp.pi), "mu1": half, "second_moment": half,
                "a2": 1 / (2 * sp.sqrt(sp.pi))}
    if name == "erf":
        return {"mu0": sp.Integer(0), "mu1": 2 / sp.sqrt(3 * sp.pi),
                "second_moment": (4 * sp.atan(sp.sqrt(5)) - sp.pi) / sp.pi, "a2": sp.Integer(0)}
    if name == "linear":
        return {"mu0": sp.Integer(0), "mu1": sp.Integer(1), "second_moment": sp.Integer(1),
                "a2": sp.Integer(0)}
    raise ValueError(f"activation: no closed form for {name!r} (closed forms: "
                     f"{', '.join(_CLOSED)})")


def derive_closed_form(name: str) -> dict[str, sp.Expr]:
    """Derive :func:`closed_form` by symbolic integration against the Gaussian density.

    ReLU integrates over the half-line; for erf, ``E erf(z)²`` is obtained as ``F(1)`` with
    ``F(a) = E erf(az)²``, ``F(0) = 0`` and ``F'(a) = E 2 erf(az) (2/√π) z e^{−a²z²}`` (SymPy
    integrates the derivative, then over ``a``).  Takes seconds; the tests call it.
    """
    z = _Z
    density = sp.exp(-(z**2) / 2) / sp.sqrt(2 * sp.pi)

    def gauss(f, lower=-sp.oo):
        return sp.simplify(sp.integrate(f * density, (z, lower, sp.oo)))

    if name == "relu":
        return {"mu0": gauss(z, 0), "mu1": gauss(z**2, 0), "second_moment": gauss(z**2, 0),
                "a2": sp.simplify(gauss(z * (z**2 - 1), 0) / sp.sqrt(2))}
    if name == "erf":
        a, b = sp.symbols("a b", positive=True)
        slope = gauss(2 * sp.erf(a * z) * 2 / sp.sqrt(sp.pi) * z * sp.exp(-(a**2) * z**2))
        second = sp.simplify(sp.integrate(slope.subs(a, b), (b, 0, a)).subs(a, 1))
        return {"mu0": gauss(sp.erf(z)), "mu1": gauss(z * sp.erf(z)), "second_moment": second,
                "a2": sp.simplify(gauss(sp.erf(z) * (z**2 - 1)) / sp.sqrt(2))}
    if name == "linear":
        return {"mu0": gauss(z), "mu1": gauss(z**2), "second_moment": gauss(z**2),
                "a2": sp.simplify(gauss(z * (z**2 - 1)) / sp.sqrt(2))}
    raise ValueError(f"activation: no closed form for {name!r}")


def _hermite_moments(f: Callable, nodes: int) -> np.ndarray:
    """``[E σ, E zσ, E σ², E σ He2/√2]`` by the ``nodes``-point Gauss–Hermite rule."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / math.sqrt(2 * math.pi)
    v = _evaluate(f, x)
    return np.array([w @ v, w @ (x * v), w @ (v * v), w @ (v * (x * x - 1)) / math.sqrt(2)])


def _evaluate(f: Callable, x: np.ndarray) -> np.ndarray:
    try:
        with np.errstate(all="ignore"):
            v = np.asarray(f(x), dtype=float)
    except (TypeError, ValueError, ArithmeticError) as err:
        raise ValueError(f"activation: the callable failed on an array of inputs ({err})"
                         ) from None
    if v.shape != x.shape:
        raise ValueError(f"activation: the callable must map an array to an array of the same "
                         f"shape (got {v.shape} for {x.shape})")
    if not np.all(np.isfinite(v)):
        raise ValueError("activation: the callable returned non-finite values")
    return v


def _adaptive_moments(f: Callable) -> tuple[np.ndarray, float]:
    """The same four moments by adaptive quadrature on (−∞, 0] and [0, ∞), with the error."""
    from scipy import integrate

    def scalar(t: float) -> float:
        return float(_evaluate(f, np.array([t]))[0])

    def density(t: float) -> float:
        return math.exp(-t * t / 2) / math.sqrt(2 * math.pi)

    kernels = (lambda t: scalar(t), lambda t: t * scalar(t), lambda t: scalar(t) ** 2,
               lambda t: scalar(t) * (t * t - 1) / math.sqrt(2))
    vals, err = [], 0.0
    for k in kernels:
        total = 0.0
        for lo, hi in ((-np.inf, 0.0), (0.0, np.inf)):
            v, e = integrate.quad(lambda t, k=k: k(t) * density(t), lo, hi, limit=400,
                                  epsabs=1e-14, epsrel=1e-12)
            total += v
            err = max(err, e)
        vals.append(total)
    return np.array(vals), err


@cache
def _named(name: str) -> GaussianCoefficients:
    if name in _CLOSED:
        c = {k: float(sp.N(v, 20)) for k, v in closed_form(name).items()}
        return _build(name, c["mu0"], c["mu1"], c["second_moment"], c["a2"], True, 0.0)
    return _by_quadrature(activation_function(name), name)


def _by_quadrature(f: Callable, name: str) -> GaussianCoefficients:
    prev = _hermite_moments(f, 40)
    for nodes in (80, 160, 320):
        cur = _hermite_moments(f, nodes)
        change = float(np.max(np.abs(cur - prev)))
        if change <= 1e-13 * max(1.0, abs(cur[2])):
            return _build(name, *cur[[0, 1, 2, 3]], False, change)
        prev = cur
    vals, err = _adaptive_moments(f)
    if err > 1e-8 * max(1.0, abs(vals[2])):
        raise ValueError(f"activation: the Gaussian moments of the callable could not be "
                         f"computed to 1e-8 (quadrature error {err:.2g})")
    return _build(name, *vals, False, err)


def _build(name, mu0, mu1, second, a2, exact, error) -> GaussianCoefficients:
    mu_star_sq = max(0.0, float(second) - float(mu0) ** 2 - float(mu1) ** 2)
    if abs(mu_star_sq) <= 1e-14 * max(1.0, abs(second)):
        mu_star_sq = 0.0
    if not abs(mu1) > 1e-8 * math.sqrt(max(float(second), 1e-300)):
        raise ValueError(f"activation: μ1 = E z σ(z) = {mu1:.3g} vanishes (an even activation): "
                         "the Gaussian-equivalent model has no linear part, and the theory "
                         "needs μ1 ≠ 0")
    return GaussianCoefficients(name=name, mu0=float(mu0), mu1=float(mu1),
                                mu_star_sq=mu_star_sq, a2=float(a2),
                                second_moment=float(second), exact=exact, error=float(error))


def gaussian_coefficients(activation: str | Callable) -> GaussianCoefficients:
    """μ0, μ1, μ*² of a named activation or of a callable (see the module docstring).

    Raises ``ValueError`` (naming ``activation``) for an unknown name, a callable that does not
    map arrays to finite arrays of the same shape, moments that cannot be computed, or μ1 = 0.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.theory._activations import gaussian_coefficients
    >>> c = gaussian_coefficients(lambda z: np.maximum(z, 0.0))  # ReLU as a callable
    >>> abs(c.mu_star_sq - gaussian_coefficients("relu").mu_star_sq) < 1e-10
    True
    """
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            activation_function(activation)  # raises the ValueError naming the choices
        return _named(activation)
    if not callable(activation):
        raise ValueError(f"activation: expected a name or a callable, got "
                         f"{type(activation).__name__}")
    return _by_quadrature(activation, "custom")
