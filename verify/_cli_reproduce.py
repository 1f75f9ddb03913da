"""``modelcollapse reproduce`` (placeholder, replaced by the full implementation)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("reproduce", help="reproduce the paper's figures")
    p.set_defaults(func=lambda args: 1)
