"""Registers every pipeline; engines pull in ingestion and features so each runs on its own."""

from __future__ import annotations

import importlib

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

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
}
# Serving runs compose their upstream without the universe branch (only training reads it).
SERVING = {"inference", "backfill", "scorecard"}
# `kedro run` without --pipeline: train every engine and render the report (inference is separate).
TRAINING = ["data_ingestion", "feature_engineering", "direction", "seller", "buyer", "reporting"]
# `--env research --pipeline=research`: the training run + research-only instances
UPSTREAM["research"] = TRAINING


def _own_pipeline(name: str, found: dict[str, Pipeline], serving: bool = False) -> Pipeline:
    if serving and name in ("data_ingestion", "feature_engineering"):
        return importlib.import_module(f"aegismatrix.pipelines.{name}").create_pipeline(universe=False)
    if name in found:
        return found[name]
    return importlib.import_module(f"aegismatrix.pipelines.{name}").create_pipeline()


def register_pipelines() -> dict[str, Pipeline]:
    """Map pipeline names to pipelines, each composed with what it needs upstream."""
    found = find_pipelines(raise_errors=True)
    registered: dict[str, Pipeline] = {}
    for name in found:
        parts = [_own_pipeline(up, found, name in SERVING) for up in UPSTREAM.get(name, [])] + [found[name]]
        registered[name] = sum(parts, Pipeline([]))
    if all(name in found for name in TRAINING):
        registered["__default__"] = sum((found[name] for name in TRAINING), Pipeline([]))
    return registered
