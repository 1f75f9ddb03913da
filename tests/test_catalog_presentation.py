"""How ``modelcollapse derive`` presents its results: signs visible, sums collected and
factored, squares completed, powers merged, names upright, Riemann's ζ told apart from the
collapse term ζ — asserted on the LaTeX of the entries; and the presentation machinery checked to
keep every value (seeded random rational points, mpmath at 40 digits).

The all-entries sweep (every line of every entry, rendered by matplotlib's mathtext and measured)
is marked ``slow``.
"""

from __future__ import annotations

import random
import re

import mpmath
import pytest
import sympy as sp

from modelcollapse.theory import catalog
from modelcollapse.theory import power_law as pl
from modelcollapse.theory import ridge_isotropic as iso
from modelcollapse.theory._catalog_models import rp_error_of_theta
from modelcollapse.theory._present import latex_label, tidy, to_latex, to_text
from modelcollapse.theory.spectral import GAMMA, IDENTITY, SpectralMoment
from modelcollapse.theory.symbols import (
    c,
    kappa,
    lam,
    p2,
    phi,
    psi,
    r,
    sigma1,
    sigma2,
    theta,
)
from modelcollapse.theory.workbench import as_regime

_CACHE: dict = {}


def derived(name: str) -> catalog.Result:
    """Each entry derived once per test session."""
    if name not in _CACHE:
        _CACHE[name] = catalog.derive(name)
    return _CACHE[name]


def lines(name: str) -> dict[str, str]:
    """The right-hand sides of ``as_latex()`` by key (SymPy < 1.13 sets ``\\cdot`` between a
    power and a bracket, later versions a space: the fragments are written the later way)."""
    res = derived(name)
    out = {}
    for key, line in zip(res.expressions, res.as_latex().splitlines(), strict=True):
        lhs = f"{res.label(key)} = "
        assert line.startswith(lhs)
        out[key] = line[len(lhs):].replace(" \\cdot \\left(", " \\left(")
    return out


def values_agree(a: sp.Expr, b: sp.Expr, regime: dict | None = None, points: int = 12,
                 seed: int = 0) -> None:
    """``a == b`` to 1e-25 (relative) at seeded random rational points, evaluated with mpmath at
    40 digits; ``regime`` gives ``(low, high)`` by symbol (default (1/20, 19/20))."""
    rng = random.Random(seed)
    syms = sorted(a.free_symbols | b.free_symbols, key=str)
    fa, fb = (sp.lambdify(syms, e, modules="mpmath") for e in (a, b))
    with mpmath.workdps(40):
        for _ in range(points):
            args = []
            for s in syms:
                lo, hi = (regime or {}).get(s, (sp.Rational(1, 20), sp.Rational(19, 20)))
                x = sp.Rational(lo) + (hi - lo) * sp.Rational(rng.randint(1, 999), 1000)
                args.append(mpmath.mpf(x.p) / x.q)
            va, vb = fa(*args), fb(*args)
            assert abs(va - vb) <= mpmath.mpf("1e-25") * max(1, abs(va)), (args, va, vb)


# -- the machinery ------------------------------------------------------------------------------
def test_square_completed_when_it_shortens_the_sum():
    k = kappa
    out = tidy(k**2 + 2 * k + 1 - phi)
    assert out == (k + 1) ** 2 - phi
    # inside a denominator, and a radicand written as (λ + φ − 1)² + 4λ
    assert sp.Pow(k + 1, 2) in tidy(r**2 * k**2 / (k**2 + 2 * k + 1 - phi)).atoms(sp.Pow)
    rad = tidy(sp.sqrt(lam**2 + 2 * lam * phi + 2 * lam + phi**2 - 2 * phi + 1))
    assert sp.Pow(lam + phi - 1, 2) in rad.atoms(sp.Pow)
    values_agree(rad, sp.sqrt(lam**2 + 2 * lam * phi + 2 * lam + phi**2 - 2 * phi + 1))


