"""The reproduced figures explain themselves (tiny settings): legends, threshold gaps, colours,
every Monte Carlo run with its expected shapes, and the phase diagram's closed-form window
against the numerical signs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgba

from modelcollapse.numerics.phase import phase_diagram
from modelcollapse.verify import MonteCarloResult
from modelcollapse.verify.reproduce import Context, MonteCarloCache, settings_for
from modelcollapse.verify.reproduce._context import derived_seed
from modelcollapse.verify.reproduce._rp import RP_N, width_branches
from modelcollapse.verify.reproduce.figures_phase import (
    phase_figure,
    window_lower,
    window_threshold,
)
from modelcollapse.verify.reproduce.job import FIGURES, PREFETCH

ROOT = Path(__file__).resolve().parent.parent
#: Every figure of a run (the real-data ones need scikit-learn, a dependency).
ALL = [*FIGURES, "phase"]


class RecordingContext(Context):
    """A Context that records every run it starts (``submit``, which ``simulate`` calls; a run
    submitted again is not started again): label, ``expect``, the result and ``stage``."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.calls = []
        self.stage = "figure"

    def submit(self, label, params, run, expect=None):
        new = self.cache.key(params, derived_seed(self.seed, label)) not in self._started
        future = super().submit(label, params, run, expect)
        if new:
            self.calls.append((label, expect, future.result(), self.stage))
        return future


@pytest.fixture(scope="module")
def rendered():
    """Every figure once, tiny settings, no cache, its runs started first as the job does on a
    cluster (``PREFETCH``): ``{name: (output, calls)}``."""
    out = {}
    for f in ALL:
        ctx = RecordingContext(settings_for("tiny"), MonteCarloCache(None), seed=0)
        ctx.stage = "prefetch"
        PREFETCH[f](ctx)
        ctx.stage = "figure"
        result = phase_figure(ctx) if f == "phase" else FIGURES[f](ctx)
        out[result.name] = (result, ctx.calls)
    return out


def test_the_job_starts_every_run_before_its_figure(rendered):
    """What the figure starts itself was not started early: only runs whose parameters come
    from another run's result (the digits_rf replicated problem takes the realised p2)."""
    for name, (_, calls) in rendered.items():
        assert any(stage == "prefetch" for *_, stage in calls), name
        late = [label for label, *_, stage in calls if stage == "figure"]
        assert all(label.startswith("realdata rf replicated") for label in late), (name, late)


def test_the_progress_total_counts_every_monte_carlo_run(rendered):
    from modelcollapse.verify.reproduce.job import planned_runs

    for f in ALL:
        name = f"fig{f}" if isinstance(f, int) else f
        planned = planned_runs(settings_for("tiny"), [f])
        assert planned == len(rendered[name][1]), (name, planned, len(rendered[name][1]))


def _legend_texts(fig) -> str:
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return " | ".join(t.get_text() for leg in legends for t in leg.get_texts())


def test_every_monte_carlo_run_states_its_expected_shapes(rendered):
    for name, (_, calls) in rendered.items():
        assert calls, f"{name}: no Monte Carlo run"
        for label, expect, result, _ in calls:
            assert expect, f"{name}: {label} without expect="
            for q, shape in expect.items():
                assert result.draws[q].shape == tuple(shape), (name, label, q)


@pytest.mark.parametrize("name, words", [
    ("fig1", ("solid", "dashed: y = x", "Pareto frontier", "Monte Carlo", "m → ∞")),
    ("fig2", ("solid: theory", "dashed: theory at the Monte Carlo size", "threshold",
              "Monte Carlo")),
    ("fig3", ("solid", "dotted: plateau", "clean scaling law", "Monte Carlo")),
    ("fig4", ("solid: theory", "dashed", "threshold", "Monte Carlo", "p2 = 0.8")),
    ("fig5", ("solid: theory", "dashed", "threshold", "Monte Carlo", "c² = 1")),
    ("fig9", ("solid", "dashed: the paper's printed Corollary 2", "α*", "Monte Carlo")),
    ("fig10", ("solid: exact recursion", "dashed: Corollary 3", "dotted: Clean",
               "Monte Carlo")),
    ("generations", ("solid", "dashed: exact finite-size", "Monte Carlo")),
    ("phase", ("amplifies", "mitigates", "window edge", "threshold", "Monte Carlo")),
])
def test_legends_say_what_styles_and_markers_mean(rendered, name, words):
    text = _legend_texts(rendered[name][0].figure)
    for w in words:
        assert w in text, (name, w, text)


def test_z_distribution_of_all_tiny_points(rendered):
    """Seed 0, every figure: the |z| of an exact theory are half-normal (68 % below 1,
    0.27 % beyond 3); a wrong formula or an unremoved finite-size bias shifts them."""
    points = [p for out, _ in rendered.values() for p in out.points]
    z = np.abs([p.z for p in points])
    assert len(points) > 250
    assert np.mean(z < 1) > 0.6 and np.mean(z >= 3) <= 0.01
    assert all(p.agree for p in points if abs(p.z) < 3)


def test_monte_carlo_markers_are_drawn(rendered):
    for name in ("fig1", "fig2", "fig3", "fig4", "fig5", "fig9", "fig10", "generations"):
        fig = rendered[name][0].figure
        open_markers = [ln for ax in fig.axes for ln in ax.get_lines()
                        if ln.get_marker() == "o" and ln.get_markerfacecolor() == "white"
                        and len(ln.get_xdata())]
        assert open_markers, f"{name}: no Monte Carlo marker"


