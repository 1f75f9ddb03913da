"""Figures 9, 10 and the generations figure: built, and every Monte Carlo point agrees."""

from __future__ import annotations

import pytest

from modelcollapse.verify.reproduce import figures_mixing as fm
from modelcollapse.verify.reproduce._cache import MonteCarloCache
from modelcollapse.verify.reproduce._context import Context
from modelcollapse.verify.reproduce._settings import settings_for


@pytest.mark.parametrize("name", ["fig9", "fig10", "generations"])
def test_mixing_figures_tiny(name):
    ctx = Context(settings_for("tiny"), MonteCarloCache(None), seed=0)
    fn = {"fig9": fm.figure9, "fig10": fm.figure10, "generations": fm.generations_figure}[name]
    out = fn(ctx)
    assert out.name == name and out.figure.axes and out.caption
    assert out.points, "no Monte Carlo points"
    bad = [p.as_row() for p in out.points if not p.agree]
    assert not bad, bad
    assert fm.planned_mixing_runs(ctx.settings, [9, 10, "generations"]) > 0
