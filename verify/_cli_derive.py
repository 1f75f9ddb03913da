"""``modelcollapse derive NAME``: print a result the toolkit derives (plain text and LaTeX)."""

from __future__ import annotations

import argparse

from modelcollapse.theory import catalog

from .cli import UsageError

__all__ = ["register", "run"]


def register(sub) -> None:
    """Add the ``derive`` subcommand."""
    p = sub.add_parser(
        "derive",
        help="print a derived result (LaTeX and plain text) with its assumptions",
        description="Derive a named result from the symbolic theory and print it.",
    )
    p.add_argument("name", nargs="?", help="result name (see --list)")
    p.add_argument("--list", action="store_true", help="list the available results")
    p.add_argument(
        "--format", choices=("both", "text", "latex"), default="both", help="output format"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the result or the list; unknown names are a usage error (exit 2)."""
    if args.list:
        width = max(len(n) for n in catalog.names())
        for name in catalog.names():
            print(f"{name:<{width}}  {catalog.describe(name)}")
        return 0
    if not args.name:
        raise UsageError("give a result NAME or --list")
    if args.name not in catalog.names():
        raise UsageError(f"unknown result {args.name!r}; try 'modelcollapse derive --list'")
    res = catalog.derive(args.name)
    print(f"{res.name}: {res.description}")
    print(f"assumptions: {res.assumptions}")
    if args.format in ("both", "text"):
        print("\n" + res.as_text())
    if args.format in ("both", "latex"):
        print("\nLaTeX:\n" + res.as_latex())
    return 0
