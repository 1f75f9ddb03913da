"""Monte Carlo of ridge on nonlinear random features with the true activation (docs/mathematics.md
§2, §5).

The exact finite model of :mod:`modelcollapse.theory.random_features`: ``φ(x) = c σ(Sx/c)`` with
``c = √(tr Σ/d)``, ``v = (ΦᵀΦ + nλ)^{-1}Φᵀy`` (minimum norm at λ = 0), real/synthetic rows as for
random projections.  No linearisation: the features are the activation of the projected design.

Each draw samples ``S_max`` (width-``m`` model: its first ``m`` rows, nested as in
:mod:`modelcollapse.verify.montecarlo_rp`; orthogonal projections are drawn per width), the design
and, for fixed teachers, nothing else: the label noise and random-effects teachers are
integrated exactly given ``X`` and ``S`` (the fit is linear in the labels), so the test error needs
only ``K = E φφᵀ`` and ``C = E φxᵀ`` over a fresh test point:

* Gaussian inputs: exact (:func:`modelcollapse.numerics._rf_kernels.feature_moments`);
* σ(z) = z: exact for every input law (``K = SΣSᵀ``, ``C = SΣ``);
* non-Gaussian inputs with a nonlinear σ: unbiased estimates from ``test_size`` fresh points of the
  same law per draw (their noise is part of the draw-to-draw spread, so the standard errors stay
  valid).

**Input laws** (``features``): ``x = Σ^{1/2} z`` with iid coordinates of z, each of mean 0 and
variance 1: ``"gaussian"``, ``"rademacher"`` (±1), ``"uniform"`` (on ±√3), ``"student_t"``
(``t_ν·√((ν−2)/ν)``, ν = ``dof`` > 2; heavy tails).  **Projections** (``projection``):
``"gaussian"`` (iid N(0, 1/d), the theory's), ``"rademacher"`` (±1/√d) and ``"orthogonal"``
(Haar: orthonormal rows when m ≤ d, ``√(m/d)`` times orthonormal columns when m > d — the same
average row norm 1).

Split per draw as in the other simulators: ``bias`` is the error of the noise-free fit on labels
``x w1`` for every row, ``variance`` the noise part, ``zeta`` the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from modelcollapse.numerics._rf_kernels import feature_moments, feature_scale
from modelcollapse.theory._activations import ACTIVATIONS, activation_function

from ._draws import (
    check_seed,
    design,
    problem_scale,
    scalar,
    teacher_sampler,
    whole_number,
    widths_and_ridge,
)
from ._result import MonteCarloResult
from .engine import run_monte_carlo
from .montecarlo_rp import _thin_svd

__all__ = ["simulate_rf", "FEATURE_LAWS", "PROJECTIONS", "draw_inputs", "draw_projection"]

FEATURE_LAWS = ("gaussian", "rademacher", "uniform", "student_t")
PROJECTIONS = ("gaussian", "rademacher", "orthogonal")


def draw_inputs(rng: np.random.Generator, rows: int, spectrum: np.ndarray, law: str,
                dof: float | None = None) -> np.ndarray:
    """``rows`` inputs ``x = Σ^{1/2} z`` with iid standardised coordinates of the given law.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify.montecarlo_rf import draw_inputs
    >>> x = draw_inputs(np.random.default_rng(0), 200000, np.array([4.0, 1.0]), "uniform")
    >>> np.round(x.var(axis=0), 1).tolist()
    [4.0, 1.0]
    """
    d = spectrum.size
    if law == "gaussian":
        z = rng.standard_normal((rows, d))
    elif law == "rademacher":
        z = rng.integers(0, 2, size=(rows, d)) * 2.0 - 1.0
    elif law == "uniform":
        z = rng.uniform(-math.sqrt(3.0), math.sqrt(3.0), size=(rows, d))
    elif law == "student_t":
        z = rng.standard_t(dof, size=(rows, d)) * math.sqrt((dof - 2.0) / dof)
    else:
        raise ValueError(f"features: expected one of {', '.join(FEATURE_LAWS)}, got {law!r}")
    return z * np.sqrt(spectrum)


def draw_projection(rng: np.random.Generator, rows: int, d: int, law: str) -> np.ndarray:
    """A ``rows × d`` projection of the given law (entries of variance 1/d on average).

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify.montecarlo_rf import draw_projection
    >>> s = draw_projection(np.random.default_rng(1), 3, 5, "orthogonal")
    >>> bool(np.allclose(s @ s.T, np.eye(3)))
    True
    """
    if law == "gaussian":
        return rng.standard_normal((rows, d)) / math.sqrt(d)
    if law == "rademacher":
        return (rng.integers(0, 2, size=(rows, d)) * 2.0 - 1.0) / math.sqrt(d)
    if law == "orthogonal":
        g = rng.standard_normal((max(rows, d), min(rows, d)))
        q, r = np.linalg.qr(g)
        q = q * np.sign(np.diag(r))  # Haar
        return q.T if rows <= d else q * math.sqrt(rows / d)
    raise ValueError(f"projection: expected one of {', '.join(PROJECTIONS)}, got {law!r}")


def _errors_random(a_mat, x, n1, spectrum, gamma, delta, k, c, noise_rows) -> list[float]:
    p = a_mat @ x
    p_m = a_mat[:, n1:] @ x[n1:]
    bias = float(gamma @ ((p * (k @ p)).sum(axis=0)) - 2 * gamma @ ((p * c).sum(axis=0))
                 + gamma @ spectrum)
    zeta = float(delta @ (p_m * (k @ p_m)).sum(axis=0))
    variance = float(noise_rows @ (a_mat * (k @ a_mat)).sum(axis=0))
    return [bias + variance + zeta, bias, variance, zeta]


def _errors_fixed(a_mat, y, y_b, w1, spectrum, k, c, noise_rows) -> list[float]:
    def err(v):
        return float(v @ k @ v - 2 * v @ (c @ w1) + w1 @ (spectrum * w1))

    total = err(a_mat @ y)
    bias = err(a_mat @ y_b)
    variance = float(noise_rows @ (a_mat * (k @ a_mat)).sum(axis=0))
    return [total + variance, bias, variance, total - bias]


def simulate_rf(
    spectrum,
    *,
    n: int,
    m,
    p2: float,
    ridge: float,
    noise_real: float = 0.0,
    noise_synth: float = 0.0,
    gamma=None,
    delta=None,
    w_real=None,
    w_synth=None,
    activation: str | Callable = "relu",
    features: str = "gaussian",
    dof: float | None = None,
    projection: str = "gaussian",
    test_size: int = 4000,
    draws: int = 20,
    seed: int = 0,
    progress: bool | None = None,
    client=None,
) -> MonteCarloResult:
    """Simulate ridge on ``m`` random features ``c σ(Sx/c)`` over a grid of widths.

    Parameters
    ----------
    spectrum, n, m, p2, ridge, noise_real, noise_synth, gamma, delta, w_real, w_synth
        As :func:`~modelcollapse.verify.montecarlo_rp.simulate_rp`.
    activation : str or callable
        ``"relu"``, ``"tanh"``, ``"erf"``, ``"linear"`` or a callable mapping arrays to arrays.
    features : {"gaussian", "rademacher", "uniform", "student_t"}
        The law of the standardised input coordinates (``dof`` = ν > 2 for Student t).
    projection : {"gaussian", "rademacher", "orthogonal"}
        The law of S.
    test_size : int
        Fresh test points per draw where the test expectation has no closed form (non-Gaussian
        inputs with a nonlinear activation).
    draws, seed, progress, client
        As the other simulators.

    Returns
    -------
    MonteCarloResult
        ``test_error``, ``bias``, ``variance``, ``zeta`` over the width grid.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify.montecarlo_rf import simulate_rf
    >>> d = 40
    >>> mc = simulate_rf(np.ones(d), n=30, m=[10, 60], p2=0.5, ridge=0.01, noise_real=0.3,
    ...                  gamma=np.full(d, 1 / d), delta=np.full(d, 0.2 / d), draws=3, seed=1)
    >>> mc.mean["test_error"].shape, mc.params["activation"]
    ((2,), 'relu')
    """
    s, d, n_int = design(spectrum, n)
    kind, draw_teachers = teacher_sampler(d, gamma=gamma, delta=delta, w_real=w_real,
                                          w_synth=w_synth)
    widths, lam_f = widths_and_ridge(m, ridge)
    p2f = scalar(p2, "p2", lower=0.0, upper=1.0)
    draws = whole_number(draws, "draws")
    seed = check_seed(seed)
    test_size = whole_number(test_size, "test_size")
    s1 = scalar(noise_real, "noise_real", lower=0.0)
    s2 = scalar(noise_synth, "noise_synth", lower=0.0)
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            activation_function(activation)  # ValueError naming the choices
        sigma = activation_function(activation)
        act_name = activation
    elif callable(activation):
        sigma, act_name = activation, "custom"
    else:
        raise ValueError(f"activation: expected a name or a callable, got "
                         f"{type(activation).__name__}")
    if features not in FEATURE_LAWS:
        raise ValueError(f"features: expected one of {', '.join(FEATURE_LAWS)}, got "
                         f"{str(features)[:40]!r}")
    if features == "student_t":
        dof = scalar(dof, "dof", lower=2.0, strict=True) if dof is not None else None
        if dof is None:
            raise ValueError("dof: Student-t features need the degrees of freedom ν > 2")
    elif dof is not None:
        raise ValueError("dof: only Student-t features take degrees of freedom")
    if projection not in PROJECTIONS:
        raise ValueError(f"projection: expected one of {', '.join(PROJECTIONS)}, got "
                         f"{str(projection)[:40]!r}")
    n2 = int(round(p2f * n_int))
    n1 = n_int - n2
    noise_rows = np.r_[np.full(n1, s1**2), np.full(n2, s2**2)]
    c_scale = feature_scale(s)
    m_max = int(widths.max())
    exact_test = features == "gaussian" or act_name == "linear"
    kernel_of = act_name if isinstance(activation, str) else activation
    if kind == "random":
        gamma_d, delta_d = np.asarray(gamma, dtype=float), np.asarray(delta, dtype=float)

    def feats(x, s_mat):
        return c_scale * sigma(x @ s_mat.T / c_scale)

    def sample_once(rng: np.random.Generator) -> dict[str, np.ndarray]:
        if kind == "fixed":
            w1, w2 = draw_teachers(rng)
        x = draw_inputs(rng, n_int, s, features, dof)
        if projection == "orthogonal":
            mats = [draw_projection(rng, int(w), d, projection) for w in widths]
        else:
            s_max = draw_projection(rng, m_max, d, projection)
            mats = [s_max[:w] for w in widths]
        if exact_test:
            if act_name == "linear":
                moments = [((sm * s) @ sm.T, sm * s) for sm in mats]
            elif projection == "orthogonal":
                moments = [feature_moments(kernel_of, sm, s) for sm in mats]
            else:
                k_max, c_max = feature_moments(kernel_of, s_max, s)
                moments = [(k_max[:w, :w], c_max[:w]) for w in widths]
        else:
            x_t = draw_inputs(rng, test_size, s, features, dof)
            moments = []
            for sm in mats:
                f_t = feats(x_t, sm)
                moments.append((f_t.T @ f_t / test_size, f_t.T @ x_t / test_size))
        if kind == "fixed":
            y = np.r_[x[:n1] @ w1, x[n1:] @ w2]
            y_b = x @ w1
        out = np.empty((widths.size, 4))
        for j, (sm, (k, c)) in enumerate(zip(mats, moments, strict=True)):
            u_mat, sv, vt = _thin_svd(feats(x, sm))
            a_mat = (vt.T * (sv / (sv**2 + n_int * lam_f))) @ u_mat.T  # v = A y
            if kind == "random":
                out[j] = _errors_random(a_mat, x, n1, s, gamma_d, delta_d, k, c, noise_rows)
            else:
                out[j] = _errors_fixed(a_mat, y, y_b, w1, s, k, c, noise_rows)
        return {q: out[:, i] for i, q in enumerate(("test_error", "bias", "variance", "zeta"))}

    params = dict(
        model="random_features", d=d, n=n_int, n1=n1, n2=n2, p2=p2f, m=widths.tolist(),
        ridge=lam_f, noise_real=s1, noise_synth=s2, teacher=kind, draws=draws,
        activation=act_name, features=features, dof=dof, projection=projection,
        test_size=None if exact_test else test_size, nested_widths=projection != "orthogonal",
        scale=problem_scale(s, (s1, s2), gamma=gamma, delta=delta, w_real=w_real,
                            w_synth=w_synth),
    )
    coords = dict(n=float(n_int), m=widths.astype(float), p2=n2 / n_int, ridge=lam_f,
                  noise_real=s1, noise_synth=s2)
    return run_monte_carlo(sample_once, draws=draws, seed=seed, params=params,
                           model="random_features",
                           coords={k: np.broadcast_to(v, widths.shape) for k, v in coords.items()},
                           progress=progress, client=client, desc="random-features Monte Carlo")
