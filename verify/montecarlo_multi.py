"""Monte Carlo of ridge on several sources, each drawn from its own covariance (docs/mathematics.md
§7, §5).

Each draw samples, for every source g, ``n_g`` rows ``x = F_g z`` with ``F_g F_gᵀ = C_g``
(square roots of the eigenvalues for diagonal covariances, of the eigendecomposition for
matrices, so positive semi-definite covariances with zero eigenvalues are drawn exactly).  Weighted
ridge is plain ridge on the rows rescaled by ``√a_g``; one thin SVD of the rescaled design serves
the whole λ grid (λ = 0: the minimum-norm fit).  Given the design, everything else is integrated
exactly:

* the label noise, ``E_ε‖ŵ_ε‖²_{C_t} = Σ_ab f_a f_b (VᵀC_tV)_ab (Uᵀ diag(a σ²) U)_ab``;
* random-effects teachers (``w_g = w_0 + δ_g``): the fit is ``Σ_g P_g w_g`` with
  ``P_g = V F U_gᵀ X̃_g``, so the error is ``Σ_m tr(E_mᵀ C_t E_m Cov_m)`` over the independent
  latents ``m`` (``E_m`` the fit's map of latent m minus the target's);
* fixed teachers are used as given.

The split is exact per draw: ``bias`` is the error when every source's teacher is the target's
(no noise), ``variance`` the noise part, ``zeta`` the rest (what the teachers' shifts add) — the
theory's B, V, ζ.

Row counts are whole: ``n_g`` by largest remainders from ``p_g n``; the theory is compared at the
realised fractions ``n_g/n`` (``coords["fraction_g"]``; :class:`MultiSourceFamily` builds
problems whose fractions are already whole).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelcollapse.numerics._multi_source_inputs import Inputs, read_inputs
from modelcollapse.numerics._validate import check_array

from ._draws import check_seed, whole_number
from ._linalg import gram
from ._result import MonteCarloResult
from .engine import run_monte_carlo

__all__ = ["simulate_multi_source", "row_counts", "MultiSourceFamily", "simulate_problem",
           "SCENARIOS"]


def row_counts(fractions: np.ndarray, n: int) -> np.ndarray:
    """Whole rows per source summing to ``n``: largest remainders of ``p_g n``.

    Examples
    --------
    >>> import numpy as np
    >>> from modelcollapse.verify.montecarlo_multi import row_counts
    >>> row_counts(np.array([0.5, 0.25, 0.25]), 10).tolist()
    [5, 3, 2]
    """
    raw = np.asarray(fractions, dtype=float) * n
    base = np.floor(raw + 1e-9).astype(int)
    short = n - int(base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:short]] += 1
    return base


def checked_run(sources: Sequence[Any], target: Any, gamma: Any, n: Any, ridge: Any, draws: Any,
                seed: Any) -> tuple[int, np.ndarray, int, int, Inputs]:
    """The validated ``(n, λ grid, draws, seed, inputs)`` of a multi-source Monte Carlo (one
    number per source field, a 1-D λ grid)."""
    n_int = whole_number(n, "n")
    lam = np.atleast_1d(check_array(ridge, "ridge", lower=0.0))
    if lam.ndim != 1:
        raise ValueError("ridge: expected a 1-D grid of λ values")
    draws = whole_number(draws, "draws")
    seed = check_seed(seed)
    inp = read_inputs(sources, target, gamma, np.asarray(float(n_int)), np.asarray(0.0))
    if inp.shape != ():
        raise ValueError("sources: the Monte Carlo takes one number per field (fraction, weight, "
                         "noise), not a grid")
    return n_int, lam, draws, seed, inp


def _factor(cov: np.ndarray) -> np.ndarray:
    """``F`` with ``F Fᵀ = C``: a diagonal's square root (vector) or ``V √Λ`` (matrix)."""
    if cov.ndim == 1:
        return np.sqrt(cov)
    vals, vecs = np.linalg.eigh(cov)
    return vecs * np.sqrt(np.clip(vals, 0.0, None))


def _quad(x: np.ndarray, cov: np.ndarray, y: np.ndarray) -> float:
    return float(x @ (cov * y if cov.ndim == 1 else cov @ y))


def _trace_form(e: np.ndarray, ct: np.ndarray, cov_m: np.ndarray) -> float:
    """``tr(eᵀ C_t e Cov)`` for a d × d map ``e``."""
    ce = ct[:, None] * e if ct.ndim == 1 else ct @ e
    ec = ce * cov_m[None, :] if cov_m.ndim == 1 else ce @ cov_m
    return float(np.sum(e * ec))


