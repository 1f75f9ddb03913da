"""Several data sources, each with its own covariance: the multi-group deterministic equivalent.

The model (docs/mathematics.md §7).  Sources ``g = 1 … k``; source g gives ``n_g = p_g n`` rows
``x ~ N(0, C_g)``, ``y = xᵀw_g + ε``, ``ε ~ N(0, σ_g²)``, each row with weight ``a_g ≥ 0``.  Ridge
``ŵ = argmin (1/n) Σ_g a_g Σ_{rows of g} (xᵀw − y)² + λ‖w‖²`` is tested on a target
``(C_t, w_t)`` (by default source 1): ``E = E‖ŵ − w_t‖²_{C_t}``.  The covariances need not
commute.

The deterministic equivalent — the paper's Proposition 2 carried to k groups, weights, a separate
target and the second order:

* **first order**, one leave-one-out factor per source::

      e_g = 1/(1 + a_g δ_g),   δ_g = (1/n) tr C_g R,   R = (Σ_g p_g a_g e_g C_g + λ)^{-1}

  ``(Σ̂_a + λ)^{-1} ≃ R`` for the weighted sample covariance ``Σ̂_a``; the fit's mean is
  ``w̄ = R Σ_g p_g a_g e_g C_g w_g``;
* **second order**: with ``η_g = p_g a_g² e_g²``, ``M_gh = (1/n) tr C_g R C_h R``,
  ``s_g = (1/n) tr C_t R C_g R`` and ``t = (I − M D_η)^{-1} s``::

      E ≃ b_t + Σ_g η_g t_g (b_g + σ_g²),
      b_g = (w̄ − w_g)ᵀC_g(w̄ − w_g),   b_t = (w̄ − w_t)ᵀC_t(w̄ − w_t).

Derivation (leave-one-out).  The normal equations read ``λŵ = (1/n) Σ_i a_i x_i r_i`` with the
residual ``r_i = e_{g(i)} r_i⁻``, where ``r_i⁻ = x_iᵀ(w_g − ŵ_{−i}) + ε_i`` is the leave-one-out
residual (Sherman–Morrison, ``x_iᵀQ_{−i}x_i/n ≃ δ_g``).  Its mean, ``E x_i r_i⁻ = C_g(w_g − w̄)``,
gives ``w̄``; the rest, ``(x_i x_iᵀ − C_g)(w_g − ŵ_{−i}) + x_i ε_i``, is a sum of nearly
uncorrelated terms of covariance ``a_g² e_g² E_g C_g`` (up to a rank-one part of relative size
1/d), where ``E_g = b_g + tr C_g Cov ŵ + σ_g²`` is the fit's error on source g.  So
``Cov ŵ ≃ (1/n) Σ_g η_g E_g R C_g R``, whose traces against ``C_h`` close the linear system
``E_h = b_h + σ_h² + Σ_g M_hg η_g E_g``; the target's error is ``b_t + Σ_g s_g η_g E_g``, which
is the formula above.  What a source's rows leave unexplained, ``x_iᵀ(w̄ − w_g)``, is linear in
``x_i`` and enters ``b_g`` with its correlation to the fit's bias (the correction recorded for
weighted mixing in :mod:`modelcollapse.theory.mixing`).  The same matrix ``I − M D_η`` is the
Jacobian of the fixed point: ``∂[(1/n) tr C_g R]/∂δ_h = M_gh η_h``.

The split (what the sources cost): ``B`` is the error when every teacher equals the target's
(the price of ridge on these covariances, covariate shift included), ``V`` the label noise,
``ζ = E − B − V`` what the teachers' shifts add::

      B = βᵀC_tβ + Σ_g η_g t_g βᵀC_gβ,   β = λ R w_t,
      V = Σ_g η_g t_g σ_g²,
      ζ = ε_tᵀC_tε_t − 2βᵀC_tε_t + Σ_g η_g t_g (ε_gᵀC_gε_g − 2βᵀC_gε_g),
      ε_g = Σ_h L_h (w_h − w_t) − (w_g − w_t),   L_h = p_h a_h e_h R C_h,

since ``w̄ − w_g = −β + ε_g`` (``Σ_h L_h = I − λR``).  Random effects replace every quadratic
form by its expectation (:func:`random_teachers`).

Everything here is stated for explicit matrices (:func:`equivalent`, SymPy ``Matrix``: symbolic
diagonal ones for identities, exact rationals for reference values) and, for any k, in indexed
form (:data:`TEST_ERROR`, :data:`MODEL`).  :func:`reductions` shows that it is weighted mixing
(k = 2, one covariance; docs/mathematics.md §3.1), hence Theorem 1 (a = 1), and clean ridge
(k = 1), identically.  :func:`large_n_plateau` and :func:`tail_plateau` are the corollary: the
floor that more data cannot remove when the generator loses the tail of the spectrum.

Examples
--------
One source, one direction of variance s, weight 1: δ = s R/n and R = 1/(s e + λ).

>>> import sympy as sp
>>> from modelcollapse.theory import multi_source as ms
>>> s, lam, n, dl = sp.symbols("s lambda n delta", positive=True)
>>> eq = ms.equivalent([sp.Matrix([[s]])], sp.Matrix([[s]]), ms.fixed_teachers([sp.Matrix([1])]),
...                    p=[1], a=[1], sigma=[0], n=n, lam=lam, delta=[dl])
>>> sp.simplify(eq["fixed_point"][0] - (dl - s / (n * (s / (1 + dl) + lam))))
0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

import sympy as sp

from . import parameters as par
from .model import FixedPoint, ModelSpec
from .symbols import lam, n

__all__ = [
    "k",
    "g",
    "h",
    "p",
    "a",
    "sigma",
    "delta_loo",
    "e",
    "eta",
    "t",
    "trace_CR",
    "trace_CRCR",
    "trace_target",
    "b",
    "b_target",
    "b_bias",
    "b_bias_target",
    "LOO_FACTOR",
    "FIXED_POINT",
    "ETA",
    "SECOND_ORDER",
    "TEST_ERROR",
    "BIAS",
    "VARIANCE",
    "ZETA",
    "Teachers",
    "fixed_teachers",
    "random_teachers",
    "assemble",
    "equivalent",
    "identically_zero",
    "mixing_formula",
    "reductions",
    "large_n_plateau",
    "tail_plateau",
    "MODEL",
]

# --------------------------------------------------------------------------------------------
# The indexed (any k) statement

k = sp.Symbol("k", positive=True, integer=True)  #: number of sources
g = sp.Idx("g", (1, k))  #: a source
h = sp.Idx("h", (1, k))  #: another source
p = sp.IndexedBase("p")  #: p_g = n_g/n, the source's share of the rows
a = sp.IndexedBase("a")  #: a_g ≥ 0, the weight of the source's rows in the loss
sigma = sp.IndexedBase("sigma")  #: σ_g, the source's label-noise standard deviation
delta_loo = sp.IndexedBase("delta_loo")  #: δ_g = (1/n) tr C_g R (the fixed point's unknowns)
e = sp.IndexedBase("e")  #: e_g = 1/(1 + a_g δ_g), the leave-one-out factor
eta = sp.IndexedBase("eta")  #: η_g = p_g a_g² e_g²
t = sp.IndexedBase("t")  #: t = (I − M D_η)^{-1} s, the inflated target traces
trace_CR = sp.IndexedBase("T")  #: T_g = (1/n) tr C_g R
trace_CRCR = sp.IndexedBase("M")  #: M_gh = (1/n) tr C_g R C_h R
trace_target = sp.IndexedBase("s")  #: s_g = (1/n) tr C_t R C_g R
b = sp.IndexedBase("b")  #: b_g = (w̄ − w_g)ᵀC_g(w̄ − w_g)
b_target = sp.Symbol("b_t")  #: b_t = (w̄ − w_t)ᵀC_t(w̄ − w_t)
b_bias = sp.IndexedBase("b0")  #: b0_g = βᵀC_gβ, β = λRw_t: b_g when every teacher is w_t
b_bias_target = sp.Symbol("b0_t")  #: b0_t = βᵀC_tβ

#: e_g = 1/(1 + a_g δ_g).
LOO_FACTOR: sp.Expr = 1 / (1 + a[g] * delta_loo[g])
#: The fixed point of source g: δ_g − (1/n) tr C_g R = 0, R = (Σ_h p_h a_h e_h C_h + λ)^{-1}.
FIXED_POINT: sp.Expr = delta_loo[g] - trace_CR[g]
#: η_g = p_g a_g² e_g².
ETA: sp.Expr = p[g] * a[g] ** 2 * e[g] ** 2
#: The second-order system, row h: t_h − Σ_g M_hg η_g t_g − s_h = 0.
SECOND_ORDER: sp.Expr = t[h] - sp.Sum(trace_CRCR[h, g] * eta[g] * t[g], (g, 1, k)) - trace_target[h]
#: E ≃ b_t + Σ_g η_g t_g (b_g + σ_g²).
TEST_ERROR: sp.Expr = b_target + sp.Sum(eta[g] * t[g] * (b[g] + sigma[g] ** 2), (g, 1, k))
#: B = b0_t + Σ_g η_g t_g b0_g (every teacher replaced by the target's).
BIAS: sp.Expr = b_bias_target + sp.Sum(eta[g] * t[g] * b_bias[g], (g, 1, k))
#: V = Σ_g η_g t_g σ_g².
VARIANCE: sp.Expr = sp.Sum(eta[g] * t[g] * sigma[g] ** 2, (g, 1, k))
#: ζ = E − B − V (what the teachers' shifts add).
ZETA: sp.Expr = TEST_ERROR - BIAS - VARIANCE


# --------------------------------------------------------------------------------------------
# Explicit matrices


@dataclass(frozen=True)
class Teachers:
    """The teachers as sums of latent vectors.

    Attributes
    ----------
    kind : {"fixed", "random"}
        Fixed vectors, or independent Gaussian random effects ``N(0, cov_m)``.
    latents : tuple of sympy.Matrix
        ``kind == "fixed"``: the latent vectors (d × 1); ``"random"``: their covariances (d × d).
    sources : tuple of tuple of int
        Source g's teacher is the sum of the latents listed here.
    target : tuple of int
        The target's teacher, likewise.
    """

    kind: Literal["fixed", "random"]
    latents: tuple[sp.Matrix, ...]
    sources: tuple[tuple[int, ...], ...]
    target: tuple[int, ...]

    def coefficient(self, which: int | None, m: int) -> int:
        """1 if latent ``m`` is part of source ``which``'s teacher (``None``: the target's)."""
        members = self.target if which is None else self.sources[which]
        return int(m in members)


def fixed_teachers(teachers: Sequence[sp.Matrix], target: sp.Matrix | None = None) -> Teachers:
    """Fixed teachers ``w_1 … w_k`` and the target's ``w_t`` (default: ``w_1``)."""
    vecs = tuple(sp.Matrix(w) for w in teachers)
    if target is None:
        return Teachers("fixed", vecs, tuple((j,) for j in range(len(vecs))), (0,))
    return Teachers("fixed", (*vecs, sp.Matrix(target)),
                    tuple((j,) for j in range(len(vecs))), (len(vecs),))


