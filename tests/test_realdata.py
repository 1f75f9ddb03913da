"""Real data, offline (``modelcollapse.verify.realdata``): reduced, seeded experiments 1, 3, 4.

Statistical rules (each test names the one it uses):

- *agreement* (docs/mathematics.md §5): ``|theory − mc| ≤ 3·se + rtol·|mc|`` with
  ``rtol = REALDATA_RTOL`` (3 %, the O(1/n) finite-size bias at d = 54; see
  ``figures_realdata.REALDATA_RTOL``);
- *exceeds*: a one-sided bound must hold with the mean moved 3 standard errors the wrong way;
- *paired z*: the mean of per-repetition differences is at least 3 of its standard errors.

Reference values come from routes independent of the code under test: closed forms (least
squares), the population identities of least squares, scikit-learn's ``Ridge``, and a
``collections.Counter`` n-gram.
"""

from __future__ import annotations

import collections
import math

import numpy as np
import pytest

from modelcollapse.verify import realdata as rd
from modelcollapse.verify._ngram import VOCABULARY, CharNGram, decode, encode
from modelcollapse.verify.reproduce import figures_realdata as fr
from modelcollapse.verify.reproduce._cache import MonteCarloCache
from modelcollapse.verify.reproduce._context import Context, FigureOutput
from modelcollapse.verify.reproduce._settings import settings_for
from modelcollapse.verify.reproduce.job import parse_figures
from modelcollapse.verify.reproduce.report import write_report

pytest.importorskip("sklearn")

RTOL = fr.REALDATA_RTOL


@pytest.fixture(scope="module")
def pop():
    return rd.digits_population()


@pytest.fixture(scope="module")
def w2(pop):
    return rd.ridge_generator(pop)


def _theory(pop, w2, mc):
    ns = np.array(mc.params["n"])
    lams = np.array(mc.params["ridge"])
    p2e = np.array(mc.params["p2_effective"])
    return rd.realdata_ridge_theory(pop, w2, n=ns[:, None, None], p2=p2e[:, None, :],
                                    ridge=lams[None, :, None]).test_error


# ------------------------------------------------------------------ the population


def test_population_is_exact(pop):
    from sklearn.datasets import load_digits

    raw = load_digits().data
    assert pop.size == raw.shape[0] == 1797
    # constant pixels are gone (they cannot be scaled); every kept pixel is lit in ≥ 1 %
    assert np.all(raw[:, pop.pixels].std(axis=0) > 0)
    assert np.all((raw[:, pop.pixels] > 0).mean(axis=0) >= 0.01)
    assert not set(np.flatnonzero(raw.std(axis=0) == 0)) & set(pop.pixels.tolist())
    x = pop.features
    assert np.all(np.isfinite(x)) and np.abs(x.mean(axis=0)).max() < 1e-12
    np.testing.assert_allclose(np.diag(pop.covariance), 1.0, rtol=1e-12)
    # w1 is the least-squares teacher: the residual is orthogonal to every feature ...
    assert np.abs(x.T @ pop.residual).max() < 1e-9 * pop.size
    # ... so the pool's squared error of any w is σ1² + (w − w1)ᵀΣ(w − w1)
    rng = np.random.default_rng(0)
    for w in (np.zeros(pop.dim), rng.standard_normal(pop.dim) * 0.1, pop.w_real + 0.01):
        mse = np.mean((pop.target - x @ w) ** 2)
        assert mse == pytest.approx(pop.noise_real**2 + float(pop.excess_risk(w)), rel=1e-10)
    # the target is the centred parity of the digit
    parity = (pop.digits % 2).astype(float)
    np.testing.assert_allclose(pop.target, parity - parity.mean(), atol=1e-15)


def test_generator_is_ridge_and_c2_is_exact(pop, w2):
    from sklearn.linear_model import Ridge

    rows, lam = 60, 1.0
    idx = np.random.default_rng(0).choice(pop.size, rows, replace=False)  # as documented
    # (1/rows)‖y − Xw‖² + λ‖w‖²  ⇔  scikit-learn's ‖y − Xw‖² + α‖w‖² with α = λ·rows
    ref = Ridge(alpha=lam * rows, fit_intercept=False).fit(pop.features[idx], pop.target[idx])
    np.testing.assert_allclose(w2, ref.coef_, rtol=1e-8, atol=1e-12)
    delta = pop.eigenbasis(w2 - pop.w_real)
    c2 = float(np.sum(pop.spectrum * delta**2))
    assert c2 == pytest.approx(float(pop.excess_risk(w2)), rel=1e-10)
    assert 0 < c2 < pop.noise_real**2  # a good, but not perfect, labeller


