"""The code base is ruff clean and respects the dependency direction theory ← numerics ← verify."""

from __future__ import annotations

import ast
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_ruff_clean():
    ruff = shutil.which("ruff") or str(pathlib.Path(sys.executable).with_name("ruff"))
    if not pathlib.Path(ruff).exists():
        pytest.fail("ruff is not installed (it is in the 'test' extra)")
    proc = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


FORBIDDEN = {"theory": ("numerics", "verify"), "numerics": ("verify",), "verify": ()}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_upward_imports(layer):
    for path in (ROOT / layer).rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] if node.level == 0 else []
                if node.level >= 2:
                    names = [f"modelcollapse.{node.module}"]
            for name in names:
                for bad in FORBIDDEN[layer]:
                    assert not name.startswith(f"modelcollapse.{bad}"), f"{path}: imports {name}"


def test_a_relative_approx_swallowed_by_the_default_abs_is_refused():
    # the suite's pytest.approx (tests/conftest.py) refuses rel-only checks of tiny values
    with pytest.raises(AssertionError, match="default abs=1e-12 dominates"):
        pytest.approx(1.39e-150, rel=1e-10)
    with pytest.raises(AssertionError, match="abs="):
        pytest.approx([0.5, 1e-20])
    assert 6.93e-151 != pytest.approx(1.39e-150, rel=1e-10, abs=0.0)
    assert 0.5 + 1e-13 == pytest.approx(0.5, rel=1e-12)
    assert 1e-13 == pytest.approx(0.0)  # zero expected: an absolute check by nature
