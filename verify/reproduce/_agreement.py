"""One row of the agreement table: a Monte Carlo point against its theory value, without a free
relative slack (docs/mathematics.md §5).

A simulation at dimension d differs from the deterministic equivalent by its sampling error and
by a finite-size bias of relative size O(1/d).  A fixed relative allowance that covers the bias
also covers a wrong formula of the same size, so none is used.  Instead each point is simulated
at two (or more) sizes ``d_k`` with the same ratios, the differences ``mc_k − theory_k`` are fitted
by ``a + b/d_k`` (or the model's declared form, ``a + b·ln(d_k)/d_k`` for ReLU features; weighted
least squares, :func:`modelcollapse.verify.agreement.fit_intercept`) and
the extrapolated difference ``a`` at d → ∞ is tested: the point agrees when ``|z| ≤ 3``.  Where
the exact finite-size expectation is known (ridgeless least squares, e.g. the variance
``σ² d/(n − d − 1)``), one size suffices and ``a = mc − exact``.

``z`` is the standard-normal equivalent of the ratio ``t = a/se(a)``: ``se(a)`` is estimated from
the draws, so ``t`` follows a Student t law with the Welch–Satterthwaite degrees of freedom ``ν``;
``z`` is the normal quantile with the same two-sided tail probability (``|z| ≤ 3`` means
``P ≥ 0.27 %`` whatever the number of draws; with 20 draws ``|t| = 3.45`` is ``|z| = 3``).  The only
absolute allowance is ``atol`` = 1e-12 × the largest theory value of the run, for quantities that
are exactly 0 (a ridgeless bias at n > d simulates to ~1e-30).  No verdict is drawn from fewer than
:data:`MIN_DRAWS` draws at any size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from .._result import MonteCarloResult
from ..agreement import MIN_DRAWS, fit_intercept, inverse_size

__all__ = ["AgreementPoint", "SizedRun", "compare", "NSE", "MIN_DRAWS", "Z_BINS",
           "normal_equivalent", "z_histogram"]

#: |z| bound of docs/mathematics.md §5.
NSE = 3.0
#: Edges of the |z| histogram of the report: [0, 1), [1, 2), [2, 3), ≥ 3.
Z_BINS = (1.0, 2.0, 3.0)


def normal_equivalent(t: float, dof: float) -> float:
    """The standard-normal ``z`` with the two-sided tail probability of Student's ``t``.

    Examples
    --------
    >>> import math
    >>> from modelcollapse.verify.reproduce._agreement import normal_equivalent
    >>> round(normal_equivalent(3.0, math.inf), 12), round(normal_equivalent(3.447, 19), 2)
    (3.0, 3.0)
    """
    if not math.isfinite(t) or dof > 1e6:
        return float(t)
    tail = float(stats.t.sf(abs(t), dof))
    if tail <= 0.0:  # beyond float range: at least as extreme as t itself
        return float(t)
    return math.copysign(float(stats.norm.isf(tail)), t)


def z_histogram(zs: Sequence[float]) -> list[int]:
    """Counts of ``|z|`` in [0, 1), [1, 2), [2, 3) and ≥ 3 (non-finite z counts as ≥ 3).

    Examples
    --------
    >>> from modelcollapse.verify.reproduce._agreement import z_histogram
    >>> z_histogram([0.2, -1.5, 2.9, -3.0, float("nan")])
    [1, 1, 1, 2]
    """
    counts = [0, 0, 0, 0]
    for z in zs:
        a = abs(z)
        counts[3 if not a < Z_BINS[2] else (2 if a >= Z_BINS[1] else int(a >= Z_BINS[0]))] += 1
    return counts


@dataclass(frozen=True)
class SizedRun:
    """One Monte Carlo run of a problem at dimension ``d`` and the theory at that size.

    Attributes
    ----------
    d : int
        The dimension simulated (the other sizes of the problem scale with it).
    theory : mapping of str to array_like
        Quantity → theory over the run's grid, at this size.
    mc : MonteCarloResult
        Draws over the same grid.
    exact : mapping of str to array_like, optional
        Quantity → the exact finite-size expectation, where it is known; a single run with
        ``exact`` is compared with it instead of being extrapolated.
    """

    d: int
    theory: Mapping[str, object]
    mc: MonteCarloResult
    exact: Mapping[str, object] | None = None


@dataclass(frozen=True)
class AgreementPoint:
    """Theory against Monte Carlo at one point, extrapolated over the simulated sizes.

    Attributes
    ----------
    figure, series, quantity : str
        Where the point belongs (e.g. ``"fig2"``, ``"c²=0.1"``, ``"zeta"``).
    x_name : str
        Name of the swept parameter (``"m"``, ``"n"``, ``"psi"``, ...).
    x : float
        Its value at the largest size.
    sizes : tuple of int
        The dimensions simulated, largest first.
    theory_at, mc_at, se_at : tuple of float
        Theory, Monte Carlo mean and its standard error at each size.
    draws_at : tuple of int
        Draws at each size.
    intercept, intercept_se : float
        ``a``: ``mc − theory`` extrapolated to d → ∞ by ``a + b·shape(d)`` (``1/d`` unless the
        model declares another form; method ``"extrapolated"``),
        or ``mc − exact`` at the one size (method ``"exact"``); and its standard error.
    dof : float
        Welch–Satterthwaite degrees of freedom of ``intercept_se``.
    method : str
        ``"extrapolated"`` or ``"exact"``.
    exact_at : tuple of float
        The exact finite-size expectations (method ``"exact"``), else empty.
    atol : float
        Floor for exact zeros (1e-12 × the run's largest theory value).
    """

    figure: str
    series: str
    quantity: str
    x_name: str
    x: float
    sizes: tuple[int, ...]
    theory_at: tuple[float, ...]
    mc_at: tuple[float, ...]
    se_at: tuple[float, ...]
    draws_at: tuple[int, ...]
    intercept: float
    intercept_se: float
    dof: float
    method: str = "extrapolated"
    exact_at: tuple[float, ...] = field(default=())
    atol: float = 0.0

    @property
    def d(self) -> int:
        """The largest simulated dimension (where the figure's marker is drawn)."""
        return self.sizes[0]

    @property
    def theory(self) -> float:
        """Theory at the largest size."""
        return self.theory_at[0]

    @property
    def mc(self) -> float:
        """Monte Carlo mean at the largest size."""
        return self.mc_at[0]

    @property
    def se(self) -> float:
        """Standard error at the largest size."""
        return self.se_at[0]

    @property
    def draws(self) -> int:
        """The fewest draws over the sizes."""
        return min(self.draws_at)

    @property
    def t(self) -> float:
        """``intercept/intercept_se`` (Student t with :attr:`dof` degrees of freedom); NaN when
        the point has no verdict (a non-finite value)."""
        if not (math.isfinite(self.intercept) and math.isfinite(self.intercept_se)):
            return math.nan
        if self.intercept_se > 0:
            return self.intercept / self.intercept_se
        return 0.0 if self.intercept == 0 else math.copysign(math.inf, self.intercept)

    @property
    def z(self) -> float:
        """The standard-normal equivalent of :attr:`t` (:func:`normal_equivalent`)."""
        return normal_equivalent(self.t, self.dof)

    @property
    def exact_zero(self) -> bool:
        """Every difference within ``atol``: a quantity that is exactly 0 in theory and in fact."""
        ref = self.exact_at or self.theory_at
        return bool(all(abs(m - r) <= self.atol for m, r in zip(self.mc_at, ref, strict=True)))

    @property
    def agree(self) -> bool:
        """``|z| ≤ 3`` (or an exact zero), every value finite."""
        values = (*self.theory_at, *self.mc_at, *self.exact_at, self.intercept)
        if not all(math.isfinite(v) for v in values):
            return False
        return bool(abs(self.z) <= NSE or self.exact_zero)

    def as_row(self) -> dict:
        """A flat dict: the columns of the table plus the per-size tuples."""
        return dict(
            figure=self.figure, series=self.series, quantity=self.quantity, x_name=self.x_name,
            x=self.x, d=self.d, sizes=list(self.sizes), draws=list(self.draws_at),
            theory=self.theory, mc=self.mc, se=self.se, theory_at=list(self.theory_at),
            mc_at=list(self.mc_at), se_at=list(self.se_at), exact_at=list(self.exact_at),
            method=self.method, intercept=self.intercept, intercept_se=self.intercept_se,
            dof=self.dof, t=self.t, z=self.z, atol=self.atol, agree=self.agree,
        )


def _intercept_weights(sizes: np.ndarray, ses: np.ndarray, shape=inverse_size) -> np.ndarray:
    """The coefficients ``c`` with ``a = Σ c_k y_k`` of the weighted fit ``y = a + b·shape(d)``."""
    x = np.stack([np.ones_like(sizes), shape(sizes)], axis=1)
    w = 1.0 / ses**2
    return (np.linalg.inv(x.T @ (w[:, None] * x)) @ (x.T * w))[0]


def _welch_dof(coef: np.ndarray, ses: np.ndarray, draws: np.ndarray) -> float:
    parts = (coef * ses) ** 2
    den = float(np.sum(parts**2 / (draws - 1)))
    return float(np.sum(parts)) ** 2 / den if den > 0 else math.inf


def _column(values, q: str, size: int, where: str) -> np.ndarray:
    arr = np.asarray(values[q], dtype=float)
    try:
        return np.broadcast_to(arr, (size,)).astype(float)
    except ValueError:
        raise ValueError(f"{where}[{q!r}]: expected {size} values, got shape {arr.shape}"
                         ) from None


def compare(
    *,
    figure: str,
    series: str,
    x_name: str,
    x: Sequence[float],
    runs: Sequence[SizedRun],
    quantities: Sequence[str],
    shape: Callable[[np.ndarray], np.ndarray] = inverse_size,
) -> list[AgreementPoint]:
    """Agreement rows for every grid point and quantity of a problem simulated at several sizes.

    Parameters
    ----------
    figure, series, x_name : str
        Labels of the rows.
    x : sequence of float
        The grid (as plotted, at the largest size); every run's arrays have this length.
    runs : sequence of SizedRun
        At least two sizes, or one size with ``exact`` values.  Sorted largest first.
    quantities : sequence of str
        Quantities compared.
    shape : callable, optional
        The finite-size bias form ``b·shape(d)`` of the extrapolation: ``1/d``
        (:func:`~modelcollapse.verify.agreement.inverse_size`, default) or the model's declared
        form (``VerifiedModel.finite_size``; ReLU random features: ``ln(d)/d``).

    Examples
    --------
    Two sizes whose differences are exactly ``0.1/d``: the intercept is 0.

    >>> import numpy as np
    >>> from modelcollapse.verify import MonteCarloResult
    >>> from modelcollapse.verify.reproduce._agreement import SizedRun, compare
    >>> def run(d):
    ...     draws = 1.0 + 0.1 / d + 0.01 * np.array([[1.0], [-1.0]] * 5)
    ...     return SizedRun(d, {"test_error": [1.0]}, MonteCarloResult.from_draws(
    ...         {"test_error": draws}, 0))
    >>> (row,) = compare(figure="f", series="s", x_name="n", x=[10], runs=[run(50), run(100)],
    ...                  quantities=["test_error"])
    >>> row.sizes, abs(row.intercept) < 1e-12, row.agree
    ((100, 50), True, True)
    """
    runs = sorted(runs, key=lambda r: -r.d)
    if not runs:
        raise ValueError("runs: no Monte Carlo run to compare")
    if len({r.d for r in runs}) != len(runs):
        raise ValueError(f"runs: two runs of the same size {[r.d for r in runs]}")
    exact = len(runs) == 1
    if exact and runs[0].exact is None:
        raise ValueError("runs: one size needs exact finite-size values to compare with; "
                         "otherwise simulate at two sizes")
    for r in runs:
        if r.mc.n_draws < MIN_DRAWS:
            raise ValueError(f"draws: a verdict needs at least {MIN_DRAWS} draws per size, got "
                             f"{r.mc.n_draws} at d = {r.d}")
    k = len(x)
    theory = [{q: _column(r.theory, q, k, "theory") for q in quantities} for r in runs]
    scale = max((float(np.max(np.abs(t[q]), initial=0.0, where=np.isfinite(t[q])))
                 for t in theory for q in quantities), default=0.0)
    atol = 1e-12 * scale
    sizes = np.array([float(r.d) for r in runs])
    draws = np.array([r.mc.n_draws for r in runs], dtype=float)
    rows = []
    for q in quantities:
        mean = [np.broadcast_to(np.asarray(r.mc.mean[q], dtype=float), (k,)) for r in runs]
        se = [np.broadcast_to(np.asarray(r.mc.stderr[q], dtype=float), (k,)) for r in runs]
        ref = ([_column(runs[0].exact, q, k, "exact")] if exact else
               [t[q] for t in theory])
        for i, xv in enumerate(x):
            m_i = np.array([mm[i] for mm in mean])
            s_i = np.array([ss[i] for ss in se])
            r_i = np.array([rr[i] for rr in ref])
            ses = np.sqrt(s_i**2 + atol**2)
            if not (np.all(np.isfinite(m_i)) and np.all(np.isfinite(r_i))
                    and np.all(np.isfinite(ses))):  # no verdict: the point does not agree
                a, a_se, dof = math.nan, math.nan, math.inf
            elif np.all(ses > 0):
                if exact:
                    a, a_se, coef = float(m_i[0] - r_i[0]), float(ses[0]), np.ones(1)
                else:
                    a, a_se = fit_intercept(sizes, m_i - r_i, ses, shape)
                    coef = _intercept_weights(sizes, ses, shape)
                dof = _welch_dof(coef, s_i, draws)
            else:  # a zero standard error (exact zeros with atol = 0)
                a, a_se, dof = float(m_i[0] - r_i[0]), 0.0, math.inf
            rows.append(AgreementPoint(
                figure=figure, series=series, quantity=q, x_name=x_name, x=float(xv),
                sizes=tuple(int(r.d) for r in runs),
                theory_at=tuple(float(t[q][i]) for t in theory),
                mc_at=tuple(float(v) for v in m_i), se_at=tuple(float(v) for v in s_i),
                draws_at=tuple(int(r.mc.n_draws) for r in runs),
                intercept=a, intercept_se=a_se, dof=dof,
                method="exact" if exact else "extrapolated",
                exact_at=tuple(float(v) for v in r_i) if exact else (), atol=atol))
    return rows