def test_theory_least_squares_closed_form(pop, w2):
    # p2 = 0, λ → 0, n > d: E_test = σ1² d/(n − d) (docs/mathematics.md §1, Corollary 1)
    for n in (200, 1000):
        th = rd.realdata_ridge_theory(pop, w2, n=n, p2=0.0, ridge=1e-10)
        assert float(th.test_error) == pytest.approx(pop.noise_real**2 * pop.dim / (n - pop.dim),
                                                     rel=1e-6)
    # p2 = 1, λ → 0, n → ∞: the synthetic teacher itself, E_test → c²
    th = rd.realdata_ridge_theory(pop, w2, n=1e9, p2=1.0, ridge=1e-10)
    assert float(th.test_error) == pytest.approx(float(pop.excess_risk(w2)), rel=1e-5)


# ------------------------------------------------------------------ experiment 1


def test_gaussian_route_agrees_with_theorem_1(pop, w2):
    """Rule: agreement.  The theory's own model on the digits spectrum."""
    mc = rd.simulate_realdata_ridge(pop, w2, n=[100, 400], p2=[0.0, 0.5], ridge=[1e-3, 1.0],
                                    route="gaussian", draws=200, seed=11)
    th = _theory(pop, w2, mc)
    ok = mc.agrees_with(th, rtol=RTOL)
    assert ok.all(), (mc.mean["test_error"], th)


def test_real_features_break_universality_at_weak_ridge(pop, w2):
    """Rule: exceeds.  n = 100 ≈ 2d, λ = 1e-3: real features (independent noise) give an
    excess risk more than 1.5 × Theorem 1 (measured: about 2.2 ×); the Gaussian features of
    the same Σ do not."""
    kw = dict(n=[100], p2=[0.0], ridge=[1e-3], draws=200, seed=5)
    real = rd.simulate_realdata_ridge(pop, w2, route="iid-noise", **kw)
    th = float(_theory(pop, w2, real)[0, 0, 0])
    mean, se = real.mean["test_error"][0, 0, 0], real.stderr["test_error"][0, 0, 0]
    assert mean - 3 * se > 1.5 * th


def test_strong_ridge_restores_universality(pop, w2):
    """Rule: agreement.  λ = 1: real rows drawn with replacement (real labels) agree with
    Theorem 1 like Gaussian ones."""
    mc = rd.simulate_realdata_ridge(pop, w2, n=[100, 400], p2=[0.0, 0.5], ridge=[1.0],
                                    route="iid", draws=200, seed=6)
    assert mc.agrees_with(_theory(pop, w2, mc), rtol=RTOL).all()


def test_finite_pool_lowers_the_error(pop, w2):
    """Rules: exceeds and a two-sample z.  n = 800 of N = 1797 rows without replacement: the
    error is more than 20 % below Theorem 1 and below the same design with replacement; the
    held-out error overstates the population excess risk (paired z)."""
    kw = dict(n=[800], p2=[0.0], ridge=[1e-3], draws=100)
    pool = rd.simulate_realdata_ridge(pop, w2, route="pool", seed=7, **kw)
    iid = rd.simulate_realdata_ridge(pop, w2, route="iid", seed=8, **kw)
    th = float(_theory(pop, w2, pool)[0, 0, 0])
    m_pool, s_pool = pool.mean["test_error"][0, 0, 0], pool.stderr["test_error"][0, 0, 0]
    m_iid, s_iid = iid.mean["test_error"][0, 0, 0], iid.stderr["test_error"][0, 0, 0]
    assert m_pool + 3 * s_pool < 0.8 * th
    assert (m_pool - m_iid) / math.hypot(s_pool, s_iid) < -3
    diff = pool.draws["heldout_excess"][:, 0, 0, 0] - pool.draws["test_error"][:, 0, 0, 0]
    assert diff.mean() > 3 * diff.std(ddof=1) / math.sqrt(diff.size)


def test_simulation_is_seeded(pop, w2):
    kw = dict(n=[60], p2=[0.5], ridge=[0.1], draws=3, route="pool")
    a = rd.simulate_realdata_ridge(pop, w2, seed=3, **kw)
    b = rd.simulate_realdata_ridge(pop, w2, seed=3, **kw)
    c = rd.simulate_realdata_ridge(pop, w2, seed=4, **kw)
    np.testing.assert_array_equal(a.draws["test_error"], b.draws["test_error"])
    assert not np.array_equal(a.draws["test_error"], c.draws["test_error"])
    assert a.params["p2_effective"] == [[0.5]]


# ------------------------------------------------------------------ experiment 3


