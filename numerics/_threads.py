"""BLAS threads chosen by the library, not the user's shell.

OpenBLAS starts one thread per core by default; beside other work on a small machine those
threads oversubscribe the cores and a 150 × 150 Cholesky inverse took 0.36 s instead of a few
milliseconds (the dense multi-source solver ran 86× slower on a busy 2-core machine).  Every
BLAS-heavy path of the toolkit runs inside :func:`thread_limit`: ``MODELCOLLAPSE_BLAS_THREADS``
threads, 1 by default (one per process; parallel work is spread over processes instead).

Examples
--------
>>> from modelcollapse.numerics._threads import blas_threads, thread_limit
>>> with thread_limit():
...     blas_threads()
1
"""

from __future__ import annotations

import os
from contextlib import nullcontext

__all__ = ["blas_threads", "thread_limit"]

_CONTROLLER: list = []


def blas_threads() -> int:
    """BLAS threads per process: ``MODELCOLLAPSE_BLAS_THREADS`` or 1."""
    raw = os.environ.get("MODELCOLLAPSE_BLAS_THREADS", "1")
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"MODELCOLLAPSE_BLAS_THREADS: expected a whole number, got {raw!r}"
                         ) from None
    if value < 1:
        raise ValueError(f"MODELCOLLAPSE_BLAS_THREADS: must be ≥ 1, got {value}")
    return value


def thread_limit():
    """A context in which BLAS uses :func:`blas_threads` threads (the libraries are inspected
    once per process; entering the context is then cheap)."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return nullcontext()
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=blas_threads(), user_api="blas")