def test_leading_minus_absorbed_by_a_factor_of_open_sign():
    u = tidy(-phi / (phi - (kappa + 1) ** 2))
    assert u == phi / ((kappa + 1) ** 2 - phi)
    # E(∞) of iterative mixing: 1 − b has no sign in the regime; the denominator is flipped
    e_inf = -phi * sigma1**2 / ((1 - p2) * (2 * p2 * phi + phi - p2 - 1))
    out = tidy(e_inf, as_regime("phi<1, 0<p2<1"))
    assert not to_latex(out).startswith("-")
    values_agree(out, e_inf)
    # a sign the regime proves stays in front: ∂ζ/∂ψ < 0 for ψ > 1, φ > 1
    neg = tidy(-c**2 * p2 * (phi - p2) / (phi * (psi - 1) ** 2), as_regime("1<psi, 1<phi"))
    assert to_latex(neg).startswith("-")


def test_sums_collected_by_scales_and_weights_with_factored_coefficients():
    from modelcollapse.theory.mixing import a1, a2, alpha

    out = tidy(sigma1**2 - p2 * sigma1**2 + p2 * sigma2**2)
    assert sigma1**2 * (1 - p2) in sp.Add.make_args(out)
    weights = tidy(1 / (a1 + a2 * p2 - a1 * p2))
    assert a1 * (1 - p2) in sp.Add.make_args(weights.base)
    printed = tidy(sigma1**2 * (alpha * p2 + 1 - alpha - p2), as_regime("0<alpha<1, 0<p2<1"))
    assert printed == sigma1**2 * (1 - alpha) * (1 - p2)
    # a coefficient the regime proves negative shows its sign: −σ1²(1 − p2), not σ1²(p2 − 1)
    mixed = tidy(1 - phi * (sigma1**2 * (1 - p2) - p2 * sigma2**2) / (2 * c**2),
                 as_regime("0<p2<1"))
    assert r"\left(p_{2} - 1\right)" not in to_latex(mixed)
    values_agree(mixed, 1 - phi * (sigma1**2 * (1 - p2) - p2 * sigma2**2) / (2 * c**2))


def test_symbolic_powers_merged_only_where_valid():
    x, y, e = sp.symbols("x y e", positive=True)
    beta, rr = pl.beta, pl.r_source
    merged = tidy(sp.pi**e * x ** (2 * e) / (y**e * 4 ** (e / 2)))
    assert len([p for p in merged.atoms(sp.Pow) if not p.exp.is_number]) == 1
    values_agree(merged, sp.pi**e * x ** (2 * e) / (y**e * 4 ** (e / 2)))
    # β^{-1/(2βr+1)} β^{-2βr/(2βr+1)} = 1/β and 2^{1/(2βr+1)} 4^{βr/(2βr+1)} = 2
    d = 2 * beta * rr + 1
    assert tidy(beta ** (-1 / d) * beta ** (-2 * beta * rr / d)) == 1 / beta
    assert tidy(sp.Integer(2) ** (1 / d) * sp.Integer(4) ** (beta * rr / d)) == 2
    # two bases of unknown sign are never multiplied under one power: (sin a)^e (cos a)^e
    a = sp.Symbol("a", real=True)
    kept = tidy(sp.sin(a) ** e * sp.cos(a) ** e)
    assert {p.base for p in kept.atoms(sp.Pow)} == {sp.sin(a), sp.cos(a)}


def test_condition_reduced_with_what_the_regime_implies():
    big, small = c**2 + sigma2**2 - sigma1**2, c**2 + sigma2**2 - 2 * sigma1**2  # big − small ≥ 0
    cond = sp.Or(sp.And(big > 0, small < 0), big < 0)
    pw = tidy(sp.Piecewise((sp.Interval.open(0, 1), small > 0), (sp.S.EmptySet, cond)))
    reduced = pw.args[1][1]
    assert isinstance(reduced, sp.core.relational.Relational)  # one inequality, no ∨
    assert to_latex(reduced) == r"c^{2} + \sigma_{2}^{2} < 2 \sigma_{1}^{2}"
    same_truth(cond, reduced, (c, sigma1, sigma2), (big, small))
    # atoms without an implication between them are not dropped, and a reduction found by
    # Boolean algebra alone ((a ∧ b) ∨ ¬a = b ∨ ¬a) keeps the truth value too
    for other in (sp.Or(sp.And(c**2 > sigma1**2, sigma2**2 > c**2),
                        sp.And(c**2 < sigma1**2, sigma2**2 < sigma1**2)),
                  sp.Or(sp.And(c**2 > sigma1**2, sigma2**2 < sigma1**2), c**2 < sigma1**2)):
        kept = tidy(sp.Piecewise((sp.S.EmptySet, other), (sp.Interval(0, 1), True))).args[0][1]
        same_truth(other, kept, (c, sigma1, sigma2),
                   (c**2 - sigma1**2, sigma2**2 - c**2, sigma2**2 - sigma1**2))


