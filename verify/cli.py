"""The ``modelcollapse`` command line.

Subcommands live in private modules, each exposing ``register(subparsers)`` which adds its parser
and sets ``func`` to a callable ``(args) -> int`` (the exit status).

Exit status: 0 success; 1 an honest negative answer (``predict``: a problem did not converge;
``reproduce``: a Monte Carlo point disagrees with the theory); 2 bad input, a bad path or an
output that cannot be written; 3 an internal error (a bug: please report it); 130 interrupted
(Ctrl-C).  Every failure is one line on standard error naming the parameter or the file; no
traceback reaches the user (set ``MODELCOLLAPSE_TRACEBACK=1`` to see one for an internal
error).  Messages are shown on one line, with control characters escaped, and user text that
makes them longer than :data:`MESSAGE_LIMIT` characters is cut in the middle.

Examples
--------
>>> from modelcollapse.verify.cli import main
>>> main(["--version"])  # doctest: +ELLIPSIS
modelcollapse ...
0
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

__all__ = ["main", "build_parser", "clip", "UsageError", "MESSAGE_LIMIT"]

#: Longest error message shown; longer ones keep their start and end around a marker.
MESSAGE_LIMIT = 400

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a Ctrl-C


class UsageError(ValueError):
    """Bad input from the command line or a problem file (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block) and exit with status 2."""

    def error(self, message: str):  # type: ignore[override]
        _say(f"{self.prog}: error: {message} (see '{self.prog} --help')")
        raise SystemExit(EXIT_BAD_INPUT)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("modelcollapse")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    from . import _cli_derive, _cli_predict, _cli_reproduce, _cli_simulate

    parser = _Parser(
        prog="modelcollapse",
        description="Theory and Monte Carlo of model collapse (Strong Model Collapse, ICLR 2025).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (_cli_predict, _cli_simulate, _cli_reproduce, _cli_derive):
        module.register(sub)
    return parser


def clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` on one line, control characters escaped, cut in the middle beyond ``limit``.

    Examples
    --------
    >>> from modelcollapse.verify.cli import clip
    >>> clip("two\\nlines\\x1b[31m")
    'two\\\\nlines\\\\x1b[31m'
    >>> clip("unknown result '" + "x" * 500 + "'; try --list", limit=60)
    "unknown resul…[501 characters cut]…xx'; try --list"
    """
    flat = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in str(text))
    if len(flat) <= limit:
        return flat
    tail = max(limit // 4, 1)
    marker_room = 32
    head = max(limit - tail - marker_room, 1)
    cut = len(flat) - head - tail
    return f"{flat[:head]}…[{cut} characters cut]…{flat[-tail:]}"


def _say(line: str) -> None:
    """Write one clipped line to standard error; a closed or broken stderr is ignored."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(clip(line) + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def _interrupted() -> int:
    """Say "interrupted" (a second Ctrl-C meanwhile is ignored) and return 130."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: signals cannot be changed, nothing to protect
        previous = None
    try:
        _say("modelcollapse: interrupted")
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return EXIT_INTERRUPTED


def _flush_stdout() -> OSError | None:
    """Flush standard output; on failure point it at ``os.devnull`` and return the error.

    Redirecting keeps Python's own flush at exit from printing a second complaint.
    """
    stream = sys.stdout
    if stream is None:
        return None
    try:
        stream.flush()
        return None
    except OSError as exc:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):  # not a real file (embedding, tests)
            pass
        return exc


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status.

    Ctrl-C at any moment, including while the subcommands import NumPy, SciPy and SymPy,
    returns 130 after one line on standard error.
    """
    try:
        status = _run(argv)
    except KeyboardInterrupt:
        status = _interrupted()
    try:
        failed = _flush_stdout()
    except KeyboardInterrupt:
        return _interrupted()
    if failed is not None and not isinstance(failed, BrokenPipeError) and status in (0, 1):
        # A reader that went away (`| head`) is not an error; a full disk is: the output is lost.
        # (A failing command has already said what went wrong: one line only.)
        _say(f"modelcollapse: error: cannot write standard output: {failed.strerror or failed}")
        return EXIT_BAD_INPUT
    return status


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a one-line argument error
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    name = f"modelcollapse {args.command}"
    if sys.stdout is None:
        _say(f"{name}: error: standard output is closed (redirect it to a file or {os.devnull})")
        return EXIT_BAD_INPUT
    try:
        return int(args.func(args) or 0)
    except ValueError as exc:  # UsageError, ProblemError and every other bad value
        _say(f"{name}: error: {exc}")
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0  # reported (or not) by main's final flush
    except OSError as exc:  # a file, a folder or standard output that could not be written
        if exc.filename is not None:
            _say(f"{name}: error: cannot access {exc.filename!r}: {exc.strerror or exc}")
        else:  # e.g. standard output on a full disk
            _say(f"{name}: error: {exc.strerror or exc}")
        return EXIT_BAD_INPUT
    except Exception as exc:
        if os.environ.get("MODELCOLLAPSE_TRACEBACK"):
            raise
        _say(f"{name}: internal error: {type(exc).__name__}: {exc} (please report it; "
             "MODELCOLLAPSE_TRACEBACK=1 shows the traceback)")
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
