"""``modelcollapse predict`` (placeholder, replaced by the full implementation)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("predict", help="theory predictions for problems in a JSON file")
    p.add_argument("file")
    p.set_defaults(func=lambda args: 1)
