"""A feature-set fingerprint: a model refuses features whose names, parameters or code differ from
training."""

from __future__ import annotations

import ast
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from .registry import REGISTRY

# Bump when a computation changes in a way the source
# hash would not show (e.g. a dependency's semantics).
FEATURE_CODE_VERSION = "1"
_CODE_DIR = Path(__file__).resolve().parent
# The files whose code computes feature values (not docs or wiring).
_CODE_FILES = ("indicators/*.py", "engine.py", "spec.py")


def _code_of(source: str) -> str:
    """The module as canonical source without docstrings: layout, comments and docs change no hash."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) \
                and ast.get_docstring(node, clean=False) is not None:
            node.body = node.body[1:] or [ast.Pass()]
    return ast.unparse(tree)  # canonical source (ast.dump changes its format between Python versions)


def source_hash(directory: Path, patterns: tuple[str, ...]) -> str:
    """Hash of the code (not the layout) of the files matching `patterns` under `directory`."""
    digest = hashlib.sha256(FEATURE_CODE_VERSION.encode())
    for path in sorted(p for pattern in patterns for p in directory.glob(pattern)):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(_code_of(path.read_text()).encode())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def code_hash() -> str:
    """Hash of the code of the source files that compute features:
    any change to it yields a new fingerprint."""
    return source_hash(_CODE_DIR, _CODE_FILES)


def fingerprint(features: list[str], params: dict | None = None) -> str:
    """sha256 over the ordered feature names,
    their registry specs, the parameters and the code hash."""
    specs = [[n, REGISTRY[n].family, REGISTRY[n].lookback, REGISTRY[n].needs] if n in REGISTRY else [n]
             for n in features]
    payload = {"features": specs, "params": params or {}, "code": code_hash()}
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
