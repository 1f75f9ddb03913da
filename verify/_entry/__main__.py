"""``python -m modelcollapse`` and the ``modelcollapse`` console script.

Installed as ``modelcollapse/__main__.py``.  It imports nothing of the toolkit until it is
inside ``main``, so a Ctrl-C at any moment of a run — even while NumPy, SciPy and SymPy are
still being imported — ends it with one line on standard error and exit status 130, never a
traceback.  The command line itself is :mod:`modelcollapse.verify.cli`.

Examples
--------
>>> main(["--version"])  # doctest: +ELLIPSIS
modelcollapse ...
0
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence

__all__ = ["main"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a Ctrl-C


def _interrupted() -> int:
    """Say "interrupted" once (a second Ctrl-C meanwhile is ignored) and return 130."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        previous = None
    try:
        if sys.stderr is not None:
            sys.stderr.write("modelcollapse: interrupted\n")
            sys.stderr.flush()
    except (OSError, ValueError):
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return EXIT_INTERRUPTED


def _swallowed(unraisable) -> None:
    """``sys.unraisablehook`` during a run: a Ctrl-C that CPython could not raise.

    A SIGINT that lands in a callback CPython runs without a caller — e.g. the import system's
    module-lock weakref callback while NumPy or SymPy is being imported — becomes an "Exception
    ignored in ..." message and the run goes on as if no Ctrl-C had come.  Here it ends the run
    as any other Ctrl-C does (one line, status 130); nothing needs cleaning up at that point.
    """
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        os._exit(_interrupted())
    sys.__unraisablehook__(unraisable)


class _Noted:
    """Python's own SIGINT handler that also remembers that it ran.

    Some libraries import optional accelerators under a bare ``except:`` (mpmath tries
    ``import gmpy2`` so), and a Ctrl-C that lands there is swallowed with the ImportError; the
    run would go on and, e.g., read a closed standard input.  The flag lets :func:`main` see it.
    """

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, signum, frame):
        self.seen = True
        raise KeyboardInterrupt


def _note_sigint() -> tuple[_Noted | None, object]:
    """Install :class:`_Noted` where Python's default handler is in place (else nothing)."""
    try:
        previous = signal.getsignal(signal.SIGINT)
        if previous is not signal.default_int_handler:
            return None, previous
        noted = _Noted()
        signal.signal(signal.SIGINT, noted)
        return noted, previous
    except ValueError:  # not the main thread
        return None, None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``modelcollapse`` command line on ``argv`` (default ``sys.argv[1:]``).

    Returns the exit status (see :mod:`modelcollapse.verify.cli`).
    """
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _swallowed
    noted, previous_handler = _note_sigint()
    try:
        from modelcollapse.verify.cli import main as cli_main

        if noted is not None and noted.seen:  # a Ctrl-C swallowed inside an import
            return _interrupted()
        return cli_main(argv)
    except KeyboardInterrupt:
        return _interrupted()
    finally:
        sys.unraisablehook = previous_hook
        if noted is not None:
            try:
                signal.signal(signal.SIGINT, previous_handler)
            except (ValueError, TypeError):
                pass


if __name__ == "__main__":
    sys.exit(main())
