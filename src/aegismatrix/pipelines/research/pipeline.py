"""Wiring only: the research-only instances each engine offers through `create_research_pipeline`."""

from __future__ import annotations

import importlib

from kedro.pipeline import Pipeline

ENGINES = ("direction", "seller", "buyer")


def create_pipeline(**kwargs) -> Pipeline:
    """Research-only template instances of every engine (walk-forward evaluated, frozen, compared; not
    served)."""
    engines = [importlib.import_module(f"aegismatrix.pipelines.{name}") for name in ENGINES]
    return sum((m.create_research_pipeline() for m in engines if hasattr(m, "create_research_pipeline")),
               Pipeline([]))
