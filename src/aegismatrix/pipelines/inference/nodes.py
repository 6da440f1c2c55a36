"""Thin nodes of the inference pipeline: describe each served model, assemble, validate and publish the
payload."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from aegismatrix.market.intraday_bars import daily_decision_time
from aegismatrix.modelling.template import template_outputs
from aegismatrix.payload.assemble import assemble_payload, describe_served_model
from aegismatrix.payload.expiries import INTRADAY_NO_MARKET, expiries_section
from aegismatrix.payload.overnight import overnight_market_fields, us_feed_warning
from aegismatrix.payload.publish import PayloadValidationError, publish_payload
from aegismatrix.payload.track_record import track_record_block
from aegismatrix.payload.unavailable import mark_unavailable
from aegismatrix.pipelines.buyer.payload import mark_windows_ahead

logger = logging.getLogger(__name__)

SIGNAL_SUFFIX = "_signals"


def describe_model(model_input: pd.DataFrame, model: dict | None, model_params: dict, params: dict,
                   predictions: pd.DataFrame | None = None, namespace: str = "") -> dict:
    """Edge, out-of-sample skill, served source (after the live guard) and latest top drivers of one frozen
    model."""
    return describe_served_model(model_input, model, model_params, namespace, int(params.get("n_drivers", 5)),
                                 predictions)


def assemble_inference_payload(market_daily: pd.DataFrame, data_provenance: dict, model_versions: dict,
                               params: dict, **inputs) -> dict:
    """The payload for the latest date from every engine's signals, model entries and provenance.

    `inputs`: `<engine>__<model>__payload_entry` (template_inputs with engine=None), `<engine>__params`,
    `<engine>_signals` and the optional frames named below."""
    intraday = inputs.get("intraday_context") or {}
    if intraday:  # the daily part is as of the last completed session (a CSV replay may hold the live day)
        market_daily = market_daily[market_daily["date"] < pd.Timestamp(intraday["session"])]
    entries = template_outputs(inputs, "payload_entry")
    signals = {key[: -len(SIGNAL_SUFFIX)]: value for key, value in inputs.items()
               if key.endswith(SIGNAL_SUFFIX)}
    engine_params = template_outputs(inputs, "params")
    payload = assemble_payload(market_daily, data_provenance, signals, entries, model_versions, params,
                               engine_params=engine_params, gamma_windows=inputs.get("gamma_windows"),
                               max_pain=inputs.get("seller_chain_analytics"),
                               strategy_backtest=(inputs.get("seller_strategy_backtest"),
                                                  inputs.get("seller_strategy_backtest_summary")),
                               expiry_ranges=(inputs.get("seller_expiry_ranges"),
                                              inputs.get("seller_strike_ladder")))
    # decision time and the US session it could see (issue 14)
    payload["market"].update(overnight_market_fields(
        market_daily, inputs.get("us_daily"), daily_decision_time(inputs.get("decision_time", "close")),
        inputs.get("gap_predictions"), inputs.get("gap_model")))
    feed_warning = us_feed_warning(market_daily, inputs.get("us_daily"))
    if feed_warning:
        payload["data"].setdefault("warnings", []).append(feed_warning)
    if intraday:
        intraday_payload(payload, intraday, inputs.get("seller_intraday_ranges"),
                         inputs.get("seller_intraday_ladder"))
    payload["track_record"] = track_record_block(inputs.get("scorecard"))  # issue 15: the live record
    return payload


def intraday_payload(payload: dict, context: dict, ranges: pd.DataFrame, ladder: pd.DataFrame) -> None:
    """decision_time=intraday (issue 24): the live context, the expiry ranges around the live spot with their
    fractional time and calibration, and which gamma windows are still ahead."""
    as_of = pd.Timestamp(payload["data_as_of"])
    payload["market"].update({"decision_time": "intraday", "decision_at": context["decision_at"],
                              "intraday": context})
    section = expiries_section(ranges.assign(date=as_of), ladder, as_of, market_absent=INTRADAY_NO_MARKET)
    extra = ranges.set_index(["expiry", "expiry_kind", "expiry_rank"])
    for entry in section["expiries"]:
        row = extra.loc[(pd.Timestamp(entry["expiry"]), entry["expiry_kind"], entry["expiry_rank"])]
        entry.update({"decision_at": context["decision_at"],
                      "remaining_sessions": float(row["remaining_sessions"]),
                      "effective_calendar_days": float(row["effective_calendar_days"]),
                      "calibration": str(row["calibration"]), "calibration_time": str(row["time"])})
    payload["seller"].update(section)
    buyer = payload["buyer"]
    buyer["gamma_windows"] = mark_windows_ahead(buyer.get("gamma_windows"), context["decision_at_ist"][11:16])


def publish(payload: dict, params: dict, validated: bool = False) -> dict:
    """Validate (unless the caller just did) and atomically publish aegismatrix.json (an invalid payload fails
    the run; the last good file stays)."""
    path = Path(params.get("payload_path", "data/07_model_output/aegismatrix.json"))
    payload = payload if validated else mark_unavailable(payload)  # the no-silent-number rule, once
    try:
        publish_payload(payload, path, validate=not validated)
    except PayloadValidationError as error:
        logger.error("aegismatrix.json NOT published, %s keeps the last good payload: %s", path, error)
        raise
    logger.info("published %s for %s", path, payload["data_as_of"])
    dashboard = params.get("dashboard_dir")
    if dashboard:
        from aegismatrix.dashboard import render_dashboard

        render_dashboard(path, dashboard)
    return payload
