"""Validate and atomically publish the aegismatrix.json payload (contract: schema.json,
docs/payload.md)."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
import numpy as np

from aegismatrix.payload.unavailable import unlisted_nulls
from aegismatrix.releases.manifest import write_text_atomic

SCHEMA_VERSION = "1.0.0"
_SUM_TOLERANCE = 1e-3
_BREAKOUT_TOLERANCE = 1e-2
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PayloadValidationError(ValueError):
    """The payload breaks the contract; `errors` lists (json_path, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        lines = "\n".join(f"  {path}: {message}" for path, message in errors)
        super().__init__(f"aegismatrix.json payload is invalid ({len(errors)} error(s)):\n{lines}")


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The JSON Schema shipped as package data."""
    schema = resources.files("aegismatrix.payload").joinpath("schema.json")
    return json.loads(schema.read_text("utf-8"))


def to_jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars, arrays and dates to JSON types; NaN and +-inf become None."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [to_jsonable(v) for v in obj]
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if str(obj) in ("NaT", "<NA>"):  # pandas NaT / NA (and numpy NaT) are missing values
        return None
    if isinstance(obj, (dt.date, dt.time)):  # includes pandas Timestamp
        return obj.isoformat()
    if isinstance(obj, np.datetime64):
        return str(obj)
    raise TypeError(f"cannot encode {type(obj).__name__} in aegismatrix.json")


def dumps(payload: dict[str, Any]) -> str:
    """Serialise a payload as strict JSON (no NaN tokens)."""
    return json.dumps(to_jsonable(payload), indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def _path(parts: Any) -> str:
    """Render a path as $.a.b[0].c."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if _IDENT.match(str(part)) else f"['{part}']"
    return out


@lru_cache(maxsize=1)
def _validator() -> jsonschema_rs.Draft202012Validator:
    # jsonschema-rs, not the `jsonschema` package: importing that one where jupyterlab installed its
    # format-nongpl extra builds an IRI grammar (rfc3987_syntax, ~2 s) that this schema never uses
    return jsonschema_rs.Draft202012Validator(load_schema(), validate_formats=True)


def _schema_errors(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """Schema violations as (json_path, message), one per missing key."""
    errors: list[tuple[str, str]] = []
    for err in _validator().iter_errors(payload):
        if isinstance(err.kind, jsonschema_rs.ValidationErrorKind.Required):
            errors.append((_path([*err.instance_path, err.kind.property]),
                           "required property is missing"))
        else:
            errors.append((_path(err.instance_path), err.message))
    return errors


def _known(*values: Any) -> bool:
    """True when no value is null (null values are `unavailable` and listed in data.unavailable)."""
    return all(v is not None for v in values)


def _consistency_errors(p: dict[str, Any]) -> list[tuple[str, str]]:
    """Cross-field rules JSON Schema cannot express (sums of probabilities, interval order)."""
    errors: list[tuple[str, str]] = [(path, "null without a reason in data.unavailable "
                                            "(NaN is never served silently)")
                                     for path in unlisted_nulls(p)]
    for i, h in enumerate(p["direction"]["horizons"]):
        # null = unavailable (payload/unavailable.py)
        if _known(h["p_down"], h["p_neutral"], h["p_up"]):
            total = h["p_down"] + h["p_neutral"] + h["p_up"]
            if abs(total - 1) > _SUM_TOLERANCE:
                errors.append((f"$.direction.horizons[{i}]",
                               f"p_down + p_neutral + p_up = {total:.4f}, not 1"))
        if (_known(h["move_lower_points"], h["move_upper_points"])
                and h["move_lower_points"] > h["move_upper_points"]):
            errors.append((f"$.direction.horizons[{i}]", "move_lower_points > move_upper_points"))
    s = p["seller"]
    if _known(s["p_vol_low"], s["p_vol_medium"], s["p_vol_high"]):
        total = s["p_vol_low"] + s["p_vol_medium"] + s["p_vol_high"]
        if abs(total - 1) > _SUM_TOLERANCE:
            errors.append(("$.seller",
                           f"p_vol_low + p_vol_medium + p_vol_high = {total:.4f}, not 1"))
    for i, r in enumerate(s["safe_ranges"]):
        if _known(r["lower"], r["upper"]) and r["lower"] >= r["upper"]:
            errors.append((f"$.seller.safe_ranges[{i}]", "lower must be below upper"))
    b = p["buyer"]
    if _known(b["p_breakout_up"], b["p_breakout_down"], b["breakout_probability"]) and \
            abs(b["p_breakout_up"] + b["p_breakout_down"]
                - b["breakout_probability"]) > _BREAKOUT_TOLERANCE:
        errors.append(("$.buyer",
                       "p_breakout_up + p_breakout_down must equal breakout_probability"))
    return errors


def validate_payload(payload: dict[str, Any]) -> None:
    """Raise PayloadValidationError listing every failing JSON path; NaN counts as null."""
    clean = to_jsonable(payload)
    errors = _schema_errors(clean)
    if not errors:
        errors = _consistency_errors(clean)
    if errors:
        raise PayloadValidationError(errors)


class OlderPayloadRefused(RuntimeError):
    """The published file already holds a newer `data_as_of` than the payload offered."""


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Exclusive flock on the folder itself (no lock file beside the payload): check-then-replace is
    one step for overlapping runs."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _published_as_of(path: Path) -> str | None:
    """data_as_of of the published file; None when there is none (or it cannot be read: replace it).
    """
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("data_as_of")
    except (OSError, ValueError, AttributeError):
        return None


def publish_payload(payload: dict[str, Any], path: str | Path, validate: bool = True) -> Path:
    """Validate, then write atomically (temp file in the same folder + os.replace); the old file
    survives failures. A payload older (data_as_of) than the published one raises
    OlderPayloadRefused: a late overlapping run never replaces newer data."""
    if validate:
        validate_payload(payload)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _folder_lock(target.parent):
        published, offered = _published_as_of(target), to_jsonable(payload.get("data_as_of"))
        if published and offered and str(offered) < str(published):
            raise OlderPayloadRefused(
                f"{target} already serves data_as_of {published}; this run's payload is for "
                f"{offered} (older): not published, the newer payload stays"
            )
        return write_text_atomic(target, dumps(payload))
