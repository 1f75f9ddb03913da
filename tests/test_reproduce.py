"""``modelcollapse reproduce``: cache, phase diagram, CLI (tiny settings).

The agreement rule is tested in ``test_reproduce_agreement.py``, the figures in
``test_reproduce_figures.py``.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from modelcollapse.numerics.phase import phase_diagram
from modelcollapse.numerics.random_projection import rp_risk
from modelcollapse.verify import MonteCarloResult
from modelcollapse.verify.cli import main
from modelcollapse.verify.reproduce import MonteCarloCache, settings_for
from modelcollapse.verify.reproduce.job import parse_figures


def _result(seed=3, value=1.0):
    draws = {"test_error": np.full((4, 2), value) + np.arange(4)[:, None]}
    return MonteCarloResult.from_draws(draws, seed, {"d": 5})


# ------------------------------------------------------------------ cache


def test_cache_roundtrip_and_keys(tmp_path):
    cache = MonteCarloCache(tmp_path, version="v1")
    calls = []

    def make():
        calls.append(1)
        return _result()

    first = cache.get_or_compute({"d": 5, "x": np.arange(40.0)}, 3, make)
    again = cache.get_or_compute({"d": 5, "x": np.arange(40.0)}, 3, make)
    assert len(calls) == 1 and cache.hits == 1
    np.testing.assert_array_equal(first.draws["test_error"], again.draws["test_error"])
    np.testing.assert_array_equal(first.mean["test_error"], again.mean["test_error"])
    k = cache.key({"d": 5}, 3)
    assert k != cache.key({"d": 5}, 4)
    assert k != cache.key({"d": 6}, 3)
    assert k != MonteCarloCache(tmp_path, version="v2").key({"d": 5}, 3)
    assert cache.key({"a": 1, "b": 2}, 0) == cache.key({"b": 2, "a": 1}, 0)
    assert not list(tmp_path.glob(".tmp-*"))  # atomic write left no temporary file


def test_cache_detects_corruption_and_tampering(tmp_path):
    cache = MonteCarloCache(tmp_path, version="v1")
    cache.get_or_compute({"d": 5}, 3, _result)
    (entry,) = cache.entries()
    entry.write_bytes(b"not a zip file")  # truncated / corrupted
    fresh = cache.get_or_compute({"d": 5}, 3, lambda: _result(value=2.0))
    assert cache.repaired == 1 and fresh.mean["test_error"][0] == 3.5
    # tampered draws with the old checksum: rewrite the archive with different numbers
    with np.load(entry) as data:
        meta = str(data["__meta__"])
        arr = np.array(data["draw__test_error"])
    np.savez(entry, __meta__=np.array(meta), draw__test_error=arr + 1.0)
    assert zipfile.is_zipfile(entry)
    assert cache.load(cache.key({"d": 5}, 3)) is None
    assert cache.repaired == 2


def test_cache_disabled(tmp_path):
    cache = MonteCarloCache(None)
    calls = []
    cache.get_or_compute({"d": 1}, 0, lambda: calls.append(1) or _result())
    cache.get_or_compute({"d": 1}, 0, lambda: calls.append(1) or _result())
    assert len(calls) == 2 and not cache.enabled


# ------------------------------------------------------------------ phase diagram


def test_phase_sign_matches_direct_differences():
    d, n = 120, 100
    s = 1.0 / np.arange(1, d + 1)
    s /= s.sum()
    gamma, dl1 = np.full(d, 1 / d), 1 / (d * s)
    psi = np.array([0.2, 0.5, 0.8, 1.3, 2.0])
    ph = phase_diagram(s, n=n, psi=psi, p2=[0.2, 0.6], c2=0.5, ridge=1e-8, gamma=gamma,
                       delta_unit=dl1, noise_real=0.1, noise_synth=0.1)
    assert ph.reliable.all()
    for i, p2 in enumerate([0.2, 0.6]):
        lo = rp_risk(s, n=n, m=n * psi * 0.99, p2=p2, ridge=1e-8, noise_real=0.1,
                     noise_synth=0.1, gamma=gamma, delta=0.5 * dl1).zeta
        hi = rp_risk(s, n=n, m=n * psi * 1.01, p2=p2, ridge=1e-8, noise_real=0.1,
                     noise_synth=0.1, gamma=gamma, delta=0.5 * dl1).zeta
        assert ph.sign[i].tolist() == np.sign(hi - lo).astype(int).tolist()
        # centred difference (h = 1e-3 in log ψ) vs a ±1 % secant: the secant's truncation
        # error is about (0.01 ψ)² |f'''/f'|/6 ≤ 1e-3 here (worst at ψ = 0.8, f ∝ 1/(1 − ψ))
        np.testing.assert_allclose(ph.derivative[i], (hi - lo) / (0.02 * psi), rtol=2e-3)


def test_phase_zeta_sign_independent_of_c2():
    d = 80
    args = dict(n=60, psi=[0.3, 1.7], p2=0.4, ridge=1e-8, gamma=np.full(d, 1 / d),
                delta_unit=np.full(d, 1 / d))
    ph = phase_diagram(np.ones(d), c2=[0.01, 1.0], **args)
    assert (ph.sign[0] == ph.sign[1]).all()
    np.testing.assert_allclose(ph.derivative[1], 100 * ph.derivative[0], rtol=1e-9)


@pytest.mark.parametrize(
    "kw, name",
    [(dict(psi=[-1.0]), "psi"), (dict(rel_step=0.5), "rel_step"), (dict(quantity="x"), "quantity"),
     (dict(c2=[0.1, 0.2]), "p2")],
)
def test_phase_bad_input(kw, name):
    d = 10
    args = dict(n=20, psi=[0.5], p2=[0.5], c2=0.1, ridge=1e-8, gamma=np.full(d, 0.1),
                delta_unit=np.full(d, 0.1))
    args.update(kw)
    with pytest.raises(ValueError, match=rf"^{name}:"):
        phase_diagram(np.ones(d), **args)


# ------------------------------------------------------------------ CLI and job


def test_parse_figures():
    assert parse_figures("3,1, phase") == [1, 3, "phase"]
    with pytest.raises(ValueError, match="^figures:"):
        parse_figures("7")
    with pytest.raises(ValueError, match="^mode:"):
        settings_for("huge")


def test_cli_bad_figures_exit_2(tmp_path, capsys):
    assert main(["reproduce", "--figures", "7", "--out", str(tmp_path)]) == 2
    assert "figures:" in capsys.readouterr().err


def test_cli_tiny_run_writes_everything(tmp_path, capsys):
    """Files, report, table and the exit status (1 exactly when a point disagrees).

    The verdicts themselves are statistics: with 10 draws per point, seed 1 has one Figure 3
    run (c² = 1, p2 = 0, n = 200, d = 100) whose mean variance is 3.9 standard errors above
    the exact σ²d/(n − d − 1) — a fluctuation (400 draws of the same problem: 1.0105 ± 0.0010
    against 1.0101), which the extrapolated rule reports as 2 points that disagree.  This test
    checks that they are reported, not that a fixed seed has no such fluctuation.
    """
    out = tmp_path / "figs"
    argv = ["reproduce", "--mode", "tiny", "--figures", "2,3,phase", "--out", str(out),
            "--seed", "1", "--no-progress"]
    code = main(argv)
    for name in ("fig2", "fig3", "phase"):
        for ext in ("png", "pdf"):
            assert (out / f"{name}.{ext}").stat().st_size > 1000
    report = (out / "report.md").read_text()
    table = json.loads((out / "agreement.json").read_text())
    m = len(table["points"])
    bad = [p for p in table["points"] if not p["agree"]]
    assert code == (1 if bad else 0)
    summary = f"{m - len(bad)} of {m} points agree"
    assert m > 20 and table["summary"] == summary
    assert summary in report and "![fig2](fig2.png)" in report
    err = capsys.readouterr().err
    for p in bad:
        assert f"disagrees: {p['figure']} {p['series']} {p['quantity']}" in err
        assert f"**{p['figure']}, {p['series']}, {p['quantity']}" in report
    assert len(bad) <= 0.03 * m  # the chance fluctuation above, not a systematic gap
    header = (out / "agreement.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["figure", "series", "quantity"]
    assert {"sizes", "intercept", "intercept_se", "z", "agree"} <= set(header)
    assert "## Distribution of z per figure" in report and "| fig3 |" in report
    # every point: two sizes (d, d/2) or one size with its exact finite-size value
    for row in table["points"]:
        assert (len(row["sizes"]) == 2 and row["sizes"][1] == row["sizes"][0] // 2
                or row["method"] == "exact"), row
        assert min(row["draws"]) >= 10
    # second run: every Monte Carlo point from the cache, identical table
    assert main(argv) == code
    assert "0 computed" in (out / "report.md").read_text()
    assert json.loads((out / "agreement.json").read_text())["points"] == table["points"]
    assert Path(out / ".mc-cache").is_dir()
