"""``modelcollapse predict FILE``: theory predictions for the problems in a JSON file.

``FILE`` is a path, or ``-`` for standard input.  The input and output formats are documented in
:mod:`modelcollapse.numerics.problems` (one object or a list of objects; the output has the same
shape).  Output goes to standard output as JSON; values that diverge at an interpolation
threshold are written as ``Infinity`` (the extension of :func:`json.dumps` with
``allow_nan=True``), or as ``null`` with ``--strict-json``.

Exit status: 0 when every problem converged (a threshold counts as converged: its value is the
exact limit), 1 when some problem did not converge (its output says ``"converged": false`` and
why), 2 for bad input (one line on standard error naming the problem and the field).

Examples
--------
>>> import io, json, sys
>>> from modelcollapse.verify.cli import main
>>> problem = {"model": "ridge", "n": 4, "p2": 0.2, "ridge": 0, "noise_real": 1,
...            "noise_synth": 1, "spectrum": [1, 1], "gamma": [0.5, 0.5], "delta": [0.25, 0.25]}
>>> sys.stdin = io.TextIOWrapper(io.BytesIO(json.dumps(problem).encode()))
>>> main(["predict", "--compact", "-"])  # doctest: +ELLIPSIS
{"model": "ridge", "test_error": 1.1..., "zeta": 0.1..., "note": ""}
0
>>> sys.stdin = sys.__stdin__
"""

from __future__ import annotations

import json
import math
import os
import stat
import sys
import warnings
from typing import Any

import numpy as np

from modelcollapse.numerics.problems import evaluate_problems, parse_problems

from .cli import UsageError

__all__ = ["register", "run"]


def register(sub) -> None:
    """Add the ``predict`` subcommand to an ``argparse`` subparsers object."""
    p = sub.add_parser(
        "predict",
        help="theory predictions (test error, bias, variance, zeta) for problems in a JSON file",
        description="Evaluate the deterministic-equivalent test error for each problem in FILE "
        "(a JSON object or a list of them; '-' reads standard input). Input format: see "
        "modelcollapse.numerics.problems.",
    )
    p.add_argument("file", metavar="FILE", help="JSON problem file, or '-' for standard input")
    p.add_argument("--compact", action="store_true", help="write JSON on one line")
    p.add_argument(
        "--strict-json",
        action="store_true",
        help="write non-finite values (Infinity at thresholds, NaN when unconverged) as null",
    )
    p.set_defaults(func=run)


#: Largest input read (a problem file is kilobytes; this bounds memory for `yes | ... -`).
MAX_INPUT_BYTES = 64 * 2**20


def _read(path: str) -> bytes:
    """The bytes of ``FILE``: a regular file, or standard input for ``'-'``.

    Anything else — a directory, a FIFO, a device, a socket — is refused without reading it: a
    FIFO with no writer would block forever and a device may never end (pipe such a stream
    through ``'-'`` instead).  More than :data:`MAX_INPUT_BYTES` is refused too.
    """
    if path == "-":
        return _read_stdin()
    if not path or "\0" in path:
        raise UsageError(f"FILE: not a file name: {path!r}")
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise UsageError(f"cannot read FILE {path!r}: {_kind(mode)}, not a regular file "
                             "(use '-' to read a stream from standard input)")
        # O_NONBLOCK: a FIFO put in its place after the check opens without waiting for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise UsageError(f"cannot read FILE {path!r}: {exc.strerror or exc}") from None
    with open(fd, "rb") as fh:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UsageError(f"cannot read FILE {path!r}: {_kind(mode)}, not a regular file")
        try:
            data = fh.read(MAX_INPUT_BYTES + 1)
        except OSError as exc:
            raise UsageError(f"cannot read FILE {path!r}: {exc.strerror or exc}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise UsageError(f"cannot read FILE {path!r}: larger than {MAX_INPUT_BYTES >> 20} MiB")
    return data


def _read_stdin() -> bytes:
    stream = sys.stdin
    if stream is None:  # started with standard input closed (`<&-`)
        raise UsageError("cannot read standard input ('-'): it is closed")
    try:
        raw = getattr(stream, "buffer", None)  # a text-only stdin (embedding) has none
        if raw is not None:
            data = raw.read(MAX_INPUT_BYTES + 1)
        else:
            data = stream.read(MAX_INPUT_BYTES + 1).encode("utf-8", "surrogatepass")
    except (OSError, ValueError) as exc:  # e.g. a directory as stdin, or a closed stream
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UsageError(f"cannot read standard input ('-'): {reason}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise UsageError(f"cannot read standard input ('-'): more than "
                         f"{MAX_INPUT_BYTES >> 20} MiB")
    return data


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _nulls(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _nulls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nulls(v) for v in value]
    return value


def run(args) -> int:
    """Run ``predict`` for parsed arguments; returns the exit status."""
    problems, single = parse_problems(_read(args.file))  # ProblemError is a ValueError: exit 2
    # Floating-point warnings would clutter stderr: a problem whose evaluation met a non-finite
    # value is reported in its own output ("converged": false, status -2) and by the exit status.
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        results = evaluate_problems(problems)
    out: Any = results[0] if single else results
    if args.strict_json:
        out = _nulls(out)
    text = json.dumps(out, allow_nan=True, indent=None if args.compact else 2)
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # piped into e.g. `head`: silence the final flush (Python docs)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    failed = [r for r in results if not r["converged"]]
    if failed:
        first = results.index(failed[0])
        print(
            f"modelcollapse predict: {len(failed)} problem(s) did not converge (first: problem "
            f"{first}: {failed[0]['note']})",
            file=sys.stderr,
        )
        return 1
    return 0
