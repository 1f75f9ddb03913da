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


def _read(path: str) -> bytes:
    if path == "-":
        stream = getattr(sys.stdin, "buffer", None)  # a text-only stdin (embedding) has none
        return stream.read() if stream is not None else sys.stdin.read().encode()
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise UsageError(f"cannot read {ascii(path)}: {exc.strerror or exc}") from None


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
