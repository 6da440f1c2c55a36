"""The feature registry: every named feature, its family, lookback, description and the engines that
use it."""

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


BEGIN, END = "<!-- registry:begin -->", "<!-- registry:end -->"


def render_markdown() -> str:
    """The generated part of docs/features.md: engine sets and the registry table."""
    sets = [f"- **{e}** ({len(n)}): " + ", ".join(f"`{x}`" for x in n) for e, n in ENGINE_SETS.items()]
    rows = [f"| `{r.name}` | {r.family} | {r.lookback} | "
            f"{r.needs} | {r.engines} | {r.description} |"
            for r in registry_table().itertuples()]
    lines = [
        BEGIN,
        f"Generated from the registry by `python -m aegismatrix.features`; {len(REGISTRY)} "
        "features. `lookback`: rows a feature needs before its first defined value.",
        "", "### Engine feature sets", "", *sets, "", "### Registry", "",
        "| name | family | lookback | needs | engines | description |", "|---|---|---|---|---|---|",
        *rows, END,
    ]
    return "\n".join(lines)


def doc_section(text: str) -> str:
    """The generated section of a features.md text (empty when the markers are missing)."""
    if BEGIN not in text or END not in text:
        return ""
    return text[text.index(BEGIN) : text.index(END) + len(END)]


def write_doc(path: Path = DOC_PATH) -> Path:
    """Regenerate the registry section of docs/features.md,
    keeping the hand-written text around it."""
    text = path.read_text(encoding="utf-8") if path.exists() else f"# Features\n\n{BEGIN}\n{END}\n"
    path.write_text(text.replace(doc_section(text), render_markdown()), encoding="utf-8")
    return path
