"""``modelcollapse reproduce``: the paper's figures with theory curves, Monte Carlo points, a
phase diagram and a report (docs/mathematics.md §4, §5).

Examples
--------
>>> import tempfile
>>> from modelcollapse.verify.reproduce import reproduce
>>> res = reproduce(tempfile.mkdtemp(), mode="tiny", figures=[3], use_cache=False,
...                 progress=False)  # doctest: +SKIP
"""

from ._agreement import AgreementPoint
from ._cache import MonteCarloCache
from ._context import Context, FigureOutput
from ._settings import MODES, Settings, settings_for
from .figures import FIGURES, figure1, figure2, figure3, figure4, figure5
from .figures_phase import phase_figure
from .job import ReproduceResult, reproduce

__all__ = [
    "AgreementPoint",
    "Context",
    "FigureOutput",
    "FIGURES",
    "MODES",
    "MonteCarloCache",
    "ReproduceResult",
    "Settings",
    "figure1",
    "figure2",
    "figure3",
    "figure4",
    "figure5",
    "phase_figure",
    "reproduce",
    "settings_for",
]