def test_network_pays_for_synthetic_labels():
    """Rule: paired z.  Width 32, n = 500, half the labels from the weaker model: the test
    error rises (every repetition pairs the split, the weaker model and the initialisation);
    the weaker model is worse than the clean network."""
    mc = rd.simulate_network_mixing(widths=[32], n=500, p2=[0.5], repeats=4, seed=1)
    gap = mc.draws["mse_mixed"][:, 0, 0] - mc.draws["mse_clean"][:, 0]
    assert gap.mean() > 3 * gap.std(ddof=1) / math.sqrt(gap.size)
    weaker = mc.draws["mse_generator"] - mc.draws["mse_clean"][:, 0]
    assert weaker.mean() > 3 * weaker.std(ddof=1) / math.sqrt(weaker.size)
    assert np.all(mc.draws["iterations_clean"] < 500)  # every fit met Adam's stopping rule


def test_network_is_seeded():
    kw = dict(widths=[4], n=100, p2=[0.5], repeats=2, max_iter=5, real_only=True)
    a = rd.simulate_network_mixing(seed=2, **kw)
    b = rd.simulate_network_mixing(seed=2, **kw)
    for key in a.draws:
        np.testing.assert_array_equal(a.draws[key], b.draws[key])
    assert a.draws["mse_real_only"].shape == (2, 1, 1)


# ------------------------------------------------------------------ experiment 4


def _counter_model(text: str, order: int, alpha: float):
    """An independent add-k n-gram: P(c | h) from collections.Counter over the folded text."""
    s = decode(encode(text))
    grams = collections.Counter(s[i:i + order] for i in range(len(s) - order + 1))
    ctx = collections.Counter(s[i:i + order - 1] for i in range(len(s) - order + 1))
    return lambda h, c: (grams[h + c] + alpha) / (ctx[h] + alpha * VOCABULARY)


def test_ngram_matches_a_counter_model():
    text = rd.python_docs_text()[:20_000]
    test = rd.python_docs_text()[50_000:52_000]
    for order, alpha in ((1, 0.5), (3, 0.1)):
        model = CharNGram([encode(text)], order=order, smoothing=alpha)
        ref = _counter_model(text, order, alpha)
        s = decode(encode(test))
        bits = [-math.log2(ref(s[i - order + 1:i], s[i])) for i in range(order - 1, len(s))]
        assert model.cross_entropy(encode(test)) == pytest.approx(np.mean(bits), rel=1e-12)
        p = model.probabilities(encode("the")[3 - (order - 1):] if order > 1 else encode(""))
        assert p.sum() == pytest.approx(1.0, rel=1e-12)


def test_ngram_sampler_draws_from_the_model():
    """Rule: every transition frequency within 4.5 binomial standard errors (28 × 28 cells,
    Bonferroni at ~1e-3 overall) of the model's probability."""
    model = CharNGram([encode(rd.python_docs_text()[:30_000])], order=2, smoothing=0.05)
    rng = np.random.default_rng(0)
    starts = rng.integers(0, VOCABULARY, (400, 1))
    chains = model.sample(rng, chains=400, length=500, starts=starts)
    prev, nxt = chains[:, :-1].ravel(), chains[:, 1:].ravel()
    for h in range(VOCABULARY):
        m = prev == h
        if m.sum() < 500:
            continue
        freq = np.bincount(nxt[m], minlength=VOCABULARY) / m.sum()
        p = model.probabilities(np.array([h]))
        assert np.all(np.abs(freq - p) <= 4.5 * np.sqrt(p * (1 - p) / m.sum()) + 1e-12)


