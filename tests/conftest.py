"""Shared pytest configuration: the ``slow`` marker and Hypothesis profiles.

``pytest`` runs the CI-sized suite.  ``pytest --run-slow`` adds the long statistical sweeps;
``MODELCOLLAPSE_SLOW_BUDGET`` (examples per property) bounds them.
"""

from __future__ import annotations

import os

# One BLAS thread per process: the Monte Carlo SVDs are small, and oversubscribed threads on a
# busy 2-core machine made them ~50× slower.  Set before NumPy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=8,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "slow",
    derandomize=True,
    deadline=None,
    max_examples=int(os.environ.get("MODELCOLLAPSE_SLOW_BUDGET", "60")),
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help="run the long statistical sweeps")


def pytest_configure(config):
    settings.load_profile("slow" if config.getoption("--run-slow") else "ci")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="long sweep: use --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _restore_mpmath_precision():
    """A test that sets ``mpmath.mp.dps`` must not change the precision of the tests after it."""
    import mpmath

    prec = mpmath.mp.prec
    yield
    mpmath.mp.prec = prec
