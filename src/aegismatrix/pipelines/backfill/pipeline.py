"""Wiring only: every engine's inference pipeline (same frozen models, same per-date signals), then
one append."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from aegismatrix.pipelines.inference import pipeline as inference
from aegismatrix.pipelines.inference.hooks import TRAINING_END_DATASET
from aegismatrix.pipelines.seller.intraday_ranges import backfill_intraday_signals

from . import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """`kedro run --pipeline=backfill --params "backfill.start=2021-01-01"` writes the signal
    history to the ledger."""
    engines = inference.engine_modules()
    pipe = sum((module.create_inference_pipeline() for module in engines.values()), Pipeline([]))
    inputs = {
        "model_versions": "inference_model_versions",
        "data_provenance": "data_provenance",
        "mlflow_releases": "mlflow_releases",
        "params": "params:backfill",
        "ledger_params": "params:ledger",
        "decision_time": "params:decision_time",
        # checked against backfill.start before the run too (inference hooks)
        "training_end": TRAINING_END_DATASET,
        "served": "served_frames",
    }
    return pipe + Pipeline([inference.served_frames_node(),
                            Node(nodes.backfill_ledger, inputs, "signal_ledger",
                                 name="backfill_ledger"),
                            _intraday_node()])


def _intraday_node() -> Node:
    """decision_time=intraday (issue 24): intraday_signals at backfill.times of every session with
    bars."""
    return Node(backfill_intraday_signals, ["market_daily", "market_intraday", "params:seller",
                                            "params:backfill", "params:decision_time"],
                ["intraday_signals", "intraday_range_calibration"],
                name="backfill_intraday_signals")