def random_teachers(gamma: sp.Matrix, deltas: Sequence[sp.Matrix | None],
                    target_delta: sp.Matrix | None = None, target_source: int | None = 0
                    ) -> Teachers:
    """Random effects: ``w_g = w_0 + δ_g`` with ``w_0 ~ N(0, Γ)``, ``δ_g ~ N(0, Δ_g)`` independent.

    The target's teacher is source ``target_source``'s (default the first), or, with
    ``target_delta``, ``w_0 + δ_t`` with its own independent ``δ_t ~ N(0, Δ_t)``.  A ``None``
    shift is ``Δ_g = 0``.
    """
    d = sp.Matrix(gamma).shape[0]
    covs = [sp.Matrix(gamma)] + [sp.zeros(d, d) if dl is None else sp.Matrix(dl) for dl in deltas]
    sources = tuple((0, j + 1) for j in range(len(deltas)))
    if target_delta is not None:
        covs.append(sp.Matrix(target_delta))
        return Teachers("random", tuple(covs), sources, (0, len(covs) - 1))
    if target_source is None:
        raise ValueError("target_source: give a source or target_delta")
    return Teachers("random", tuple(covs), sources, sources[target_source])


def _pair(teachers: Teachers, x: list[sp.Matrix], cov: sp.Matrix, y: list[sp.Matrix]) -> sp.Expr:
    """``E (Σ_m X_m z_m)ᵀ C (Σ_m Y_m z_m)`` for the latents ``z_m``."""
    if teachers.kind == "fixed":
        vx = sum((xm * z for xm, z in zip(x, teachers.latents, strict=True)),
                 sp.zeros(cov.shape[0], 1))
        vy = sum((ym * z for ym, z in zip(y, teachers.latents, strict=True)),
                 sp.zeros(cov.shape[0], 1))
        return (vx.T * cov * vy)[0, 0]
    return sp.Add(*[(xm.T * cov * ym * c).trace()
                    for xm, ym, c in zip(x, y, teachers.latents, strict=True)])