def _fits(inp: Inputs, rows: np.ndarray, lam: np.ndarray):
    """``sample_once`` for one problem (scalar fractions, weights and noises)."""
    k, d = inp.k, inp.d
    n = int(rows.sum())
    a = inp.weight.reshape(-1, k)[0]
    sig = inp.noise.reshape(-1, k)[0]
    factors = [_factor(c) for c in inp.covs]
    ct = inp.target_cov
    group = np.repeat(np.arange(k), rows)
    sqrt_w = np.sqrt(a[group])
    noise_rows = (a * sig**2)[group]
    lat, coef = inp.latents, inp.coef
    w_t = coef[k] @ lat if inp.teacher_kind == "fixed" else None

    def design(rng: np.random.Generator) -> np.ndarray:
        blocks = []
        for g in range(k):
            z = rng.standard_normal((rows[g], d))
            f = factors[g]
            blocks.append(z * f if f.ndim == 1 else z @ f.T)
        return np.vstack(blocks) if blocks else np.zeros((0, d))

    def sample_once(rng: np.random.Generator) -> dict[str, np.ndarray]:
        x = design(rng)
        xw = x * sqrt_w[:, None]
        u_mat, sv, vt = np.linalg.svd(xw, full_matrices=False)
        keep = sv > sv.max(initial=0.0) * max(xw.shape) * np.finfo(float).eps
        u_mat, sv, vt = u_mat[:, keep], sv[keep], vt[keep]
        g_t = vt @ (ct[:, None] * vt.T) if ct.ndim == 1 else vt @ ct @ vt.T  # VᵀC_tV
        k_noise = g_t * gram(u_mat.T, noise_rows)
        out = {key: np.empty(lam.size) for key in ("test_error", "bias", "variance", "zeta")}
        if inp.teacher_kind == "fixed":
            y_sig = np.concatenate([x[group == g] @ lat_g for g, lat_g in
                                    enumerate(coef[:k] @ lat)]) * sqrt_w
            b_sig = u_mat.T @ y_sig
            v_t = vt @ w_t
        else:
            h = [u_mat[group == g].T @ xw[group == g] for g in range(k)]  # U_gᵀ X̃_g, (r, d)
        for j, lm in enumerate(lam):
            with np.errstate(divide="ignore"):
                filt = sv / (sv**2 + n * lm)
            variance = float(filt @ k_noise @ filt)
            if inp.teacher_kind == "fixed":
                fit = vt.T @ (filt * b_sig)
                err = _quad(fit - w_t, ct, fit - w_t)
                fit_b = vt.T @ (filt * sv * v_t)
                bias = _quad(fit_b - w_t, ct, fit_b - w_t)
            else:
                maps = [vt.T @ (filt[:, None] * hg) for hg in h]  # P_g (d × d)
                proj = vt.T @ ((filt * sv)[:, None] * vt)  # Σ_g P_g
                err = bias = 0.0
                for m in range(lat.shape[0]):
                    if not np.any(lat[m]):
                        continue
                    e_m = sum(coef[g, m] * maps[g] for g in range(k)) - coef[k, m] * np.eye(d)
                    err += _trace_form(e_m, ct, lat[m])
                    if coef[k, m]:
                        bias += _trace_form(proj - np.eye(d), ct, lat[m])
            out["test_error"][j] = err + variance
            out["bias"][j] = bias
            out["variance"][j] = variance
            out["zeta"][j] = err - bias
        return out

    return sample_once


