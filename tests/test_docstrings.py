"""Every docstring example in the package runs and prints what it says (doctest)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import modelcollapse.numerics
import modelcollapse.theory
import modelcollapse.verify


def _modules():
    for pkg in (modelcollapse.theory, modelcollapse.numerics, modelcollapse.verify):
        yield pkg.__name__
        for info in pkgutil.walk_packages(pkg.__path__, prefix=pkg.__name__ + "."):
            yield info.name


MODULES = sorted(set(_modules()))


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"


@pytest.mark.parametrize("name", MODULES)
def test_public_api_is_declared(name):
    module = importlib.import_module(name)
    if name.rsplit(".", 1)[-1].startswith("_"):
        return
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    for attr in module.__all__:
        assert hasattr(module, attr), f"{name}.__all__ lists missing {attr}"
