"""Model declarations: a model of the theory stated once, for every layer of the toolkit.

A :class:`ModelSpec` says what a model *is* — its parameters (with bounds, roles and the symbol
each stands for), its unknowns and their fixed-point equations, its auxiliary quantities and its
risk components B, V, ζ — in SymPy.  Everything else is derived from the declaration:

* :mod:`modelcollapse.numerics` compiles the equations and expressions, validates inputs from the
  declared bounds and builds one result type (:class:`modelcollapse.numerics.Risk`);
* the ``predict`` problem schema, the Hypothesis strategies and the parametrised tests read the
  parameters;
* the interpolation-threshold limits are derived here (:meth:`ModelSpec.threshold_parts`): where
  the variance-inflation symbol (``u``) diverges, every output is affine in it, so each limit is
  ``±∞`` by the sign of its slope, or its ``u``-free part when the slope vanishes.

The declarations of the models live next to their formulas (``theory/ridge.py``,
``theory/random_projection.py``, ``theory/mixing.py``, ``theory/iterative.py``); the catalog of
declared models is :mod:`modelcollapse.theory.models`.

Examples
--------
The smallest possible model: ridge with a fixed κ-free "risk" — just to show the parts.

>>> import sympy as sp
>>> from modelcollapse.theory.model import FixedPoint, ModelSpec, Parameter
>>> from modelcollapse.theory.ridge import FIXED_POINT
>>> from modelcollapse.theory.symbols import kappa, lam, n, u
>>> toy = ModelSpec(
...     name="toy", title="κ and u only", doc="Theorem 1's fixed point.",
...     parameters=(Parameter("n", "rows", symbol=n, lower=0.0, strict=True),
...                 Parameter("ridge", "λ", symbol=lam, lower=0.0)),
...     teachers={}, fixed_points=(FixedPoint(kappa, FIXED_POINT / kappa, ("ridge", "n"), "κ"),),
...     risk=lambda teacher, options: {"bias": sp.Integer(0), "variance": u, "zeta": 0 * u},
...     diverging=u)
>>> toy.parameter("ridge").symbol
lambda
>>> toy.threshold_parts(2 * u + 3)
(3, 2)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import sympy as sp

__all__ = [
    "Role",
    "Parameter",
    "FixedPoint",
    "Auxiliary",
    "ModelSpec",
    "COMPONENTS",
]

#: What a parameter is: a grid value (broadcasts), the spectrum, a teacher array, or an option
#: (a string choice that selects expressions, not a number).
Role = Literal["grid", "spectrum", "teacher", "option"]

#: The risk components every model reports, in this order (``E_test ≃ B + V + ζ``).
COMPONENTS = ("bias", "variance", "zeta")


@dataclass(frozen=True)
class Parameter:
    """One input of a model.

    Attributes
    ----------
    name : str
        Keyword of the Python API (``"ridge"``, ``"noise_real"``, …).
    doc : str
        One line: what it is, with its symbol.
    symbol : sympy.Symbol or None
        The symbol it stands for in the theory (``λ`` for ``ridge``); None for arrays and options.
    role : {"grid", "spectrum", "teacher", "option"}
    lower, upper : float, str or None
        Bounds.  A string names another quantity known at run time (``"d"``: the dimension).
    strict : bool
        The lower bound is exclusive.
    default : float, str or None
        Default of the Python API (None: required).  The problem files of ``predict`` require
        every physical quantity regardless (no silent defaults).
    whole : bool
        Must be whole numbers (e.g. a number of generations).
    key : str or None
        Key in problem files when it differs from ``name``.
    choices : tuple of str
        Allowed values of an option.
    typical : (float, float) or None
        The range strategies draw from (multiplied by ``d`` when ``scale == "d"``).
    log : bool
        Draw log-uniformly in ``typical``.
    scale : {"", "d", "spectrum"}
        ``typical`` is relative to the dimension, or to the mean eigenvalue.
    """

    name: str
    doc: str
    symbol: sp.Symbol | None = None
    role: Role = "grid"
    lower: float | str | None = None
    upper: float | str | None = None
    strict: bool = False
    default: float | str | None = None
    whole: bool = False
    key: str | None = None
    choices: tuple[str, ...] = ()
    typical: tuple[float, float] | None = None
    log: bool = False
    scale: Literal["", "d", "spectrum"] = ""

    @property
    def json_key(self) -> str:
        """The key of this parameter in ``predict`` problem files."""
        return self.key or self.name

    @property
    def required(self) -> bool:
        """True when the Python API has no default."""
        return self.default is None and self.role in ("grid", "spectrum")


@dataclass(frozen=True)
class FixedPoint:
    """An unknown and the equation ``residual = 0`` that defines it.

    Attributes
    ----------
    unknown : sympy.Symbol
        The unknown (κ for ridge, θ for random projections, δ for weighted mixing).
    residual : sympy.Expr
        ``h(unknown)``, strictly increasing in the unknown on the solution branch, written in
        spectral moments at the unknown and the parameters' symbols.  Solvers compile ``h`` and
        its slope ``∂h/∂x`` (by :func:`sympy.diff`, through the moments' derivative).
    depends_on : tuple of str
        Parameter names the solution depends on (besides the spectrum): solvers de-duplicate over
        them.
    doc : str
    also : tuple of sympy.Symbol
        Further quantities the solver returns with the unknown, in their well-conditioned forms
        (e.g. ``e``, ``τ``, ``t*`` of Theorem 2), reported after it.
    forms : tuple of sympy.Expr
        Rewrites of ``residual`` equal to it on the whole domain (checked symbolically by the
        tests) whose terms cancel less in some region — e.g. near the interpolation threshold,
        where ``1 − df1(κ)/n`` loses every digit and ``(n − d)/n + κ tr(Σ+κ)^{-1}/n`` none.
        Solvers evaluate, per point, the form whose terms are smallest in magnitude, and judge
        the residual relative to that magnitude.
    slope_form : sympy.Expr, optional
        ``x ∂h/∂x`` declared as a sum of non-negative terms, for residuals whose derived slope
        cancels (weighted mixing: ``δξ + δ²ξ'`` is a difference of ones when ``a δ ≫ 1``, so the
        derived slope is rounding noise near the interpolation threshold).  Equal to
        :meth:`derived_slope` identically (checked symbolically by the tests); solvers use it.
    """

    unknown: sp.Symbol
    residual: sp.Expr
    depends_on: tuple[str, ...]
    doc: str
    also: tuple[sp.Symbol, ...] = ()
    forms: tuple[sp.Expr, ...] = ()
    slope_form: sp.Expr | None = None

    def terms(self) -> tuple[tuple[sp.Expr, ...], ...]:
        """The top-level terms of the residual and of each of its rewrites (not expanded
        further: a grouped ``(n − d)/n`` stays one term)."""
        return (sp.Add.make_args(sp.expand(self.residual)),
                *(sp.Add.make_args(f) for f in self.forms))

    def slope(self) -> sp.Expr:
        """``x ∂h/∂x`` (the derivative in ``log x`` that the safeguarded Newton iteration uses):
        the declared :attr:`slope_form` where there is one, else :meth:`derived_slope`."""
        return self.derived_slope() if self.slope_form is None else self.slope_form

    def derived_slope(self) -> sp.Expr:
        """``x ∂h/∂x`` by :func:`sympy.diff` of the residual."""
        return sp.expand(self.unknown * sp.diff(self.residual, self.unknown))


@dataclass(frozen=True)
class Auxiliary:
    """A named intermediate quantity, evaluated in declaration order before the risk.

    ``expr`` may use the unknowns, parameters' symbols, ``d``, spectral moments and the symbols of
    earlier auxiliaries; :class:`sympy.Piecewise` expresses branches.  ``at_zero = (x, expr0)``
    gives the value where the (positive-declared) unknown ``x`` is exactly 0 — the ridgeless
    branch, which a Piecewise on a positive symbol cannot state.  ``report`` puts it in the result
    and the ``predict`` output.
    """

    name: str
    symbol: sp.Symbol
    expr: sp.Expr
    doc: str
    report: bool = True
    at_zero: tuple[sp.Symbol, sp.Expr] | None = None


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """The declaration of one model (see the module docstring).

    Attributes
    ----------
    name : str
        Registry name, also the ``"model"`` of problem files.
    title, doc : str
        A title and a paragraph citing the theorem and equations.
    parameters : tuple of Parameter
    teachers : mapping of str to tuple of str
        Teacher descriptions the model accepts: ``"random"`` (random effects) and/or ``"fixed"``
        (vectors), each with the names of its parameters.  The first entry of each tuple is
        required; later ones default to "no shift" (δ = 0) when the model allows it
        (``optional_teacher``).
    fixed_points : tuple of FixedPoint
        The unknowns, solved in order.
    derived : tuple of Auxiliary
        Quantities of the parameters alone, evaluated before solving (e.g. per-row weights).
    risk : callable
        ``risk(teacher_kind, options) -> {"bias", "variance", "zeta"[, "test_error"]}``.  A
        component given as ``None`` is the remainder ``test_error − (others)``.
    auxiliaries : callable
        ``auxiliaries(teacher_kind, options) -> tuple of Auxiliary`` (default: none).
    diverging : sympy.Symbol or None
        The symbol that diverges at the interpolation threshold (``u``).
    threshold_rewrite : callable
        ``threshold_rewrite(options) -> {symbol: expression}`` applied before the threshold
        limits are taken (e.g. ``ω' → (θ − g)(1 + u)``), so that every output is explicitly
        affine in ``diverging``.
    threshold_risk : callable or None
        Components whose threshold limit is taken from another, equal-valued expression (e.g.
        Definition 2's variance, which carries a 0/0, from the nested one).
    optional_teacher : tuple of str
        Teacher parameters that may be omitted (default zero shift).
    """

    name: str
    title: str
    doc: str
    parameters: tuple[Parameter, ...]
    teachers: Mapping[str, tuple[str, ...]]
    fixed_points: tuple[FixedPoint, ...]
    risk: Callable[[str, Mapping[str, str]], Mapping[str, sp.Expr | None]]
    auxiliaries: Callable[[str, Mapping[str, str]], tuple[Auxiliary, ...]] = (
        lambda teacher, options: ()
    )
    diverging: sp.Symbol | None = None
    threshold_rewrite: Callable[[Mapping[str, str]], Mapping[sp.Symbol, sp.Expr]] = (
        lambda options: {}
    )
    threshold_risk: Callable[[str, Mapping[str, str]], Mapping[str, sp.Expr]] | None = None
    optional_teacher: tuple[str, ...] = ()
    derived: tuple[Auxiliary, ...] = ()

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name`` (a KeyError naming the model otherwise)."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(f"model {self.name!r} has no parameter {name!r}")

    @cached_property
    def grid_parameters(self) -> tuple[Parameter, ...]:
        """The parameters that broadcast (role ``"grid"``), in declaration order."""
        return tuple(p for p in self.parameters if p.role == "grid")

    @cached_property
    def options(self) -> tuple[Parameter, ...]:
        """The option parameters (string choices)."""
        return tuple(p for p in self.parameters if p.role == "option")

    def default_options(self) -> dict[str, str]:
        """Every option at its default."""
        return {p.name: str(p.default) for p in self.options}

    def teacher_parameters(self) -> tuple[str, ...]:
        """Every teacher parameter name, over all teacher kinds."""
        return tuple(dict.fromkeys(k for keys in self.teachers.values() for k in keys))

    def reported(self, teacher: str, options: Mapping[str, str]) -> tuple[str, ...]:
        """Names of the auxiliaries a result reports, unknowns first."""
        names = [s.name for fp in self.fixed_points for s in (fp.unknown, *fp.also)]
        names += [a.name for a in self.auxiliaries(teacher, options) if a.report]
        return tuple(dict.fromkeys(names))

    def threshold_parts(self, expr: sp.Expr, options: Mapping[str, str] | None = None
                        ) -> tuple[sp.Expr, sp.Expr]:
        """``(intercept, slope)`` of ``expr`` as an affine function of the diverging symbol.

        At the interpolation threshold ``u → ∞`` with everything else finite, so the limit of
        ``expr`` is ``+∞`` (slope > 0), ``−∞`` (slope < 0) or the intercept (slope 0).  Raises
        ``ValueError`` if ``expr`` is not affine in ``u`` after :attr:`threshold_rewrite`.
        """
        if self.diverging is None:
            raise ValueError(f"model {self.name!r} declares no diverging symbol")
        u = self.diverging
        from ._parse import sympy_only

        rewritten = sympy_only(expr).xreplace(dict(self.threshold_rewrite(options or {})))
        slope = sp.expand(sp.diff(rewritten, u))
        if slope.has(u):
            raise ValueError(f"model {self.name!r}: {expr} is not affine in {u}")
        return sp.expand(rewritten.subs(u, 0)), slope
