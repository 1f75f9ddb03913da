"""The ``modelcollapse`` command line.

Subcommands live in private modules, each exposing ``register(subparsers)`` which adds its parser
and sets ``func`` to a callable ``(args) -> int`` (the exit status).  Bad input exits with status 2
and a one-line message on stderr; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main", "build_parser", "UsageError"]


class UsageError(ValueError):
    """Bad input from the command line or a problem file (exit status 2)."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    from . import _cli_derive, _cli_predict, _cli_reproduce

    parser = argparse.ArgumentParser(
        prog="modelcollapse",
        description="Theory and Monte Carlo of model collapse (Strong Model Collapse, ICLR 2025).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (_cli_predict, _cli_reproduce, _cli_derive):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (UsageError, ValueError) as exc:
        print(f"modelcollapse {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