def same_truth(a, b, syms, boundaries, points: int = 2000) -> None:
    """Two conditions agree at seeded random points off the boundaries ``g = 0``."""
    fa, fb, fg = (sp.lambdify(syms, e) for e in (a, b, sp.Tuple(*boundaries)))
    rng = random.Random(1)
    for _ in range(points):
        x = [rng.uniform(0.0, 2.0) for _ in syms]
        if min(abs(g) for g in fg(*x)) > 1e-9:
            assert bool(fa(*x)) == bool(fb(*x)), x


def test_numbers_names_and_printers():
    mu0 = tidy(sp.sqrt(2) / (2 * sp.sqrt(sp.pi)))
    assert to_latex(mu0) == r"\frac{1}{\sqrt{2 \pi}}"
    assert abs(float(mu0) - float(1 / sp.sqrt(2 * sp.pi))) < 1e-15
    assert latex_label("sigma_eff_sq") == r"\sigma_{\mathrm{eff}}^2"
    assert latex_label("n_star") == "n^*" and latex_label("mu_star_sq") == r"\mu_*^2"
    assert latex_label("n_star_tuned") == r"n^*_{\mathrm{tuned}}"
    assert to_latex(pl.sigma_eff**2) == r"\sigma_{\mathrm{eff}}^{2}"
    assert to_latex(sp.Symbol("c_head")) == r"c_{\mathrm{head}}"
    assert to_latex(sp.Symbol("kappa_star")) == r"\kappa^{*}"
    assert to_latex(pl.r_shift) == r"r_{\Delta}"  # a Greek subscript stays Greek
    assert to_latex(sp.zeta(3)) == r"\zeta_{\mathrm{R}}\left(3\right)"
    assert to_text(SpectralMoment(IDENTITY, 0, 2, kappa)) == "tr[(Σ+kappa)^-2]"
    assert to_text(SpectralMoment(GAMMA, 1, 2, kappa)) == "tr[Gamma·Σ(Σ+kappa)^-2]"
    assert to_text(SpectralMoment(IDENTITY, 1, 0, theta)) == "tr[Σ]"
    assert to_text(sp.Symbol("mu_*") ** 2) == "mu_star**2"


