"""The whole reproduce job: run the figures, save PNG/PDF, write the report and the table."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

with warnings.catch_warnings():  # in Jupyter without ipywidgets: the text bar, silently
    warnings.filterwarnings("ignore", message="IProgress not found")
    from tqdm.auto import tqdm

from ._agreement import AgreementPoint
from ._cache import MonteCarloCache
from ._context import Context, FigureOutput
from ._settings import settings_for
from .figures import FIGURES as _PAPER_FIGURES
from .figures import PREFETCH as _PAPER_PREFETCH
from .figures import planned_runs as _planned_paper_runs
from .figures_covariate import COVARIATE_FIGURES, COVARIATE_PREFETCH, planned_covariate_runs
from .figures_features import FEATURE_FIGURES, FEATURE_PREFETCH, planned_feature_runs
from .figures_mixing import MIXING_FIGURES, MIXING_PREFETCH, planned_mixing_runs
from .figures_phase import PHASE_PREFETCH, phase_figure, planned_phase_runs
from .figures_realdata import REALDATA_FIGURES, REALDATA_PREFETCH, planned_realdata_runs
from .figures_realdata_rf import (
    REALDATA_RF_FIGURES,
    REALDATA_RF_PREFETCH,
    planned_realdata_rf_runs,
)
from .figures_scaling import SCALING_FIGURES, SCALING_PREFETCH, planned_scaling_runs
from .report import summary_line, write_report, write_table

#: Every figure of a run: the paper's 1–5, the mixing figures 9 and 10, "generations", the scaling
#: law with synthetic data "scaling", the ReLU random-features figures "relu_fig4" and
#: "relu_phase", covariate shift with a generator that loses the tail "covariate", and the
#: real-data figures "digits", "digits_rf", "network" and "ngram".
FIGURES = {**_PAPER_FIGURES, **MIXING_FIGURES, **SCALING_FIGURES, **FEATURE_FIGURES,
           **COVARIATE_FIGURES, **REALDATA_FIGURES, **REALDATA_RF_FIGURES}

#: Figure → the function that starts its Monte Carlo runs without drawing anything.  On a
#: cluster the job calls them all first, in figure order: the workers then go from one figure's
#: runs to the next while the figures are computed and drawn, and each figure finds its runs
#: under way (:meth:`Context.submit` runs a label once).
PREFETCH = {**_PAPER_PREFETCH, **MIXING_PREFETCH, **SCALING_PREFETCH, **FEATURE_PREFETCH,
            **COVARIATE_PREFETCH, **REALDATA_PREFETCH, **REALDATA_RF_PREFETCH, **PHASE_PREFETCH}

#: Names that stand for several figures.
GROUPS = {"realdata": (*REALDATA_FIGURES, *REALDATA_RF_FIGURES), "features": (*FEATURE_FIGURES,)}


def planned_runs(settings, figures) -> int:
    """Monte Carlo runs of the chosen figures (progress-bar total)."""
    paper = [f for f in figures if f in _PAPER_FIGURES]
    return (_planned_paper_runs(settings, paper) + planned_mixing_runs(settings, figures)
            + planned_realdata_runs(settings, figures)
            + planned_realdata_rf_runs(settings, figures)
            + planned_scaling_runs(settings, figures) + planned_feature_runs(settings, figures)
            + planned_covariate_runs(settings, figures)
            + (planned_phase_runs(settings) if "phase" in figures else 0))


__all__ = ["ReproduceResult", "reproduce", "parse_figures"]


@dataclass(frozen=True)
class ReproduceResult:
    """What :func:`reproduce` wrote and found."""

    out: Path
    files: list[Path]
    points: list[AgreementPoint]
    wall_time: float

    @property
    def all_agree(self) -> bool:
        return all(p.agree for p in self.points)

    @property
    def summary(self) -> str:
        return summary_line(self.points)


def parse_figures(text: str | None) -> list:
    """``"1,2,phase"`` → ``[1, 2, "phase"]``; ``None`` → every figure and the phase diagram.

    ``realdata`` stands for the real-data figures ``digits``, ``digits_rf``, ``network`` and
    ``ngram``; ``features`` for ``relu_fig4`` and ``relu_phase``; ``p``/``0`` for ``phase`` and
    ``g`` for ``generations``.

    Examples
    --------
    >>> from modelcollapse.verify.reproduce.job import parse_figures
    >>> parse_figures("3, 1,phase")
    [1, 3, 'phase']
    >>> parse_figures("ngram,2,realdata")
    [2, 'digits', 'digits_rf', 'network', 'ngram']
    >>> parse_figures("lasso")
    Traceback (most recent call last):
    ...
    ValueError: figures: expected 1–5, 9, 10, 'phase', 'generations', 'scaling', ...
    """
    if text is None:
        return [*FIGURES, "phase"]
    names = [f for f in FIGURES if isinstance(f, str)]
    chosen: set = set()
    for tok in text.split(","):
        tok = tok.strip().lower()
        if tok in ("phase", "p", "0"):
            chosen.add("phase")
        elif tok == "g":
            chosen.add("generations")
        elif tok in names:
            chosen.add(tok)
        elif tok in GROUPS:
            chosen.update(GROUPS[tok])
        elif tok.isdigit() and int(tok) in FIGURES:
            chosen.add(int(tok))
        else:
            listed = ", ".join(repr(x) for x in ("phase", *names, *GROUPS))
            raise ValueError(f"figures: expected 1–5, 9, 10, {listed}, got {tok!r}")
    if not chosen:
        raise ValueError("figures: empty list")
    return sorted(chosen, key=lambda f: (isinstance(f, str), f))  # numbers first


def reproduce(
    out,
    *,
    mode: str = "quick",
    figures: Sequence | None = None,
    seed: int = 0,
    use_cache: bool = True,
    cache_dir=None,
    progress: bool = True,
    workers: int | None = 1,
    scheduler: str | None = None,
) -> ReproduceResult:
    """Reproduce the chosen figures into the folder ``out``.

    Writes ``figN.png``/``figN.pdf`` (and ``phase.*``), ``report.md``, ``agreement.csv`` and
    ``agreement.json``; the Monte Carlo cache lives in ``out/.mc-cache`` unless ``cache_dir``.
    The Monte Carlo draws run in process (``workers=1``), on a local Dask cluster of ``workers``
    processes (None: one per core), or on the Dask scheduler at ``scheduler``; the numbers are
    the same, bit for bit.  BLAS runs single-threaded in every process
    (:func:`~modelcollapse.verify.engine.blas_threads`).
    """
    from ..cluster import connect, overlapping_runs
    from ..engine import thread_limit, use_client

    with connect(workers=workers, scheduler=scheduler) as client, use_client(client), \
            thread_limit(), overlapping_runs(client) as executor:
        return _reproduce(out, mode=mode, figures=figures, seed=seed, use_cache=use_cache,
                          cache_dir=cache_dir, progress=progress, executor=executor)


def _reproduce(out, *, mode, figures, seed, use_cache, cache_dir, progress,
               executor=None) -> ReproduceResult:
    settings = settings_for(mode)
    chosen = parse_figures(None) if figures is None else list(figures)
    for f in chosen:
        if f != "phase" and f not in FIGURES:
            raise ValueError(f"figures: unknown figure {f!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cache = MonteCarloCache((Path(cache_dir) if cache_dir else out / ".mc-cache")
                            if use_cache else None)
    start = time.perf_counter()
    total = planned_runs(settings, chosen) + len(chosen)
    bar = tqdm(total=total, desc="modelcollapse reproduce", disable=not progress, unit="run")
    ctx = Context(settings, cache, seed=seed, tick=bar.update, executor=executor)
    outputs: list[FigureOutput] = []
    files: list[Path] = []
    try:
        if executor is not None:  # on a cluster: every run starts now, in figure order
            bar.set_postfix_str("starting the Monte Carlo runs")
            for f in chosen:
                PREFETCH[f](ctx)
        for f in chosen:
            bar.set_postfix_str("phase diagram" if f == "phase" else f"figure {f}")
            result = phase_figure(ctx) if f == "phase" else FIGURES[f](ctx)
            for ext in ("png", "pdf"):
                path = out / f"{result.name}.{ext}"
                result.figure.savefig(path, dpi=130 if ext == "png" else None)
                files.append(path)
            outputs.append(result)
            bar.update(1)
    finally:
        bar.close()
    wall = time.perf_counter() - start
    points = [p for o in outputs for p in o.points]
    if cache.enabled:
        note = (f"Monte Carlo cache: {cache.hits} hit(s), {cache.misses} computed, "
                f"{cache.repaired} bad entr(y/ies) recomputed.")
    else:
        note = "Monte Carlo cache disabled."
    files += list(write_table(points, out))
    files.append(write_report(out, outputs, settings, seed=seed, wall_time=wall, cache_note=note))
    return ReproduceResult(out=out, files=files, points=points, wall_time=wall)
