"""Set-up run in each local Dask worker process the toolkit starts (a Dask preload module).

A terminal's Ctrl-C goes to every process of the foreground job: the workers too.  Each would
print a ``KeyboardInterrupt`` traceback from its event loop while the command that started them
already says "interrupted" and closes the cluster.  The workers therefore ignore SIGINT; the
process that owns the cluster stops them.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

__all__: list[str] = []


def dask_setup(worker: Any) -> None:
    """Ignore SIGINT in this worker process (Dask calls this once the worker has started)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