def simulate_multi_source(
    sources: Sequence[Any],
    *,
    n: int,
    ridge,
    target: Any = None,
    gamma=None,
    draws: int = 50,
    seed: int = 0,
    progress: bool | None = None,
    client=None,
) -> MonteCarloResult:
    """Simulate ridge trained on several sources, each from its own covariance.

    Parameters
    ----------
    sources, target, gamma
        As in :func:`modelcollapse.numerics.multi_source.multi_source_risk` (sources'
        fractions, weights and noises are single numbers here).
    n : int
        Total rows; source g gets ``n_g`` whole rows (:func:`row_counts`).
    ridge : array_like, shape (L,)
        λ grid (every λ uses the same draws); 0 is the minimum-norm fit.
    draws, seed : int
        Independent draws; draw i uses ``SeedSequence(seed).spawn(draws)[i]`` (bit-identical
        for the same seed).
    progress, client
        As in :func:`modelcollapse.verify.run_monte_carlo`.

    Returns
    -------
    MonteCarloResult
        ``test_error``, ``bias``, ``variance``, ``zeta`` over the λ grid; ``coords`` ``n``,
        ``ridge``, ``fraction_g`` (realised ``n_g/n``), ``weight_g``, ``noise_g``.

    Examples
    --------
    Ordinary least squares on one isotropic source: ``E ε`` part ``σ² d/(n − d − 1)``.

    >>> import numpy as np
    >>> from modelcollapse.verify.montecarlo_multi import simulate_multi_source
    >>> d = 20
    >>> src = {"fraction": 1.0, "covariance": np.ones(d), "teacher": np.ones(d), "noise": 1.0}
    >>> mc = simulate_multi_source([src], n=100, ridge=[0.0], draws=40, seed=1)
    >>> exact = d / (100 - d - 1)
    >>> bool(abs(mc.mean["variance"][0] - exact) < 3 * mc.stderr["variance"][0])
    True
    """
    n_int, lam, draws, seed, inp = checked_run(sources, target, gamma, n, ridge, draws, seed)
    rows = row_counts(inp.fraction.reshape(-1), n_int)
    k = inp.k
    sample_once = _fits(inp, rows, lam)
    params = dict(model="multi_source", d=inp.d, n=n_int, rows=rows.tolist(),
                  ridge=lam.tolist(), dense=inp.dense, teacher=inp.teacher_kind, draws=draws)
    coords: dict[str, Any] = {"n": float(n_int), "ridge": lam}
    for g in range(k):
        coords[f"fraction_{g + 1}"] = rows[g] / n_int
        coords[f"weight_{g + 1}"] = float(inp.weight.reshape(-1)[g])
        coords[f"noise_{g + 1}"] = float(inp.noise.reshape(-1)[g])
    return run_monte_carlo(sample_once, draws=draws, seed=seed, params=params,
                           model="multi_source",
                           coords={key: np.broadcast_to(v, lam.shape) for key, v in
                                   coords.items()},
                           progress=progress, client=client, desc="multi-source Monte Carlo")


def simulate_problem(problem: Mapping[str, Any], draws: int, seed: int) -> MonteCarloResult:
    """``simulate(problem, draws, seed)`` of the verification registry: ``problem`` holds the
    keyword arguments of the theory (``sources``, ``n``, ``ridge`` — one λ —, ``target``,
    ``gamma``)."""
    extra = {key: problem[key] for key in ("target", "gamma") if problem.get(key) is not None}
    n = problem["n"]
    if isinstance(n, float) and n.is_integer():
        n = int(n)
    return simulate_multi_source(problem["sources"], n=n, ridge=[problem["ridge"]], draws=draws,
                                 seed=seed, **extra)


@dataclass(frozen=True)
class MultiSourceFamily:
    """One dimensionless multi-source problem, instantiated at any d (for
    :func:`modelcollapse.verify.agreement.finite_size_check`).

    ``build(d)`` returns the theory's keyword arguments at dimension d (``sources``, ``n``,
    ``ridge`` and optionally ``target``, ``gamma``); :meth:`at` makes the fractions whole
    (``n_g/n``), so that theory and simulation see the same mix.
    """

    name: str
    build: Callable[[int], dict[str, Any]]
    model: str = "multi_source"

    def at(self, d: int) -> dict[str, Any]:
        """The problem at dimension ``d``, with whole rows per source."""
        problem = dict(self.build(int(d)))
        n = int(round(float(problem["n"])))
        srcs = [dict(s) if isinstance(s, Mapping) else dict(vars(s)) for s in
                problem["sources"]]
        rows = row_counts(np.array([float(s["fraction"]) for s in srcs]), n)
        for s, r in zip(srcs, rows, strict=True):
            s["fraction"] = r / n
        problem.update(n=n, sources=srcs)
        return problem

    def describe(self) -> str:
        """One line for failure messages."""
        return f"multi_source scenario {self.name!r}"


# --------------------------------------------------------------------------------------------
# The scenarios of docs/mathematics.md §7 (each a family in d; trace of Σ = 1, λ in units of the
# mean eigenvalue 1/d, teachers with wᵀΣw = 1 and shifts of energy c² = δᵀΣδ)


def _power(d: int, exponent: float = 1.0) -> np.ndarray:
    s = np.arange(1, d + 1, dtype=float) ** (-exponent)
    return s / s.sum()


def _tail(s: np.ndarray, rho: float, keep: float = 0.25) -> np.ndarray:
    """Eigenvalues past index ``keep·d`` multiplied by ``rho`` (0: the tail is lost)."""
    j = np.arange(s.size)
    return np.where(j < max(1, int(round(keep * s.size))), s, rho * s)


