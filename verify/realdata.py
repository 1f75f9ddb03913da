"""Real data, offline: Theorem 1 on a real spectrum, and the paper's network and language-model
experiments in miniature.

Every data set used here ships inside an installed package: scikit-learn's ``load_digits``
(1797 images of 8 × 8 pixels, 16 grey levels) and the reference-manual topics of Python's own
standard library (``pydoc_data.topics``, over 400 000 characters of English prose).  Nothing is
downloaded.

Experiment 1 — Theorem 1 on the digits spectrum (:func:`simulate_realdata_ridge`)
----------------------------------------------------------------------------------
The *population* is the finite pool of N = 1797 images (:func:`digits_population`).  Pixels that
are constant, or non-zero in fewer than 1 % of the images, are dropped (10 of 64: standardising a
pixel that is lit in one image makes a feature of size ~40 on that row and 0 elsewhere); the other
d = 54 are centred and scaled to unit variance over the pool.  Then, exactly over the pool:

- ``Σ = XᵀX/N`` (unit diagonal), its eigenvalues are the ``spectrum`` of the theory;
- ``w1 = Σ⁻¹Xᵀy/N`` is the population least-squares teacher of a real label ``y`` (default: the
  digit is odd, centred), ``ε = y − Xw1`` has ``Xᵀε = 0`` and ``σ1² = ‖ε‖²/N``;
- for any linear ``ŵ``, the pool's mean squared error is ``σ1² + (ŵ − w1)ᵀΣ(ŵ − w1)``, so the
  *population excess risk* ``(ŵ − w1)ᵀΣ(ŵ − w1)`` is exactly the theory's
  ``E_test = E_x (xᵀŵ − xᵀw1)²`` (docs/mathematics.md §0) on this population.

The synthetic labeller is ridge fitted on 60 real rows (:func:`ridge_generator`): a fixed vector
``w2``, so ``c² = δᵀΣδ`` with ``δ = w2 − w1`` is exact.  Its labels are its predictions ``xᵀw2``
*without* noise (σ2 = 0: a regression model outputs its mean; ``noise_synth`` adds Gaussian noise
if wanted).  Ridge (``(1/n)Σ(xᵀw − y)² + λ‖w‖²``, no intercept: the features are centred by the
population) is trained on ``n1 = n − round(p2 n)`` rows with real labels and ``n2`` rows labelled
by ``w2``, and its population excess risk is compared with
:func:`~modelcollapse.numerics.ridge_risk` on Σ's eigenvalues with the fixed teachers rotated
into Σ's eigenbasis (Theorem 1, docs/mathematics.md §1).

A test error on held-out rows is also recorded (route ``"pool"``, ``heldout_excess``): the mean
squared error of ``ŵ`` on the rows not drawn minus that of ``w1`` on the same rows.  It is *not*
the theory's quantity: the held-out rows are the complement of the training draw, so their
residuals are correlated with it (``Σ_held εx = −Σ_train εx``) and their mean ``ε²`` is not σ1².

Four *routes* draw the training rows, and separate the gap between theory and real data into its
causes (:data:`ROUTES`):

``"gaussian"``  ``x ~ N(0, Σ)``, ``y = xᵀw1 + N(0, σ1²)``: the theory's own model on the digits
                spectrum; any difference is the finite-size (O(1/n)) bias;
``"iid-noise"`` rows drawn *with* replacement from the pool, labels ``xᵀw1 + N(0, σ1²)``:
                real (non-Gaussian) features, noise independent of x;
``"iid"``       rows drawn with replacement, real labels: adds the x-dependent residuals
                (``ε`` is a function of the image, heteroscedastic and not independent of x);
``"pool"``      rows drawn *without* replacement, real labels: the experiment itself; adds the
                finite pool (a large draw is a large part of the population).

What the measurements show (``modelcollapse reproduce --mode full``: 1000 draws a point, the
report prints every point).  The Gaussian route agrees with the theory everywhere (at most
+2.4 %, at n = 100 with λ = 1e-3: the O(1/n) bias, 1/(n − d − 1) = 2.2 % for least squares).
The real data depart from it in three ways, none of them tuned away:

1. *Non-Gaussian features, weak ridge.*  At λ = 1e-3 (almost least squares), p2 = 0, real
   features with independent noise (``"iid-noise"``) give +109 % at n = 100 ≈ 2d, +51 % at
   n = 200, +12 % at 400, +4 % at 800 and +1 % at 1600; at λ = 0.1 only +1 to +4 %, and at
   λ = 1 they agree within 1 %.  Digit pixels are bounded, sparse and strongly dependent: the
   small eigenvalues of their sample covariance fluctuate far more than Gaussian ones, and
   least squares divides by them.  A ridge that regularises them away restores universality.
2. *x-dependent residuals.*  Real labels instead of independent noise (``"iid"``) add about 5
   to 11 points at λ ≤ 0.1 (λ = 1e-3, n = 400: +23 % against +12 %; λ = 0.1, n = 200: +9 %
   against +3 %) and nothing at λ = 1: the residual ``ε`` of the linear teacher is a function
   of the image, larger on some images than on others, so it is not independent of the
   leverage of the rows it sits on.
3. *The finite pool.*  Drawing without replacement (``"pool"``, the experiment itself) makes a
   large sample less variable than independent draws (the finite-population correction,
   ``(N − n)/(N − 1)`` for a mean).  At λ = 1e-3, p2 = 0 the error relative to the theory is
   +105 % at n = 100, +43 % at 200, −5 % at 400, −37 % at 800 and −88 % at 1600 (89 % of the
   population in the training set: least squares nearly recovers w1); at λ = 1 it is 1–3 %
   below the theory at every n.  Near n = 400 the first two effects and this one cancel by
   chance.

Experiment 3 — a trained two-layer network (:func:`simulate_network_mixing`)
----------------------------------------------------------------------------
The paper's MNIST experiment in miniature: scikit-learn's ``MLPRegressor`` (one hidden ReLU
layer, Adam, squared loss on one-hot targets — the regression setting of the theory) trained on
``n`` digits, either all with real labels (*clean*) or with a fraction ``p2`` labelled by a weaker
model (*mixed*: a linear ridge fitted on 50 real images, whose outputs are the synthetic
targets), across hidden widths; test error on held-out real images.  The theory's φ → 0 floor
``p2²c²`` is estimated by ``p2²ĉ²`` with ``ĉ² = E‖g(x) − f(x)‖²``, the distance between the
generator ``g`` and the widest clean network ``f`` on the test images.

Measured (``--mode full``: n = 1000, 5 repetitions, widths 4–512; scikit-learn 1.9): the paired
gap mixed − clean in test error ``E‖f(x) − onehot(y)‖²`` is 0.13–0.18 at p2 = 0.5 and 0.03–0.05
at p2 = 0.2 for every width ≥ 16 (z from 5 to 88 once the width is ≥ 32), while the clean error
keeps falling (0.36 at width 16, 0.11 at 512): wider networks do not close the gap, so relative
to the clean error it grows.  The measured gap is above the φ → 0 floor p2²ĉ² (0.096 and 0.015):
at finite n the theory's ζ has more than its floor (Theorem 1: ``p1p2u`` terms), and a network
is not a linear model.  Training on the real rows alone (n1 = 500) beats the mix at p2 = 0.5
from width 16 on (0.145 against 0.238 at width 512): the synthetic rows cost more than they
bring.  Below width 16 the networks are too small for the labels to matter (gaps 0–0.04).

Experiment 4 — a language-model analogue (:func:`simulate_ngram_mixing`)
------------------------------------------------------------------------
The paper's GPT-2 experiment in miniature: a character n-gram model with add-k smoothing
(:mod:`._ngram`) trained on ``n`` characters of real text (the reference-manual topics), or on a
mix with a fraction ``p2`` of text sampled from a weaker model (a bigram fitted on 20 000 real
characters); test loss is the cross-entropy in bits per character on held-out real text.  Clean
training keeps improving until the model's own capacity; mixed training stalls at a higher loss.

Measured (``--mode full``: 10 repetitions, n from 3 000 to 300 000 characters): the clean loss
falls from 3.33 to 2.45 bits per character; the gap mixed − clean is 0.021 ± 0.007 at n = 3 000
and 0.023 ± 0.001 at 300 000 for p2 = 0.1, and 0.16 ± 0.02 rising to 0.221 ± 0.003 for p2 = 0.5
— it does not close with more data (the error floor).  At n = 300 000 the real half alone
(2.470) beats the mix (2.669).  The alphabet is folded to 28 symbols so that an order-3 model
reaches its capacity within the corpus; with order 4 or 5 the model is still learning at
300 000 characters and the gap shrinks slowly instead (exploratory single-seed runs: from about
0.4 to 0.3 bits per character between 10 000 and 300 000 characters at p2 = 0.5).

(Experiment 2 — random ReLU features on the digits, against the random-projections theory — is
not here yet: it plugs in next to experiment 1, with its own route and theory function.)
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from modelcollapse.numerics import ridge_risk

from . import _ngram
from ._result import MonteCarloResult
from .engine import run_monte_carlo

__all__ = [
    "ROUTES",
    "DigitsPopulation",
    "digits_population",
    "ridge_generator",
    "realdata_ridge_theory",
    "simulate_realdata_ridge",
    "simulate_network_mixing",
    "python_docs_text",
    "simulate_ngram_mixing",
    "source_version",
]

#: How the training rows of experiment 1 are drawn (module docstring).
ROUTES = {
    "pool": "rows without replacement from the pool, real labels (the experiment)",
    "iid": "rows with replacement from the pool, real labels",
    "iid-noise": "rows with replacement, labels xᵀw1 + independent Gaussian noise",
    "gaussian": "x ~ N(0, Σ), labels xᵀw1 + Gaussian noise (the theory's model)",
}

_TARGETS = ("odd", "large")


# --------------------------------------------------------------------------------------------
# input checks (every message names the parameter)
# --------------------------------------------------------------------------------------------


def _whole(value, name: str, low: int, high: int | None = None) -> int:
    try:
        ok = float(value) == int(value) and not isinstance(value, bool)
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ValueError(f"{name}: expected a whole number, got {value!r}")
    v = int(value)
    if v < low or (high is not None and v > high):
        bound = f"between {low} and {high}" if high is not None else f"≥ {low}"
        raise ValueError(f"{name}: must be {bound}, got {v}")
    return v


def _number(value, name: str, *, strict: bool) -> float:
    """A finite float ≥ 0 (> 0 if ``strict``)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a number, got {value!r}") from None
    if not np.isfinite(v) or v < 0 or (strict and v == 0):
        raise ValueError(f"{name}: must be {'>' if strict else '≥'} 0, got {value!r}")
    return v


