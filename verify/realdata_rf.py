"""Real data, offline, experiment 2: ridge on random ReLU features of the digits, clean against
mixed labels, over a width sweep across the threshold m = n (the paper's Figure 6 in miniature).

The population, the real label and the synthetic labeller are experiment 1's
(:mod:`modelcollapse.verify.realdata`): the pool of N = 1797 standardised digit images with d = 54
kept pixels, ``Σ = XᵀX/N``, the population least-squares teacher ``w1`` of the label, its residual
``ε = y − Xw1`` (``σ1² = ‖ε‖²/N``) and a fixed synthetic teacher ``w2`` (ridge on 60 real rows).

The model is the nonlinear random-features model of docs/mathematics.md §2.8, exactly:

    φ(x) = c σ(Sx/c),   S ∈ R^{m×d} iid N(0, 1/d),   c = √(tr Σ/d)   (c = 1 on standardised pixels),

one S per draw (the widths of a draw are nested: width m uses the first m rows of one S), and
``v = (ΦᵀΦ + nλ)^{-1}Φᵀy``, the minimiser of ``(1/n)Σ(vᵀφ(x) − y)² + λ‖v‖²`` (the minimum-norm
interpolator at λ = 0).  Training rows: ``n1 = n − round(p2 n)`` with the real (centred) label,
``n2 = round(p2 n)`` labelled by the generator, ``xᵀw2`` (plus ``N(0, σ2²)`` if ``noise_synth``).

**The quantity compared with the theory** is the population excess risk

    E_test = E_x (vᵀφ(x) − xᵀw1)²,

computed exactly over the whole pool (every one of the N images, routes ``"pool"``, ``"iid"``,
``"iid-noise"``) or exactly under ``x ~ N(0, Σ)`` (route ``"gaussian"``, by the arc-cosine kernel
of :mod:`modelcollapse.numerics._rf_kernels`): the theory's ``E_test`` on this population
(docs/mathematics.md §0).  Label noise that is independent of x (``σ1`` on the Gaussian and
``"iid-noise"`` routes, ``σ2`` on synthetic rows) enters ``v`` linearly and is integrated exactly
given the rows (§5.1).  For a nonlinear predictor, ``E_test`` is *not* the real-label error minus
σ1²: ``ε`` is a function of the image, uncorrelated with every linear function of x but not with
``φ(x)``, so the features can fit part of it.  The route ``"pool"`` therefore also records, for
information, the real-label mean squared error on the held-out rows (``heldout_mse``) and that
minus the error of ``xᵀw1`` on the same rows (``heldout_excess``).

The theory (:func:`realdata_rf_theory`) is :func:`~modelcollapse.numerics.random_features.rf_risk`
on Σ's eigenvalues with the fixed teachers rotated into Σ's eigenbasis, as
:func:`~modelcollapse.verify.realdata.realdata_ridge_theory` does for Theorem 1.

**Routes** (:data:`RF_ROUTES`) separate the gap between the theory and the real data into its
causes, as in experiment 1:

``"gaussian"``
    ``x ~ N(0, Σ)``, real labels ``xᵀw1 + N(0, σ1²)``: the theory's model on the digits spectrum
    (up to the Gaussian equivalence of the features);
``"iid-noise"``
    rows drawn with replacement from the pool, labels ``xᵀw1 + N(0, σ1²)``: real (non-Gaussian)
    inputs, noise independent of x;
``"iid"``
    rows drawn with replacement, real labels: adds the x-dependent residual ε;
``"pool"``
    rows drawn without replacement, real labels: the experiment itself.

**Seeding.**  Draw ``r`` uses its own generator
``g = default_rng(SeedSequence(seed).spawn(draws)[r])``
(:func:`modelcollapse.verify.engine.draw_generator`) and splits it, ``g_S, g_rows = g.spawn(2)``:
``S = g_S.standard_normal((max(m), d))/√d`` in pixel coordinates, and the rows from ``g_rows``
(``permutation(N)[:n]`` for the pool, ``integers(0, N, n)`` with replacement, ``Σ^{1/2}``-coloured
``standard_normal((n, d))`` for the Gaussian route).  A draw's random numbers depend on
``(seed, r)`` only: not on the width grid (the first m rows of S are the same for every grid), nor
on λ, p2 or the scheduling of the draws; the same call gives the same result bit for bit.

**Numerical failure.**  The fit uses one thin SVD of the n × m feature matrix per width, by
LAPACK's divide-and-conquer driver (``gesdd``).  On features of rows drawn with replacement
(repeated rows, an exactly rank-deficient matrix) ``gesdd`` can fail to converge; the simulator
then recomputes that SVD with the QR-iteration driver (``gesvd``, slower, same result to rounding)
and raises :class:`numpy.linalg.LinAlgError` naming the width only if both fail.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from modelcollapse.numerics._rf_kernels import feature_moments, feature_scale
from modelcollapse.numerics.random_features import rf_risk
from modelcollapse.theory._activations import ACTIVATIONS, activation_function

from ._result import MonteCarloResult
from .engine import run_monte_carlo
from .realdata import DigitsPopulation, _whole

__all__ = ["RF_ROUTES", "MAX_WIDTH", "MAX_ROWS", "MAX_GRID", "realdata_rf_theory",
           "simulate_realdata_rf"]

#: How the training rows are drawn (module docstring).
RF_ROUTES = {
    "pool": "rows without replacement from the pool, real labels (the experiment)",
    "iid": "rows with replacement from the pool, real labels",
    "iid-noise": "rows with replacement, labels xᵀw1 + independent Gaussian noise",
    "gaussian": "x ~ N(0, Σ), labels xᵀw1 + Gaussian noise (the theory's model)",
}

#: Largest width: one draw holds the N × m features of the pool and, on the Gaussian route, the
#: m × m feature kernel (about 0.2 GB at this width).
MAX_WIDTH = 4096
#: Most training rows (routes "iid", "iid-noise", "gaussian"; the pool route has N − 1): the
#: n × m features of a draw stay below 0.3 GB.
MAX_ROWS = 8192
#: Most (λ, p2) pairs per call: the pool's predictions of one width, N × len(ridge) × len(p2)
#: numbers, stay below 60 MB.
MAX_GRID = 4096


# --------------------------------------------------------------------------------------------
# input checks (every message names the parameter)
# --------------------------------------------------------------------------------------------


def _check_population(pop) -> DigitsPopulation:
    if not isinstance(pop, DigitsPopulation):
        raise ValueError(f"pop: expected a DigitsPopulation (realdata.digits_population()), got "
                         f"{type(pop).__name__}")
    return pop


def _teacher(pop: DigitsPopulation, w_synth) -> np.ndarray:
    try:
        w2 = np.asarray(w_synth, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"w_synth: expected {pop.dim} numbers") from None
    if w2.shape != (pop.dim,) or not np.all(np.isfinite(w2)):
        raise ValueError(f"w_synth: expected {pop.dim} finite numbers, got shape {w2.shape}")
    return w2


def _grid(values, name: str, *, low: float, high: float | None = None,
          whole: bool = False) -> np.ndarray:
    """A non-empty 1-D grid of finite numbers in [low, high]."""
    if isinstance(values, str | bytes):
        raise ValueError(f"{name}: expected numbers, got {values!r}")
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected numbers, got {values!r}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty 1-D list of numbers")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: must be finite, got {arr.tolist()}")
    if np.any(arr < low) or (high is not None and np.any(arr > high)):
        bound = f"in [{low:g}, {high:g}]" if high is not None else f"≥ {low:g}"
        raise ValueError(f"{name}: must be {bound}, got {arr.tolist()}")
    if whole:
        if np.any(arr != np.round(arr)):
            raise ValueError(f"{name}: expected whole numbers, got {arr.tolist()}")
        return arr.astype(int)
    return arr


def _number(value, name: str) -> float:
    """A finite float ≥ 0."""
    if isinstance(value, bool):
        raise ValueError(f"{name}: expected a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name}: must be a finite number ≥ 0, got {value!r}")
    return v


def _activation(name) -> str:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {', '.join(map(repr, ACTIVATIONS))}, "
                         f"got {str(name)[:40]!r}")
    return name


# --------------------------------------------------------------------------------------------
# the theory
# --------------------------------------------------------------------------------------------


def realdata_rf_theory(pop: DigitsPopulation, w_synth, *, n, m, p2, ridge,
                       activation: str = "relu", noise_synth: float = 0.0,
                       on_failure: str = "raise") -> Any:
    """The random-features theory (Gaussian equivalence) on the pool's spectrum.

    :func:`~modelcollapse.numerics.random_features.rf_risk` with ``spectrum`` = eigenvalues of
    Σ, ``w_real``/``w_synth`` rotated into Σ's eigenbasis, ``noise_real = σ1``
    (docs/mathematics.md §2.8: Theorem 2 with ``DF(θ) = df1(θ) + (μ*/μ1)² tr Σ/θ`` at ridge
    λ/μ1²); ``n``, ``m``, ``p2``, ``ridge`` broadcast.

    Returns
    -------
    Risk
        ``test_error`` (= E_test, the population excess risk), ``bias``, ``variance``,
        ``zeta``, ``theta``, ``u``, ...

    Examples
    --------
    σ(z) = z is Theorem 2 (random projections) on the same spectrum and teachers:

    >>> import numpy as np
    >>> from modelcollapse.numerics import rp_risk
    >>> from modelcollapse.verify.realdata import digits_population, ridge_generator
    >>> from modelcollapse.verify.realdata_rf import realdata_rf_theory
    >>> pop = digits_population(); w2 = ridge_generator(pop)
    >>> th = realdata_rf_theory(pop, w2, n=200, m=[50, 400], p2=0.5, ridge=0.1,
    ...                         activation="linear")
    >>> rp = rp_risk(pop.spectrum, n=200, m=[50, 400], p2=0.5, ridge=0.1,
    ...              noise_real=pop.noise_real, w_real=pop.eigenbasis(pop.w_real),
    ...              w_synth=pop.eigenbasis(w2))
    >>> bool(np.allclose(th.test_error, rp.test_error, rtol=1e-12))
    True
    """
    pop = _check_population(pop)
    w2 = _teacher(pop, w_synth)
    return rf_risk(pop.spectrum, n=n, m=m, p2=p2, ridge=ridge, noise_real=pop.noise_real,
                   noise_synth=_number(noise_synth, "noise_synth"),
                   w_real=pop.eigenbasis(pop.w_real), w_synth=pop.eigenbasis(w2),
                   activation=_activation(activation), on_failure=on_failure)


# --------------------------------------------------------------------------------------------
# the simulation
# --------------------------------------------------------------------------------------------


def simulate_realdata_rf(
    pop: DigitsPopulation,
    w_synth,
    *,
    n: int,
    m,
    p2,
    ridge,
    activation: str = "relu",
    route: str = "pool",
    draws: int = 100,
    seed: int = 0,
    noise_synth: float = 0.0,
    progress: bool | None = None,
) -> MonteCarloResult:
    """Ridge on random features of real and synthetic digit rows, over a grid of widths.

    Parameters
    ----------
    pop : DigitsPopulation
        :func:`~modelcollapse.verify.realdata.digits_population`.
    w_synth : array_like, shape (d,)
        The synthetic labeller (:func:`~modelcollapse.verify.realdata.ridge_generator`).
    n : int
        Training rows: 2 ≤ n ≤ N − 1 for route ``"pool"`` (which needs a held-out row),
        ≤ :data:`MAX_ROWS` otherwise.
    m : array_like of int
        Widths, 1 ≤ m ≤ :data:`MAX_WIDTH` (nested within a draw).
    p2 : array_like
        Synthetic fractions in [0, 1]; ``n2 = round(p2 n)`` whole rows, so compare with the theory
        at ``params["p2_effective"]``.
    ridge : array_like
        λ ≥ 0 (λ = 0: the minimum-norm interpolator).  Every λ and p2 uses the same rows and S.
    activation : {"relu", "tanh", "erf", "linear"}
        σ.
    route : str
        One of :data:`RF_ROUTES`.
    draws : int
        Independent draws (≥ 2), each with its own S and rows (module docstring: seeding).
    seed : int
        Seed; same seed, bit-identical result.
    noise_synth : float
        σ2 ≥ 0 of the synthetic labels (integrated exactly).
    progress : bool, optional
        A progress bar (default: only on a terminal).

    Returns
    -------
    MonteCarloResult
        ``test_error``: the population excess risk ``E_x (vᵀφ(x) − xᵀw1)²``, shape
        ``(draws, len(m), len(ridge), len(p2))``; route ``"pool"`` adds ``heldout_mse`` (the
        real-label mean squared error on the rows not drawn) and ``heldout_excess`` (that minus
        the error of ``xᵀw1`` on the same rows).

    Examples
    --------
    >>> from modelcollapse.verify.realdata import digits_population, ridge_generator
    >>> from modelcollapse.verify.realdata_rf import simulate_realdata_rf
    >>> pop = digits_population(); w2 = ridge_generator(pop)
    >>> mc = simulate_realdata_rf(pop, w2, n=100, m=[20, 300], p2=[0.0, 0.5], ridge=[0.1],
    ...                           draws=3, seed=0)
    >>> mc.draws["test_error"].shape, mc.params["p2_effective"]
    ((3, 2, 1, 2), [0.0, 0.5])
    """
    pop = _check_population(pop)
    w2 = _teacher(pop, w_synth)
    if not isinstance(route, str) or route not in RF_ROUTES:
        raise ValueError(f"route: expected one of {sorted(RF_ROUTES)}, got {str(route)[:40]!r}")
    n = _whole(n, "n", 2, pop.size - 1 if route == "pool" else MAX_ROWS)
    widths = _grid(m, "m", low=1, high=MAX_WIDTH, whole=True)
    p2s = _grid(p2, "p2", low=0.0, high=1.0)
    lams = _grid(ridge, "ridge", low=0.0)
    if lams.size * p2s.size > MAX_GRID:
        raise ValueError(f"ridge: {lams.size} values × {p2s.size} of p2 exceed {MAX_GRID} "
                         "(λ, p2) pairs per call; split the grid")
    act = _activation(activation)
    draws = _whole(draws, "draws", 2)
    seed = _whole(seed, "seed", 0)
    noise_synth = _number(noise_synth, "noise_synth")
    n2 = np.rint(p2s * n).astype(int)
    sample_once = _sampler(pop, w2, n, widths, n2, lams, act, route, noise_synth)
    params = dict(model="random_features", route=route, activation=act, n=n,
                  m=widths.tolist(), p2=p2s.tolist(), p2_effective=(n2 / n).tolist(),
                  ridge=lams.tolist(), draws=draws, noise_synth=noise_synth, d=pop.dim,
                  pool=pop.size, data=pop.fingerprint)
    shape = (widths.size, lams.size, p2s.size)
    coords = dict(n=float(n), m=widths[:, None, None].astype(float),
                  ridge=lams[None, :, None], p2=(n2 / n)[None, None, :],
                  noise_real=pop.noise_real, noise_synth=noise_synth)
    return run_monte_carlo(sample_once, draws=draws, seed=seed, params=params,
                           model="random_features",
                           coords={k: np.broadcast_to(v, shape) for k, v in coords.items()},
                           progress=progress, desc=f"digits random features ({route})")


def _sampler(pop: DigitsPopulation, w2: np.ndarray, n: int, widths: np.ndarray, n2: np.ndarray,
             lams: np.ndarray, act: str, route: str, noise_synth: float):
    """``sample_once(rng)`` of one draw (see the module docstring for the order of the draws)."""
    x_pool, y_pool, w1 = pop.features, pop.target, pop.w_real
    big_n, d = pop.size, pop.dim
    sigma = activation_function(act)
    c = feature_scale(pop.spectrum)
    sqrt_s = np.sqrt(np.clip(pop.spectrum, 0.0, None))
    m_max = int(widths.max())
    signal_pool = x_pool @ w1  # xᵀw1 on every image
    w1_eig = pop.eigenbasis(w1)
    # per p2: which rows are synthetic (the last n2), and the noise variance of each row
    synthetic = np.arange(n)[:, None] >= (n - n2)[None, :]  # (n, P)
    sigma1_sq = pop.noise_real**2 if route in ("gaussian", "iid-noise") else 0.0
    noise_rows = np.where(synthetic, noise_synth**2, sigma1_sq)  # (n, P)
    has_noise = bool(np.any(noise_rows > 0))

    def features(x, s_mat):
        return c * sigma(x @ s_mat.T / c)

    def sample_once(rng: np.random.Generator) -> dict[str, np.ndarray]:
        g_proj, g_rows = rng.spawn(2)
        s_max = g_proj.standard_normal((m_max, d)) / math.sqrt(d)
        rest = None
        if route == "gaussian":
            x = (g_rows.standard_normal((n, d)) * sqrt_s) @ pop.basis.T
            y = x @ w1  # its noise N(0, σ1²) is integrated exactly
            f_train = features(x, s_max)
            kernel, cross = feature_moments(act, s_max @ pop.basis, pop.spectrum)
            f_pool = None
        else:
            if route == "pool":
                perm = g_rows.permutation(big_n)
                idx, rest = perm[:n], perm[n:]
            else:
                idx = g_rows.integers(0, big_n, n)
            f_pool = features(x_pool, s_max)  # (N, m_max)
            f_train = f_pool[idx]
            x = x_pool[idx]
            y = y_pool[idx] if route != "iid-noise" else signal_pool[idx]
        labels = np.where(synthetic, (x @ w2)[:, None], y[:, None])  # (n, P)
        if f_pool is not None and has_noise:
            kernel = f_pool.T @ f_pool / big_n  # the pool's E φφᵀ
        shape = (widths.size, lams.size, n2.size)
        risk = np.empty(shape)
        held = np.empty(shape) if rest is not None else None
        for j, width in enumerate(widths):
            u_mat, sv, vt = _thin_svd(f_train[:, :width])
            keep = sv > sv[0] * max(n, int(width)) * np.finfo(float).eps if sv.size else sv > 0
            u_mat, sv, vt = u_mat[:, keep], sv[keep], vt[keep]
            filt = sv[:, None] / (sv[:, None] ** 2 + n * lams[None, :])  # (r, L)
            coef = filt[:, :, None] * (u_mat.T @ labels)[:, None, :]  # (r, L, P)
            v = np.tensordot(vt.T, coef, axes=1)  # (width, L, P)
            if has_noise or route == "gaussian":
                q_mat = vt @ kernel[:width, :width] @ vt.T  # K in the right singular basis
            if route == "gaussian":
                quad = np.sum(coef * np.tensordot(q_mat, coef, axes=1), axis=0)
                lin = np.tensordot(cross[:width] @ w1_eig, v, axes=1)
                risk[j] = quad - 2 * lin + w1_eig @ (pop.spectrum * w1_eig)
            else:
                pred = np.tensordot(f_pool[:, :width], v, axes=1)  # (N, L, P)
                risk[j] = np.mean((pred - signal_pool[:, None, None]) ** 2, axis=0)
            if has_noise:
                risk[j] += _noise_term(u_mat, filt, q_mat, noise_rows)
            if held is not None:
                yh = y_pool[rest]
                base = np.mean((yh - signal_pool[rest]) ** 2)
                mse = np.mean((yh[:, None, None] - pred[rest]) ** 2, axis=0)
                if has_noise:
                    f_rest = f_pool[rest, :width] @ vt.T
                    mse = mse + _noise_term(u_mat, filt, f_rest.T @ f_rest / rest.size,
                                            noise_rows)
                held[j] = mse
        out = {"test_error": risk}
        if held is not None:
            out["heldout_mse"] = held
            out["heldout_excess"] = held - base
        return out

    return sample_once


def _thin_svd(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin SVD ``a = U diag(s) Vᵀ`` by LAPACK's divide and conquer (``gesdd``), falling back to
    the slower QR iteration (``gesvd``) where ``gesdd`` does not converge (it can fail on the
    features of rows drawn with replacement, which repeat rows exactly).

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify.realdata_rf import _thin_svd
    >>> a = np.array([[3.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    >>> u, s, vt = _thin_svd(a)
    >>> s.tolist(), bool(np.allclose((u * s) @ vt, a))
    ([3.0, 2.0], True)
    """
    try:
        return np.linalg.svd(a, full_matrices=False)
    except np.linalg.LinAlgError:
        from scipy.linalg import svd

        try:
            return svd(a, full_matrices=False, lapack_driver="gesvd")
        except np.linalg.LinAlgError:
            raise np.linalg.LinAlgError(
                f"the SVD of the {a.shape[0]} × {a.shape[1]} feature matrix (width m = "
                f"{a.shape[1]}) did not converge with either LAPACK driver (gesdd, then gesvd)"
            ) from None


def _noise_term(u_mat: np.ndarray, filt: np.ndarray, q_mat: np.ndarray,
                noise_rows: np.ndarray) -> np.ndarray:
    """``Σ_i σ_i² a_iᵀ K a_i`` per (λ, p2): the variance of the fit due to label noise.

    ``a_i = Vᵀ diag(filt) Uᵀ e_i`` is the fit's response to a unit label on row i, and
    ``q_mat = V K Vᵀ`` the evaluation kernel in the right singular basis.
    """
    out = np.empty((filt.shape[1], noise_rows.shape[1]))
    for lam_index in range(filt.shape[1]):
        h = u_mat * filt[:, lam_index]  # (n, r)
        per_row = np.sum((h @ q_mat) * h, axis=1)
        out[lam_index] = per_row @ noise_rows
    return out
