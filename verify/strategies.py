"""Hypothesis strategies for property tests of the ridge model (docs/mathematics.md §0, §1, §5).

Spectra, teachers and whole ridge problems, drawn so that a Monte Carlo at ``d ≈ 200–300``
is meaningful: the interpolation threshold ``φ = d/n = 1`` is avoided (``|φ − 1| ≥ 0.3`` by
default, where the O(1/d) finite-size bias stays at a few per cent), the row counts ``n`` and
``n2 = p2·n`` are whole numbers, ridges are scaled to the eigenvalues (multiples of
``tr Σ / d``), and teachers are normalised in the Σ-metric (signal power ``r² = tr ΓΣ`` or
``w1ᵀΣw1``, quality ``c² = tr ΔΣ`` or ``δᵀΣδ``) so that label noise of order one is comparable.

Spectra are returned as eigenvalues (Σ diagonal in its eigenbasis, as
:func:`modelcollapse.numerics.ridge_risk` and :func:`modelcollapse.verify.simulate_ridge`
expect).  Long random vectors (random spectra, fixed teachers) come from
:func:`numpy.random.default_rng` seeded by a drawn integer, which keeps Hypothesis' examples
small and reproducible.

Every size or range argument takes a number (fixed), a ``(low, high)`` pair (uniform between
the bounds) or a Hypothesis strategy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

__all__ = [
    "spectra",
    "random_effects",
    "fixed_teachers",
    "teachers",
    "ridge_problems",
    "model_families",
    "SpectrumKind",
    "TeacherKind",
    "Regime",
    "P2Choice",
]

SpectrumKind = Literal["isotropic", "power_law", "random"]
TeacherKind = Literal["random", "fixed"]
Regime = Literal["any", "underparameterized", "overparameterized"]
P2Choice = Literal["zero", "small", "moderate", "one"]

_SPECTRUM_KINDS: tuple[str, ...] = ("isotropic", "power_law", "random")
_TEACHER_KINDS: tuple[str, ...] = ("random", "fixed")
_P2_CHOICES: tuple[str, ...] = ("zero", "small", "moderate", "one")
_SEEDS = st.integers(min_value=0, max_value=2**32 - 1)

IntSpec = int | tuple[int, int] | SearchStrategy
FloatSpec = float | tuple[float, float] | SearchStrategy


def _ints(spec: IntSpec, name: str) -> SearchStrategy:
    if isinstance(spec, SearchStrategy):
        return spec
    if isinstance(spec, bool):
        raise ValueError(f"{name}: expected an integer, a (low, high) pair or a strategy")
    if isinstance(spec, int | np.integer):
        if spec < 1:
            raise ValueError(f"{name}: must be ≥ 1, got {spec}")
        return st.just(int(spec))
    try:
        lo, hi = (int(v) for v in spec)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected an integer, a (low, high) pair or a strategy") from None
    if not 1 <= lo <= hi:
        raise ValueError(f"{name}: need 1 ≤ low ≤ high, got ({lo}, {hi})")
    return st.integers(min_value=lo, max_value=hi)


def _floats(spec: FloatSpec, name: str, *, lower: float = 0.0) -> SearchStrategy:
    if isinstance(spec, SearchStrategy):
        return spec
    if isinstance(spec, bool):
        raise ValueError(f"{name}: expected a number, a (low, high) pair or a strategy")
    if isinstance(spec, int | float | np.number):
        v = float(spec)
        if not (np.isfinite(v) and v >= lower):
            raise ValueError(f"{name}: must be finite and ≥ {lower:g}, got {spec}")
        return st.just(v)
    try:
        lo, hi = (float(v) for v in spec)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a number, a (low, high) pair or a strategy") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lower <= lo <= hi):
        raise ValueError(f"{name}: need {lower:g} ≤ low ≤ high (finite), got ({lo}, {hi})")
    if lo == hi:
        return st.just(lo)
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


def _kinds(spec, allowed: tuple[str, ...], name: str) -> tuple[str, ...]:
    if spec is None or spec == "any":
        return allowed
    chosen = (spec,) if isinstance(spec, str) else tuple(spec)
    bad = [k for k in chosen if k not in allowed]
    if bad or not chosen:
        raise ValueError(f"{name}: expected one or more of {allowed}, got {spec!r}")
    return chosen


def _check_spectrum(spectrum) -> np.ndarray:
    s = np.asarray(spectrum, dtype=float)
    if s.ndim != 1 or s.size == 0 or not np.all(np.isfinite(s)) or (s <= 0).any():
        raise ValueError("spectrum: expected a 1-D array of finite eigenvalues > 0")
    return s


@st.composite
def spectra(
    draw,
    d: IntSpec = (200, 300),
    *,
    kind: SpectrumKind | Sequence[SpectrumKind] | None = None,
    trace: float | None = None,
    beta: FloatSpec = (0.5, 1.5),
    condition: FloatSpec = (2.0, 100.0),
) -> np.ndarray:
    """Eigenvalues of a feature covariance Σ (all > 0, shape ``(d,)``).

    Parameters
    ----------
    d : int, (low, high) or strategy
        Dimension.
    kind : {"isotropic", "power_law", "random"} or a sequence of them, optional
        ``"isotropic"``: ``Σ = I``.  ``"power_law"``: ``s_j = j^{-β}`` (``j = 1..d``, so
        ``s_1 = 1``; the paper's figures use β = 1).  ``"random"``: ``d`` log-uniform eigenvalues
        in ``[1/κ_Σ, 1]`` with condition number ``κ_Σ`` drawn from ``condition``, sorted
        decreasingly.  Default: any of the three.
    trace : float, optional
        If given, rescale so that ``tr Σ = trace`` (e.g. ``trace=1.0`` as in the paper's
        figures, or ``trace=d`` for unit mean eigenvalue).
    beta : float, (low, high) or strategy
        Power-law exponent β (``kind="power_law"``).
    condition : float, (low, high) or strategy
        Condition number of a random spectrum (≥ 1).

    Returns
    -------
    SearchStrategy[ndarray]

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from modelcollapse.verify.strategies import spectra
    >>> @settings(max_examples=5, derandomize=True, database=None)
    ... @given(spectra(d=50, kind="power_law", trace=1.0))
    ... def check(s):
    ...     assert s.shape == (50,) and (s > 0).all() and abs(s.sum() - 1.0) < 1e-12
    >>> check()
    """
    kinds = _kinds(kind, _SPECTRUM_KINDS, "kind")
    if trace is not None and not (np.isfinite(trace) and trace > 0):
        raise ValueError(f"trace: must be finite and > 0, got {trace}")
    dim = draw(_ints(d, "d"))
    which = draw(st.sampled_from(kinds))
    if which == "isotropic":
        s = np.ones(dim)
    elif which == "power_law":
        b = draw(_floats(beta, "beta"))
        s = np.arange(1, dim + 1, dtype=float) ** (-b)
    else:
        cond = draw(_floats(condition, "condition", lower=1.0))
        rng = np.random.default_rng(draw(_SEEDS))
        s = np.sort(np.exp(-np.log(cond) * rng.random(dim)))[::-1].copy()
    if trace is not None:
        s = s * (float(trace) / s.sum())
    return s


def _shape_weights(s: np.ndarray, exponent: float) -> np.ndarray:
    """Diagonal ``Σ^a``, normalised later in the Σ-metric."""
    return s**exponent


@st.composite
def random_effects(
    draw,
    spectrum,
    *,
    r2: FloatSpec = (0.25, 2.0),
    c2: FloatSpec = (0.0, 2.0),
    gamma_exponent: FloatSpec = (-1.0, 1.0),
    delta_exponent: FloatSpec = (-1.0, 1.0),
) -> dict[str, np.ndarray]:
    """Random-effects teacher ``w1 ~ N(0, Γ)``, ``δ ~ N(0, Δ)`` (docs/mathematics.md §0).

    ``Γ ∝ Σ^a`` and ``Δ ∝ Σ^b`` (diagonal in Σ's eigenbasis), normalised so that the signal
    power is ``tr ΓΣ = r²`` and the quality ``c² = tr ΔΣ``.  ``a = b = 0`` is the isotropic
    ``Γ = (r²/d) I`` of Σ = I; ``b = −1`` is the paper's ``Δ = (c²/d) Σ^{-1}`` (Figs. 2, 4, 5).

    Parameters
    ----------
    spectrum : array_like, shape (d,)
        Eigenvalues of Σ.
    r2, c2 : float, (low, high) or strategy
        ``tr ΓΣ`` and ``tr ΔΣ`` (``c² = 0``: perfect synthetic labels).
    gamma_exponent, delta_exponent : float, (low, high) or strategy
        The exponents ``a``, ``b``.

    Returns
    -------
    SearchStrategy[dict]
        ``{"gamma": ndarray, "delta": ndarray}`` (the diagonals of Γ and Δ).

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from modelcollapse.verify.strategies import random_effects
    >>> s = np.ones(20)
    >>> @settings(max_examples=5, derandomize=True, database=None)
    ... @given(random_effects(s, r2=1.0, c2=0.5))
    ... def check(t):
    ...     assert abs(t["gamma"] @ s - 1.0) < 1e-12 and abs(t["delta"] @ s - 0.5) < 1e-12
    >>> check()
    """
    s = _check_spectrum(spectrum)
    r2v = draw(_floats(r2, "r2"))
    c2v = draw(_floats(c2, "c2"))
    g = _shape_weights(s, draw(_floats(gamma_exponent, "gamma_exponent", lower=-np.inf)))
    dl = _shape_weights(s, draw(_floats(delta_exponent, "delta_exponent", lower=-np.inf)))
    return {"gamma": g * (r2v / (g @ s)), "delta": dl * (c2v / (dl @ s))}


@st.composite
def fixed_teachers(
    draw,
    spectrum,
    *,
    r2: FloatSpec = (0.25, 2.0),
    c2: FloatSpec = (0.0, 2.0),
    correlation: FloatSpec = (-1.0, 1.0),
    gamma_exponent: FloatSpec = (-1.0, 1.0),
) -> dict[str, np.ndarray]:
    """Fixed teacher vectors ``w1`` (real) and ``w2 = w1 + δ`` (synthetic), docs/mathematics.md §0.

    ``w1`` is one draw of ``N(0, Σ^a)`` rescaled to ``w1ᵀΣw1 = r²``; ``δ`` has Σ-norm ``c``
    and Σ-correlation ``ρ`` with ``w1``: ``δ = c (ρ ŵ1 + √(1−ρ²) ẑ)``, with ``ŵ1`` and ``ẑ``
    Σ-orthonormal (``z`` an independent Gaussian direction).  ``ρ ≠ 0`` exercises the
    fixed-teacher cross term ``X`` of Theorem 1.

    Parameters
    ----------
    spectrum : array_like, shape (d,)
        Eigenvalues of Σ (vectors are expressed in Σ's eigenbasis).
    r2, c2 : float, (low, high) or strategy
        ``w1ᵀΣw1`` and ``δᵀΣδ``.
    correlation : float, (low, high) or strategy
        ``ρ = w1ᵀΣδ / (‖w1‖_Σ ‖δ‖_Σ)`` in [−1, 1].
    gamma_exponent : float, (low, high) or strategy
        Exponent ``a`` of the covariance the directions are drawn from.

    Returns
    -------
    SearchStrategy[dict]
        ``{"w_real": ndarray, "w_synth": ndarray}``.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from modelcollapse.verify.strategies import fixed_teachers
    >>> s = np.linspace(1.0, 2.0, 30)
    >>> @settings(max_examples=5, derandomize=True, database=None)
    ... @given(fixed_teachers(s, r2=1.0, c2=0.25, correlation=0.0))
    ... def check(t):
    ...     w1, dl = t["w_real"], t["w_synth"] - t["w_real"]
    ...     assert abs(w1 @ (s * w1) - 1.0) < 1e-12 and abs(dl @ (s * dl) - 0.25) < 1e-12
    ...     assert abs(w1 @ (s * dl)) < 1e-12
    >>> check()
    """
    s = _check_spectrum(spectrum)
    r2v = draw(_floats(r2, "r2"))
    c2v = draw(_floats(c2, "c2"))
    rho = draw(_floats(correlation, "correlation", lower=-1.0))
    if rho > 1.0:
        raise ValueError(f"correlation: must be in [-1, 1], got {rho}")
    a = draw(_floats(gamma_exponent, "gamma_exponent", lower=-np.inf))
    rng = np.random.default_rng(draw(_SEEDS))
    scale = np.sqrt(s**a)
    w = scale * rng.standard_normal(s.size)
    z = scale * rng.standard_normal(s.size)

    def sigma_dot(x, y):
        return float(x @ (s * y))

    w_hat = w / np.sqrt(sigma_dot(w, w))
    z = z - sigma_dot(z, w_hat) * w_hat
    z_hat = z / np.sqrt(sigma_dot(z, z))
    w1 = np.sqrt(r2v) * w_hat
    dl = np.sqrt(c2v) * (rho * w_hat + np.sqrt(max(0.0, 1.0 - rho**2)) * z_hat)
    return {"w_real": w1, "w_synth": w1 + dl}


def teachers(
    spectrum,
    *,
    kind: TeacherKind | Sequence[TeacherKind] | None = None,
    r2: FloatSpec = (0.25, 2.0),
    c2: FloatSpec = (0.0, 2.0),
) -> SearchStrategy[dict[str, np.ndarray]]:
    """Either teacher description of docs/mathematics.md §0, as keyword arguments of the ridge API.

    Parameters
    ----------
    spectrum : array_like, shape (d,)
        Eigenvalues of Σ.
    kind : {"random", "fixed"} or a sequence of them, optional
        Random effects (:func:`random_effects`: ``gamma``, ``delta``) or fixed vectors
        (:func:`fixed_teachers`: ``w_real``, ``w_synth``).  Default: either.
    r2, c2 : float, (low, high) or strategy
        Signal power and synthetic-data quality in the Σ-metric.

    Returns
    -------
    SearchStrategy[dict]

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from modelcollapse.verify.strategies import teachers
    >>> @settings(max_examples=6, derandomize=True, database=None)
    ... @given(teachers(np.ones(10)))
    ... def check(t):
    ...     assert set(t) in ({"gamma", "delta"}, {"w_real", "w_synth"})
    >>> check()
    """
    kinds = _kinds(kind, _TEACHER_KINDS, "kind")
    s = _check_spectrum(spectrum)
    options = []
    if "random" in kinds:
        options.append(random_effects(s, r2=r2, c2=c2))
    if "fixed" in kinds:
        options.append(fixed_teachers(s, r2=r2, c2=c2))
    return st.one_of(*options)


def _row_counts(draw, d: int, regime: str, phi_range, phi_gap: float) -> int:
    """A whole ``n`` with ``φ = d/n`` in ``phi_range`` and ``|φ − 1| ≥ phi_gap``."""
    lo_phi, hi_phi = phi_range
    options = []
    if regime in ("any", "underparameterized"):
        lo_n = int(np.ceil(d / min(1.0 - phi_gap, hi_phi)))
        hi_n = int(np.floor(d / lo_phi))
        if lo_n <= hi_n:
            options.append((lo_n, hi_n))
    if regime in ("any", "overparameterized"):
        lo_n = int(np.ceil(d / hi_phi))
        hi_n = int(np.floor(d / max(1.0 + phi_gap, lo_phi)))
        if lo_n <= hi_n:
            options.append((lo_n, hi_n))
    if not options:
        raise ValueError(
            f"phi_range: no whole n gives φ = d/n in {tuple(phi_range)} with |φ − 1| ≥ {phi_gap} "
            f"in the {regime!r} regime (d = {d})"
        )
    lo_n, hi_n = draw(st.sampled_from(options))
    return draw(st.integers(min_value=lo_n, max_value=hi_n))


def _synthetic_rows(draw, n: int, choices: tuple[str, ...]) -> int:
    """``n2`` for one of the p2 choices (whole rows, so ``p2 = n2/n`` is exact)."""
    options = []
    small_hi = max(1, n // 10)
    for c in choices:
        if c == "zero":
            options.append((0, 0))
        elif c == "small":
            options.append((1, small_hi))
        elif c == "moderate" and small_hi + 1 <= n - 1:
            options.append((small_hi + 1, n - 1))
        elif c == "one":
            options.append((n, n))
    lo, hi = draw(st.sampled_from(options))
    return draw(st.integers(min_value=lo, max_value=hi))


@st.composite
def ridge_problems(
    draw,
    *,
    d: IntSpec = (200, 300),
    regime: Regime = "any",
    ridgeless: bool | None = None,
    p2: P2Choice | Sequence[P2Choice] | None = None,
    teacher: TeacherKind | Sequence[TeacherKind] | None = None,
    spectrum: SpectrumKind | Sequence[SpectrumKind] | None = None,
    trace: float | None = None,
    phi_range: tuple[float, float] = (0.3, 2.5),
    phi_gap: float = 0.3,
    n_ridges: int = 3,
    ridge_range: tuple[float, float] = (1e-3, 3.0),
    noise: FloatSpec = (0.0, 1.5),
    r2: FloatSpec = (0.25, 2.0),
    c2: FloatSpec = (0.0, 2.0),
) -> dict[str, Any]:
    """A ridge problem on a real/synthetic mixture, as keyword arguments (docs/mathematics.md §0,
    §1).

    The dictionary is accepted unchanged by both :func:`modelcollapse.numerics.ridge_risk`
    (theory) and :func:`modelcollapse.verify.simulate_ridge` (Monte Carlo, which additionally
    takes ``draws`` and ``seed``)::

        theory = ridge_risk(**problem)
        mc = simulate_ridge(**problem, draws=50, seed=0)

    Keys: ``spectrum`` (shape (d,)), ``n`` (int), ``p2`` (``n2/n`` with ``n2`` whole),
    ``ridge`` (sorted λ grid, shape (L,)), ``noise_real`` and ``noise_synth`` (σ1, σ2), and
    either ``gamma``/``delta`` or ``w_real``/``w_synth``.

    Parameters
    ----------
    d : int, (low, high) or strategy
        Dimension; the defaults keep ``d ≈ 200–300`` where the finite-size bias is small.
    regime : {"any", "underparameterized", "overparameterized"}
        ``d < n`` (φ < 1), ``d > n`` (φ > 1) or either.
    ridgeless : bool, optional
        ``True``: the grid is ``[0.0]`` (λ → 0⁺; min-norm interpolator when d > n).
        ``False``: only λ > 0.  ``None`` (default): ``0.0`` followed by positive values.
    p2 : {"zero", "small", "moderate", "one"} or a sequence of them, optional
        Synthetic fraction: ``0``; ``n2`` in ``[1, max(1, n/10)]``; in between; ``1`` (all
        synthetic).  Default: any.
    teacher : {"random", "fixed"} or a sequence of them, optional
        See :func:`teachers`.
    spectrum : {"isotropic", "power_law", "random"} or a sequence of them, optional
        See :func:`spectra`.
    trace : float, optional
        Normalise ``tr Σ`` (see :func:`spectra`).
    phi_range : (float, float)
        Range of ``φ = d/n``.
    phi_gap : float
        Minimum ``|φ − 1|``: the finite-size bias grows like ``1/|n − d|`` near the threshold.
    n_ridges : int
        Number of positive λ values in the grid.
    ridge_range : (float, float)
        Positive λ span this range times the mean eigenvalue ``tr Σ / d``: ``n_ridges``
        log-spaced values, shifted by a drawn offset (one per decade slice).
    noise : float, (low, high) or strategy
        σ1 and σ2 (drawn independently).
    r2, c2 : float, (low, high) or strategy
        Signal power and quality of the synthetic labels in the Σ-metric (see :func:`teachers`).

    Returns
    -------
    SearchStrategy[dict]

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from modelcollapse.numerics import ridge_risk
    >>> from modelcollapse.verify.strategies import ridge_problems
    >>> @settings(max_examples=5, derandomize=True, database=None)
    ... @given(ridge_problems(d=(40, 60), regime="overparameterized", ridgeless=True))
    ... def check(problem):
    ...     assert problem["spectrum"].size > problem["n"] and list(problem["ridge"]) == [0.0]
    ...     assert round(problem["p2"] * problem["n"]) == problem["p2"] * problem["n"]
    ...     assert bool(ridge_risk(**problem).converged)
    >>> check()
    """
    if regime not in ("any", "underparameterized", "overparameterized"):
        raise ValueError(
            f"regime: expected 'any', 'underparameterized' or 'overparameterized', got {regime!r}"
        )
    if ridgeless not in (None, True, False):
        raise ValueError(f"ridgeless: expected True, False or None, got {ridgeless!r}")
    p2_choices = _kinds(p2, _P2_CHOICES, "p2")
    lo_phi, hi_phi = (float(v) for v in phi_range)
    if not (0 < lo_phi < hi_phi and np.isfinite(hi_phi)):
        raise ValueError(f"phi_range: need 0 < low < high, got {tuple(phi_range)}")
    if not 0 <= phi_gap < 1:
        raise ValueError(f"phi_gap: must be in [0, 1), got {phi_gap}")
    if int(n_ridges) != n_ridges or n_ridges < 1:
        raise ValueError(f"n_ridges: must be a whole number ≥ 1, got {n_ridges}")
    lo_r, hi_r = (float(v) for v in ridge_range)
    if not 0 < lo_r <= hi_r or not np.isfinite(hi_r):
        raise ValueError(f"ridge_range: need 0 < low ≤ high, got {tuple(ridge_range)}")

    s = draw(spectra(d, kind=spectrum, trace=trace))
    dim = s.size
    n = _row_counts(draw, dim, regime, (lo_phi, hi_phi), phi_gap)
    n2 = _synthetic_rows(draw, n, p2_choices)
    if ridgeless is True:
        grid = [0.0]
    else:
        # log-spaced over the whole range with a drawn offset: distinct values, full coverage
        offset = draw(st.floats(min_value=0.0, max_value=1.0, exclude_max=True))
        frac = (np.arange(int(n_ridges)) + offset) / int(n_ridges)
        positive = (lo_r * (hi_r / lo_r) ** frac * float(s.mean())).tolist()
        grid = positive if ridgeless is False else [0.0, *positive]
    noise_st = _floats(noise, "noise")
    problem: dict[str, Any] = {
        "spectrum": s,
        "n": n,
        "p2": n2 / n,
        "ridge": np.array(grid),
        "noise_real": draw(noise_st),
        "noise_synth": draw(noise_st),
    }
    problem.update(draw(teachers(s, kind=teacher, r2=r2, c2=c2)))
    return problem


_FAMILY_SPECTRA = ("isotropic", "power_law", "two_level")


@st.composite
def model_families(
    draw,
    model: str,
    *,
    spectrum: str | Sequence[str] | None = None,
    teacher: TeacherKind | Sequence[TeacherKind] | None = None,
    overrides: dict[str, Any] | None = None,
):
    """A :class:`~modelcollapse.verify.families.ProblemFamily` of any registered model.

    Generated from the model's declaration: every grid parameter is drawn from its declared
    ``typical`` range (log-uniformly where ``log``; relative to d or to the mean eigenvalue as its
    ``scale`` says; whole where ``whole``), the spectrum and teacher from the families of
    :mod:`modelcollapse.verify.families`, and the model's ``valid`` rule of
    :data:`modelcollapse.verify.registry.MODELS` keeps the Monte Carlo meaningful.

    Parameters
    ----------
    model : str
        A registered model.
    spectrum : {"isotropic", "power_law", "two_level"} or a sequence of them, optional
        Restricted to the families the model is verified on (its registry entry's ``spectra``).
    teacher : {"random", "fixed"} or a sequence of them, optional
        Restricted to the model's teacher descriptions and those its simulator takes.
    overrides : dict, optional
        Fixed values (or strategies) for some grid parameters.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from modelcollapse.verify.strategies import model_families
    >>> @settings(max_examples=4, derandomize=True, database=None)
    ... @given(model_families("random_projection"))
    ... def check(fam):
    ...     p = fam.at(50)
    ...     assert p["m"] >= 1 and abs(p["m"] / p["n"] - 1) > 0.2
    >>> check()
    """
    from hypothesis import assume

    from .families import ProblemFamily
    from .registry import MODELS

    entry = MODELS[model]
    spec = entry.numeric.spec
    kinds = [k for k in _kinds(teacher, _TEACHER_KINDS, "teacher")
             if k in spec.teachers and k in entry.teachers]
    if not kinds:
        raise ValueError(f"teacher: model {model!r} takes {sorted(spec.teachers)}")
    s_kinds = [k for k in _kinds(spectrum, _FAMILY_SPECTRA, "spectrum")
               if entry.spectra is None or k in entry.spectra]
    if not s_kinds:
        raise ValueError(f"spectrum: model {model!r} is verified on {list(entry.spectra or ())}")
    s_kind = draw(st.sampled_from(s_kinds))
    exponent = {"isotropic": 0.0, "power_law": draw(_floats((0.5, 1.5), "beta")),
                "two_level": draw(_floats((2.0, 20.0), "ratio"))}[s_kind]
    t_kind = draw(st.sampled_from(kinds))
    t_spec = (t_kind, draw(_floats((0.25, 2.0), "r2")), draw(_floats((0.0, 2.0), "c2")),
              draw(_floats((-1.0, 1.0), "a", lower=-1.0)),
              draw(_floats((-1.0, 1.0), "b", lower=-1.0)),
              draw(_floats((-1.0, 1.0), "correlation", lower=-1.0)) if t_kind == "fixed" else 0.0)
    values: dict[str, float] = {}
    for p in spec.grid_parameters:
        given_value = (overrides or {}).get(p.name)
        if given_value is not None:
            values[p.name] = draw(given_value) if isinstance(given_value, SearchStrategy) else (
                float(given_value))
            continue
        lo, hi = p.typical or (0.0, 1.0)
        if p.log:
            v = float(np.exp(draw(_floats((np.log(lo), np.log(hi)), p.name, lower=-np.inf))))
        else:
            v = draw(_floats((lo, hi), p.name, lower=min(lo, 0.0)))
        values[p.name] = float(round(v)) if p.whole else v
    assume(entry.valid(values))
    return ProblemFamily(model, (s_kind, exponent), t_spec, values)