def assemble(blocks: dict, sigma: Sequence[sp.Expr]) -> dict:
    """E, B, V, ζ (and ``t``) from the blocks of :func:`equivalent`.

    ``blocks``: ``eta`` (η_g), ``M`` (k × k), ``s`` (k × 1), ``own_target`` / ``own`` (``βᵀCβ``
    for the target and each source) and ``shift_target`` / ``shift`` (``εᵀCε − 2βᵀCε``); any of
    them may be abstract symbols.  ``t = (I − M D_η)^{-1} s``,
    ``B = own_t + Σ η_g t_g own_g``, ``V = Σ η_g t_g σ_g²``, ``ζ = shift_t + Σ η_g t_g shift_g``.
    """
    et = list(blocks["eta"])
    kk = len(et)
    system = sp.eye(kk) - sp.Matrix(blocks["M"]) * sp.diag(*et)
    tv = system.LUsolve(sp.Matrix(blocks["s"]))
    weight = [et[j] * tv[j] for j in range(kk)]
    bias = blocks["own_target"] + sp.Add(*[weight[j] * blocks["own"][j] for j in range(kk)])
    variance = sp.Add(*[weight[j] * sigma[j] ** 2 for j in range(kk)])
    zeta = blocks["shift_target"] + sp.Add(*[weight[j] * blocks["shift"][j] for j in range(kk)])
    return {"t": list(tv), "bias": bias, "variance": variance, "zeta": zeta,
            "test_error": bias + variance + zeta}


