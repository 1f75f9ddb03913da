"""``modelcollapse derive``: formats, plugins (same process, --plugin, environment, entry
points), and LaTeX that renders."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import uuid

import pytest
import sympy as sp

from modelcollapse.theory import catalog
from modelcollapse.theory.symbols import c, lam, p2
from modelcollapse.theory.workbench import parse
from modelcollapse.verify.cli import main


@pytest.fixture
def fresh_name():
    name = f"test-entry-{uuid.uuid4().hex[:8]}"
    yield name
    catalog._CATALOG.pop(name, None)  # keep the process-wide catalog clean


def test_registered_entry_is_visible_to_the_cli_in_process(fresh_name, capsys):
    @catalog.register(fresh_name, "a test result", "none", regime="0<p2<1")
    def _compute():
        return {"c2_crit": sp.sqrt((1 - p2) ** 2) * c**2, "lambda_to_0_phi_lt_1": p2 - 1}

    assert main(["derive", "--list"]) == 0
    assert fresh_name in capsys.readouterr().out
    assert main(["derive", fresh_name, "--format", "latex"]) == 0
    out = capsys.readouterr().out.replace(r" \cdot", "")  # SymPy < 1.13 writes a \cdot
    assert r"c^2_{\mathrm{crit}} = c^{2} \left(1 - p_{2}\right)" in out
    assert r"\lim_{\lambda\to0^+,\ \phi<1} = p_{2} - 1" in out
    assert main(["derive", fresh_name, "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert "c2_crit = c**2*(1 - p2)" in out and "LaTeX" not in out


def test_an_entry_returning_a_string_is_parsed_not_evaluated(fresh_name, tmp_path):
    marker = tmp_path / "pwned"

    @catalog.register(fresh_name, "returns strings", "none")
    def _compute():
        return {"ok": "p2**2 * c", "bad": f"__import__('os').system('touch {marker}')"}

    with pytest.raises(ValueError, match="not allowed"):
        catalog.derive(fresh_name)
    assert not marker.exists()


def test_json_format(capsys):
    assert main(["derive", "strong-collapse", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "strong-collapse"
    entry = data["expressions"]["zeta_limit_fixed_ridge"]
    assert entry["text"] == "c**2*p2**2/(lambda + 1)**2"
    assert entry["latex"] == r"\frac{c^{2} p_{2}^{2}}{\left(\lambda + 1\right)^{2}}"
    # the text form reads back through the safe parser
    assert parse(entry["text"]) == c**2 * p2**2 / (1 + lam) ** 2


def test_repr_latex_for_jupyter():
    res = catalog.derive("strong-collapse")
    latex = res._repr_latex_()
    assert latex.startswith(r"$\displaystyle \begin{aligned}") and latex.endswith("$")
    assert r"\lim_{\phi\to0^+}\zeta" in latex and r"\\" in latex


def _write_plugin(tmp_path, module, entry):
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(f"""
        from modelcollapse.theory.catalog import register
        from modelcollapse.theory.symbols import p2

        @register({entry!r}, "from a plugin", "none")
        def _compute():
            return {{"value": 2 * p2}}
    """))


def test_plugin_module_on_the_command_line(tmp_path, monkeypatch, capsys):
    module, entry = f"plugin_{uuid.uuid4().hex[:8]}", f"plugin-entry-{uuid.uuid4().hex[:6]}"
    _write_plugin(tmp_path, module, entry)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert main(["derive", "--plugin", module, entry, "--format", "text"]) == 0
        assert "value = 2*p2" in capsys.readouterr().out
    finally:
        catalog._CATALOG.pop(entry, None)
    assert main(["derive", "--plugin", "no_such_module_xyz", "--list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no_such_module_xyz" in err


def test_plugins_in_a_new_process_environment_and_entry_point(tmp_path):
    """A fresh interpreter sees entries from $MODELCOLLAPSE_CATALOG_PLUGINS and from an installed
    distribution's ``modelcollapse.catalog`` entry point."""
    env_mod, env_entry = "envplugin_mod", "env-plugin-entry"
    ep_mod, ep_entry = "epplugin_mod", "ep-plugin-entry"
    _write_plugin(tmp_path, env_mod, env_entry)
    _write_plugin(tmp_path, ep_mod, ep_entry)
    dist = tmp_path / "epplugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: epplugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[modelcollapse.catalog]\nmine = {ep_mod}\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path) + os.pathsep + os.environ.get(
        "PYTHONPATH", ""), MODELCOLLAPSE_CATALOG_PLUGINS=env_mod)
    proc = subprocess.run([sys.executable, "-m", "modelcollapse.verify.cli", "derive", "--list"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert env_entry in proc.stdout and ep_entry in proc.stdout
    assert proc.stderr == ""


def test_bad_format_is_a_usage_error(capsys):
    assert main(["derive", "corollary1", "--format", "pdf"]) == 2
    assert "--format" in capsys.readouterr().err


def _mathtext_ok(latex: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import mathtext

    mathtext.math_to_image(f"${latex}$", io.BytesIO(), dpi=40, format="png")


def _render_lines(res):
    from modelcollapse.theory.workbench import to_latex

    for key, value in res.expressions.items():
        pieces = value.args if isinstance(value, sp.Piecewise) else [(value, None)]
        for expr, cond in pieces:
            rhs = to_latex(expr) + ("" if cond is None else rf"\ \text{{if}}\ {to_latex(cond)}")
            yield f"{res.label(key)} = {rhs}"


@pytest.mark.parametrize("name", ["rp-width-collapse", "rp-theta-ridgeless",
                                  "free-synthetic-rows", "corollary4", "optimal-ridge-plateau"])
def test_latex_renders(name):
    for line in _render_lines(catalog.derive(name)):
        _mathtext_ok(line)


@pytest.mark.slow
def test_latex_of_every_entry_renders():
    for name in catalog.names():
        for line in _render_lines(catalog.derive(name)):
            _mathtext_ok(line)