def _teachers(s: np.ndarray, c2: float, phase: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """``w`` with ``wᵀΣw = 1`` and a shift ``δ`` Σ-orthogonal to it with ``δᵀΣδ = c²``, their
    energy spread over the directions (``w_j ∝ cos(j)/√s_j``), so that the quadratic forms of one
    draw concentrate as d grows."""
    j = np.arange(1, s.size + 1, dtype=float)
    w = np.cos(j) / np.sqrt(s)
    w /= np.sqrt(w @ (s * w))
    z = np.sin(phase * j) / np.sqrt(s)
    z -= (z @ (s * w)) * w
    z *= np.sqrt(c2 / (z @ (s * z)))
    return w, z


def _rotation(d: int, seed: int = 0) -> np.ndarray:
    """A Haar-random orthogonal matrix (seeded by d)."""
    q, r = np.linalg.qr(np.random.default_rng([seed, d]).standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def _tail_pair(d: int, rho: float, p2: float, n_ratio: float, ridge: float, c2: float = 0.5,
               noise=(0.5, 0.5), weights=(1.0, 1.0)) -> dict[str, Any]:
    s = _power(d)
    w, dl = _teachers(s, c2)
    return {"sources": [
        {"fraction": 1 - p2, "covariance": s, "teacher": w, "noise": noise[0],
         "weight": weights[0]},
        {"fraction": p2, "covariance": _tail(s, rho), "teacher": w + dl, "noise": noise[1],
         "weight": weights[1]}], "n": n_ratio * d, "ridge": ridge / d}


def _rotated(d: int) -> dict[str, Any]:
    s = _power(d)
    q = _rotation(d)
    w, dl = _teachers(s, 0.5)
    return {"sources": [
        {"fraction": 0.6, "covariance": s, "teacher": w, "noise": 0.5},
        {"fraction": 0.4, "covariance": q @ np.diag(s) @ q.T, "teacher": w + dl, "noise": 0.3}],
        "n": 2 * d, "ridge": 0.05 / d}


def _three(d: int) -> dict[str, Any]:
    s = _power(d)
    flat = _power(d, 0.5)
    return {"sources": [
        {"fraction": 0.4, "covariance": s, "noise": 0.5},
        {"fraction": 0.35, "covariance": _tail(s, 0.3), "delta": np.full(d, 0.3), "noise": 0.3},
        {"fraction": 0.25, "covariance": flat, "delta": 1.0 / (d * s), "noise": 1.0}],
        "gamma": np.ones(d), "n": 2.5 * d, "ridge": 0.02 / d}


def _ridgeless_under(d: int) -> dict[str, Any]:
    s = _power(d)
    q = _rotation(d, 1)
    w, dl = _teachers(s, 0.5)
    return {"sources": [
        {"fraction": 0.5, "covariance": s, "teacher": w, "noise": 0.5},
        {"fraction": 0.5, "covariance": q @ np.diag(_tail(s, 0.2)) @ q.T, "teacher": w + dl,
         "noise": 0.5}], "n": 3 * d, "ridge": 0.0}


def _other_target(d: int) -> dict[str, Any]:
    problem = _tail_pair(d, 0.1, 0.5, 2.0, 0.05)
    s = _power(d)
    w, _ = _teachers(s, 0.5)
    _, other = _teachers(s, 0.3, phase=5.0)
    problem["target"] = {"covariance": _power(d, 0.0), "teacher": w + other}
    return problem


def _synthetic_only(d: int) -> dict[str, Any]:
    return _tail_pair(d, 0.0, 1.0, 2.0, 0.05)


#: The scenarios of the issue, by name (docs/mathematics.md §7 lists theory against Monte Carlo
#: for each).
SCENARIOS: dict[str, MultiSourceFamily] = {f.name: f for f in (
    MultiSourceFamily("tail_shrunk", lambda d: _tail_pair(d, 0.1, 0.5, 2.0, 0.05)),
    MultiSourceFamily("tail_zeroed", lambda d: _tail_pair(d, 0.0, 0.5, 2.0, 0.05)),
    MultiSourceFamily("rotated", _rotated),
    MultiSourceFamily("three_sources", _three),
    MultiSourceFamily("weighted", lambda d: _tail_pair(d, 0.1, 0.7, 2.0, 0.1, noise=(0.5, 0.3),
                                                       weights=(2.0, 0.5))),
    MultiSourceFamily("d_above_n", lambda d: _tail_pair(d, 0.1, 0.5, 0.6, 0.0)),
    MultiSourceFamily("ridgeless_under", _ridgeless_under),
    MultiSourceFamily("other_target", _other_target),
    MultiSourceFamily("synthetic_only", _synthetic_only),
)}
