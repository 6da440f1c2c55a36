"""No silent numbers: a NaN/inf anywhere in a served payload becomes `null`, marked `unavailable`,
with a reason.

Choice per signal (docs/payload.md, "Unavailable values"):
- `market.spot` frames every other number (ranges, moves, the dashboard), so a non-finite spot FAILS
  the run and the last good aegismatrix.json stays in place (`UnservableValueError`).
- Every other number becomes `null`; the signal that owns it gets `model_source: unavailable` (the
  per-signal `model_source` dict of its section, or the `model_source` of its own object),
  `data.unavailable` lists the JSON path and the reason, and `data.warnings` repeats it.
  Probabilities that only mean something together (a direction triple, the vol-regime triple, the
  breakout split) are voided together.
The walk is generic, so blocks other engines add later are covered without edits here.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

UNAVAILABLE = "unavailable"
FATAL_PATHS = {"$.market.spot"}
# Values that are one signal: when one member is unavailable the others are voided with it.
GROUPS: dict[str, tuple[str, ...]] = {
    r"^\$\.direction\.horizons\[\d+\]$": ("p_down", "p_neutral", "p_up", "label", "conviction"),
    r"^\$\.seller$": ("p_vol_low", "p_vol_medium", "p_vol_high", "vol_regime"),
    r"^\$\.buyer$": ("breakout_probability", "p_breakout_up", "p_breakout_down", "spike_bias"),
}
# A value whose key is not itself a key of its section's `model_source` dict belongs to this signal.
OWNER = {"p_vol_low": "vol_regime", "p_vol_medium": "vol_regime", "p_vol_high": "vol_regime",
         "p_breakout_up": "breakout_probability", "p_breakout_down": "breakout_probability",
         "spike_bias": "breakout_probability", "theta_edge": "theta_ratio_forecast",
         "fair_theta_ratio": "theta_ratio_forecast"}
# out-of-sample metrics already use null for unknown; they are not served signals
SKIP_SECTIONS = {"models"}


class UnservableValueError(ValueError):
    """A value the whole payload depends on is not finite: the run fails and the last good payload
    stays."""


def _not_finite(value: Any) -> bool:
    return isinstance(value, (float, np.floating)) and not math.isfinite(float(value))


def _walk(node: Any, path: str, chain: list[tuple[dict, str]], out: list) -> None:
    """Collect (path, container, key, value, ancestors) for every non-finite float below `node`."""
    items = (node.items() if isinstance(node, dict)
             else enumerate(node) if isinstance(node, list) else ())
    for key, value in items:
        child = f"{path}.{key}" if isinstance(node, dict) else f"{path}[{key}]"
        if _not_finite(value):
            out.append((child, node, key, value, chain))
        elif isinstance(value, (dict, list)):
            _walk(value, child, chain + [(node, key)] if isinstance(node, dict) else chain, out)


def _mark_owner(container: dict, key: Any, chain: list[tuple[dict, str]]) -> None:
    """Set `model_source` of the signal that owns `container[key]` to `unavailable`."""
    if isinstance(container, dict) and isinstance(container.get("model_source"), str):
        container["model_source"] = UNAVAILABLE
    for ancestor, first_key in [*chain, (container, key)]:
        sources = ancestor.get("model_source") if isinstance(ancestor, dict) else None
        if isinstance(sources, dict):
            signal = first_key if first_key in sources else OWNER.get(str(first_key))
            if signal in sources:
                sources[signal] = UNAVAILABLE


def _void_groups(node: Any, path: str, found: list[dict]) -> None:
    """Null every member of a value group when one member is null because it was not finite."""
    if isinstance(node, dict):
        for pattern, members in GROUPS.items():
            paths = {f"{path}.{m}" for m in members}
            if re.match(pattern, path) and any(f["path"] in paths for f in found):
                cause = next(f["path"] for f in found if f["path"] in paths)
                for member in members:
                    if member in node and node[member] is not None:
                        node[member] = None
                        found.append({"path": f"{path}.{member}", "reason": f"voided with {cause}",
                                      "source": UNAVAILABLE})
                _mark_owner(node, members[0], [])
        for key, value in node.items():
            _void_groups(value, f"{path}.{key}", found)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _void_groups(value, f"{path}[{i}]", found)


def mark_unavailable(payload: dict) -> dict:
    """Replace non-finite numbers by null in place, mark their signals `unavailable`, list why;
    returns payload."""
    hits: list = []
    for section, value in payload.items():
        if section not in SKIP_SECTIONS and isinstance(value, (dict, list)):
            _walk(value, f"$.{section}", [(payload, section)], hits)
    fatal = [h for h in hits if h[0] in FATAL_PATHS]
    if fatal:
        raise UnservableValueError(f"{fatal[0][0]} is {fatal[0][3]!r}: "
                                   "refusing to publish a payload without it; "
                                   "the last good aegismatrix.json stays")
    found = []
    for path, container, key, value, chain in hits:
        container[key] = None
        _mark_owner(container, key, chain)
        found.append({"path": path, "reason": f"not a finite number ({float(value)!r})",
                      "source": UNAVAILABLE})
    _void_groups(payload, "$", found)
    if found:
        data = payload.setdefault("data", {})
        known = {u["path"] for u in data.get("unavailable") or []}
        data["unavailable"] = [*(data.get("unavailable") or []),
                               *(f for f in found if f["path"] not in known)]
        data["warnings"] = [*(data.get("warnings") or []),
                            *(f"{f['path']} unavailable: {f['reason']}"
                              for f in found if f["path"] not in known)]
    return payload


# Signal values the schema allows as null only when data.unavailable says why.
NULL_ONLY_WHEN_UNAVAILABLE = {
    "change", "change_pct", "vix", "p_down", "p_neutral", "p_up", "label", "conviction",
    "neutral_band",
    "expected_abs_move_points", "move_lower_points", "move_upper_points", "interval_coverage",
    "vol_forecast_21d", "vol_regime", "p_vol_low", "p_vol_medium", "p_vol_high", "trap_probability",
    "lower",
    "upper", "breach_probability", "target_breach_probability", "breakout_probability",
    "p_breakout_up",
    "p_breakout_down", "spike_up_probability", "spike_bias", "theta_ratio_forecast", "theta_edge",
    "contribution", "typical_abs_move_points",
}
SIGNAL_SECTIONS = ("market", "direction", "seller", "buyer")


def unlisted_nulls(payload: dict) -> list[str]:
    """JSON paths of signal values that are null without an entry in data.unavailable
    (a silent gap)."""
    listed = {u.get("path") for u in (payload.get("data") or {}).get("unavailable") or []}
    out: list[str] = []

    def visit(node: Any, path: str) -> None:
        items = (node.items() if isinstance(node, dict)
                 else enumerate(node) if isinstance(node, list) else ())
        for key, value in items:
            child = f"{path}.{key}" if isinstance(node, dict) else f"{path}[{key}]"
            if value is None and key in NULL_ONLY_WHEN_UNAVAILABLE and child not in listed:
                out.append(child)
            visit(value, child)

    for section in SIGNAL_SECTIONS:
        visit(payload.get(section), f"$.{section}")
    return out
