"""Wiring only: the research-only instances each engine offers through
`create_research_pipeline`."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from aegismatrix.pipelines import buyer, direction, seller


def create_pipeline(**kwargs) -> Pipeline:
    """Research-only template instances of every engine (walk-forward evaluated, frozen, compared;
    not served)."""
    engines = [m for m in (direction, seller, buyer) if hasattr(m, "create_research_pipeline")]
    return sum((m.create_research_pipeline() for m in engines), Pipeline([]))
