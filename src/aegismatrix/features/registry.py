"""The feature registry: every named feature, its family, lookback, description and the engines that use it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .feature_sets import ENGINE_SETS
from .indicators import all_specs
from .spec import FeatureSpec

REGISTRY: dict[str, FeatureSpec] = {spec.name: spec for spec in all_specs()}
DOC_PATH = Path(__file__).resolve().parents[3] / "docs" / "features.md"


def engines_using(name: str) -> list[str]:
    """The engines whose default feature set contains this feature."""
    return [engine for engine, names in ENGINE_SETS.items() if name in names]


def registry_table() -> pd.DataFrame:
    """The registry as a frame, one row per feature."""
    rows = [
        {"name": s.name, "family": s.family, "lookback": s.lookback, "needs": s.needs,
         "engines": ", ".join(engines_using(s.name)), "description": s.description}
        for s in REGISTRY.values()
    ]
    return pd.DataFrame(rows)


def render_markdown() -> str:
    """docs/features.md, generated from the registry (run `python -m aegismatrix.features`)."""
    table = registry_table()
    head = [
        "# Feature registry",
        "",
        "Generated from `aegismatrix.features.registry` by `python -m aegismatrix.features`; do not edit by hand.",
        "`lookback` is the number of rows a feature needs before its first defined value.",
        f"{len(table)} features; engine set sizes: "
        + ", ".join(f"{e} {len(n)}" for e, n in ENGINE_SETS.items()) + ".",
        "",
        "| name | family | lookback | needs | engines | description |",
        "|---|---|---|---|---|---|",
    ]
    body = [f"| `{r.name}` | {r.family} | {r.lookback} | {r.needs} | {r.engines} | {r.description} |" for r in table.itertuples()]
    return "\n".join(head + body) + "\n"


def write_doc(path: Path = DOC_PATH) -> Path:
    """Regenerate the registry table in docs/."""
    path.write_text(render_markdown(), encoding="utf-8")
    return path