# -- the entries the issue listed -----------------------------------------------------------------
#: Per entry: (key, LaTeX fragments that must appear, fragments that must not, longest line).
RULES = {
    "free-synthetic-rows": [
        ("slope_at_0", [r"\sigma_{1}^{2} \left(2 - \phi_{1}\right)"], [r"\phi_{1} - 2"], None),
        ("first_rows_hurt", [r"c^{2} + \sigma_{2}^{2} < 2 \sigma_{1}^{2}"], [r"\vee"], None),
    ],
    "iterative-mixing": [
        ("E_inf", [], [r"2 p_{2} \phi + \phi - p_{2} - 1"], None),
        ("E_inf_minus_clean", [], [r"2 p_{2} \phi + \phi - p_{2} - 1"], None),
    ],
    "kappa-isotropic": [
        ("kappa", [r"\frac{\lambda + \phi + \sqrt{", r"\left(\lambda + \phi - 1\right)^{2}"],
         [r"\frac{\lambda}{2}"], 120),
        ("u", [r"\frac{\phi}{\left(\kappa + 1\right)^{2} - \phi}"], [], None),
    ],
    "limits-isotropic": [
        ("p2_to_0", [r"\left(\kappa + 1\right)^{2} - \phi"], [r"\sqrt"], 120),
        ("c_to_0", [r"\left(\kappa + 1\right)^{2} - \phi"], [r"\sqrt"], 260),
        ("kappa", [r"\sqrt"], [], 120),
    ],
    "mixing-first-order": [
        ("E_order1", [r"\sigma_{1}^{2} \left(1 - \alpha\right)^{2}", r"\left(1 - \alpha\right)"],
         [r"\alpha^{4}", r"\alpha^{3}"], 320),
        ("E_printed", [r"\sigma_{1}^{2} \left(1 - \alpha\right) \left(1 - p_{2}\right)"], [], None),
    ],
    "mixing-optimal-alpha": [
        ("alpha_printed", [r"\sigma_{1}^{2} \left(1 - p_{2}\right)"],
         [r"\left(p_{2} - 1\right)"], None),
    ],
    "multi-source-tail-plateau": [
        ("E_inf", [r"c_{\mathrm{head}}", r"a_{1} \left(1 - p_{2}\right) + a_{2} p_{2}"],
         [r"c_{head}", r"- a_{1} p_{2}"], None),
    ],
    "power-law-collapse-onset": [
        ("n_star_tuned", [r"\sigma_{\mathrm{eff}}"], [r"\frac{1}{\beta} - 1", r"\sigma_{eff}"],
         420),
        ("n_star_schedule", [], [r"\frac{1}{\beta} - 1", r"\beta^{- \frac{"], None),
    ],
    "power-law-mixed-optimal": [
        ("kappa_opt", [r"\sigma_{\mathrm{eff}}"], [r"2 r + \frac{1}{\beta}"], 240),
        ("lambda_opt", [r"\kappa^{*}"], [r"2 r + \frac{1}{\beta}", r"\Gamma"], 160),
        ("decay_opt", [], [r"4^{", r"\frac{1}{\beta} - 1"], 320),
    ],
    "power-law-mixed-risk": [
        ("E_asymptotic", [r"\zeta_{\mathrm{R}}\left(", r"\sigma_{\mathrm{eff}}^{2}"],
         [r"- c^{2} p_{2}^{2}\right)"], 480),
        ("sigma_eff_sq", [r"c^{2} p_{2} \left(1 - p_{2}\right)",
                          r"\sigma_{1}^{2} \left(1 - p_{2}\right)"], [r"- p_{2} \sigma_{1}"], None),
    ],
    "power-law-shift-gain": [("D_Delta", [r"\zeta_{\mathrm{R}}\left("], [], None)],
    "power-law-scaling": [
        ("kappa_opt", [r"\left(1 - 2 r\right)"], [r"4 \beta^{2} n r^{2}", r"\left(- \frac"],
         None),
    ],
    "risk-isotropic": [
        (key, [r"\left(\kappa + 1\right)^{2} - \phi"], [r"\kappa^{2} + 2 \kappa"], None)
        for key in ("bias", "variance", "zeta")
    ],
    "rp-small-ridge": [
        ("E_of_theta", [r"\psi \left(\theta + 1\right)^{3}"], [r"\psi \theta^{3}"], 560),
    ],
    "rp-width-collapse": [
        (key, [r"\left(1 - \phi\right)^{2}"], [r"\left(\phi - 1\right)^{2}", r"\vee"], 330)
        for key in ("amplify_under", "mitigate_under")
    ],
    "zeta-series": [
        ("zeta_ridgeless_order1_p2", [r"\frac{c^{2} p_{2} \phi}{1 - \phi}"], [r"\phi - 1"],
         None),
        ("zeta_fixed_ridge_order1_phi",
         [r"\left(\lambda + 1\right)^{2} - p_{2} \left(4 \lambda + 1\right)"],
         [r"\lambda^{2} p_{2}"], None),
    ],
    "rf-relu-equivalence": [("mu0", [r"\frac{1}{\sqrt{2 \pi}}"], [], None)],
}

#: LaTeX that no entry may contain: a multi-letter subscript set in italics (σ_{eff}), Riemann's
#: ζ written like the collapse term ζ, or the automatic labels' old spellings.
FORBIDDEN = [re.compile(r"_\{[A-Za-z]{2,}\}"), re.compile(r"\\zeta\\left\("),
             re.compile(r"\\mathrm\{eff,\\,sq\}"), re.compile(r"_\{\\mathrm\{star\}\}")]


def check_general(name: str) -> None:
    res = derived(name)
    latex = res.as_latex()
    for pattern in FORBIDDEN:
        assert not pattern.search(latex), (name, pattern.pattern)
    text = res.as_text()
    assert "***" not in text and "Σ^0" not in text and "Σ^1(" not in text and "^-0" not in text


