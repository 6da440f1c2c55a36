"""Wiring only: every engine's inference pipeline (same frozen models, same per-date signals), then
one append."""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from aegismatrix.ledger.serve import ledger_frame_names
from aegismatrix.modelling.template import template_inputs
from aegismatrix.pipelines.inference import pipeline as inference
from aegismatrix.pipelines.seller.intraday_ranges import backfill_intraday_signals

from . import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """`kedro run --pipeline=backfill --params "backfill.start=2021-01-01"` writes the signal
    history to the ledger."""
    engines = inference.engine_modules()
    pipe = sum((module.create_inference_pipeline() for module in engines.values()), Pipeline([]))
    namespaces = [ns for module in engines.values() for ns in module.MODEL_NAMESPACES]
    inputs = {
        "model_versions": "inference_model_versions",
        "data_provenance": "data_provenance",
        "mlflow_releases": "mlflow_releases",
        "params": "params:backfill",
        "ledger_params": "params:ledger",
        "decision_time": "params:decision_time",
    }
    # predictions: the live guard
    inputs.update(template_inputs(None, namespaces, ("model", "predictions")))
    inputs.update({name: name for name in ledger_frame_names(pipe.all_outputs())})
    return pipe + Pipeline([Node(nodes.backfill_ledger, inputs, "signal_ledger",
                                 name="backfill_ledger"),
                            _intraday_node()])


def _intraday_node() -> Node:
    """decision_time=intraday (issue 24): intraday_signals at backfill.times of every session with
    bars."""
    return Node(backfill_intraday_signals, ["market_daily", "market_intraday", "params:seller",
                                            "params:backfill", "params:decision_time"],
                ["intraday_signals", "intraday_range_calibration"],
                name="backfill_intraday_signals")
