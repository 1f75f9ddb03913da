"""One Monte Carlo engine around a per-model ``sample_once``, in process or on a Dask cluster.

Every simulator of :mod:`modelcollapse.verify` validates its inputs, builds a function
``sample_once(rng) -> {quantity: array over the grid}`` that simulates one independent draw of the
exact finite model, and hands it to :func:`run_monte_carlo`, which owns what all simulators share:

* **seeding**: draw ``i`` uses its own generator,
  ``default_rng(SeedSequence(seed).spawn(draws)[i])`` — a draw's numbers depend on ``(seed, i)``
  only, never on how draws are scheduled, so a result is bit-identical whatever the number of
  workers or the cluster (on machines with the same BLAS);
* **threads**: BLAS runs one thread per process while drawing (oversubscribed BLAS threads made a
  loaded 2-core machine 20× slower); ``MODELCOLLAPSE_BLAS_THREADS`` overrides it;
* **parallel and distributed draws**: with a :class:`distributed.Client` (``client=``, or the
  default set by :func:`use_client`), blocks of draws become Dask tasks on its workers; a worker
  that dies has its tasks recomputed elsewhere, and the draws are reduced in their fixed order;
* **progress**: one bar when standard error is a terminal (``progress=None``), never in pipes —
  aggregated over the workers' tasks;
* **summary**: means and standard errors in a :class:`MonteCarloResult` that carries the model
  name and the grid's coordinates, for a join with the theory's ``Risk.to_frame()``.

Examples
--------
>>> import numpy as np
>>> from modelcollapse.verify.engine import run_monte_carlo
>>> res = run_monte_carlo(lambda rng: {"test_error": rng.standard_normal(2)}, draws=4, seed=1,
...                       coords={"ridge": np.array([0.1, 1.0])})
>>> res.draws["test_error"].shape, res.coords["ridge"].tolist()
((4, 2), [0.1, 1.0])
"""

from __future__ import annotations

import contextvars
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

with warnings.catch_warnings():  # in Jupyter without ipywidgets: the text bar, silently
    warnings.filterwarnings("ignore", message="IProgress not found")
    from tqdm.auto import tqdm

from modelcollapse.numerics._threads import blas_threads, thread_limit

from ._result import MonteCarloResult

__all__ = ["run_monte_carlo", "draw_generator", "draw_generators", "blas_threads",
           "show_progress", "use_client", "current_client"]

SampleOnce = Callable[[np.random.Generator], Mapping[str, Any]]

_CLIENT: contextvars.ContextVar[Any] = contextvars.ContextVar("modelcollapse_client",
                                                              default=None)


def draw_generator(seed: int, index: int) -> np.random.Generator:
    """The generator of draw ``index``: ``SeedSequence(seed).spawn(…)[index]``, made directly."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(index),)))


def draw_generators(seed: int, draws: int) -> list[np.random.Generator]:
    """The independent generators of draws ``0 … draws − 1`` (``SeedSequence.spawn``)."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(draws)]


def show_progress(progress: bool | None) -> bool:
    """``progress`` if given; by default, a bar only when standard error is a terminal."""
    if progress is not None:
        return bool(progress)
    stream = sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


@contextmanager
def use_client(client: Any) -> Iterator[Any]:
    """Within the block, every simulator without an explicit ``client=`` runs on ``client``.

    ``None`` means in process.  (:mod:`modelcollapse.verify.cluster` starts local clusters and
    connects to existing schedulers.)
    """
    token = _CLIENT.set(client)
    try:
        yield client
    finally:
        _CLIENT.reset(token)


def current_client() -> Any:
    """The client set by :func:`use_client`, or None."""
    return _CLIENT.get()


def _draws(sample_once: SampleOnce, seed: int, indices: list[int]) -> list[dict]:
    return [{k: np.asarray(v, dtype=float) for k, v in sample_once(draw_generator(seed, i)).items()}
            for i in indices]


def _draw_block(sample_once: SampleOnce, seed: int, indices: list[int]) -> list[dict]:
    """Draws ``indices`` of a run, BLAS threads limited (a Dask task)."""
    with thread_limit():
        return _draws(sample_once, seed, indices)


def run_monte_carlo(
    sample_once: SampleOnce,
    *,
    draws: int,
    seed: int,
    params: Mapping[str, Any] | None = None,
    model: str = "",
    coords: Mapping[str, Any] | None = None,
    progress: bool | None = None,
    desc: str = "Monte Carlo",
    client: Any = None,
) -> MonteCarloResult:
    """Run ``draws`` independent draws of ``sample_once`` and summarise them.

    Parameters
    ----------
    sample_once : callable
        ``sample_once(rng) -> {quantity: array}``; every call returns arrays of the same shape.
        With a cluster it is shipped to the workers (cloudpickle): a closure over arrays is fine.
    draws : int
        Number of independent draws (≥ 1).
    seed : int
        Seed of the draws' :class:`numpy.random.SeedSequence`.
    params, model, coords
        Recorded in the result (see :class:`MonteCarloResult`).
    progress : bool or None
        Show a progress bar (default: only when standard error is a terminal).
    desc : str
        Label of the progress bar.
    client : distributed.Client, optional
        Run the draws on this Dask cluster (default: :func:`current_client`, else in process).
    """
    client = client if client is not None else current_client()
    bar = tqdm(total=draws, disable=not show_progress(progress), desc=desc, leave=False)
    try:
        if client is None:
            rows = []
            with thread_limit():
                for i in range(draws):
                    rows += _draws(sample_once, seed, [i])
                    bar.update(1)
        else:
            rows = _run_on_cluster(client, sample_once, draws, seed, bar)
    finally:
        bar.close()
    stacked = {k: np.stack([r[k] for r in rows]) for k in rows[0]}
    return MonteCarloResult.from_draws(stacked, seed, params, model=model, coords=coords)


def _run_on_cluster(client: Any, sample_once: SampleOnce, draws: int, seed: int, bar) -> list:
    """Blocks of draws as tasks; results collected in draw order (whatever order they finish in,
    and wherever they ran: a task lost with its worker is recomputed by Dask)."""
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    per_block = max(1, -(-draws // (2 * workers)))  # two blocks per worker: little overhead
    blocks = [list(range(lo, min(draws, lo + per_block))) for lo in range(0, draws, per_block)]
    # the function travels inside every task (not scattered): a task lost with its worker can be
    # recomputed anywhere, as scattered data could not
    futures = [client.submit(_draw_block, sample_once, seed, b, pure=False) for b in blocks]
    rows: list = []
    try:
        for fut, block in zip(futures, blocks, strict=True):  # in draw order
            rows += fut.result()
            bar.update(len(block))
    except BaseException:
        client.cancel(futures)
        raise
    return rows
