"""The documentation builds, its citations resolve and its examples run.

* ``docs/`` builds with Sphinx with warnings as errors (skipped, saying why, when Sphinx or
  myst-parser is not installed);
* every citation ``docs/mathematics.md §k`` (or ``§k.j``) anywhere in the repository — and every
  bare ``§k`` inside the documentation pages — names a section that exists, and every
  ``(math-…)=`` target sits on the section it is named after;
* every Python example in the pages runs: blocks with ``>>>`` prompts are doctests (their printed
  output is checked), other ``python`` blocks are executed; ``json`` blocks parse.
"""

from __future__ import annotations

import doctest
import importlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
MATHEMATICS = DOCS / "mathematics.md"
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "_build", "generated", "__pycache__",
             ".mc-cache", ".hypothesis", ".pytest_cache", ".ruff_cache"}
PAGES = sorted(p for p in DOCS.rglob("*.md") if not SKIP_DIRS & set(p.relative_to(DOCS).parts))

HEADING = re.compile(r"^#{2,6}\s+§(\d+(?:\.\d+)*)\s", re.M)
LABEL = re.compile(r"^\(math-(\d+(?:-\d+)*)\)=\s*\n+#{2,6}\s+§(\d+(?:\.\d+)*)\s", re.M)
CITATION = re.compile(r"(?:docs/mathematics\.md|THEORY\.md)\s*§\s*(\d+(?:\.\d+)*)")
BARE = re.compile(r"§\s*(\d+(?:\.\d+)*)")
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
CITING_SUFFIXES = {".py", ".md", ".ipynb", ".rst", ".txt", ".toml", ".cfg", ".json", ""}


def _sections() -> set[str]:
    return set(HEADING.findall(MATHEMATICS.read_text(encoding="utf-8")))


def _repository_files():
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if SKIP_DIRS & set(rel.parts) or any(p.endswith(".egg-info") for p in rel.parts):
            continue
        if path.is_file() and path.suffix in CITING_SUFFIXES and path.stat().st_size < 2**22:
            yield path


def _blocks(page: Path) -> list[tuple[str, str, int]]:
    """``(language, code, line)`` of every fenced block of a page."""
    text = page.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 2)
            for m in FENCE.finditer(text)]


def test_sections_zero_to_seven_exist_and_are_numbered_in_order():
    numbers = HEADING.findall(MATHEMATICS.read_text(encoding="utf-8"))
    top = [n for n in numbers if "." not in n]
    assert top == [str(k) for k in range(8)], top
    for k in top:
        subs = [n for n in numbers if n.startswith(k + ".")]
        assert subs == [f"{k}.{j}" for j in range(1, len(subs) + 1)], (k, subs)
    assert len(numbers) == len(set(numbers)), "a section number is used twice"


def test_every_label_sits_on_its_section():
    text = MATHEMATICS.read_text(encoding="utf-8")
    pairs = LABEL.findall(text)
    assert len(pairs) == len(HEADING.findall(text)), "every numbered section needs a label"
    for label, number in pairs:
        assert label.replace("-", ".") == number, (label, number)


def test_citations_point_to_existing_sections():
    sections = _sections()
    bad = []
    for path in _repository_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for match in CITATION.finditer(text):
            if match.group(1) not in sections:
                line = text.count("\n", 0, match.start()) + 1
                bad.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)}")
    assert not bad, "citations of missing sections:\n" + "\n".join(bad)


def test_section_references_inside_the_docs_exist():
    sections = _sections()
    bad = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in BARE.finditer(text):
            if match.group(1) not in sections:
                line = text.count("\n", 0, match.start()) + 1
                bad.append(f"{page.relative_to(ROOT)}:{line}: {match.group(0)}")
    assert not bad, "references to missing sections:\n" + "\n".join(bad)


def test_cited_tests_exist():
    """``tests/<file>.py::<name>`` (and a following ``::<name>`` for the same file) exist."""
    cited = re.compile(r"`(tests/\w+\.py)?::(\w+)`")
    bad, count = [], 0
    for page in PAGES:
        current = None
        for match in cited.finditer(page.read_text(encoding="utf-8")):
            current = match.group(1) or current
            assert current, f"{page.name}: {match.group(0)} names no file"
            count += 1
            path = ROOT / current
            source = path.read_text(encoding="utf-8") if path.exists() else ""
            if not re.search(rf"^def {match.group(2)}\(", source, re.M):
                bad.append(f"{page.relative_to(ROOT)}: {current}::{match.group(2)}")
    assert count, "no test citations found"
    assert not bad, "cited tests that do not exist:\n" + "\n".join(bad)


def test_json_examples_parse():
    blocks = [(p, line, code) for p in PAGES for lang, code, line in _blocks(p) if lang == "json"]
    assert blocks
    for page, line, code in blocks:
        try:
            json.loads(code)
        except json.JSONDecodeError as err:
            pytest.fail(f"{page.relative_to(ROOT)}:{line}: not JSON: {err}")


def test_index_shows_the_readme_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for line in first_block.splitlines():
        if line.strip():
            assert line in index, line


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    ran = 0
    for lang, code, line in _blocks(page):
        if lang not in ("python", "pycon"):
            continue
        name = f"{page.relative_to(ROOT)}:{line}"
        if ">>>" in code:
            test = parser.get_doctest(code, namespace, name, str(page), line)
            result = runner.run(test, clear_globs=False)
            namespace.update(test.globs)  # DocTest runs in a copy: carry names to later blocks
            assert result.failed == 0, f"{result.failed} example(s) failed in {name}"
        else:
            exec(compile(code, name, "exec"), namespace)
        ran += 1
    if page.parent.name == "howto" or page.relative_to(DOCS) == Path("index.md"):
        assert ran, f"{page.name}: expected at least one runnable example"


@pytest.mark.parametrize("name", ["api_pages", "numpydoc_types"])
def test_sphinx_extension_examples(name, monkeypatch):
    monkeypatch.syspath_prepend(str(DOCS / "_ext"))
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted and not result.failed


def test_api_page_generator(monkeypatch):
    monkeypatch.syspath_prepend(str(DOCS / "_ext"))
    api_pages = importlib.import_module("api_pages")
    for package in api_pages.PACKAGES:
        modules = api_pages.public_modules(package)
        assert package in modules
        for name in modules:
            text = api_pages.page(name, modules)
            assert f".. automodule:: {name}" in text


def test_sphinx_build_has_no_warnings(tmp_path):
    pytest.importorskip("sphinx", reason="Sphinx is not installed (pip install sphinx)")
    pytest.importorskip("myst_parser", reason="myst-parser is not installed (pip install "
                        "myst-parser)")
    src = tmp_path / "docs"
    shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns("_build", "generated"))
    out = tmp_path / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(src),
         str(out)],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-8000:]
    assert (out / "mathematics.html").exists()
    generated = {p.stem for p in (src / "api" / "generated").glob("*.rst")}
    assert {"modelcollapse.theory.ridge", "modelcollapse.verify.montecarlo"} <= generated
