"""A feature-set fingerprint: a model refuses features whose names, parameters or code differ from training."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

# Bump when a computation changes in a way the source hash would not show (e.g. a dependency's semantics).
FEATURE_CODE_VERSION = "1"
_CODE_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def code_hash() -> str:
    """Hash of the feature package's source files: any code change yields a new fingerprint."""
    digest = hashlib.sha256(FEATURE_CODE_VERSION.encode())
    for path in sorted(_CODE_DIR.rglob("*.py")):
        digest.update(path.relative_to(_CODE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def fingerprint(features: list[str], params: dict | None = None) -> str:
    """sha256 over the ordered feature names, their registry specs, the parameters and the code hash."""
    from .registry import REGISTRY

    specs = [[n, REGISTRY[n].family, REGISTRY[n].lookback, REGISTRY[n].needs] if n in REGISTRY else [n] for n in features]
    payload = {"features": specs, "params": params or {}, "code": code_hash()}
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
