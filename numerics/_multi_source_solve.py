"""The multi-source deterministic equivalent evaluated: fixed point, second order, risk.

The equations are those of :mod:`modelcollapse.theory.multi_source` (docs/mathematics.md §7).
Numerically they are solved in one of two scalings of the unknowns, both written
``z_g = (1/n) tr C_g G(z)``, ``G = (Σ_g u_g C_g + c0 I)^{-1}``, ``u_g = p_g q_g``,
``q_g = a_g/(ℓ + a_g z_g)``, ``η_g = p_g q_g²``:

* ``ν``-form (λ > 0, and λ = 0 with fewer active rows than the span of their covariances):
  ``z = ν = λδ``, ``ℓ = λ``, ``c0 = 1`` — so ``G = λR`` stays finite as λ → 0 (``δ → ∞``);
* ``δ``-form (λ = 0 with more active rows than that span): ``z = δ``, ``ℓ = 1``, ``c0 = 0`` —
  ``G = R`` on the span, and ``λR`` is the projection on the directions no active source
  sees (the minimum-norm fit leaves them at 0).

In both, ``λR = c0 G`` (plus that projection), ``w̄ = G Σ_g u_g C_g w_g`` and ``η_g M_gh``,
``η_g s_g`` are invariant, so the risk formulas are the same.  The fixed point is solved by
Newton's method in ``log z`` with the Jacobian ``I − M D_η`` (the second order's matrix),
backtracking on the largest relative residual ``|1 − T_g(z)/z_g|`` and falling back to the
monotone fixed-point step ``z ← T(z)``; it cannot hang (``maxiter``).

Diagonal covariances (one common eigenbasis) are evaluated vectorised over the grid; full
matrices point by point with d × d Cholesky inverses and products, Newton started from the
solution of the same equations on the covariances' diagonals (an O(k d) solve) and its matrix
``M`` (k products of d × d matrices) reused while ``log z`` moves by less than
``_JACOBIAN_REUSE``; the last trial's inverse is kept for the next step.

Determinism: on the diagonal path every sum over the d directions is a row-wise NumPy sum along a
contiguous axis and every sum over sources a loop, never a matrix product whose BLAS kernel
depends on how many points are evaluated together, so a point's result is bit-identical whatever
grid it is part of.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.linalg import lapack

from ._multi_source_inputs import Inputs
from ._threads import thread_limit

__all__ = ["evaluate_inputs", "TOLERANCE", "ACCEPT"]

#: Newton stops when the largest relative residual is below this.
TOLERANCE = 64 * np.finfo(float).eps
#: A solution is accepted (status 0) when its residual is below this.
ACCEPT = 1e-11
_CHUNK = 1 << 22  # floats per work array (diagonal path)
_JACOBIAN_REUSE = 1e-2  # full matrices: largest |Δ log z| over which M is reused


# --------------------------------------------------------------------------------------------
# Newton in log z, vectorised over points


def _newton(tm: Callable, z0: np.ndarray, active: np.ndarray, maxiter: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Solve ``z = T(z)`` on the active components; ``tm(z, idx, jac)`` returns ``(T, M, η)`` at
    the points ``idx`` (``M`` only when ``jac``).  Returns ``z, iterations, residual, ok``."""
    z = np.where(active, z0, 1.0)
    size, k = z.shape
    iterations = np.zeros(size, dtype=np.int64)
    todo = np.arange(size)
    res = np.full(size, np.inf)
    eye = np.eye(k)
    for _ in range(maxiter):
        if todo.size == 0:
            break
        zt, act = z[todo], active[todo]
        tz, m, eta = tm(zt, todo, True)
        f = np.where(act, 1.0 - tz / zt, 0.0)
        r = np.abs(f).max(axis=1)
        res[todo] = r
        done = r <= TOLERANCE
        if done.all():
            todo = todo[~done]
            break
        keep = ~done
        todo, zt, act, tz, m, eta, f, r = (x[keep] for x in (todo, zt, act, tz, m, eta, f, r))
        iterations[todo] += 1
        # J_gh = ∂F_g/∂log z_h = −M_gh η_h z_h / z_g + [g = h] T_g / z_g (inactive: identity)
        jac = -m * (eta * zt)[:, None, :] / zt[:, :, None] + eye * (tz / zt)[:, :, None]
        both = act[:, :, None] & act[:, None, :]
        jac = np.where(both, jac, eye)
        with np.errstate(all="ignore"):
            try:
                step = np.linalg.solve(jac, -f[..., None])[..., 0]
            except np.linalg.LinAlgError:
                step = np.full_like(f, np.nan)
        step = np.where(act & np.isfinite(step), step, 0.0)
        step = np.clip(step, -30.0, 30.0)
        accepted = np.zeros(todo.size, dtype=bool)
        scale = np.ones(todo.size)
        new = zt.copy()
        for _halving in range(40):
            pending = ~accepted
            if not pending.any():
                break
            idx = np.flatnonzero(pending)
            trial = np.where(act[idx], zt[idx] * np.exp(scale[idx, None] * step[idx]), 1.0)
            tt, _, _ = tm(trial, todo[idx], False)
            rt = np.where(act[idx], np.abs(1.0 - tt / trial), 0.0).max(axis=1)
            good = np.isfinite(rt) & (rt < r[idx])
            new[idx[good]] = trial[good]
            accepted[idx[good]] = True
            scale[idx[~good]] *= 0.5
        # no decrease along Newton's direction: the monotone step z ← T(z)
        fallback = ~accepted
        new[fallback] = np.where(act[fallback], tz[fallback], 1.0)
        small = np.abs(np.log(new) - np.log(zt)).max(axis=1) <= 4 * np.finfo(float).eps
        z[todo] = new
        todo = todo[~small | fallback]
    # final residuals
    tz, _, _ = tm(z, np.arange(size), False)
    res = np.where(active, np.abs(1.0 - tz / z), 0.0).max(axis=1)
    ok = np.isfinite(res) & (res <= ACCEPT)
    return z, iterations, res, ok


