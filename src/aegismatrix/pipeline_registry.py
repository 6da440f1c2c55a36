"""Registers every pipeline; engines pull in ingestion and features so each runs on its own."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

from aegismatrix.pipelines import modular

# What each pipeline needs run before it in the same `kedro run` (reporting reads stored outputs).
UPSTREAM: dict[str, list[str]] = {
    "data_ingestion": [],
    "feature_engineering": ["data_ingestion"],
    "direction": ["data_ingestion", "feature_engineering"],
    "seller": ["data_ingestion", "feature_engineering"],
    "buyer": ["data_ingestion", "feature_engineering"],
    "reporting": [],
    "inference": ["data_ingestion", "feature_engineering"],
    "backfill": ["data_ingestion", "feature_engineering"],  # the same frozen-model signals as inference
    "scorecard": ["data_ingestion"],  # fresh highs/lows to score against (cache-aware), then the ledger
    "backtest": ["data_ingestion"],  # issue 22: ranges and chain analytics rebuilt from the window's data
}
# Serving runs compose their upstream without the universe branch (only training reads it).
SERVING = {"inference", "backfill", "scorecard", "backtest"}
# `kedro run` without --pipeline: train every engine and render the report (inference is separate).
TRAINING = ["data_ingestion", "feature_engineering", "direction", "seller", "buyer", "reporting"]
# `--env research --pipeline=research`: the training run + research-only instances
UPSTREAM["research"] = TRAINING


def _own_pipeline(name: str, found: dict[str, Pipeline], serving: bool = False) -> Pipeline:
    if name in found and not (serving and name in ("data_ingestion", "feature_engineering")):
        return found[name]
    return modular(_create_pipeline(name, serving), name)


def _create_pipeline(name: str, serving: bool) -> Pipeline:
    """An upstream pipeline `find_pipelines` did not load (`kedro run --pipeline=X` imports only X's package);
    imported here, on demand, so a run imports only what it runs."""
    if name == "data_ingestion":
        from aegismatrix.pipelines import data_ingestion

        return data_ingestion.create_pipeline(universe=not serving)
    if name == "feature_engineering":
        from aegismatrix.pipelines import feature_engineering

        return feature_engineering.create_pipeline(universe=not serving)
    # the training run in front of `research`
    from aegismatrix.pipelines import buyer, direction, reporting, seller

    return {"direction": direction, "seller": seller, "buyer": buyer,
            "reporting": reporting}[name].create_pipeline()


def register_pipelines() -> dict[str, Pipeline]:
    """Map pipeline names to pipelines, each composed with what it needs upstream."""
    # each pipeline's nodes in its own namespace: kedro-viz opens on one box per pipeline
    found = {name: modular(pipe, name) for name, pipe in find_pipelines(raise_errors=True).items()}
    registered: dict[str, Pipeline] = {}
    for name in found:
        parts = [_own_pipeline(up, found, name in SERVING) for up in UPSTREAM.get(name, [])] + [found[name]]
        registered[name] = sum(parts, Pipeline([]))
    if all(name in found for name in TRAINING):
        registered["__default__"] = sum((found[name] for name in TRAINING), Pipeline([]))
    return registered
