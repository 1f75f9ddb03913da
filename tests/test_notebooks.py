"""The figure notebooks run end to end (executed with nbclient on the ``python3`` kernel)."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("fig*.ipynb"))


def _kernel_available() -> bool:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        return False
    return True


def test_five_figure_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == [f"fig{k}.ipynb" for k in range(1, 6)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path, tmp_path):
    nbformat = pytest.importorskip("nbformat", reason="install the 'test' extra")
    from nbclient import NotebookClient

    if not _kernel_available():
        pytest.fail(
            "no Jupyter kernel named 'python3': run `python -m ipykernel install --sys-prefix` "
            "in this environment (the notebooks are part of the test suite and must run)"
        )
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure displayed"
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "Monte Carlo points agree" in text