@pytest.mark.parametrize("name", sorted(RULES))
def test_entry_presentation(name):
    rhs = lines(name)
    for key, present, absent, longest in RULES[name]:
        for fragment in present:
            assert fragment in rhs[key], (name, key, fragment)
        for fragment in absent:
            assert fragment not in rhs[key], (name, key, fragment)
        if longest is not None:
            assert len(rhs[key]) <= longest, (name, key, len(rhs[key]))
    check_general(name)


def test_signs_in_front_only_where_the_value_is_negative():
    """The entries whose values are positive in their regime print no leading minus."""
    positive = {"iterative-mixing": ["E_inf", "E_inf_minus_clean"], "kappa-isotropic": ["u"],
                "zeta-series": ["zeta_ridgeless_order1_p2"], "rp-small-ridge": ["E_of_theta"],
                "power-law-scaling": ["kappa_opt"]}
    for name, keys in positive.items():
        rhs = lines(name)
        for key in keys:
            assert not rhs[key].startswith("-"), (name, key)


def test_retraining_text_writes_plain_traces():
    text = derived("retraining-ridge").as_text()
    assert "tr[(Σ+kappa)^-2]" in text and "tr[Gamma·Σ(Σ+kappa)^-2]" in text


# -- values kept where an entry was rewritten around a named quantity -----------------------------
def test_rewritten_entries_keep_their_values():
    # limits: E at p2 = 0 and c = 0 as functions of κ, κ(λ, φ) on its own line
    lim = derived("limits-isotropic").expressions
    closed = iso.kappa_closed_form()
    for key, sub in (("p2_to_0", {p2: 0}), ("c_to_0", {c: 0})):
        ref = iso.test_error().subs(sub).subs(kappa, closed)
        values_agree(lim[key].subs(kappa, lim["kappa"]), ref, points=6)
    # random projections: E(θ) over its common denominator = B + V + ζ of Theorem 2
    err = rp_error_of_theta()
    under = {psi: (sp.Rational(1, 50), sp.Rational(1, 5)), phi: (sp.Rational(1, 4), 2)}
    values_agree(derived("rp-small-ridge").expressions["E_of_theta"],
                 err["bias"] + err["variance"] + err["zeta"], under, points=6)
    # power laws: λ* written with κ*, E written with σ_eff²
    opt = pl.optimal_ridge_mixed()
    ranges = {pl.beta: (sp.Rational(11, 10), 3), pl.r_source: (sp.Rational(1, 20),
                                                                sp.Rational(9, 20)),
              pl.n: (10, 1000), pl.sigma_eff: (sp.Rational(1, 2), 2)}
    lam_star = derived("power-law-mixed-optimal").expressions["lambda_opt"].subs(
        sp.Symbol("kappa_star", positive=True), opt["kappa_opt"])
    values_agree(lam_star, opt["lambda_opt"], ranges, points=4)
    risk = derived("power-law-mixed-risk").expressions["E_asymptotic"]
    shift = {pl.r_shift: (sp.Rational(49, 100), sp.Rational(1, 2)), kappa: (0, 1)}
    values_agree(risk.subs(pl.sigma_eff, sp.sqrt(pl.effective_noise())),
                 pl.risk_asymptotic_mixed(), {**ranges, **shift}, points=4)


# -- every entry -------------------------------------------------------------------------------
def _width_inches(latex: str) -> float:
    """Width of ``$latex$`` set by matplotlib's mathtext at 12 pt (inches)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(1, 1), dpi=100)
    try:
        text = fig.text(0, 0, f"${latex}$", fontsize=12)
        fig.canvas.draw()
        return text.get_window_extent().width / 100
    finally:
        plt.close(fig)


@pytest.mark.slow
def test_every_entry_is_readable():
    """No forbidden spelling anywhere, and no rendered line (a Piecewise one branch at a time)
    wider than 7.5 in at 12 pt (the widest was 19.8 in before these rules)."""
    for name in catalog.names():
        check_general(name)
        res = derived(name)
        for key, value in res.expressions.items():
            pieces = value.args if isinstance(value, sp.Piecewise) else [(value, None)]
            for expr, cond in pieces:
                rhs = to_latex(expr) + ("" if cond is None else
                                        rf"\ \text{{if}}\ {to_latex(cond)}")
                width = _width_inches(rf"{res.label(key)} = {rhs}")
                assert width <= 7.5, (name, key, round(width, 1))
