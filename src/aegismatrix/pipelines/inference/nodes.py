"""Thin nodes of the inference pipeline: describe the served models from their engines' records,
assemble, validate and publish the payload. Every node names its inputs (pipeline.py wires them)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from aegismatrix.market.intraday_bars import daily_decision_time
from aegismatrix.modelling.template import EngineRecords, ModelRecord
from aegismatrix.payload.assemble import assemble_payload, describe_served_model
from aegismatrix.payload.overnight import overnight_market_fields, us_feed_warning
from aegismatrix.payload.publish import PayloadValidationError, publish_payload
from aegismatrix.payload.track_record import track_record_block

logger = logging.getLogger(__name__)


def describe_served_models(params: dict, direction_records: EngineRecords | None = None,
                           seller_records: EngineRecords | None = None,
                           buyer_records: EngineRecords | None = None) -> dict[str, dict]:
    """Every served model's payload record by its namespace, in wiring order: edge, out-of-sample
    skill, served source (after the live guard) and latest top drivers, from the record its
    `serve_frozen` node wrote (rows served, bundle, parameter block). An engine left out of the
    run (`pipeline.ENGINES`) has no records."""
    n_drivers = int(params.get("n_drivers", 5))
    engines = [r for r in (direction_records, seller_records, buyer_records) if r is not None]
    return {record.namespace: describe_served_model(record.model_input, record.model, record.params,
                                                    record.namespace, n_drivers, record.predictions)
            for records in engines for record in records}


def assemble_inference_payload(
        market_daily: pd.DataFrame, data_provenance: dict, model_versions: dict, params: dict,
        model_records: dict[str, dict] | None = None, direction_signals: pd.DataFrame | None = None,
        seller_signals: pd.DataFrame | None = None, buyer_signals: pd.DataFrame | None = None,
        seller_params: dict | None = None, buyer_params: dict | None = None,
        gamma_windows: dict | None = None,
        seller_chain_analytics: dict | None = None,
        seller_expiry_ranges: pd.DataFrame | None = None,
        seller_strike_ladder: pd.DataFrame | None = None,
        seller_strategy_backtest: pd.DataFrame | None = None,
        seller_strategy_backtest_summary: dict | None = None, us_daily: pd.DataFrame | None = None,
        decision_time: str = "close", seller_intraday_ranges: pd.DataFrame | None = None,
        seller_intraday_ladder: pd.DataFrame | None = None, intraday_context: dict | None = None,
        scorecard: dict | None = None, gap_record: ModelRecord | None = None) -> dict:
    """The payload for the latest date from every engine's signals, its models' records and
    provenance; the decision time, US session, intraday context and track record are inputs of the
    assembly."""
    if intraday_context:  # the daily part is as of the last completed session (a CSV replay may
        # hold the live day)
        session = pd.Timestamp(intraday_context["session"])
        market_daily = market_daily[market_daily["date"] < session]
    # decision time and the US session it could see (issue 14)
    gap = (gap_record.predictions, gap_record.model) if gap_record is not None else (None, None)
    decision = overnight_market_fields(market_daily, us_daily, daily_decision_time(decision_time),
                                       *gap)
    feed_warning = us_feed_warning(market_daily, us_daily)
    intraday = ((intraday_context, seller_intraday_ranges, seller_intraday_ladder)
                if intraday_context else None)
    return assemble_payload(
        market_daily, data_provenance, {"direction": direction_signals, "seller": seller_signals,
                                        "buyer": buyer_signals},
        model_records or {}, model_versions, params, engine_params={"seller": seller_params or {},
                                                         "buyer": buyer_params or {}},
        gamma_windows=gamma_windows, max_pain=seller_chain_analytics,
        strategy_backtest=(seller_strategy_backtest, seller_strategy_backtest_summary),
        expiry_ranges=(seller_expiry_ranges, seller_strike_ladder), decision=decision,
        intraday=intraday,
        warnings=[feed_warning] if feed_warning else [],
        track_record=track_record_block(scorecard))  # issue 15: the live record


def publish(payload: dict, params: dict, validated: bool = False) -> dict:
    """Validate (unless the caller just did) and atomically publish aegismatrix.json (an invalid
    payload fails the run; the last good file stays). Non-finite numbers were marked unavailable by
    the assembly."""
    path = Path(params.get("payload_path", "data/07_model_output/aegismatrix.json"))
    try:
        publish_payload(payload, path, validate=not validated)
    except PayloadValidationError as error:
        logger.error("aegismatrix.json NOT published, %s keeps the last good payload: %s", path,
                     error)
        raise
    logger.info("published %s for %s", path, payload["data_as_of"])
    dashboard = params.get("dashboard_dir")
    if dashboard:
        from aegismatrix.dashboard import render_dashboard

        render_dashboard(path, dashboard)
    return payload
