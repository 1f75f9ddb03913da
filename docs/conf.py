"""Sphinx configuration of the modelcollapse documentation.

Build the HTML pages (warnings are errors) with::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The API reference is generated from the docstrings at every build (``_ext/api_pages.py``).
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "modelcollapse"
author = "the modelcollapse authors"
copyright = "the modelcollapse authors"
try:
    release = metadata.version("modelcollapse")
except metadata.PackageNotFoundError:  # building from a checkout without an install
    release = "unknown"
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "api_pages",
    "numpydoc_types",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []

# MyST: $…$ and $$…$$ math, ::: fences, (label)= targets.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_dmath_double_inline = True

# numpydoc-style docstrings through napoleon.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True
napoleon_use_rtype = False

autodoc_member_order = "bysource"
autodoc_preserve_defaults = True
# The numpydoc sections carry the types; annotations in signatures (numpy.typing unions) only
# add noise.
autodoc_typehints = "none"
autosummary_generate = False

# numpydoc types are prose ("array_like, shape (d,)"): Sphinx turns each word into a tentative
# cross-reference, and a word such as "shape" or "d" that names attributes of several classes
# would be reported as ambiguous.  Only that report is silenced; unresolved or broken references
# and every other warning still fail the build.
suppress_warnings = ["ref.python"]

html_theme = "alabaster"
html_title = f"modelcollapse {release}"
html_static_path: list[str] = []