def equivalent(
    covariances: Sequence[sp.Matrix],
    target_covariance: sp.Matrix,
    teachers: Teachers,
    *,
    p: Sequence[sp.Expr],
    a: Sequence[sp.Expr],
    sigma: Sequence[sp.Expr],
    n: sp.Expr,
    lam: sp.Expr,
    delta: Sequence[sp.Expr],
) -> dict:
    """The deterministic equivalent for explicit covariances, as SymPy expressions in ``δ``.

    Parameters
    ----------
    covariances : sequence of sympy.Matrix
        ``C_1 … C_k`` (d × d, symmetric; they need not commute).
    target_covariance : sympy.Matrix
        ``C_t``.
    teachers : Teachers
        From :func:`fixed_teachers` or :func:`random_teachers`.
    p, a, sigma : sequences
        Per source: share of the rows, row weight, label-noise standard deviation.
    n, lam : sympy expressions
        Rows and ridge λ.
    delta : sequence
        The unknowns ``δ_g`` (symbols, or numbers to evaluate at).

    Returns
    -------
    dict
        ``fixed_point`` (the k residuals ``δ_g − (1/n) tr C_g R``), ``loo_factor`` (``e_g``),
        ``blocks`` (see :func:`assemble`), ``t``, ``test_error``, ``bias``, ``variance``,
        ``zeta``, and for fixed teachers ``mean_fit`` (``w̄``).
    """
    cs = [sp.Matrix(c) for c in covariances]
    ct = sp.Matrix(target_covariance)
    kk, d = len(cs), ct.shape[0]
    eg = [1 / (1 + a[j] * delta[j]) for j in range(kk)]
    u = [p[j] * a[j] * eg[j] for j in range(kk)]
    et = [p[j] * a[j] ** 2 * eg[j] ** 2 for j in range(kk)]
    resolvent = (sum((u[j] * cs[j] for j in range(kk)), sp.zeros(d, d))
                 + lam * sp.eye(d)).inv()
    fixed_point = [delta[j] - (cs[j] * resolvent).trace() / n for j in range(kk)]
    lmaps = [u[j] * resolvent * cs[j] for j in range(kk)]
    nlat = len(teachers.latents)
    beta = [lam * resolvent * teachers.coefficient(None, m) for m in range(nlat)]

    def eps(which: int | None) -> list[sp.Matrix]:
        out = []
        for m in range(nlat):
            c_t = teachers.coefficient(None, m)
            x = sum((lmaps[j] * (teachers.coefficient(j, m) - c_t) for j in range(kk)),
                    sp.zeros(d, d))
            if which is not None:
                x = x - (teachers.coefficient(which, m) - c_t) * sp.eye(d)
            out.append(x)
        return out

    def parts(which: int | None, cov: sp.Matrix) -> tuple[sp.Expr, sp.Expr]:
        ep = eps(which)
        own = _pair(teachers, beta, cov, beta)
        shift = _pair(teachers, ep, cov, ep) - 2 * _pair(teachers, beta, cov, ep)
        return own, shift

    m_mat = sp.Matrix(kk, kk, lambda i, j: (cs[i] * resolvent * cs[j] * resolvent).trace() / n)
    s_vec = sp.Matrix(kk, 1, lambda i, _: (ct * resolvent * cs[i] * resolvent).trace() / n)
    own_t, shift_t = parts(None, ct)
    src = [parts(j, cs[j]) for j in range(kk)]
    blocks = {"eta": et, "M": m_mat, "s": s_vec, "own_target": own_t, "shift_target": shift_t,
              "own": [x[0] for x in src], "shift": [x[1] for x in src]}
    out = {"fixed_point": fixed_point, "loo_factor": eg, "blocks": blocks,
           **assemble(blocks, sigma)}
    if teachers.kind == "fixed":
        w = [sum((z for m, z in enumerate(teachers.latents) if teachers.coefficient(j, m)),
                 sp.zeros(d, 1)) for j in range(kk)]
        out["mean_fit"] = resolvent * sum((u[j] * cs[j] * w[j] for j in range(kk)),
                                          sp.zeros(d, 1))
    return out


