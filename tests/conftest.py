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

import numpy as np  # noqa: E402
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


_APPROX = pytest.approx


def _strict_approx(expected, rel=None, abs=None, nan_ok=False):  # noqa: A002 (pytest's names)
    """``pytest.approx`` that refuses a relative check its default ``abs=1e-12`` would swallow.

    Without ``abs=``, pytest accepts ``|actual − expected| ≤ max(rel·|expected|, 1e-12)``: a check
    of a value of size 1e-150 passes whatever the value is.  Where the default absolute tolerance
    exceeds ``rel·|expected|`` by more than 10× for a nonzero expected value, the test must say
    which tolerance it means (``abs=0.0`` for a purely relative check).
    """
    if abs is None:
        values = list(expected.values()) if isinstance(expected, dict) else expected
        try:
            mags = np.abs(np.asarray(values, dtype=float)).ravel()
        except (TypeError, ValueError):
            mags = np.empty(0)
        mags = mags[np.isfinite(mags) & (mags > 0)]
        r = 1e-6 if rel is None else rel
        if mags.size and r * mags.min() < 1e-13:
            raise AssertionError(
                f"pytest.approx(expected of size {mags.min():.3g}, rel={r:g}) without abs=: the "
                "default abs=1e-12 dominates; state abs= (abs=0.0 for a relative check)")
    return _APPROX(expected, rel=rel, abs=abs, nan_ok=nan_ok)


pytest.approx = _strict_approx


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
