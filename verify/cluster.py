"""Dask clusters for the Monte Carlo: a local one sized to the machine, or an existing scheduler.

:func:`connect` returns a :class:`distributed.Client` (and closes what it started when the block
ends); :func:`modelcollapse.verify.engine.use_client` makes every simulator in the block run its
draws there.  Local workers are processes on 127.0.0.1 with one thread each (BLAS single-threaded
in each: one worker per core beats threads fighting over the cores).

Examples
--------
>>> from modelcollapse.verify.cluster import connect, default_workers
>>> default_workers() >= 1
True
>>> with connect(workers=1) as client:       # in process: no cluster is started
...     client is None
True
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from typing import Any

__all__ = ["connect", "default_workers", "local_cluster", "overlapping_runs"]


def default_workers() -> int:
    """Worker processes of the embedded default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


_QUIET = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.gil.enabled": False,
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}


_WORKER_SETUP = "modelcollapse._worker_setup"  # imports nothing of the toolkit: quick to start


def local_cluster(workers: int):
    """A :class:`distributed.LocalCluster` of ``workers`` single-threaded processes on 127.0.0.1."""
    import dask
    from distributed import LocalCluster

    env = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    # Dask's default worker environment sets MALLOC_TRIM_THRESHOLD_, which switches off glibc's
    # adaptive mmap threshold: every array above 128 KiB is then mapped and faulted in afresh, and
    # the Monte Carlo ran 1.4–2× slower in a worker than in process (benchmarks/bench_distributed).
    # _QUIET switches off what only a dashboard reads (there is none): each worker's statistical
    # profiler took the GIL every 10 ms and, with the monitors, cost 12 % of a core per worker.
    # The scheduler's HTTP server takes any free port on 127.0.0.1: with the default (8787) a
    # second cluster, or a Dask dashboard already open, printed "Port 8787 is already in use".
    # Ctrl-C in a terminal reaches the workers too: they ignore it (_worker_setup), the process
    # that started them reports it and closes the cluster.
    preload = [*dask.config.get("distributed.worker.preload", []), _WORKER_SETUP]
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env,
                          "distributed.worker.preload": preload, **_QUIET}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                            host="127.0.0.1", dashboard_address="127.0.0.1:0",
                            silence_logs=logging.ERROR, env=env)


@contextmanager
def connect(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A client for the Monte Carlo, or None for the in-process loop.

    Parameters
    ----------
    workers : int, optional
        Local worker processes (default :func:`default_workers`); 1 means in process (no cluster).
    scheduler : str, optional
        Address of an existing Dask scheduler (e.g. ``tcp://10.0.0.5:8786``); ``workers`` is then
        ignored.
    """
    if scheduler is not None:
        if not isinstance(scheduler, str) or not scheduler.strip():
            raise ValueError("scheduler: expected an address such as 'tcp://host:8786'")
        from distributed import Client

        try:
            client = Client(scheduler, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ValueError(f"scheduler: cannot connect to {scheduler!r}: {exc}") from None
        try:
            yield client
        finally:
            client.close()
        return
    workers = default_workers() if workers is None else workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers: expected a whole number ≥ 1, got {workers!r}")
    if workers == 1:
        yield None
        return
    from distributed import Client
    from distributed.utils import silence_logging_cmgr

    cluster = local_cluster(workers)
    client = Client(cluster, set_as_default=False)
    interrupted = False
    try:
        yield client
    except BaseException:
        interrupted = True
        raise
    finally:
        # Interrupted with runs in flight, threads still waiting on results meet keys the
        # closing client has released, and the scheduler logs "Couldn't gather keys" as an
        # error.  The caller already reports the interruption and nothing is lost: Dask's log
        # handlers show nothing below CRITICAL while the cluster closes.
        with silence_logging_cmgr(logging.CRITICAL) if interrupted else nullcontext():
            client.close()
            cluster.close()


@contextmanager
def overlapping_runs(client: Any) -> Iterator[ThreadPoolExecutor | None]:
    """A thread pool that keeps Monte Carlo runs in flight on ``client`` (None in process).

    A run ends at a barrier: while it waits for its last draws, or while the caller computes
    the theory between runs, workers idle.  Submitting each run from a pool of two threads per
    worker keeps the next runs' draws queued behind the current ones (``reproduce --quick`` on
    2 workers: the Monte Carlo part went from 1.44× to 1.83× the in-process speed).  A thread
    only submits and waits; the draws run on the workers.  Each run's numbers depend on its
    seed only, never on what overlaps it.  If the block ends with an exception (Ctrl-C), runs
    not yet started are cancelled.  In process (``client`` None) the block gets None: runs go
    one after the other.

    Examples
    --------
    >>> from modelcollapse.verify.cluster import overlapping_runs
    >>> with overlapping_runs(None) as pool:
    ...     pool is None
    True
    """
    if client is None:
        yield None
        return
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    pool = ThreadPoolExecutor(max_workers=2 * workers, thread_name_prefix="modelcollapse-run")
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