# --------------------------------------------------------------------------------------------
# Reductions


def _finite(count: int, prefix: str) -> list[sp.Symbol]:
    return list(sp.symbols(f"{prefix}1:{count + 1}", real=True))


def identically_zero(expr: sp.Expr) -> bool:
    """Exact test that ``expr`` vanishes as a rational function of its symbols.

    Spectral moments (:class:`~modelcollapse.theory.spectral.SpectralMoment`) are first written in
    the moments ``M_W(0, j)`` (``Σ = (Σ + t) − t``) and then taken as independent symbols, so a
    True answer is an identity for every spectrum.
    """
    from ._parse import sympy_only
    from .spectral import SpectralMoment

    def expand(m):
        w, pw, b_, sh = m.args
        return sum(sp.binomial(pw, j) * (-sh) ** (pw - j) * SpectralMoment(w, 0, b_ - j, sh)
                   for j in range(int(pw) + 1))

    expr = sympy_only(expr).replace(lambda x: isinstance(x, SpectralMoment), expand)
    expr = expr.xreplace({m: sp.Dummy() for m in expr.atoms(SpectralMoment)})
    numerator, _ = sp.fraction(sp.together(expr))
    return sp.expand(numerator) == 0


def mixing_formula(blocks: dict, sigma: Sequence[sp.Expr]) -> dict:
    """The two-group formula of weighted mixing (docs/mathematics.md §3.1) in terms of blocks.

    With one covariance every ``M_gh`` and ``s_g`` equal one number ``m`` (``D2``), and
    ``E = b_t + m Σ_g η_g (b_g + σ_g²)/(1 − m Σ_g η_g)``, ``B = own_t + m Σ_g η_g own_g/(1 − mη)``,
    ``V = m Σ_g η_g σ_g²/(1 − mη)``, ``ζ`` the shift parts likewise.  ``blocks`` as in
    :func:`assemble`, with ``M`` and ``s`` replaced by the scalar ``m``.
    """
    et, m = list(blocks["eta"]), blocks["m"]
    inflate = m / (1 - m * sp.Add(*et))
    bias = blocks["own_target"] + inflate * sp.Add(*[x * o for x, o in zip(et, blocks["own"],
                                                                           strict=True)])
    variance = inflate * sp.Add(*[x * s**2 for x, s in zip(et, sigma, strict=True)])
    zeta = blocks["shift_target"] + inflate * sp.Add(*[x * z for x, z in zip(
        et, blocks["shift"], strict=True)])
    return {"bias": bias, "variance": variance, "zeta": zeta,
            "test_error": bias + variance + zeta}