def test_ngram_error_floor():
    """Rule: paired z.  Half the text from the weaker bigram: the loss gap stays open from 30k
    to 300k characters, and at 300k the mix is worse than its real half alone."""
    mc = rd.simulate_ngram_mixing(sizes=[30_000, 300_000], p2=[0.5], repeats=3, seed=0)
    d = mc.draws
    gap = d["loss_mixed"][:, 0, :] - d["loss_clean"]
    se = gap.std(axis=0, ddof=1) / math.sqrt(gap.shape[0])
    assert np.all(gap.mean(axis=0) > 3 * se)
    closing = gap[:, 1] - gap[:, 0]  # > 0 or small: the gap does not close
    assert closing.mean() > -3 * closing.std(ddof=1) / math.sqrt(closing.size)
    better = d["loss_mixed"][:, 0, 1] - d["loss_real_only"][:, 0, 1]
    assert better.mean() > 3 * better.std(ddof=1) / math.sqrt(better.size)
    clean = d["loss_clean"][:, 0] - d["loss_clean"][:, 1]  # more real text helps
    assert clean.mean() > 3 * clean.std(ddof=1) / math.sqrt(clean.size)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("route", lambda p, w: rd.simulate_realdata_ridge(p, w, n=[10], p2=[0], ridge=[1],
                                                          route="bootstrap")),
        ("n", lambda p, w: rd.simulate_realdata_ridge(p, w, n=[5000], p2=[0], ridge=[1])),
        ("n", lambda p, w: rd.simulate_realdata_ridge(p, w, n=[10.5], p2=[0], ridge=[1])),
        ("p2", lambda p, w: rd.simulate_realdata_ridge(p, w, n=[10], p2=[1.5], ridge=[1])),
        ("ridge", lambda p, w: rd.simulate_realdata_ridge(p, w, n=[10], p2=[0], ridge=[0])),
        ("ridge", lambda p, w: rd.simulate_realdata_ridge(p, w, n=[10], p2=[0], ridge="x")),
        ("draws", lambda p, w: rd.simulate_realdata_ridge(p, w, n=[10], p2=[0], ridge=[1],
                                                          draws=1)),
        ("seed", lambda p, w: rd.simulate_realdata_ridge(p, w, n=[10], p2=[0], ridge=[1],
                                                         seed=-1)),
        ("noise_synth", lambda p, w: rd.simulate_realdata_ridge(p, w, n=[10], p2=[0],
                                                                ridge=[1], noise_synth="a")),
        ("w_synth", lambda p, w: rd.simulate_realdata_ridge(p, w[:3], n=[10], p2=[0],
                                                            ridge=[1])),
        ("w_synth", lambda p, w: rd.realdata_ridge_theory(p, w[:3], n=10, p2=0, ridge=1)),
        ("target", lambda p, w: rd.digits_population(target="even")),
        ("target", lambda p, w: rd.digits_population(target=12)),
        ("min_active", lambda p, w: rd.digits_population(min_active=1.0)),
        ("rows", lambda p, w: rd.ridge_generator(p, rows=0)),
        ("ridge", lambda p, w: rd.ridge_generator(p, ridge=-1)),
        ("widths", lambda p, w: rd.simulate_network_mixing(widths=[0])),
        ("p2", lambda p, w: rd.simulate_network_mixing(widths=[4], p2=[1.0])),
        ("n", lambda p, w: rd.simulate_network_mixing(widths=[4], n=1500)),
        ("repeats", lambda p, w: rd.simulate_network_mixing(widths=[4], repeats=1)),
        ("sizes", lambda p, w: rd.simulate_ngram_mixing(sizes=[10**7])),
        ("p2", lambda p, w: rd.simulate_ngram_mixing(sizes=[1000], p2=[1.0])),
        ("order", lambda p, w: rd.simulate_ngram_mixing(sizes=[1000], order=0)),
        ("smoothing", lambda p, w: rd.simulate_ngram_mixing(sizes=[1000], smoothing=0)),
        ("text", lambda p, w: rd.simulate_ngram_mixing(sizes=[100], text="too short")),
        ("smoothing", lambda p, w: CharNGram([encode("abc")], order=2, smoothing="x")),
        ("order", lambda p, w: CharNGram([encode("abc")], order=1.5, smoothing=1)),
    ],
)
def test_bad_input_names_the_parameter(pop, w2, name, call):
    with pytest.raises(ValueError, match=rf"^{name}:"):
        call(pop, w2)


# ------------------------------------------------------------------ reproduce figures


@pytest.mark.parametrize("name", sorted(fr.REALDATA_FIGURES))
def test_figures_tiny(name, tmp_path):
    ctx = Context(settings_for("tiny"), MonteCarloCache(None), seed=0)
    out = fr.REALDATA_FIGURES[name](ctx)
    assert out.name == name and out.figure.axes and out.caption
    tables = [n for n in out.notes if n.startswith("|")]
    assert len(tables) >= 3, out.notes  # header, rule, rows
    if name == "digits":  # the Gaussian route is the theory's model: every point agrees
        assert out.points and all(p.agree for p in out.points), \
            [p.as_row() for p in out.points if not p.agree]
    else:
        assert not out.points
    report = write_report(tmp_path, [out], settings_for("tiny"), seed=0, wall_time=0.0,
                          cache_note="")
    text = report.read_text()
    assert f"\n\n{tables[0]}\n{tables[1]}\n" in text  # a markdown table, set off by a blank line


def test_parse_realdata_figures():
    assert parse_figures("realdata") == ["digits", "digits_rf", "network", "ngram"]
    assert parse_figures("ngram, 3") == [3, "ngram"]
    # the run counts themselves are checked against the rendered figures
    # (tests/test_reproduce_figures.py)


def test_unavailable_figure_says_why():
    out = fr._unavailable("ngram", "t", "no corpus")
    assert isinstance(out, FigureOutput) and out.notes == ["Not run: no corpus."]
