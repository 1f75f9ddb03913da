"""Shared look of the reproduced figures: canvases, colours, legends of line styles, log axes with
readable labels, and curves that stop at a divergence instead of bridging it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator

__all__ = ["new_figure", "distinct_colors", "style_handles", "plain_log_axis", "plot_branches",
           "MC_MARKER", "mc_errorbar", "mc_handle"]

#: Face and size of every Monte Carlo marker (open circle, error bar ± 3 se).
MC_MARKER = dict(fmt="o", ms=4.5, mfc="white", capsize=2, zorder=5)


def new_figure(ncols: int, width: float = 4.6, height: float = 3.9) -> tuple[Figure, np.ndarray]:
    """A constrained-layout figure on an Agg canvas (never a display) with ``ncols`` axes."""
    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, np.atleast_1d(fig.subplots(1, ncols))


def distinct_colors(k: int) -> list:
    """``k`` clearly different colours: tab10 up to 10, then evenly spaced turbo.

    Examples
    --------
    >>> from modelcollapse.verify.reproduce._style import distinct_colors
    >>> len(set(distinct_colors(6)))
    6
    """
    from matplotlib import colormaps

    if k <= 10:
        return [colormaps["tab10"](i) for i in range(k)]
    return [colormaps["turbo"](0.05 + 0.9 * i / (k - 1)) for i in range(k)]


def style_handles(entries: Sequence[tuple[str, dict]]) -> list[Line2D]:
    """Legend handles in grey for line styles and markers: ``[(label, Line2D kwargs), ...]``."""
    out = []
    for label, kw in entries:
        kw = dict(kw)
        kw.setdefault("color", "0.3")
        out.append(Line2D([], [], label=label, **kw))
    return out


def mc_handle(label: str) -> Line2D:
    """The legend entry of the Monte Carlo markers."""
    return Line2D([], [], ls="", marker="o", ms=4.5, mfc="white", color="0.3", label=label)


def mc_errorbar(ax, x, mean, se, color, **kw) -> None:
    """Monte Carlo means with ± 3 se bars."""
    style = dict(MC_MARKER)
    style.update(kw)
    ax.errorbar(x, mean, yerr=3 * np.asarray(se), color=color, **style)


def plain_log_axis(ax, axis: str = "both", mantissas: Sequence[int] = (2, 5)) -> None:
    """Plain decimal labels on log axes: every decade and ``mantissas`` times it.

    A decade label reads ``0.01``, ``1``, ``100``; beyond 1e4 or below 1e-3 it reads ``1e+05``.
    """
    def fmt(v, _):
        if v <= 0:
            return ""
        return f"{v:g}"

    for name in ("x", "y") if axis == "both" else (axis,):
        target = ax.xaxis if name == "x" else ax.yaxis
        target.set_major_locator(LogLocator(base=10.0, subs=(1.0, *mantissas), numticks=30))
        target.set_major_formatter(FuncFormatter(fmt))
        target.set_minor_locator(LogLocator(base=10.0, subs=tuple(range(1, 10)), numticks=30))
        target.set_minor_formatter(FuncFormatter(lambda v, _: ""))


def plot_branches(ax, x_parts: Sequence[np.ndarray], y_parts: Sequence[np.ndarray], **kw):
    """Plot each branch separately (no line across a divergence); one legend entry in total."""
    line = None
    for xs, ys in zip(x_parts, y_parts, strict=True):
        if np.size(xs) == 0:
            continue
        (line,) = ax.plot(xs, ys, **kw)
        kw = {k: v for k, v in kw.items() if k != "label"}
    return line
