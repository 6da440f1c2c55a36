"""Size rules the project keeps that the linter does not check: no source module over 400 lines, no function
over 60 in src/ or tests/ (ruff checks the 110-column lines)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOTS = [Path(__file__).resolve().parents[1] / "src", Path(__file__).resolve().parent]
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 400, 60


def _python_files():
    return sorted(p for root in ROOTS for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_function_over_60_lines():
    long = [f"{path}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for path in _python_files() for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, long


def test_no_source_module_over_400_lines():
    src = ROOTS[0]
    long = [f"{path} ({n} lines)" for path in _python_files() if src in path.parents
            and (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES]
    assert not long, long