# --------------------------------------------------------------------------------------------
# Regimes


def _regimes(inp: Inputs, active: np.ndarray, rank: np.ndarray) -> dict[str, np.ndarray]:
    """Per point: ``c0``, ``ell`` (ℓ), the δ-form flag and the threshold flag."""
    lam = inp.ridge.reshape(-1)
    n = inp.n.reshape(-1)
    p = inp.fraction.reshape(-1, inp.k)
    n_active = n * np.where(active, p, 0.0).sum(axis=1)
    ridgeless = lam == 0
    under = ridgeless & (rank > 0) & (n_active > rank)
    threshold = ridgeless & (rank > 0) & (n_active == rank)
    return {"c0": np.where(under, 0.0, 1.0), "ell": np.where(under, 1.0, lam),
            "under": under, "threshold": threshold}


def _weights(z, a, p, ell):
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(a > 0, a / (ell[:, None] + a * z), 0.0)
    return p * q, p * q * q


def _combine(u: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``Σ_g u[:, g] cov[g]`` (shape (P, d)), summed source by source."""
    out = u[:, 0, None] * cov[0]
    for g in range(1, cov.shape[0]):
        out = out + u[:, g, None] * cov[g]
    return out


def _traces(x: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``Σ_j x[p, j] cov[g, j]`` (shape (P, k)): row sums along the directions."""
    return (x[:, None, :] * cov[None]).sum(axis=-1)


def _pair_traces(x: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``Σ_j x[p, j] cov[g, j] cov[h, j]`` (shape (P, k, k))."""
    return (x[:, None, None, :] * (cov[:, None, :] * cov[None, :, :])[None]).sum(axis=-1)


# --------------------------------------------------------------------------------------------
# Diagonal covariances


def _diagonal(inp: Inputs, maxiter: int) -> dict[str, np.ndarray]:
    k, d = inp.k, inp.target_cov.shape[-1]  # directions, or a power law's quadrature nodes
    size = int(np.prod(inp.shape))
    per = inp.k * max(1, inp.latents.shape[0]) * d + k * k * d
    step = max(1, _CHUNK // per)
    parts = [_diagonal_chunk(inp, np.arange(lo, min(size, lo + step)), maxiter)
             for lo in range(0, size, step)]
    return {key: np.concatenate([pt[key] for pt in parts]) for key in parts[0]}


def _diagonal_chunk(inp: Inputs, idx: np.ndarray, maxiter: int) -> dict[str, np.ndarray]:
    k = inp.k
    cov = inp.covs  # (k, d)
    ct = inp.target_cov
    n = inp.n.reshape(-1)[idx]
    lam = inp.ridge.reshape(-1)[idx]
    p = inp.fraction.reshape(-1, k)[idx]
    a = inp.weight.reshape(-1, k)[idx]
    sig = inp.noise.reshape(-1, k)[idx]
    # power-law diagonals: the columns are quadrature nodes and every sum over the directions
    # carries their weights (arrays: weight 1, so the same numbers bit for bit)
    mult = np.ones(cov.shape[1]) if inp.mult is None else inp.mult
    covm = cov * mult
    trace = covm.sum(axis=1)
    active = (p > 0) & (a > 0) & (trace > 0)[None, :]
    seen = (active[:, :, None] & (cov > 0)[None]).any(axis=1)  # (P, d)
    if inp.mult is None:
        rank = seen.sum(axis=1)
    else:  # the exact head counted, the tail's nodes all seen or all not
        e = inp.exact_nodes
        rank = seen[:, :e].sum(axis=1) + np.where(seen[:, e:].any(axis=1),
                                                  inp.dimension - e, 0.0)
    reg = _regimes(_sub(inp, idx), active, rank)
    c0, ell = reg["c0"], reg["ell"]

    def resolvent(z, sel):
        u, eta = _weights(z, a[sel], p[sel], ell[sel])
        den = _combine(u, cov) + c0[sel, None]
        with np.errstate(divide="ignore"):
            gr = np.where(den > 0, 1.0 / den, 0.0)
        return gr, u, eta

    def tm(z, sel, jac):
        gr, _, eta = resolvent(z, sel)
        tz = _traces(gr, covm) / n[sel, None]
        m = _pair_traces(gr * gr * mult, cov) / n[sel, None, None] if jac else None
        return tz, m, eta

    # start: ν-form from above (T at u = 0), δ-form from below (T at z = 0)
    sel = np.arange(idx.size)
    z0 = np.where(reg["under"][:, None], tm(np.zeros_like(p), sel, False)[0],
                  (trace / n[:, None]) * np.ones_like(p))
    z0 = np.where(active, z0, 1.0)
    z, iterations, residual, ok = _newton(tm, z0, active, maxiter)

    gr, u, eta = resolvent(z, sel)
    den = _combine(u, cov) + c0[:, None]
    null = den == 0  # δ-form: directions no active source sees
    # inactive sources: their own δ (not coupled back); infinite if they see a null direction
    tz = _traces(gr, covm) / n[:, None]
    blind = (null[:, None, :] & (cov > 0)[None]).any(axis=2)
    z = np.where(active, z, np.where(blind & (c0[:, None] == 0), np.inf, tz))
    bop = c0[:, None] * gr + null  # λR
    m_mat = _pair_traces(gr * gr * mult, cov) / n[:, None, None]
    s_vec = _traces(gr * gr * ct, covm) / n[:, None]
    covs_all = np.vstack([cov, ct[None]])  # (k + 1, d): sources, then the target
    cp = inp.coef - inp.coef[k]  # (k + 1, L): each teacher relative to the target's
    lmap = u[:, :, None] * gr[:, None, :] * cov[None]  # L_h = u_h G C_h, (P, k, d)
    if inp.teacher_kind == "fixed":
        lat = inp.latents  # (L, d)
        v = cp @ lat  # (k + 1, d): w_g − w_t
        mean_shift = lmap[:, 0] * v[0]  # Σ_h L_h (w_h − w_t)
        for h_ in range(1, k):
            mean_shift = mean_shift + lmap[:, h_] * v[h_]
        eps = mean_shift[:, None, :] - v[None]  # (P, k + 1, d)
        beta = bop * (inp.coef[k] @ lat)[None]  # (P, d)
        own = _traces(beta * beta, covs_all)
        cross = (beta[:, None, :] * covs_all[None] * eps).sum(axis=-1)
        quad = (eps * covs_all[None] * eps).sum(axis=-1)
    else:
        lat = inp.latents  # (L, d): covariances' diagonals
        a_m = lmap[:, 0, None, :] * cp[0][None, :, None]  # Σ_h L_h cp_hm, (P, L, d)
        for h_ in range(1, k):
            a_m = a_m + lmap[:, h_, None, :] * cp[h_][None, :, None]
        eps = a_m[:, None] - cp[None, :, :, None]  # (P, k + 1, L, d)
        beta = bop[:, None, :] * inp.coef[k][None, :, None]  # (P, L, d)
        cl = covs_all[:, None, :] * lat[None] * mult  # (k + 1, L, d)
        own = (beta[:, None] * beta[:, None] * cl[None]).sum(axis=-1).sum(axis=-1)
        cross = (beta[:, None] * cl[None] * eps).sum(axis=-1).sum(axis=-1)
        quad = (eps * eps * cl[None]).sum(axis=-1).sum(axis=-1)
    shift = quad - 2 * cross
    comps = _assemble(eta, m_mat, s_vec, own, shift, sig)
    return _finish(comps, reg, z, u, a, lam, iterations, residual, ok, active, own, shift, sig, p)


def _sub(inp: Inputs, idx: np.ndarray) -> Inputs:
    """The inputs at the flat points ``idx`` (only what :func:`_regimes` reads)."""
    k = inp.k
    return Inputs(inp.dense, inp.covs, inp.target_cov, inp.teacher_kind, inp.latents, inp.coef,
                  (idx.size,), inp.n.reshape(-1)[idx], inp.ridge.reshape(-1)[idx],
                  inp.fraction.reshape(-1, k)[idx], inp.weight.reshape(-1, k)[idx],
                  inp.noise.reshape(-1, k)[idx])


# --------------------------------------------------------------------------------------------
# Assembly (shared)


def _assemble(eta, m_mat, s_vec, own, shift, sig) -> dict[str, np.ndarray]:
    """``t = (I − M D_η)^{-1} s``; B, V, ζ, E (``own``/``shift``: sources, then the target)."""
    k = eta.shape[1]
    system = np.eye(k) - m_mat * eta[:, None, :]
    with np.errstate(all="ignore"):
        try:
            t = np.linalg.solve(system, s_vec[..., None])[..., 0]
        except np.linalg.LinAlgError:
            t = np.full_like(s_vec, np.nan)
    wt = eta * t
    bias = own[:, k] + (wt * own[:, :k]).sum(axis=1)
    variance = (wt * sig**2).sum(axis=1)
    zeta = shift[:, k] + (wt * shift[:, :k]).sum(axis=1)
    return {"bias": bias, "variance": variance, "zeta": zeta, "test_error": bias + variance + zeta,
            "inflation": t}


def _finish(comps, reg, z, u, a, lam, iterations, residual, ok, active, own, shift, sig, p
            ) -> dict[str, np.ndarray]:
    status = np.where(ok, 0, -1).astype(np.int8)
    # reported unknowns: δ_g and e_g = 1/(1 + a_g δ_g)
    under = reg["under"]
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(under[:, None], z, z / lam[:, None])
        e = np.where(under[:, None], 1.0 / (1.0 + a * z),
                     np.where(a > 0, lam[:, None] / (lam[:, None] + a * z), 1.0))
    e = np.where(np.isinf(z) & (a == 0), 1.0, e)
    out = {k_: np.asarray(v, dtype=float) for k_, v in comps.items() if k_ != "inflation"}
    thr = reg["threshold"]
    if thr.any():
        # λ = 0 exactly at the interpolation threshold: the fluctuation diverges wherever it is
        # fed (label noise, or a teacher that differs from the target's on the active rows);
        # the bias keeps the part on directions no active source sees
        k = z.shape[1]
        noisy = (np.where(active, p * sig**2, 0.0).sum(axis=1) > 0)
        shifted = (np.where(active, np.abs(shift[:, :k]), 0.0).sum(axis=1) > 0)
        out["bias"] = np.where(thr, own[:, k], out["bias"])
        out["variance"] = np.where(thr, np.where(noisy, np.inf, 0.0), out["variance"])
        out["zeta"] = np.where(thr, np.where(shifted, np.inf, np.maximum(shift[:, k], 0.0)),
                               out["zeta"])
        out["test_error"] = np.where(thr, out["bias"] + out["variance"] + out["zeta"],
                                     out["test_error"])
        status = np.where(thr, 1, status).astype(np.int8)
        delta = np.where(thr[:, None] & active, np.inf, delta)
        e = np.where(thr[:, None] & active, 0.0, e)
    out.update(delta_loo=delta, e=e, status=status, iterations=iterations, residual=residual)
    return out


# --------------------------------------------------------------------------------------------
# Full matrices


def _inverse_spd(mat: np.ndarray) -> np.ndarray | None:
    chol, info = lapack.dpotrf(mat, lower=1, clean=1)
    if info != 0:
        return None
    inv, info = lapack.dpotri(chol, lower=1)
    if info != 0:
        return None
    return np.tril(inv) + np.tril(inv, -1).T


def _dense(inp: Inputs, maxiter: int) -> dict[str, np.ndarray]:
    size = int(np.prod(inp.shape))
    rows = [_dense_point(inp, i, maxiter) for i in range(size)]
    return {key: np.stack([r[key] for r in rows]) for key in rows[0]}


def _dense_point(inp: Inputs, i: int, maxiter: int) -> dict[str, np.ndarray]:
    k, d = inp.k, inp.d
    cov, ct = inp.covs, inp.target_cov
    n = float(inp.n.reshape(-1)[i])
    lam = float(inp.ridge.reshape(-1)[i])
    p = inp.fraction.reshape(-1, k)[i]
    a = inp.weight.reshape(-1, k)[i]
    sig = inp.noise.reshape(-1, k)[i]
    trace = np.trace(cov, axis1=1, axis2=2)
    active = (p > 0) & (a > 0) & (trace > 0)
    basis = None
    rank = 0
    if lam == 0 and active.any():
        span = cov[active].sum(axis=0)
        vals, vecs = np.linalg.eigh(span)
        keep = vals > vals.max() * d * np.finfo(float).eps
        rank = int(keep.sum())
        basis = vecs[:, keep]
    reg = _regimes(_sub(inp, np.array([i])), active[None], np.array([rank]))
    c0, ell, under = float(reg["c0"][0]), reg["ell"], bool(reg["under"][0])
    eye = np.eye(d)

    last: dict[bytes, tuple] = {}  # the latest resolvent: Newton's next point is the last trial

    def resolvent(z):
        key = np.asarray(z, dtype=float).tobytes()
        if key in last:
            return last[key]
        u, eta = _weights(z[None], a[None], p[None], ell)
        mat = np.einsum("g,gij->ij", u[0], cov) + c0 * eye
        if under and basis is not None and basis.shape[1] < d:
            small = _inverse_spd(basis.T @ mat @ basis)
            gr = None if small is None else basis @ small @ basis.T
        else:
            gr = _inverse_spd(mat)
        last.clear()
        last[key] = (gr, u[0], eta[0])
        return last[key]

    def tm(z, sel, jac):
        gr, _, eta = resolvent(z[0])
        if gr is None:
            nan = np.full((1, k), np.nan)
            return nan, np.full((1, k, k), np.nan) if jac else None, eta[None]
        tz = np.einsum("gij,ij->g", cov, gr) / n
        m = None
        if jac:
            # M costs k d × d products: kept while z moves by less than _JACOBIAN_REUSE
            # (Newton with a slightly stale Jacobian still converges, to the same tolerance)
            if "z" not in jacobian or np.max(np.abs(np.log(z[0] / jacobian["z"]))) > (
                    _JACOBIAN_REUSE):
                jacobian.update(z=z[0].copy(), m=_pair_matrix([gr @ c for c in cov]) / n)
            m = jacobian["m"][None]
        return tz[None], m, eta[None]

    jacobian: dict[str, np.ndarray] = {}

    # start from the same equations on the diagonals (commuting approximation)
    diag = np.array([np.diag(c) for c in cov])
    if under:
        z0 = np.einsum("gj,j->g", diag, 1.0 / np.maximum(
            np.einsum("g,gj->j", p * a, diag), np.finfo(float).tiny)) / n
    else:
        z0 = trace / n
    z0 = np.where(active, np.maximum(z0, np.finfo(float).tiny), 1.0)[None]

    def tm_diag(zz, sel, jac):  # the commuting approximation: O(k d) per evaluation
        ud, etad = _weights(zz, a[None], p[None], ell)
        den = _combine(ud, diag) + c0
        with np.errstate(divide="ignore"):
            gd = np.where(den > 0, 1.0 / den, 0.0)
        md = _pair_traces(gd * gd, diag) / n if jac else None
        return _traces(gd, diag) / n, md, etad

    zd, _, _, okd = _newton(tm_diag, z0, active[None], maxiter)
    if okd[0] and np.all(np.isfinite(zd) & (zd > 0)):
        z0 = zd  # a start near the solution saves d × d inverses
    z, iterations, residual, ok = _newton(tm, z0, active[None], maxiter)
    z = z[0]
    gr, u, eta = resolvent(z)
    if gr is None:
        gr = np.full((d, d), np.nan)
    null = np.zeros((d, d))
    if under and basis is not None and basis.shape[1] < d:
        null = eye - basis @ basis.T
    bop = c0 * gr + null
    tz = np.einsum("gij,ij->g", cov, gr) / n
    blind = np.array([np.trace(null @ c) > 0 for c in cov]) if under else np.zeros(k, bool)
    z = np.where(active, z, np.where(blind, np.inf, tz))
    gc = [gr @ c for c in cov]
    gct = [np.ascontiguousarray(x.T) for x in gc]  # C_g G
    gt = gr @ ct
    m_mat = _pair_matrix(gc, gct) / n
    s_vec = np.array([np.sum(gt * gct[x]) for x in range(k)]) / n
    covs_all = [*cov, ct]
    cp = inp.coef - inp.coef[k]
    if inp.teacher_kind == "fixed":
        lat = inp.latents
        v = cp @ lat
        mean_shift = gr @ np.einsum("h,hij,hj->i", u, cov, v[:k])
        beta = bop @ (inp.coef[k] @ lat)
        own, cross, quad = (np.empty(k + 1) for _ in range(3))
        for w, cw in enumerate(covs_all):
            eps = mean_shift - v[w]
            cb = cw @ beta
            own[w] = beta @ cb
            cross[w] = eps @ cb
            quad[w] = eps @ (cw @ eps)
    else:
        own, cross, quad = (np.zeros(k + 1) for _ in range(3))
        lat = inp.latents  # (L, d, d)
        for m_ in range(lat.shape[0]):
            cov_m = lat[m_]
            if not np.any(cov_m):
                continue
            y = gr @ np.einsum("h,hij->ij", u * cp[:k, m_], cov)  # Σ_h L_h cp_hm
            b_m = bop * inp.coef[k, m_]
            for w, cw in enumerate(covs_all):
                eps = y - cp[w, m_] * eye
                ce = cw @ eps
                own[w] += _tr(b_m, cw @ b_m, cov_m)
                cross[w] += _tr(b_m, ce, cov_m)
                quad[w] += _tr(eps, ce, cov_m)
    shift = quad - 2 * cross
    comps = _assemble(eta[None], m_mat[None], s_vec[None], own[None], shift[None], sig[None])
    out = _finish(comps, reg, z[None], u[None], a[None], np.array([lam]), iterations, residual,
                  ok, active[None], own[None], shift[None], sig[None], p[None])
    return {key: v[0] for key, v in out.items()}


def _pair_matrix(gc: list[np.ndarray], gct: list[np.ndarray] | None = None) -> np.ndarray:
    """``M_gh = tr(G C_g G C_h)`` from ``gc[g] = G C_g`` (symmetric in g, h)."""
    if gct is None:
        gct = [np.ascontiguousarray(x.T) for x in gc]
    k = len(gc)
    m = np.empty((k, k))
    for x in range(k):
        for y in range(x, k):
            m[x, y] = m[y, x] = np.sum(gc[x] * gct[y])
    return m


def _tr(x: np.ndarray, cy: np.ndarray, cov_m: np.ndarray) -> float:
    """``tr(xᵀ (C y) cov_m)`` for symmetric ``cov_m``."""
    return float(np.sum(x * (cy @ cov_m)))


def evaluate_inputs(inp: Inputs, maxiter: int) -> dict[str, np.ndarray]:
    """Every output on the flat grid: components, ``delta_loo`` and ``e`` (shape (P, k)),
    ``status``, ``iterations``, ``residual``."""
    with np.errstate(all="ignore"):
        if inp.dense:
            with thread_limit():  # d × d factorisations: oversubscribed BLAS cost 86× under load
                return _dense(inp, maxiter)
        return _diagonal(inp, maxiter)
