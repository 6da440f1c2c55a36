"""Check every parameter before anything runs: key paths, types and consistent pairs.

Rules (each error names the key path, the value and the file it came from):
- every template instance block is a typed `ModelConfig` (unknown keys, estimator parameters the
  library
  does not know, wrong types and inconsistent pairs are refused);
- every other key must exist in conf/base (an environment or `--params` may change values, not
  invent keys),
  with a value of the same kind as the base value, except under the open maps in `OPEN_MAPS`;
- the typed sections in `parameters/schema.py` (data_ingestion, seller.safe_range, ...) are checked
  by
  pydantic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from aegismatrix.parameters.derive import (
    ENGINES,
    derive_parameters,
    is_model_block,
    model_namespaces,
)
from aegismatrix.parameters.schema import SECTIONS, check_section

# yaml.safe_load's rules, parsed by libyaml when present (pure Python: ~0.1 s for every parameter file)
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Maps whose keys are data, not settings (symbols, per-tenor values, served horizons).
OPEN_MAPS = {"data_ingestion.symbols", "data_ingestion.intraday.intervals", "direction.horizons",
             "direction.research", "seller.safe_range.prior_multiplier",
             "inference.heuristic.range_sigmas"}
RUNTIME = "--params (command line)"


class ParameterError(ValueError):
    """One or more parameters are invalid; the message lists them all."""


def _paths(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts into {"a.b.c": value} (dict-valued keys are listed too)."""
    out: dict[str, Any] = {}
    if isinstance(tree, dict):
        for key, value in tree.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out[path] = value
            out.update(_paths(value, path))
    return out


def parameter_sources(conf_source: Path, env: str | None, runtime: dict | None,
                      base_env: str = "base") -> tuple[dict[str, Any], dict[str, str]]:
    """(base key path -> base value, key path -> the file or --params that set it last)."""
    base: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for folder in [base_env] + ([env] if env and env != base_env else []):
        for file in sorted((conf_source / folder).glob("parameters*.y*ml")):
            paths = _paths(yaml.load(file.read_text(), Loader=_SAFE_LOADER) or {})
            origin.update({p: str(file.relative_to(conf_source.parent)) for p in paths})
            base.update(paths if folder == base_env else {})
    origin.update(dict.fromkeys(_paths(_nest(runtime or {})), RUNTIME))
    return base, origin


def _nest(flat: dict) -> dict:
    """Kedro's runtime params may arrive dotted ("a.b": 1) or nested; nest them."""
    out: dict = {}
    for key, value in flat.items():
        node = out
        *parents, leaf = str(key).split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = _nest(value) if isinstance(value, dict) else value
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "str", list: "list", dict: "dict"}.get(type(value), type(value).__name__)


def _model_block_errors(params: dict) -> list[tuple[str, str]]:
    from aegismatrix.modelling.config import ModelConfig

    errors = []
    for path, value in _paths(params).items():
        if is_model_block(value) and ".families." not in f".{path}.":
            try:
                ModelConfig.from_params(value)
            except ValueError as exc:
                errors.extend(_split_message(path, msg) for msg in str(exc).split("; "))
    return errors


def _split_message(path: str, msg: str) -> tuple[str, str]:
    """"sub.key: message" from ModelConfig -> ("<block path>.sub.key", "message")."""
    sub, sep, rest = msg.partition(": ")
    return (f"{path}.{sub}", rest) if sep and " " not in sub else (path, msg)


def _declared_models(params: dict) -> list[str]:
    """Every template namespace `params` declare (aegismatrix.engines): its block is checked whole
    by ModelConfig instead."""
    return [ns for engine in ENGINES for ns in model_namespaces(engine, params)]


def _key_errors(params: dict, base: dict[str, Any]) -> list[tuple[str, str]]:
    errors = []
    flat = _paths(params)
    inside = [p for p, v in flat.items() if is_model_block(v) or p.endswith(".families")]
    inside += sorted(OPEN_MAPS)
    inside += [ns for ns in _declared_models(params) if ns in flat and ns not in base]
    for path, value in flat.items():
        if any(path.startswith(f"{m}.") for m in inside):
            continue
        if path not in base:
            if not is_model_block(value) and path not in inside:
                errors.append((path, "unknown key (not defined in conf/base)"))
            continue
        want, got = _kind(base[path]), _kind(value)
        if want not in ("null", got) and got != "null":
            errors.append((path, f"expected a {want} like the base value {_short(base[path])}, "
                                 f"got a {got}"))
    return errors


def validate_parameters(raw: dict, derived: dict, base: dict[str, Any],
                        origin: dict[str, str]) -> dict:
    """Raise ParameterError listing every problem; return `derived` when all is well.

    Key paths are checked on what people wrote (`raw`); model blocks and typed sections on what
    nodes get.
    """
    errors = _key_errors(raw, base) + _model_block_errors(derived)
    errors += [(f"{name}.{key}", msg) for name in SECTIONS
               for key, msg in check_section(name, derived)]
    # one message per key path (the first found)
    errors = list(dict(reversed(errors)).items())[::-1]
    if errors:
        flat = _paths(derived)
        lines = [f"  {path} = {_short(flat.get(path))} [{_origin(path, origin)}]: {msg}"
                 for path, msg in errors]
        raise ParameterError("invalid parameters (nothing was run):\n" + "\n".join(lines))
    return derived


def _origin(path: str, origin: dict[str, str]) -> str:
    """The file (or --params) that set `path`, or the closest parent that did."""
    while path and path not in origin:
        path = path.rpartition(".")[0]
    return origin.get(path, "derived")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def prepare_parameters(params: dict, base: dict[str, Any], origin: dict[str, str]) -> dict:
    """Derived, then validated parameters (what every node receives)."""
    return validate_parameters(params, derive_parameters(params), base, origin)
