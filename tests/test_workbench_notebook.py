"""The workbench notebook runs end to end, quickly, without warnings or stray files.

It is executed like the figure notebooks (nbclient, ``python3`` kernel, a temporary working
directory); its own cells assert the derived numbers against the numeric solver and Monte Carlo.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "derivations_workbench.ipynb"


def test_derivations_notebook_executes(tmp_path):
    nbformat = pytest.importorskip("nbformat", reason="install the 'test' extra")
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    elapsed = time.perf_counter() - start
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    assert stderr == "", stderr  # no warnings
    stdout = "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")
    assert stdout.count("Monte Carlo agrees") == 3
    assert any("image/png" in o.get("data", {}) for o in outputs)
    assert any("text/latex" in o.get("data", {}) for o in outputs)  # results render as LaTeX
    assert list(tmp_path.iterdir()) == []  # no stray files
    assert elapsed < 120, f"the notebook took {elapsed:.0f} s"