@cache
def reductions(teacher: Literal["fixed", "random"] = "fixed", d: int = 1) -> dict:
    """The three special cases, as pairs (this model, the known model) that must be equal.

    ``{case: {kind: {name: (ours, known)}}}`` for the cases

    * ``"weighted_mixing"``: k = 2, ``C_1 = C_2 = C_t = Σ``, weights a1, a2 — docs/mathematics.md
      §3.1 (:mod:`modelcollapse.theory.mixing`, ``κ = λ/ξ``);
    * ``"theorem1"``: the same at a1 = a2 = 1 — Theorem 1 (``u = df2/(n − df2)``);
    * ``"clean_ridge"``: k = 1, weight 1 — Theorem 1 at p2 = 0 (``κ = λ(1 + δ)``).

    and the kinds

    * ``"blocks"`` (``eta_g``, ``M_gh``, ``s_g``, ``own_*``, ``shift_*``): ours from
      :func:`equivalent` on a symbolic spectrum of ``d`` directions, the known model's as its
      finite sum.  The blocks are sums over directions on both sides, so ``d = 1`` proves them
      for every spectrum;
    * ``"assembly"`` (E, B, V, ζ): :func:`assemble` on abstract blocks with one covariance
      (``M = m 11ᵀ``, ``s = m 1``) against :func:`mixing_formula` — for any values of the blocks;
    * ``"full"`` (E, B, V, ζ): the whole expressions on the symbolic spectrum, ours against the
      known model's (mixing's, Theorem 1's) own expressions — rational functions too large to
      expand; the tests compare them exactly at random rational points.

    Blocks and assembly prove the reduction; ``full`` checks that the known modules' expressions
    are the formula assumed.  The leave-one-out unknowns coincide, ``δ_1 = δ_2 = δ``, when the
    covariances do: the fixed points are then one equation, mixing's ``δ ξ(δ) = df1(κ)/n``.
    """
    from . import mixing, ridge
    from .spectral import DD, DELTA, GAMMA, IDENTITY, W1D, W1W1, SpectralMoment, as_finite_sum
    from .symbols import kappa, p2, sigma1, sigma2

    s = list(sp.symbols(f"s1:{d + 1}", positive=True))
    cov = sp.diag(*s)
    dl, a1, a2 = mixing.delta_loo, mixing.a1, mixing.a2
    p1 = 1 - p2
    if teacher == "fixed":
        w1, sh = _finite(d, "w"), _finite(d, "v")
        two = fixed_teachers([sp.Matrix(w1), sp.Matrix([x + y for x, y in zip(w1, sh,
                                                                                strict=True)])])
        one = fixed_teachers([sp.Matrix(w1)])
        weights = {W1W1: [x**2 for x in w1], DD: [y**2 for y in sh],
                   W1D: [x * y for x, y in zip(w1, sh, strict=True)]}
        own_w = W1W1
    else:
        gm = list(sp.symbols(f"gamma1:{d + 1}", positive=True))
        dm = list(sp.symbols(f"Delta1:{d + 1}", positive=True))
        two = random_teachers(sp.diag(*gm), [None, sp.diag(*dm)])
        one = random_teachers(sp.diag(*gm), [None])
        weights = {GAMMA: gm, DELTA: dm}
        own_w = GAMMA

    def finite(expr, subs):
        return as_finite_sum(sp.sympify(expr), s, weights).subs(subs)

    own = kappa**2 * SpectralMoment(own_w, 1, 2, kappa)
    comps = ("test_error", "bias", "variance", "zeta")

    def case(kk, ws, pp, aa, sg, known_blocks, known, subs):
        eq = equivalent([cov] * kk, cov, ws, p=pp, a=aa, sigma=sg, n=n, lam=lam, delta=[dl] * kk)
        bl = eq["blocks"]
        blocks = {}
        for i in range(kk):
            blocks[f"eta_{i + 1}"] = (bl["eta"][i], known_blocks["eta"][i])
            blocks[f"s_{i + 1}"] = (bl["s"][i], finite(known_blocks["m"], subs))
            blocks[f"own_{i + 1}"] = (bl["own"][i], finite(own, subs))
            blocks[f"shift_{i + 1}"] = (bl["shift"][i], finite(known_blocks["shift"][i], subs))
            for j in range(kk):
                blocks[f"M_{i + 1}{j + 1}"] = (bl["M"][i, j], finite(known_blocks["m"], subs))
        blocks["own_target"] = (bl["own_target"], finite(own, subs))
        blocks["shift_target"] = (bl["shift_target"], finite(known_blocks["shift"][0], subs))
        ab = {"eta": list(sp.symbols(f"eta1:{kk + 1}")), "m": sp.Symbol("m"),
              "own_target": sp.Symbol("o_t"), "own": list(sp.symbols(f"o1:{kk + 1}")),
              "shift_target": sp.Symbol("z_t"), "shift": list(sp.symbols(f"z1:{kk + 1}"))}
        mine = assemble({**ab, "M": sp.ones(kk, kk) * ab["m"], "s": sp.ones(kk, 1) * ab["m"]},
                        sg)
        theirs = mixing_formula(ab, sg)
        full = {c: (eq[c], finite(known[c], subs)) for c in comps}
        return {"blocks": blocks, "assembly": {c: (mine[c], theirs[c]) for c in comps},
                "full": full}

    def with_total(cs):
        cs = dict(cs)
        cs.setdefault("test_error", cs["bias"] + cs["variance"] + cs["zeta"])
        return cs

    b = mixing.mean_fit_errors(teacher)
    mix_blocks = {"eta": [mixing.ETA_REAL, mixing.ETA_SYNTH], "m": mixing.D2,
                  "shift": [b["real"] - own, b["synth"] - own]}
    to_lam = {kappa: lam / mixing.XI}
    mix = case(2, two, [p1, p2], [a1, a2], [sigma1, sigma2], mix_blocks,
               with_total(mixing.risk_components(teacher)), to_lam)
    unit = {a1: 1, a2: 1}
    thm1 = with_total({c: ridge.substitute_u(v) for c, v in
                       ridge.risk_components(teacher).items()})
    thm = case(2, two, [p1, p2], [1, 1], [sigma1, sigma2],
               {"eta": [x.subs(unit) for x in mix_blocks["eta"]], "m": mix_blocks["m"].subs(unit),
                "shift": [x.subs(unit) for x in mix_blocks["shift"]]}, thm1,
               {kappa: lam * (1 + dl)})
    clean = case(1, one, [1], [1], [sigma1],
                 {"eta": [1 / (1 + dl) ** 2],
                  "m": (1 + dl) ** 2 * SpectralMoment(IDENTITY, 2, 2, kappa) / n,
                  "shift": [sp.Integer(0)]},
                 {c: v.subs(p2, 0) for c, v in thm1.items()}, {kappa: lam * (1 + dl)})
    return {"weighted_mixing": mix, "theorem1": thm, "clean_ridge": clean}


