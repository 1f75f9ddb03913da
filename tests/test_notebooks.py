"""The figure notebooks run end to end on the public API, quickly and cleanly (executed with
nbclient on the ``python3`` kernel): no error, no warning or other standard-error output, a figure
displayed inline, no file left behind, and — where a theory exists — every Monte Carlo point in
agreement by the extrapolated rule."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
#: One notebook per figure of ``modelcollapse reproduce``; the last two have no theory curve.
WITH_THEORY = ("fig1", "fig2", "fig3", "fig4", "fig5", "fig9", "fig10", "generations", "phase",
               "scaling", "relu_fig4", "relu_phase", "covariate", "digits",
               "digits_rf")
MEASUREMENTS = ("network", "ngram")
FIGURE_NOTEBOOKS = (*WITH_THEORY, *MEASUREMENTS)
#: Internals a notebook must not use: it shows the public API.
PRIVATE = ("verify.reproduce", "Context(", "MonteCarloCache", "._", "savefig")
#: Wall time of one notebook, kernel start included.
BUDGET = 30.0
#: The eleven slowest (5.5–13 s each on 2 cores) run with the long sweeps (``--run-slow``, which
#: CI runs after the default suite): the default suite stays well under its 15-minute budget and
#: still executes six notebooks (theory and Monte Carlo, a phase diagram, a measurement).
SLOW = ("digits_rf", "scaling", "network", "fig10", "digits", "fig3", "phase", "fig5", "fig4",
        "fig2", "fig9")


def _kernel_available() -> bool:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        return False
    return True


def test_one_notebook_per_figure():
    from modelcollapse.verify.reproduce.job import FIGURES

    names = {p.stem for p in NOTEBOOK_DIR.glob("*.ipynb")}
    figures = {f"fig{f}" if isinstance(f, int) else f for f in (*FIGURES, "phase")}
    assert figures <= set(FIGURE_NOTEBOOKS) <= names


@pytest.mark.parametrize("name", FIGURE_NOTEBOOKS)
def test_notebook_uses_the_public_api_and_is_stored_clean(name):
    nb = json.loads((NOTEBOOK_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for word in PRIVATE:
        assert word not in code, f"{name}: uses {word!r}"
    assert "plt.show()" in code
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, name


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow) if name in SLOW
                                  else name for name in FIGURE_NOTEBOOKS])
def test_notebook_executes(name, tmp_path):
    nbformat = pytest.importorskip("nbformat", reason="install the 'test' extra")
    from nbclient import NotebookClient

    if not _kernel_available():
        pytest.fail(
            "no Jupyter kernel named 'python3': run `python -m ipykernel install --sys-prefix` "
            "in this environment (the notebooks are part of the test suite and must run)"
        )
    before = sorted(p.name for p in NOTEBOOK_DIR.iterdir())
    nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    wall = time.perf_counter() - start
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    stderr = "".join(o.get("text", "") for o in outputs
                     if o.get("output_type") == "stream" and o.get("name") == "stderr")
    assert not stderr, f"{name}: standard error output (a warning?):\n{stderr}"
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 1, "one figure inline"
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    if name in WITH_THEORY:
        lines = [ln for ln in text.splitlines() if "Monte Carlo points agree" in ln]
        assert len(lines) == 1, text
        agree, total = (int(w) for w in lines[0].split()[:3:2])
        assert total >= 1 and agree == total, lines[0]
    else:
        assert "gap mixed − clean" in text
    assert list(tmp_path.iterdir()) == [], "the notebook wrote files"
    assert sorted(p.name for p in NOTEBOOK_DIR.iterdir()) == before
    assert wall < BUDGET, f"{name}: {wall:.1f} s"
