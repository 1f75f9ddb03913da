"""The derivation notebook runs top to bottom (its own cells assert the numbers)."""

from __future__ import annotations

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_deriving_a_corollary_notebook_executes():
    nbformat = pytest.importorskip("nbformat", reason="install the 'test' extra")
    nbclient = pytest.importorskip("nbclient", reason="install the 'test' extra")
    nb = nbformat.read(ROOT / "notebooks" / "deriving_a_corollary.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    outputs = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )
    assert "Monte Carlo" in outputs and "plateau" in outputs
