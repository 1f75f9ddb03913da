r"""Sphinx extension: numpydoc type specifications are plain text, not reStructuredText.

A numpydoc header line ``name : type`` in a Parameters, Returns, Attributes (…) section may use
``*`` as plain text, as in ``shape (d,) or (*S, d)`` ("any leading axes").  Napoleon passes the
type on as reStructuredText, where a lone ``*`` opens an emphasis that never closes.  This
extension escapes ``*`` in the *type* part of those header lines only, before napoleon runs;
descriptions and every other part of a docstring are left alone, so real markup errors still fail
the build.

Examples
--------
>>> from numpydoc_types import escape_type_stars
>>> lines = ["Parameters", "----------", "x : array_like, shape (d,) or (*S, d)", "    Data."]
>>> escape_type_stars(lines)
>>> lines[2]
'x : array_like, shape (d,) or (\\*S, d)'
>>> lines[3]
'    Data.'
"""

from __future__ import annotations

import re

__all__ = ["SECTIONS", "escape_type_stars", "setup"]

#: numpydoc sections whose entries are ``name : type`` header lines.
SECTIONS = frozenset({"Parameters", "Other Parameters", "Returns", "Yields", "Receives",
                      "Attributes", "Raises", "Warns"})

_HEADER = re.compile(r"^(\s*)(\S[^:]*?) : (.+)$")
_LONE_STAR = re.compile(r"(?<!\\)\*")


def escape_type_stars(lines: list[str]) -> None:
    """Escape ``*`` in the type part of the entries of numpydoc sections, in place."""
    section: str | None = None
    base: int | None = None
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and set(nxt.strip()) == {"-"} and len(nxt.strip()) >= len(line.strip()):
            section = line.strip() if line.strip() in SECTIONS else None
            base = len(line) - len(line.lstrip())
            continue
        if section is None:
            continue
        match = _HEADER.match(line)
        if match and len(match.group(1)) == base:
            escaped = _LONE_STAR.sub(r"\\*", match.group(3))
            lines[i] = f"{match.group(1)}{match.group(2)} : {escaped}"


def _process(app, what, name, obj, options, lines):
    escape_type_stars(lines)


def setup(app):
    """Sphinx entry point: run before napoleon (which listens at the default priority 500)."""
    app.connect("autodoc-process-docstring", _process, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
