"""Sphinx extension: one API page per public module, written when the build starts.

The reference follows the code: every public module of ``modelcollapse.theory``,
``modelcollapse.numerics`` and ``modelcollapse.verify`` (any module or package whose dotted name
has no part starting with ``_``) gets a page ``api/generated/<module>.rst`` holding
``automodule`` with ``:members:`` — so a new module appears in the reference without editing the
docs, and a removed one disappears.  A package page documents only the names of its ``__all__``
that no public submodule documents (those defined in private ``_x`` modules, such as
``modelcollapse.verify.MonteCarloResult``) and lists its submodules.

Examples
--------
>>> from api_pages import public_modules
>>> "modelcollapse.theory.ridge" in public_modules("modelcollapse.theory")
True
>>> any(name.rsplit(".", 1)[-1].startswith("_") for name in public_modules("modelcollapse.verify"))
False
"""

from __future__ import annotations

import importlib
import pkgutil
import types
from pathlib import Path

__all__ = ["PACKAGES", "GENERATED", "public_modules", "package_members", "page", "write_pages",
           "setup"]

#: The packages whose public modules are documented.
PACKAGES = ("modelcollapse.theory", "modelcollapse.numerics", "modelcollapse.verify")

#: Folder of the generated pages, relative to the documentation source folder.
GENERATED = Path("api") / "generated"


def _is_public(name: str) -> bool:
    return not any(part.startswith("_") for part in name.split("."))


def _import(name: str) -> types.ModuleType | None:
    """The module, or None if it does not import (its page then makes autodoc report why)."""
    try:
        return importlib.import_module(name)
    except Exception:  # any failure: autodoc reports it on the module's page
        return None


def public_modules(package: str) -> list[str]:
    """``package`` and every public module below it, in sorted order."""
    pkg = _import(package)
    names = {package}
    if pkg is not None:
        # a subpackage that fails to import keeps its page, where autodoc reports the error
        for info in pkgutil.walk_packages(pkg.__path__, prefix=package + ".",
                                          onerror=names.add):
            names.add(info.name)
    return sorted(name for name in names if _is_public(name))


def _children(package: str, modules: list[str]) -> list[str]:
    depth = package.count(".") + 1
    return [m for m in modules if m.startswith(package + ".") and m.count(".") == depth]


def package_members(package: str, modules: list[str]) -> list[str]:
    """Names of ``package.__all__`` that no public submodule's ``__all__`` already documents."""
    pkg = _import(package)
    elsewhere: dict[str, list[object]] = {}
    for name in _children(package, modules):
        mod = _import(name)
        for attr in getattr(mod, "__all__", ()):
            elsewhere.setdefault(attr, []).append(getattr(mod, attr, None))
    members = []
    for attr in getattr(pkg, "__all__", ()):
        obj = getattr(pkg, attr, None)
        if isinstance(obj, types.ModuleType):
            continue  # a submodule: it has its own page
        if any(obj is other for other in elsewhere.get(attr, ())):
            continue
        members.append(attr)
    return members


def page(name: str, modules: list[str]) -> str:
    """The reStructuredText of the page of module ``name``."""
    lines = [name, "=" * len(name), "", f".. automodule:: {name}"]
    mod = _import(name)
    children = _children(name, modules) if hasattr(mod, "__path__") else []
    if hasattr(mod, "__path__"):
        members = package_members(name, modules)
        if members:
            lines.append(f"   :members: {', '.join(members)}")
    else:
        lines.append("   :members:")
    lines.append("   :show-inheritance:")
    if children:
        # autosummary names are relative to the package that automodule made current
        lines += ["", "Modules", "-------", "", ".. autosummary::", ""]
        lines += [f"   {child.rsplit('.', 1)[1]}" for child in children]
        lines += ["", ".. toctree::", "   :hidden:", ""]
        lines += [f"   {child}" for child in children]
    return "\n".join(lines) + "\n"


def write_pages(srcdir: str | Path) -> list[Path]:
    """Write (or refresh) the generated pages under ``srcdir``; delete pages of vanished modules.

    Files whose text is unchanged are not rewritten, so incremental builds stay incremental.
    """
    folder = Path(srcdir) / GENERATED
    folder.mkdir(parents=True, exist_ok=True)
    wanted: dict[Path, str] = {}
    for package in PACKAGES:
        modules = public_modules(package)
        for name in modules:
            wanted[folder / f"{name}.rst"] = page(name, modules)
    for stale in folder.glob("*.rst"):
        if stale not in wanted:
            stale.unlink()
    for path, text in wanted.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return sorted(wanted)


def _on_builder_inited(app) -> None:
    write_pages(app.srcdir)


def setup(app):
    """Sphinx entry point."""
    app.connect("builder-inited", _on_builder_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
