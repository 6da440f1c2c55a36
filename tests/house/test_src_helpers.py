"""No test helpers in src/: every top-level function and class of the package is named somewhere the project
runs (src/, conf/, notebooks/), not only in tests/. A name only re-exported by a package `__init__` does
not count as a use."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = ROOT / "src" / "aegismatrix"
RUN_TEXT = {".py", ".yml", ".yaml", ".ipynb", ".js", ".html"}
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Used by tests only, kept for now: name -> where it is, why it stays, what removes it.
KNOWN_TEST_ONLY: dict[str, str] = {
    "load_project_parameters": "parameters/context.py: a documented API (docs/parameters.md: the "
                               "parameters a run would get, from a notebook or script)",
    "register_pipelines": "pipeline_registry.py: Kedro calls it by name",
}


def _run_words() -> Counter:
    words: Counter = Counter()
    for folder in ("src", "conf", "notebooks"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in RUN_TEXT or "__pycache__" in path.parts:
                continue
            text = path.read_text(errors="ignore")
            if path.name == "__init__.py":  # a re-export (import line, __all__) is not a use
                text = ast.get_docstring(ast.parse(text)) or ""
            words.update(WORD.findall(text))
    return words


def _definitions() -> list[tuple[str, str]]:
    return [(str(path.relative_to(PACKAGE_DIR)), node.name)
            for path in sorted(PACKAGE_DIR.rglob("*.py"))
            for node in ast.parse(path.read_text()).body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and not node.name.startswith("_")]


def _test_words() -> set[str]:
    return {w for path in (ROOT / "tests").rglob("*.py") for w in WORD.findall(path.read_text())}


def test_no_function_or_class_in_src_is_used_only_by_tests():
    run, tests = _run_words(), _test_words()
    test_only = {name: module for module, name in _definitions() if run[name] <= 1 and name in tests}
    unexpected = {n: m for n, m in test_only.items() if n not in KNOWN_TEST_ONLY}
    assert not unexpected, f"used only by tests; move them to tests/: {unexpected}"
    stale = set(KNOWN_TEST_ONLY) - set(test_only)
    assert not stale, f"now used by the project or gone: remove from KNOWN_TEST_ONLY: {sorted(stale)}"
