"""Wiring only: every engine's inference pipeline (frozen models, same signal assembly), then the
payload."""

from __future__ import annotations

import importlib

from kedro.pipeline import Node, Pipeline

from aegismatrix.ledger.serve import collect_served_frames, record_served
from aegismatrix.pipelines.inference.hooks import TRAINING_END_DATASET
from aegismatrix.pipelines.seller.intraday_ranges import intraday_snapshot

from . import nodes, publishing

ENGINES = ("direction", "seller", "buyer")


def engine_modules() -> dict:
    """Each engine's pipeline module (its create_inference_pipeline), by engine name."""
    return {name: importlib.import_module(f"aegismatrix.pipelines.{name}.pipeline")
            for name in ENGINES}


def create_pipeline(**kwargs) -> Pipeline:
    """Engines predict every date from frozen models; the latest date becomes aegismatrix.json."""
    engines = engine_modules()
    pipe = sum((module.create_inference_pipeline() for module in engines.values()), Pipeline([]))
    return pipe + Pipeline([
        Node(nodes.describe_served_models,
             {**{f"{engine}_records": f"{engine}_records" for engine in ENGINES},
              "params": "params:inference"},
             "inference_model_records", name="describe_served_models"),
        Node(intraday_snapshot, ["market_daily", "market_intraday", "params:seller",
                                 "params:inference", "params:decision_time"],
             ["seller_intraday_ranges", "seller_intraday_ladder", "intraday_context"],
             name="intraday_snapshot"),  # issue 24: empty unless decision_time=intraday
        Node(nodes.assemble_inference_payload, _payload_inputs(pipe),
             "aegismatrix_payload_candidate", name="assemble_payload"),
        # record first, then publish (issue 26 defect 2, docs/track_record.md)
        Node(publishing.check_for_publishing, "aegismatrix_payload_candidate",
             "aegismatrix_payload_checked", name="check_payload"),
        served_frames_node(),
        _ledger_node(),
        Node(publishing.publish_recorded,
             ["aegismatrix_payload_checked", "ledger_receipt", "params:inference"],
             "aegismatrix_payload", name="publish_payload"),
    ])


# What the payload node reads of each engine in the run (`ENGINES`): produced by its serving pipeline
# or (the weekly strategy backtest, computed in training) read from the release; and what every run
# reads: the decision time's inputs (issue 14 overnight, issue 24 intraday), the latest scorecard
# (issue 15).
ENGINE_PAYLOAD_INPUTS = {
    "direction": ("direction_signals",),
    "seller": ("seller_signals", "seller_chain_analytics", "seller_expiry_ranges",
               "seller_strike_ladder", "seller_strategy_backtest",
               "seller_strategy_backtest_summary"),
    "buyer": ("buyer_signals", "gamma_windows"),
}
RUN_PAYLOAD_INPUTS = ("us_daily", "seller_intraday_ranges", "seller_intraday_ladder",
                      "intraday_context", "scorecard")


def _payload_inputs(pipe: Pipeline) -> dict[str, str]:
    """The payload node's named inputs (parameter -> dataset)."""
    inputs = {"market_daily": "market_daily", "data_provenance": "data_provenance",
              "model_versions": "inference_model_versions", "params": "params:inference",
              "model_records": "inference_model_records", "seller_params": "params:seller",
              "buyer_params": "params:buyer",
              "decision_time": "params:decision_time",
              **{name: name for name in RUN_PAYLOAD_INPUTS},
              **{name: name for engine in ENGINES for name in ENGINE_PAYLOAD_INPUTS[engine]}}
    if "direction.gap.record" in pipe.all_outputs():
        inputs["gap_record"] = "direction.gap.record"
    return inputs


def served_frames_node() -> Node:
    """The signal frames and models' predictions of the engines in the run, one typed ledger
    input."""
    frames = [name for engine in ENGINES
              for name in (f"{engine}_signals", f"{engine}_records",
                           *(("seller_expiry_ranges",) if engine == "seller" else ()))]
    return Node(collect_served_frames, {name: name for name in frames}, "served_frames",
                name="collect_served_frames")


def _ledger_node() -> Node:
    """Before publishing: what will be served becomes one keep-first ledger append (issue 15,
    docs/track_record.md); its receipt gates the publish node."""
    inputs = {"payload": "aegismatrix_payload_checked",
              "model_versions": "inference_model_versions",
              "data_provenance": "data_provenance", "mlflow_releases": "mlflow_releases",
              "params": "params:ledger", "decision_time": "params:decision_time",
              "served": "served_frames", "training_end": TRAINING_END_DATASET}
    return Node(record_served, inputs, ["signal_ledger", "ledger_receipt"],
                name="record_served_signals")
