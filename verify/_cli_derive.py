"""``modelcollapse derive NAME``: print a result the toolkit derives (text, LaTeX or JSON).

Results registered by plugins are listed and derived too: ``--plugin MODULE`` (repeatable), the
environment variable ``MODELCOLLAPSE_CATALOG_PLUGINS`` and the ``modelcollapse.catalog`` entry
points (see :mod:`modelcollapse.theory.catalog`).  Entries registered in the running process (e.g.
by a notebook calling :func:`~modelcollapse.verify.cli.main`) are visible as well.
"""

from __future__ import annotations

import argparse
import sys

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
        "--format", choices=("both", "text", "latex", "json"), default="both",
        help="output format: text and LaTeX (default), one of them, or JSON",
    )
    p.add_argument(
        "--plugin", action="append", default=[], metavar="MODULE",
        help="import MODULE first (its @catalog.register entries become available); repeatable",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the result or the list; unknown names are a usage error (exit 2)."""
    try:
        catalog.load_plugins(args.plugin)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for msg in catalog.plugin_errors():
        print(f"modelcollapse derive: note: {msg}", file=sys.stderr)
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
    if args.format == "json":
        print(res.as_json())
        return 0
    print(f"{res.name}: {res.description}")
    print(f"assumptions: {res.assumptions}")
    if args.format in ("both", "text"):
        print("\n" + res.as_text())
    if args.format in ("both", "latex"):
        print("\nLaTeX:\n" + res.as_latex())
    return 0
