"""The code a simulator runs, found from its imports: the Monte Carlo cache's code version.

A cached Monte Carlo result is valid only for the code that produced it.  Rather than a hand list
of modules (which went stale when code moved), :func:`module_closure` follows the ``import``
statements of the simulator modules, within the ``modelcollapse`` package, to every module they
use; :func:`source_version` hashes those sources.  Editing any of them — a simulator, the draws,
the input checks they call — changes the version, so stale entries are recomputed.

Examples
--------
>>> from modelcollapse.verify._provenance import module_closure
>>> "modelcollapse.verify._draws" in module_closure(["modelcollapse.verify.montecarlo"])
True
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["module_closure", "source_version", "module_source"]

_PACKAGE = "modelcollapse"


def _origin(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _is_package(name: str) -> bool:
    origin = _origin(name)
    return origin is not None and origin.name == "__init__.py"


def _imports(name: str, source: str) -> set[str]:
    """The ``modelcollapse`` modules imported by module ``name`` (absolute names)."""
    package = name if _is_package(name) else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)  # `from pkg import module`
    return {m for m in out if m == _PACKAGE or m.startswith(_PACKAGE + ".")}


def module_source(name: str, overrides: Mapping[str, Path] | None = None) -> bytes | None:
    """The source of module ``name`` (``overrides`` maps names to other files)."""
    path = (overrides or {}).get(name) or _origin(name)
    return None if path is None else Path(path).read_bytes()


def module_closure(modules: Iterable[str], overrides: Mapping[str, Path] | None = None
                   ) -> list[str]:
    """Every ``modelcollapse`` module reachable by imports from ``modules``, sorted."""
    seen: set[str] = set()
    todo = list(modules)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        source = module_source(name, overrides)
        if source is None:  # a name imported from a module, not a module
            continue
        seen.add(name)
        todo.extend(_imports(name, source.decode("utf-8")) - seen)
    return sorted(seen)


def source_version(modules: Iterable[str], overrides: Mapping[str, Path] | None = None) -> str:
    """SHA-256 (16 hex digits) of the sources of ``modules`` and everything they import."""
    h = hashlib.sha256()
    for name in module_closure(modules, overrides):
        h.update(name.encode())
        h.update(module_source(name, overrides) or b"")
    return h.hexdigest()[:16]