def test_no_curve_is_joined_across_the_threshold(rendered):
    for name in ("fig2", "fig4", "fig5"):
        ax = rendered[name][0].figure.axes[0]
        curves = [ln for ax_ in [ax] for ln in ax_.get_lines()
                  if ln.get_linestyle() in ("-", "--") and len(ln.get_xdata()) > 20]
        assert curves
        for ln in curves:
            x = np.asarray(ln.get_xdata(), dtype=float)
            assert np.all(x < RP_N) or np.all(x > RP_N), name
    below, above = width_branches(RP_N, 60)
    # log-spaced |ψ − 1| down to 1e-3 on both sides
    assert below.max() == pytest.approx(RP_N * (1 - 1e-3))
    assert above.min() == pytest.approx(RP_N * (1 + 1e-3))
    near = np.sort(1 - below / RP_N)[:5]
    assert np.allclose(np.diff(np.log(near)), np.log(near[1] / near[0]))


def test_figure1_has_diagonal_frontier_and_labels(rendered):
    fig = rendered["fig1"][0].figure
    for ax in fig.axes[:3]:
        diag = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2
                and np.allclose(ln.get_xdata(), ln.get_ydata())]
        assert diag, "no y = x diagonal"
        stars = [ln for ln in ax.get_lines() if ln.get_marker() == "*"]
        assert len(stars) == 4  # one frontier per quality level
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert len(labels) >= 4, labels


def test_figure3_shows_every_plateau(rendered):
    fig = rendered["fig3"][0].figure
    for ax, c2 in zip(fig.axes[:3], (1.0, 0.1, 0.01), strict=True):
        lo, hi = ax.get_ylim()
        for p2 in (0.001, 0.01, 0.1, 0.5, 1.0):
            assert lo < p2**2 * c2 < hi
        # the curves reach their plateaus: the p2 = 0.001 curve ends within 20 % of p2²c²
        curves = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 20
                  and ln.get_linestyle() == "-"]
        lowest = min(float(np.asarray(ln.get_ydata())[-1]) for ln in curves)
        assert lowest == pytest.approx(1e-6 * c2, rel=0.2)


def test_figure4_colours_are_distinct(rendered):
    ax = rendered["fig4"][0].figure.axes[0]
    colours = {to_rgba(ln.get_color()) for ln in ax.get_lines()
               if ln.get_linestyle() == "-" and len(ln.get_xdata()) > 20}
    assert len(colours) == 6
    rgb = np.array([c[:3] for c in colours])
    gaps = [np.abs(a - b).max() for i, a in enumerate(rgb) for b in rgb[i + 1:]]
    assert min(gaps) > 0.15


def test_report_headings_match_the_paper(rendered):
    titles = {name: out.title for name, (out, _) in rendered.items()}
    for k in (1, 2, 3, 4, 5, 9, 10):
        assert titles[f"fig{k}"].startswith(f"Figure {k} —"), titles[f"fig{k}"]
    assert titles["phase"].startswith("Not in the paper")
    assert titles["generations"].startswith("Not in the paper")


def test_mitigation_window_closed_form_against_numerical_signs():
    # the closed form of `modelcollapse derive rp-width-collapse` against centred differences
    # of Theorem 2 (numerics.phase) on an isotropic ridgeless problem
    phi, p2 = 0.7, 0.95
    lo = float(window_lower(phi, p2))
    assert lo == pytest.approx(1 - np.sqrt(0.25 / 1.9), rel=1e-12)
    assert float(window_threshold(phi)) == pytest.approx(0.7 / 0.82, rel=1e-12)
    d = 200
    psi = np.array([lo - 0.03, (lo + phi) / 2, phi + 0.1])
    ph = phase_diagram(np.ones(d), n=d / phi, psi=psi, p2=[p2, 0.5], c2=1.0, ridge=1e-8,
                       gamma=np.full(d, 1 / d), delta_unit=np.full(d, 1 / d))
    assert ph.sign[0, :2].tolist() == [1, -1]  # amplify below the window, mitigate inside
    assert ph.sign[1, :2].tolist() == [1, 1]  # p2 = 0.5 < 0.854: no window
    flat = np.abs(ph.derivative[:, 2]) * psi[2] / np.abs(ph.value[:, 2])
    assert np.all(flat < 1e-2)  # past m = d the width does not matter


def test_phase_monte_carlo_sees_the_window(rendered):
    (row,) = rendered["phase"][0].points
    assert row.series.startswith("φ=0.7, p2=0.95")
    assert row.theory < 0 and row.mc < -3 * row.se and row.agree


def test_forged_cache_entries_of_the_wrong_shape_are_recomputed(tmp_path):
    from modelcollapse.verify.reproduce.figures import figure2

    first = figure2(Context(settings_for("tiny"), MonteCarloCache(tmp_path), seed=0))
    cache = MonteCarloCache(tmp_path)
    entries = list(cache.entries())
    assert len(entries) == 2  # two sizes
    for path in entries:
        good = cache.load(path.stem)
        forged = MonteCarloResult.from_draws({k: v[:5] for k, v in good.draws.items()},
                                             good.seed, good.params)
        cache.store(path.stem, forged)  # a well-formed entry with too few draws
        assert cache.load(path.stem) is not None  # consistent on its own
    again = figure2(Context(settings_for("tiny"), cache, seed=0))
    assert cache.repaired == 2 and cache.hits == 0
    assert [p.as_row() for p in again.points] == [p.as_row() for p in first.points]


def test_gitignore_keeps_the_default_output_folder_out():
    lines = (ROOT / ".gitignore").read_text().splitlines()
    assert "modelcollapse-figures/" in lines  # anywhere in the tree (the default --out)
