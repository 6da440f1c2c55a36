"""A feature-set fingerprint: a model refuses features whose names, parameters or code differ from
training."""

from __future__ import annotations

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


@lru_cache(maxsize=1)
def code_hash() -> str:
    """Hash of the source files that compute features:
    any change to them yields a new fingerprint."""
    digest = hashlib.sha256(FEATURE_CODE_VERSION.encode())
    for path in sorted(p for pattern in _CODE_FILES for p in _CODE_DIR.glob(pattern)):
        digest.update(path.relative_to(_CODE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def fingerprint(features: list[str], params: dict | None = None) -> str:
    """sha256 over the ordered feature names,
    their registry specs, the parameters and the code hash."""
    specs = [[n, REGISTRY[n].family, REGISTRY[n].lookback, REGISTRY[n].needs] if n in REGISTRY else [n]
             for n in features]
    payload = {"features": specs, "params": params or {}, "code": code_hash()}
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