# --------------------------------------------------------------------------------------------
# The corollary: the large-n plateau


@cache
def large_n_plateau(kk: int = 2) -> dict:
    """The n → ∞ limit of the error, one direction of commuting covariances at a time.

    For commuting covariances every term is a sum over the common eigendirections; as
    ``n → ∞`` at fixed d the leave-one-out unknowns are ``δ_g = O(1/n)``, ``M`` and ``s`` are
    ``O(1/n)``, so the fluctuation vanishes and ``E → b_t`` at ``e_g = 1``.  Derived here by
    SymPy (``δ_g = x_g ε``, ``n = 1/ε``, ``ε → 0``) on one direction with eigenvalues ``c_g``
    (sources) and ``c_t`` (target), fixed teacher components ``w_g``, ``w_t``: every block of
    :func:`equivalent` is a rational function of ε without a pole at 0 (λ > 0), so the limit is
    the blocks at ε = 0, assembled::

        E_∞ = c_t (Σ_g p_g a_g c_g (w_g − w_t) − λ w_t)² / (Σ_g p_g a_g c_g + λ)²

    summed over directions (random effects: the squares become variances).  Label noise leaves
    no floor; neither does covariate shift alone (``w_g = w_t``, λ → 0): the floor is made of
    the teachers' shifts, each direction weighted by the sources' shares of its variance.

    Returns
    -------
    dict
        ``{"E": the limit, "symbols": {...}}`` with the symbols ``c`` (list), ``c_t``, ``w``
        (list), ``w_t``, ``p`` (list), ``a`` (list).
    """
    cs = list(sp.symbols(f"c1:{kk + 1}", nonnegative=True))
    ws = list(sp.symbols(f"w1:{kk + 1}", real=True))
    ps = list(sp.symbols(f"p1:{kk + 1}", nonnegative=True))
    aa = list(sp.symbols(f"a1:{kk + 1}", nonnegative=True))
    sg = list(sp.symbols(f"sigma1:{kk + 1}", nonnegative=True))
    xs = list(sp.symbols(f"x1:{kk + 1}", positive=True))
    ct, wt, eps = sp.Symbol("c_t", nonnegative=True), sp.Symbol("w_t", real=True), sp.Symbol(
        "epsilon", positive=True)
    teach = fixed_teachers([sp.Matrix([w]) for w in ws], sp.Matrix([wt]))
    eq = equivalent([sp.Matrix([[c]]) for c in cs], sp.Matrix([[ct]]), teach, p=ps, a=aa,
                    sigma=sg, n=1 / eps, lam=lam, delta=[x * eps for x in xs])
    bl = eq["blocks"]

    def at0(x: sp.Expr) -> sp.Expr:
        return sp.sympify(x).subs(eps, 0)

    zero = {"eta": [at0(x) for x in bl["eta"]], "M": bl["M"].applyfunc(at0),
            "s": bl["s"].applyfunc(at0), "own_target": at0(bl["own_target"]),
            "shift_target": at0(bl["shift_target"]), "own": [at0(x) for x in bl["own"]],
            "shift": [at0(x) for x in bl["shift"]]}
    limit = sp.factor(assemble(zero, sg)["test_error"])
    return {"E": limit, "symbols": {"c": cs, "c_t": ct, "w": ws, "w_t": wt, "p": ps, "a": aa}}


