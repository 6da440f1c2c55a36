"""Parameters that follow from other parameters are computed here, never written twice in YAML.

- A multi-horizon model family (`<engine>.families.<family>`) is written once; every member
  `<engine>.<family>_h<h>` the engine declares (aegismatrix.engines: `direction.horizons`,
  `.research`) without its own block gets a copy with `horizon` h (qlib's MultiHorizonGenBase idea).
- `horizon` (the purge length) is the label's horizon.
- A direction label's neutral band is `base_band x sqrt(h)`.
- The torch estimators' early-stopping split is purged by the label horizon (a purge of 1 would
  leak), and
  GARCH forecasts over it (models/defaults.py HORIZON_PARAMS).
- A trailing-label baseline waits for the label's own horizon.
- The seller's breach models bin their label at `1 - safe_range.target_breach_probability`.
Values written explicitly are kept; the validator then refuses inconsistent pairs.
"""

from __future__ import annotations

import copy
import math
import re

from aegismatrix.engines import ENGINES, declaration, is_model_block

# `derive_member` only: a member named outside the declared layout (benchmarks/research.py)
_FAMILY_MEMBER = re.compile(r"^(?P<family>.+)_h(?P<h>\d+)$")

__all__ = ["ENGINES", "derive_member", "derive_parameters", "is_model_block", "model_namespaces"]


def model_namespaces(engine: str, params: dict | None = None) -> list[str]:
    """The template namespaces of `engine`, research included (aegismatrix.engines: read from
    `params`, or from the current project's parameters)."""
    from aegismatrix.engines import model_namespaces as namespaces

    return namespaces(engine, params)


MISSING = "???"  # OmegaConf's mandatory-value marker: a merge keeps what it would replace


def soft_merge(base, override):
    """`override` laid over `base` as OmegaConf merges plain containers: mappings key by key,
    anything else (lists included) replaced. Untouched parts of `base` are shared, not copied."""
    if not (isinstance(base, dict) and isinstance(override, dict)):
        return override
    merged = dict(base)
    for key, value in override.items():
        if value == MISSING and key in merged:
            continue
        merged[key] = soft_merge(merged[key], value) if key in merged else value
    return merged


def _merged(base: dict, override: dict) -> dict:
    """`base` with `override` laid over it, nested dicts merged key by key (a copy of both)."""
    return copy.deepcopy(soft_merge(base, override))


def generate_family_blocks(section: dict, members: dict[str, tuple[str, int]]) -> None:
    """Fill member blocks `{name: (family, horizon)}` from `section['families'][family]`.

    A member written out in full is kept; a partial one (an env or `--params` changing a few keys of
    one horizon, e.g. `direction.xgb_h1.tuning.n_trials=0`) is laid over its family's block.
    """
    families = section.get("families") or {}
    for name, (family, h) in members.items():
        if is_model_block(section.get(name)) or family not in families:
            continue
        block = copy.deepcopy(families[family])
        block["label"] = {**block.get("label", {}), "horizon": h}
        block["horizon"] = h
        section[name] = _merged(block, section.get(name) or {})


def _derive_horizon(block: dict, section: dict) -> None:
    if "horizon" not in block and "horizon" in block["label"]:
        block["horizon"] = int(block["label"]["horizon"])


def _derive_neutral_band(block: dict, section: dict) -> None:
    label = block["label"]
    band = _number(section.get("base_band"))
    if label.get("name") == "direction_class" and "neutral_band" not in label and band is not None:
        label["neutral_band"] = band * math.sqrt(int(label["horizon"]))


def _derive_estimator_horizon(block: dict, section: dict) -> None:
    from aegismatrix.models.defaults import HORIZON_PARAMS

    estimator = block["estimator"]
    if estimator.get("kind") in HORIZON_PARAMS:
        key = HORIZON_PARAMS[estimator["kind"]]
        estimator.setdefault("params", {}).setdefault(key, int(block.get("horizon", 1)))


def _derive_baseline_horizon(block: dict, section: dict) -> None:
    for baseline in block.get("baselines") or []:
        if baseline.get("kind") == "trailing_label_median":
            baseline.setdefault("horizon", int(block.get("horizon", 1)))


def _number(value: object) -> float | None:
    """`value` as a float, or None when it is not a number: nothing is derived from it, and the
    validator then refuses it naming the key, the value and where it was set (a bare float('abc')
    named none)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _derive_breach_bins(block: dict, section: dict) -> None:
    target = _number((section.get("safe_range") or {}).get("target_breach_probability"))
    if block["label"].get("name") == "forward_excursion_ratio" and target is not None:
        block.setdefault("label_bins", [round(1.0 - target, 10)])


RULES = (_derive_horizon, _derive_neutral_band, _derive_estimator_horizon, _derive_baseline_horizon,
         _derive_breach_bins)


def derive_member(section: dict, name: str) -> dict:
    """One `<family>_h<h>` block derived from an engine section, declared in a pipeline or not
    (research runs)."""
    section = copy.deepcopy(section)
    member = _FAMILY_MEMBER.match(name)
    generate_family_blocks(section, {name: (member["family"], int(member["h"]))} if member else {})
    if not is_model_block(section.get(name)):
        raise KeyError(f"{name}: no such block and no family to generate it from")
    _apply_rules(section[name], section)
    return section[name]


def _apply_rules(block: dict, section: dict) -> None:
    for rule in RULES:
        rule(block, section)


def derive_parameters(params: dict) -> dict:
    """A copy of `params` with family blocks generated and every derived key filled in."""
    out = copy.deepcopy(params)
    for engine in ENGINES:
        section = out.get(engine)
        if not isinstance(section, dict):
            continue
        generate_family_blocks(section, declaration(engine).members(section))
        for name, block in section.items():
            if name != "families" and is_model_block(block):
                _apply_rules(block, section)
                # the template's nodes name their studies and metrics after it
                # (modelling/template.py)
                block["namespace"] = f"{engine}.{name}"
    _derive_universe_band(out.get("direction") or {})
    return out


def _derive_universe_band(section: dict) -> None:
    universe = section.get("universe")
    band = _number(section.get("base_band"))
    if isinstance(universe, dict) and "neutral_band" not in universe and band is not None:
        universe["neutral_band"] = band * math.sqrt(int(universe["horizon"]))