def _grid(values, name: str, *, low: float, high: float | None = None, strict: bool = False,
          whole: bool = False) -> np.ndarray:
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected numbers, got {values!r}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty 1-D list of numbers")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: must be finite, got {arr.tolist()}")
    if np.any(arr < low) or (strict and np.any(arr == low)):
        raise ValueError(f"{name}: must be {'>' if strict else '≥'} {low:g}, got {arr.tolist()}")
    if high is not None and np.any(arr > high):
        raise ValueError(f"{name}: must be ≤ {high:g}, got {arr.tolist()}")
    if whole and np.any(arr != np.round(arr)):
        raise ValueError(f"{name}: expected whole numbers, got {arr.tolist()}")
    return arr.astype(int) if whole else arr


def _fingerprint(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str(a.dtype).encode() + repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


@cache
def source_version() -> str:
    """Hash of this module's and :mod:`._ngram`'s source text (enters the reproduce cache keys).

    Examples
    --------
    >>> from modelcollapse.verify.realdata import source_version
    >>> len(source_version())
    16
    """
    h = hashlib.sha256()
    for path in (Path(__file__), Path(_ngram.__file__)):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


# --------------------------------------------------------------------------------------------
# experiment 1: the digits pool as a population
# --------------------------------------------------------------------------------------------


@cache
def _digits_raw() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - scikit-learn is a dependency
        raise ImportError("the real-data experiments need scikit-learn (pip install "
                          "scikit-learn)") from exc
    bunch = load_digits()
    images = np.asarray(bunch.data, dtype=float)
    labels = np.asarray(bunch.target, dtype=int)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


@dataclass(frozen=True)
class DigitsPopulation:
    """The standardised digits pool as a population (experiment 1; module docstring).

    Attributes
    ----------
    features : ndarray, shape (N, d)
        Kept pixels, centred and scaled to unit variance over the pool.
    target : ndarray, shape (N,)
        The real label, centred over the pool.
    digits : ndarray, shape (N,)
        The digit of each image.
    pixels : ndarray, shape (d,)
        Indices (0–63) of the kept pixels.
    covariance : ndarray, shape (d, d)
        ``Σ = XᵀX/N``.
    spectrum, basis : ndarray
        Eigenvalues of Σ (ascending) and its eigenvectors (columns).
    w_real : ndarray, shape (d,)
        ``w1 = Σ⁻¹Xᵀy/N``, the population least-squares teacher.
    noise_real : float
        ``σ1 = ‖y − Xw1‖/√N``.
    fingerprint : str
        Hash of the features and target (for cache keys).
    """

    features: np.ndarray
    target: np.ndarray
    digits: np.ndarray
    pixels: np.ndarray
    covariance: np.ndarray
    spectrum: np.ndarray
    basis: np.ndarray
    w_real: np.ndarray
    noise_real: float
    fingerprint: str

    @property
    def size(self) -> int:
        """N, the number of images in the pool."""
        return int(self.features.shape[0])

    @property
    def dim(self) -> int:
        """d, the number of kept pixels."""
        return int(self.features.shape[1])

    @property
    def residual(self) -> np.ndarray:
        """``ε = y − Xw1`` (orthogonal to every feature over the pool)."""
        return self.target - self.features @ self.w_real

    def eigenbasis(self, w) -> np.ndarray:
        """Coordinates of ``w`` (pixel coordinates, shape ``(d, ...)``) in Σ's eigenbasis."""
        return self.basis.T @ np.asarray(w, dtype=float)

    def excess_risk(self, w) -> np.ndarray:
        """``(w − w1)ᵀΣ(w − w1)`` for ``w`` of shape ``(d, ...)``: the population excess risk."""
        dw = np.asarray(w, dtype=float) - self.w_real.reshape((-1,) + (1,) * (np.ndim(w) - 1))
        return np.einsum("i...,i...->...", dw, np.tensordot(self.covariance, dw, axes=1))


def digits_population(*, target: str | int = "odd", min_active: float = 0.01
                      ) -> DigitsPopulation:
    """The digits pool as a population: Σ, the teacher w1 and σ1 of a real label.

    Parameters
    ----------
    target : {"odd", "large"} or int
        The real label: the digit is odd, the digit is ≥ 5, or the digit equals the given
        0–9 (one-vs-rest).  Centred over the pool.
    min_active : float
        Pixels non-zero in fewer than this fraction of the images are dropped (constant pixels
        always are: they have no variance to scale by).

    Returns
    -------
    DigitsPopulation

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify.realdata import digits_population
    >>> pop = digits_population()
    >>> pop.size, pop.dim, bool(np.allclose(np.diag(pop.covariance), 1.0))
    (1797, 54, True)
    >>> w = np.zeros(pop.dim)  # the pool's squared error of any w is σ1² + excess risk
    >>> mse = np.mean((pop.target - pop.features @ w) ** 2)
    >>> bool(np.isclose(mse, pop.noise_real ** 2 + pop.excess_risk(w)))
    True
    """
    if isinstance(target, str):
        if target not in _TARGETS:
            raise ValueError(f"target: expected 'odd', 'large' or a digit 0–9, got {target!r}")
    else:
        target = _whole(target, "target", 0, 9)
    try:
        min_active = float(min_active)
    except (TypeError, ValueError):
        raise ValueError(f"min_active: expected a number, got {min_active!r}") from None
    if not 0.0 <= min_active < 1.0:
        raise ValueError(f"min_active: must be in [0, 1), got {min_active!r}")
    images, labels = _digits_raw()
    active = (images > 0).mean(axis=0)
    std = images.std(axis=0)
    pixels = np.flatnonzero((std > 0) & (active >= min_active))
    x = images[:, pixels]
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    if target == "odd":
        y = (labels % 2).astype(float)
    elif target == "large":
        y = (labels >= 5).astype(float)
    else:
        y = (labels == target).astype(float)
    y = y - y.mean()
    n = x.shape[0]
    cov = x.T @ x / n
    cov = (cov + cov.T) / 2
    spectrum, basis = np.linalg.eigh(cov)
    w1 = basis @ ((basis.T @ (x.T @ y / n)) / spectrum)
    eps = y - x @ w1
    for a in (x, y, cov, spectrum, basis, w1):
        a.setflags(write=False)
    return DigitsPopulation(
        features=x, target=y, digits=labels, pixels=pixels, covariance=cov, spectrum=spectrum,
        basis=basis, w_real=w1, noise_real=float(np.sqrt(eps @ eps / n)),
        fingerprint=_fingerprint(x, y),
    )


def ridge_generator(pop: DigitsPopulation, *, rows: int = 60, ridge: float = 1.0,
                    seed: int = 0) -> np.ndarray:
    """The synthetic labeller's teacher ``w2``: ridge fitted on ``rows`` real rows of the pool.

    ``w2 = (X_gᵀX_g/rows + λI)⁻¹X_gᵀy_g/rows`` on the images
    ``numpy.random.default_rng(seed).choice(N, rows, replace=False)``, with their real labels;
    a fixed vector, so ``c² = (w2 − w1)ᵀΣ(w2 − w1)`` (:meth:`DigitsPopulation.excess_risk`) is
    exact.

    Examples
    --------
    >>> from modelcollapse.verify.realdata import digits_population, ridge_generator
    >>> pop = digits_population()
    >>> w2 = ridge_generator(pop)
    >>> print(f"c² = {float(pop.excess_risk(w2)):.2f}, σ1² = {pop.noise_real ** 2:.3f}")
    c² = 0.04, σ1² = 0.073
    """
    rows = _whole(rows, "rows", 1, pop.size)
    ridge = _number(ridge, "ridge", strict=True)
    seed = _whole(seed, "seed", 0)
    idx = np.random.default_rng(seed).choice(pop.size, rows, replace=False)
    x, y = pop.features[idx], pop.target[idx]
    return np.linalg.solve(x.T @ x / rows + ridge * np.eye(pop.dim), x.T @ y / rows)


def realdata_ridge_theory(pop: DigitsPopulation, w_synth, *, n, p2, ridge,
                          noise_synth: float = 0.0) -> Any:
    """Theorem 1 on the pool's spectrum with the fixed teachers ``w1`` and ``w_synth``.

    Returns :func:`~modelcollapse.numerics.ridge_risk` (``test_error``, ``bias``, ``variance``,
    ``zeta``, ``kappa``, ...) with ``spectrum`` = eigenvalues of Σ, ``w_real``/``w_synth``
    rotated into Σ's eigenbasis, ``noise_real = σ1``; ``n``, ``p2``, ``ridge`` broadcast.

    Examples
    --------
    >>> from modelcollapse.verify.realdata import (digits_population, realdata_ridge_theory,
    ...                                            ridge_generator)
    >>> pop = digits_population()
    >>> th = realdata_ridge_theory(pop, ridge_generator(pop), n=540, p2=0.0, ridge=1e-9)
    >>> ols = pop.noise_real**2 * pop.dim / (540 - pop.dim)  # least squares: σ1² d/(n − d)
    >>> bool(abs(th.test_error - ols) < 1e-6 * ols)
    True
    """
    w2 = np.asarray(w_synth, dtype=float)
    if w2.shape != (pop.dim,):
        raise ValueError(f"w_synth: expected shape ({pop.dim},), got {w2.shape}")
    return ridge_risk(pop.spectrum, n=n, p2=p2, ridge=ridge, noise_real=pop.noise_real,
                      noise_synth=noise_synth, w_real=pop.eigenbasis(pop.w_real),
                      w_synth=pop.eigenbasis(w2))


def simulate_realdata_ridge(
    pop: DigitsPopulation,
    w_synth,
    *,
    n,
    p2,
    ridge,
    route: str = "pool",
    draws: int = 200,
    seed: int = 0,
    noise_synth: float = 0.0,
    progress: bool | None = None,
    client: Any = None,
) -> MonteCarloResult:
    """Ridge on real and synthetic rows of the digits pool; population excess risk per draw.

    Parameters
    ----------
    pop : DigitsPopulation
    w_synth : array_like, shape (d,)
        The synthetic labeller (:func:`ridge_generator`): synthetic labels are ``xᵀw_synth``
        (plus ``N(0, noise_synth²)`` if ``noise_synth > 0``).
    n : array_like of int
        Training sizes (≤ N for route ``"pool"``).
    p2 : array_like
        Synthetic fractions in [0, 1]; ``n2 = round(p2 n)`` whole rows, so compare with the
        theory at ``params["p2_effective"]`` (shape ``(len(n), len(p2))``).
    ridge : array_like
        λ > 0 (every λ and p2 uses the same rows of a draw).
    route : str
        One of :data:`ROUTES`.
    draws : int
        Independent draws (≥ 2).
    seed : int
        Seed: draw ``i`` uses :func:`~modelcollapse.verify.engine.draw_generator`
        ``(seed, i)``; same seed, bit-identical result.
    noise_synth : float
        σ2 ≥ 0 of the synthetic labels.
    progress, client
        As in :func:`~modelcollapse.verify.engine.run_monte_carlo` (draws are Dask tasks on a
        cluster).

    Returns
    -------
    MonteCarloResult
        ``test_error``: the population excess risk ``(ŵ − w1)ᵀΣ(ŵ − w1)``, shape
        ``(draws, len(n), len(ridge), len(p2))``; route ``"pool"`` adds ``heldout_excess``
        (held-out mean squared error of ŵ minus that of w1, on the rows not drawn).

    Examples
    --------
    >>> from modelcollapse.verify.realdata import (digits_population, realdata_ridge_theory,
    ...                                            ridge_generator, simulate_realdata_ridge)
    >>> pop = digits_population()
    >>> w2 = ridge_generator(pop)
    >>> mc = simulate_realdata_ridge(pop, w2, n=[400], p2=[0.2], ridge=[1.0], route="gaussian",
    ...                              draws=100, seed=1)
    >>> th = realdata_ridge_theory(pop, w2, n=400, p2=0.2, ridge=1.0).test_error
    >>> bool(mc.agrees_with(th)[0, 0, 0])
    True
    """
    if route not in ROUTES:
        raise ValueError(f"route: expected one of {sorted(ROUTES)}, got {route!r}")
    w2 = np.asarray(w_synth, dtype=float)
    if w2.shape != (pop.dim,) or not np.all(np.isfinite(w2)):
        raise ValueError(f"w_synth: expected {pop.dim} finite numbers, got shape {w2.shape}")
    ns = _grid(n, "n", low=1, whole=True, high=pop.size if route == "pool" else None)
    p2s = _grid(p2, "p2", low=0.0, high=1.0)
    lams = _grid(ridge, "ridge", low=0.0, strict=True)
    draws = _whole(draws, "draws", 2)
    seed = _whole(seed, "seed", 0)
    noise_synth = _number(noise_synth, "noise_synth", strict=False)
    n2 = np.rint(p2s[None, :] * ns[:, None]).astype(int)
    params = dict(route=route, n=ns.tolist(), p2=p2s.tolist(), ridge=lams.tolist(),
                  p2_effective=(n2 / ns[:, None]).tolist(), draws=draws,
                  noise_synth=float(noise_synth), d=pop.dim, pool=pop.size,
                  data=pop.fingerprint)
    return run_monte_carlo(_ridge_draw(pop, w2, ns, n2, lams, route, noise_synth),
                           draws=draws, seed=seed, params=params, progress=progress,
                           client=client, desc=f"digits ridge ({route}) Monte Carlo")


def _ridge_draw(pop, w2, ns, n2, lams, route, noise_synth):
    """``sample_once`` of :func:`simulate_realdata_ridge`: one draw at every n."""
    x_pool, y_pool, w1 = pop.features, pop.target, pop.w_real
    sigma1, d = pop.noise_real, pop.dim
    chol = np.linalg.cholesky(pop.covariance)

    def sample_once(rng: np.random.Generator) -> dict[str, np.ndarray]:
        risk = np.empty((ns.size, lams.size, n2.shape[1]))
        held = np.empty_like(risk) if route == "pool" else None
        for i, m in enumerate(ns):
            if route == "gaussian":
                x = rng.standard_normal((m, d)) @ chol.T
                y = x @ w1 + sigma1 * rng.standard_normal(m)
            else:
                if route == "pool":
                    perm = rng.permutation(pop.size)
                    idx, rest = perm[:m], perm[m:]
                else:
                    idx = rng.integers(0, pop.size, m)
                x = x_pool[idx]
                y = y_pool[idx] if route != "iid-noise" else \
                    x @ w1 + sigma1 * rng.standard_normal(m)
            ys = x @ w2
            if noise_synth > 0:
                ys = ys + noise_synth * rng.standard_normal(m)
            # labels per p2: the first n1 rows real, the last n2 synthetic
            synthetic = np.arange(m)[:, None] >= (m - n2[i])[None, :]
            labels = np.where(synthetic, ys[:, None], y[:, None])  # (m, P)
            evals, evecs = np.linalg.eigh(x.T @ x / m)
            proj = evecs.T @ (x.T @ labels / m)  # (d, P)
            w_hat = np.einsum("ij,jlp->ilp", evecs,
                              proj[:, None, :] / (evals[:, None, None] + lams[None, :, None]))
            risk[i] = pop.excess_risk(w_hat)
            if held is not None:
                xh, yh = x_pool[rest], y_pool[rest]
                base = np.mean((yh - xh @ w1) ** 2)
                pred = np.einsum("hi,ilp->hlp", xh, w_hat)
                held[i] = np.mean((yh[:, None, None] - pred) ** 2, axis=0) - base
        out = {"test_error": risk}
        if held is not None:
            out["heldout_excess"] = held
        return out

    return sample_once


# --------------------------------------------------------------------------------------------
# experiment 3: a two-layer network on the digits, clean vs mixed labels
# --------------------------------------------------------------------------------------------


def simulate_network_mixing(
    *,
    widths,
    n: int = 1000,
    p2=(0.5,),
    repeats: int = 3,
    seed: int = 0,
    test_size: int = 500,
    generator_rows: int = 50,
    generator_ridge: float = 0.1,
    real_only: bool = False,
    max_iter: int = 500,
    weight_decay: float = 1e-4,
    progress: bool | None = None,
    client: Any = None,
) -> MonteCarloResult:
    """Two-layer ReLU networks (``MLPRegressor``) on clean vs mixed digit labels, per width.

    Each repetition splits the 1797 images at random into ``test_size`` test images,
    ``generator_rows`` images for the weaker model and ``n`` training images (pixels / 16,
    targets one-hot).  The weaker model is ridge (with intercept, λ = ``generator_ridge``) on
    its images; its outputs label the synthetic rows.  For every width, one network is trained
    on the ``n`` images with real labels (*clean*) and, for every ``p2``, one on the same images
    with the last ``round(p2 n)`` relabelled by the weaker model (*mixed*; same initialisation);
    ``real_only`` adds one trained on the ``n − round(p2 n)`` real rows alone.  Adam with
    scikit-learn's stopping rule (training loss stalls for 10 epochs, at most ``max_iter``),
    L2 penalty ``weight_decay``.

    Parameters
    ----------
    widths : array_like of int
        Hidden widths (≥ 1).
    n : int
        Training images (``test_size + generator_rows + n ≤ 1797``).
    p2 : array_like
        Synthetic fractions in (0, 1).
    repeats : int
        Repetitions (splits, weaker models and initialisations), ≥ 2.
    seed : int
        Seed; same seed, same numbers (scikit-learn version permitting).  Repetition ``r`` uses
        :func:`~modelcollapse.verify.engine.draw_generator` ``(seed, r)``.
    progress, client
        As in :func:`~modelcollapse.verify.engine.run_monte_carlo`: the repetitions are its
        draws, Dask tasks on a cluster.

    Returns
    -------
    MonteCarloResult
        Draws over repetitions: ``mse_clean`` ``(R, W)`` and ``mse_mixed`` ``(R, P, W)`` — test
        mean squared error ``E‖f(x) − onehot‖²`` on the test images —, ``error_clean``,
        ``error_mixed`` (test misclassification rate), ``mse_real_only`` if asked,
        ``mse_generator``, ``error_generator`` ``(R,)``, ``c2_proxy`` ``(R,)`` (test mean of
        ``‖g(x) − f(x)‖²`` with ``f`` the widest clean network), ``iterations_clean``,
        ``iterations_mixed`` (epochs run).

    Examples
    --------
    >>> from modelcollapse.verify.realdata import simulate_network_mixing
    >>> mc = simulate_network_mixing(widths=[16], n=300, repeats=2, seed=0, max_iter=50)
    >>> mc.draws["mse_mixed"].shape, mc.draws["mse_clean"].shape
    ((2, 1, 1), (2, 1))
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    ws = _grid(widths, "widths", low=1, whole=True)
    p2s = _grid(p2, "p2", low=0.0, high=1.0)
    if np.any((p2s <= 0) | (p2s >= 1)):
        raise ValueError(f"p2: must be in (0, 1), got {p2s.tolist()}")
    images, labels = _digits_raw()
    total = images.shape[0]
    test_size = _whole(test_size, "test_size", 1, total)
    generator_rows = _whole(generator_rows, "generator_rows", 2, total)
    n = _whole(n, "n", 2, total - test_size - generator_rows)
    repeats = _whole(repeats, "repeats", 2)
    seed = _whole(seed, "seed", 0)
    max_iter = _whole(max_iter, "max_iter", 1)
    generator_ridge = _number(generator_ridge, "generator_ridge", strict=True)
    weight_decay = _number(weight_decay, "weight_decay", strict=False)
    x_all = images / 16.0
    y_all = np.eye(10)[labels]
    n2 = np.rint(p2s * n).astype(int)
    if np.any((n2 == 0) | (n2 == n)):
        raise ValueError(f"p2: round(p2 n) must leave real and synthetic rows, got {n2.tolist()}")

    def fit(width, x, y, state):
        net = MLPRegressor(hidden_layer_sizes=(int(width),), activation="relu", solver="adam",
                           alpha=weight_decay, max_iter=max_iter, random_state=state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net.fit(x, y)
        return net

    def scores(pred, y, lab):
        return float(np.mean(np.sum((pred - y) ** 2, axis=1))), \
            float(np.mean(np.argmax(pred, axis=1) != lab))

    def sample_once(rng: np.random.Generator) -> dict[str, Any]:
        """One repetition: split, weaker model, and every network."""
        out = {k: np.empty(ws.size) for k in ("mse_clean", "error_clean", "iterations_clean")}
        out.update({k: np.empty((p2s.size, ws.size))
                    for k in ("mse_mixed", "error_mixed", "iterations_mixed")
                    + (("mse_real_only", "error_real_only") if real_only else ())})
        perm = rng.permutation(total)
        test = perm[:test_size]
        gen = perm[test_size:test_size + generator_rows]
        train = perm[test_size + generator_rows:test_size + generator_rows + n]
        xg, yg = x_all[gen], y_all[gen]
        mu_x, mu_y = xg.mean(axis=0), yg.mean(axis=0)
        coef = np.linalg.solve((xg - mu_x).T @ (xg - mu_x) / generator_rows
                               + generator_ridge * np.eye(x_all.shape[1]),
                               (xg - mu_x).T @ (yg - mu_y) / generator_rows)

        def generator(x):
            return (x - mu_x) @ coef + mu_y

        xt, yt, lt = x_all[test], y_all[test], labels[test]
        g_test = generator(xt)
        out["mse_generator"], out["error_generator"] = scores(g_test, yt, lt)
        xtr, ytr = x_all[train], y_all[train]
        g_train = generator(xtr)
        state = int(rng.integers(2**31 - 1))
        for j, w in enumerate(ws):
            net = fit(w, xtr, ytr, state)
            pred = net.predict(xt)
            out["mse_clean"][j], out["error_clean"][j] = scores(pred, yt, lt)
            out["iterations_clean"][j] = net.n_iter_
            if j == int(np.argmax(ws)):
                out["c2_proxy"] = float(np.mean(np.sum((g_test - pred) ** 2, axis=1)))
            for k, m2 in enumerate(n2):
                mixed = ytr.copy()
                mixed[n - m2:] = g_train[n - m2:]
                net = fit(w, xtr, mixed, state)
                out["mse_mixed"][k, j], out["error_mixed"][k, j] = scores(net.predict(xt), yt, lt)
                out["iterations_mixed"][k, j] = net.n_iter_
                if real_only:
                    net = fit(w, xtr[:n - m2], ytr[:n - m2], state)
                    out["mse_real_only"][k, j], out["error_real_only"][k, j] = \
                        scores(net.predict(xt), yt, lt)
        return out

    params = dict(widths=ws.tolist(), n=n, p2=p2s.tolist(), p2_effective=(n2 / n).tolist(),
                  repeats=repeats, test_size=test_size, generator_rows=generator_rows,
                  generator_ridge=float(generator_ridge), real_only=bool(real_only),
                  max_iter=max_iter, weight_decay=float(weight_decay))
    return run_monte_carlo(sample_once, draws=repeats, seed=seed, params=params,
                           progress=progress, client=client, desc="network Monte Carlo")


# --------------------------------------------------------------------------------------------
# experiment 4: a character n-gram model on Python's reference manual, clean vs mixed text
# --------------------------------------------------------------------------------------------


@cache
def python_docs_text() -> str:
    """The reference-manual topics that ship with Python (``pydoc_data.topics``), in one string.

    Topics in name order, joined by a space.  ``ImportError`` if the interpreter was built
    without ``pydoc_data``.

    Examples
    --------
    >>> from modelcollapse.verify.realdata import python_docs_text
    >>> len(python_docs_text()) > 300_000
    True
    """
    try:
        from pydoc_data.topics import topics
    except ImportError as exc:  # pragma: no cover - depends on how Python was packaged
        raise ImportError("no offline text corpus: this Python has no pydoc_data.topics") from exc
    return " ".join(topics[k] for k in sorted(topics))


def _split_corpus(codes: np.ndarray, chunk: int, test_every: int) -> tuple[np.ndarray, np.ndarray]:
    """Chunks of ``chunk`` codes; every ``test_every``-th is held out.  Returns (train, test)."""
    m = codes.size // chunk
    chunks = codes[:m * chunk].reshape(m, chunk)
    is_test = np.arange(m) % test_every == 0
    return chunks[~is_test], chunks[is_test].ravel()


def _first(chains: np.ndarray, count: int) -> list[np.ndarray]:
    """The first ``count`` codes of the rows of ``chains``, as separate streams (whole rows
    first, then part of the next)."""
    full, rest = divmod(int(count), chains.shape[1])
    streams = list(chains[:full])
    if rest:
        streams.append(chains[full, :rest])
    return streams


def simulate_ngram_mixing(
    *,
    sizes,
    p2=(0.1, 0.5),
    order: int = 3,
    smoothing: float = 0.1,
    generator_order: int = 2,
    generator_size: int = 20_000,
    generator_smoothing: float = 0.01,
    repeats: int = 4,
    seed: int = 0,
    text: str | None = None,
    chunk: int = 1000,
    test_every: int = 7,
    progress: bool | None = None,
    client: Any = None,
) -> MonteCarloResult:
    """Character n-gram test loss against data size: real text vs real text mixed with text
    sampled from a weaker n-gram model.

    The corpus (default :func:`python_docs_text`) is encoded (:func:`._ngram.encode`) and cut
    into chunks of ``chunk`` characters; every ``test_every``-th chunk is held-out test text,
    the rest is the training pool.  Each repetition shuffles the pool's chunks into one real
    stream, fits the weaker model (order ``generator_order``, add-k ``generator_smoothing``) on
    ``generator_size`` characters of an independent shuffle, and samples synthetic text from it
    (chains of ``chunk`` characters started from real histories).  For every size ``n``: the
    *clean* model (order ``order``, add-k ``smoothing``) is fitted on the first ``n`` real
    characters; for every ``p2``, the *mixed* model on the first ``n − round(p2 n)`` real and
    ``round(p2 n)`` synthetic characters, and the *real-only* model on those real characters
    alone.  Repetition ``r`` uses :func:`~modelcollapse.verify.engine.draw_generator`
    ``(seed, r)``; ``progress`` and ``client`` are as in
    :func:`~modelcollapse.verify.engine.run_monte_carlo` (the repetitions are its draws).

    Returns
    -------
    MonteCarloResult
        Draws over repetitions of the test cross-entropy in bits per character:
        ``loss_clean`` ``(R, S)``, ``loss_mixed`` and ``loss_real_only`` ``(R, P, S)``,
        ``loss_generator`` ``(R,)``.

    Examples
    --------
    >>> from modelcollapse.verify.realdata import simulate_ngram_mixing
    >>> mc = simulate_ngram_mixing(sizes=[20_000], p2=[0.5], repeats=2, seed=0)
    >>> bool(mc.mean["loss_mixed"][0, 0] > mc.mean["loss_clean"][0])
    True
    """
    corpus = python_docs_text() if text is None else str(text)
    chunk = _whole(chunk, "chunk", 10)
    test_every = _whole(test_every, "test_every", 2)
    order = _whole(order, "order", 1, 8)
    generator_order = _whole(generator_order, "generator_order", 1, 8)
    smoothing = _number(smoothing, "smoothing", strict=True)
    generator_smoothing = _number(generator_smoothing, "generator_smoothing", strict=True)
    repeats = _whole(repeats, "repeats", 2)
    seed = _whole(seed, "seed", 0)
    pool, test = _split_corpus(_ngram.encode(corpus), chunk, test_every)
    if pool.shape[0] < 2 or test.size <= order:
        raise ValueError(f"text: too short for chunks of {chunk} characters")
    capacity = pool.size
    szs = _grid(sizes, "sizes", low=max(order, generator_order) + 1, whole=True, high=capacity)
    generator_size = _whole(generator_size, "generator_size", generator_order + 1, capacity)
    p2s = _grid(p2, "p2", low=0.0, high=1.0)
    if np.any(p2s >= 1):
        raise ValueError(f"p2: must be < 1 (some real text), got {p2s.tolist()}")
    n2 = np.rint(p2s[:, None] * szs[None, :]).astype(int)  # (P, S)
    def sample_once(rng: np.random.Generator) -> dict[str, Any]:
        """One repetition: shuffles, the weaker model, its text, and every fitted model."""
        out = {"loss_clean": np.empty(szs.size),
               "loss_mixed": np.empty((p2s.size, szs.size)),
               "loss_real_only": np.empty((p2s.size, szs.size))}
        real = pool[rng.permutation(pool.shape[0])].ravel()
        gen_text = pool[rng.permutation(pool.shape[0])].ravel()[:generator_size]
        weak = _ngram.CharNGram([gen_text], order=generator_order, smoothing=generator_smoothing)
        out["loss_generator"] = weak.cross_entropy(test)
        need = int(n2.max()) if n2.size else 0
        chains = max(1, -(-need // chunk))
        starts = real[rng.integers(0, real.size - generator_order, chains)[:, None]
                      + np.arange(generator_order - 1)[None, :]]
        synthetic = weak.sample(rng, chains=chains, length=chunk, starts=starts)
        for s, size in enumerate(szs):
            model = _ngram.CharNGram([real[:size]], order=order, smoothing=smoothing)
            out["loss_clean"][s] = model.cross_entropy(test)
            for k in range(p2s.size):
                m1 = int(size - n2[k, s])
                parts = [real[:m1]] + _first(synthetic, n2[k, s])
                out["loss_mixed"][k, s] = _ngram.CharNGram(
                    parts, order=order, smoothing=smoothing).cross_entropy(test)
                out["loss_real_only"][k, s] = _ngram.CharNGram(
                    [real[:m1]], order=order, smoothing=smoothing).cross_entropy(test)
        return out

    params = dict(sizes=szs.tolist(), p2=p2s.tolist(), order=order, smoothing=float(smoothing),
                  generator_order=generator_order, generator_size=generator_size,
                  generator_smoothing=float(generator_smoothing), repeats=repeats, chunk=chunk,
                  test_every=test_every, pool=int(capacity), test=int(test.size),
                  corpus=hashlib.sha256(corpus.encode()).hexdigest()[:16])
    return run_monte_carlo(sample_once, draws=repeats, seed=seed, params=params,
                           progress=progress, client=client, desc="n-gram Monte Carlo")