@cache
def tail_plateau() -> dict:
    """The corollary: the floor when a generator loses the tail of the spectrum.

    Two sources, real (``C_1 = Σ``, teacher ``w``, share ``p1``) and synthetic (``C_2 = Σ`` on the
    head, ``ρΣ`` on the tail: eigenvalues past some index shrunk by ``ρ ∈ [0, 1]``; teacher
    ``w + δ``, share ``p2``), weights a1, a2, target the real data, λ → 0 after n → ∞ (from
    :func:`large_n_plateau`)::

        E_∞(ρ) = θ_head² c²_head + θ_tail(ρ)² c²_tail,
        θ_head = p2a2/(p1a1 + p2a2),   θ_tail(ρ) = p2a2ρ/(p1a1 + p2a2ρ),

    with ``c²_head``, ``c²_tail`` the shift's energy ``Σ_j s_j δ_j²`` on the head and the tail.
    Losing the tail lowers the floor (ρ = 0: the tail is learnt from real rows alone) — covariate
    shift moves the strong-collapse plateau ``p2² c²`` (Theorem 1, ρ = 1), it does not raise it.
    Without real rows (``p1 = 0``) the floor is ``c²`` for every ρ > 0, and at ρ = 0 the tail is
    never seen: ``c²_head + r²_tail`` with ``r²_tail = Σ_tail s_j w_j²`` (the limits in n and λ do
    not commute with ρ → 0 there).

    Returns
    -------
    dict
        ``E`` (general p1, a), ``E_equal_weights`` (a1 = a2 = 1), ``E_synthetic_only_lost_tail``
        (p1 = 0, ρ = 0), the per-direction limits ``head`` and ``tail`` and the symbols
        ``rho``, ``p2``, ``a1``, ``a2``, ``c2_head``, ``c2_tail``, ``r2_tail``.
    """
    lim = large_n_plateau(2)
    sy = lim["symbols"]
    rho = sp.Symbol("rho", nonnegative=True)
    s = sp.Symbol("s", positive=True)
    w, dw = sp.symbols("w delta", real=True)
    p2s = sp.Symbol("p2", nonnegative=True)
    a1s, a2s = sp.symbols("a1 a2", positive=True)
    c2h, c2t, r2t = sp.symbols("c2_head c2_tail r2_tail", nonnegative=True)
    base = {sy["c_t"]: s, sy["w_t"]: w, sy["w"][0]: w, sy["w"][1]: w + dw, sy["p"][0]: 1 - p2s,
            sy["p"][1]: p2s, sy["a"][0]: a1s, sy["a"][1]: a2s, sy["c"][0]: s}
    per = lim["E"].subs(base)

    def ridgeless(expr):
        return sp.factor(sp.limit(expr, lam, 0))

    head = ridgeless(per.subs(sy["c"][1], s))
    tail = ridgeless(per.subs(sy["c"][1], rho * s))
    # per direction the floor is (weight)² s δ²: read the weight off and sum over directions
    theta_h = sp.sqrt(sp.factor(head / (s * dw**2)))
    theta_t = sp.sqrt(sp.factor(tail / (s * dw**2)))
    total = sp.simplify(theta_h**2) * c2h + sp.simplify(theta_t**2) * c2t
    lost = per.subs({sy["c"][1]: 0, p2s: 1})
    lost_tail = ridgeless(lost)  # p1 = 0, ρ = 0: an unseen direction keeps its teacher energy
    head_only = ridgeless(per.subs({sy["c"][1]: s, p2s: 1}))
    synthetic_only = (sp.factor(head_only / (s * dw**2)) * c2h
                      + sp.factor(lost_tail / (s * w**2)) * r2t)
    return {"E": total, "E_equal_weights": sp.factor(total.subs({a1s: 1, a2s: 1})),
            "E_synthetic_only_lost_tail": synthetic_only, "head": head, "tail": tail,
            "symbols": {"rho": rho, "p2": p2s, "a1": a1s, "a2": a2s, "c2_head": c2h,
                        "c2_tail": c2t, "r2_tail": r2t}}


# --------------------------------------------------------------------------------------------
# The declaration

_DELTA_G = sp.Symbol("delta_loo_g", positive=True)


def _declared_risk(teacher, options) -> dict[str, sp.Expr]:
    return {"bias": BIAS, "variance": VARIANCE, "zeta": ZETA, "test_error": TEST_ERROR}


#: Several sources with their own covariances (docs/mathematics.md §7).  The sources (their
#: covariances, shares, weights, noises, teachers) and the target are structured inputs that the
#: numerics take whole (``modelcollapse.numerics.multi_source``); the grid parameters are n and λ.
MODEL = ModelSpec(
    name="multi_source",
    title="Several data sources, each with its own covariance (covariate shift, k sources)",
    doc="Ridge with per-row weights on k sources, source g with n_g = p_g n rows x ~ N(0, C_g) "
    "and teacher w_g; error on a target (C_t, w_t).  Deterministic equivalent with one "
    "leave-one-out factor e_g = 1/(1 + a_g δ_g) per source, δ_g = (1/n) tr C_g R, "
    "R = (Σ_g p_g a_g e_g C_g + λ)^{-1}; E ≃ b_t + Σ_g η_g t_g (b_g + σ_g²).",
    parameters=(par.N_ROWS, par.RIDGE),
    teachers={},
    fixed_points=(FixedPoint(_DELTA_G, FIXED_POINT.subs(g, sp.Symbol("g")), ("n", "ridge"),
                             "δ_g = (1/n) tr C_g R, one per source (a k-dimensional system)"),),
    risk=_declared_risk,
)

_ = n  # the row count of the indexed statement (T_g, M_gh, s_g carry the 1/n)
