"""The buyer engine's part of aegismatrix.json: breakout probability and its up/down split, spike
bias, theta ratio and edge, gamma windows, sources and drivers, from `buyer_signals` (columns:
`pipelines/buyer/nodes.py: SIGNAL_COLUMNS`) and the buyer models' records.
"""

from __future__ import annotations

import pandas as pd

from aegismatrix.engines import declaration
from aegismatrix.payload.fields import (
    Section,
    drivers_for,
    finite,
    iso_date,
    known_rate,
    latest_row,
    non_negative,
    signal_source,
)

SIGNALS = ("breakout_probability", "spike_up_probability", "theta_ratio_forecast")
# Per-signal source columns buyer_signals carries next to `model_source` (first present wins).
SOURCE_COLUMNS = {
    "breakout_probability": ["breakout_model_source"],
    "spike_up_probability": ["spike_model_source", "spike_up_model_source"],
    "theta_ratio_forecast": ["theta_model_source"],
}


def buyer_section(signals: pd.DataFrame | None, records: dict[str, dict], market: pd.DataFrame,
                  as_of: pd.Timestamp, params: dict, buyer_params: dict, gamma: dict | None = None,
                  time_of_day: str | None = None) -> Section:
    """Breakout probability and its up/down split, spike bias, theta ratio and edge, gamma windows
    (`time_of_day`: an intraday decision's 'HH:MM' IST, which marks the windows still ahead)."""
    row, late = latest_row(signals, as_of, "buyer_signals")
    section = _heuristic_buyer(market) if row is None else _served_buyer(row, records, buyer_params)
    up, down = section["p_breakout_up"], section["p_breakout_down"]
    section["spike_bias"] = "call" if up >= down else "put"
    windows, reason = None, "no gamma windows computed (buyer engine not run)"
    if gamma is not None:
        windows, reason = gamma.get("windows"), gamma.get("reason")
    if windows is not None:
        windows = [dict(w) for w in windows]
    if time_of_day is not None:
        windows = mark_windows_ahead(windows, time_of_day)
    section["gamma_windows"] = windows
    section["gamma_windows_reason"] = reason if windows is None else None
    section["model_source"]["gamma_windows"] = "heuristic"
    return Section(section, (late,) if late else ())


def _heuristic_buyer(market: pd.DataFrame) -> dict:
    """Label base rates of the loaded window (`heuristic`) when no buyer signals exist."""
    breakout = known_rate(market, "next_day_breakout", 0.08)
    spike = known_rate(market, "next_day_spike_up", 0.5)
    return {"breakout_probability": breakout, "spike_up_probability": spike,
            "p_breakout_up": breakout * spike, "p_breakout_down": breakout * (1 - spike),
            "theta_ratio_forecast": 1.0, "theta_edge": 0.0, "heuristic_reason": "no buyer signals",
            "model_source": dict.fromkeys(SIGNALS, "heuristic"), "top_drivers": {}}


def _served_buyer(row: pd.Series, records: dict[str, dict], buyer_params: dict) -> dict:
    """The buyer block from the latest signal row: values, per-signal sources and the served
    drivers."""
    section = {"breakout_probability": float(row["breakout_probability"]),
               "spike_up_probability": float(row["spike_up_probability"]),
               "p_breakout_up": float(row["p_breakout_up"]),
               "p_breakout_down": float(row["p_breakout_down"]),
               "theta_ratio_forecast": non_negative(row["theta_ratio_forecast"]),
               "theta_edge": float(row["theta_edge"]), "signal_date": iso_date(row["date"]),
               "model_source": {s: signal_source(row, s, SOURCE_COLUMNS) for s in SIGNALS}}
    if "fair_theta_ratio" in row.index:
        section["fair_theta_ratio"] = finite(row["fair_theta_ratio"])
    models = declaration("buyer").signal_models(buyer_params)  # which model explains which signal
    served = row.get("breakout_model")
    if isinstance(served, str) and served:
        # NIFTY-only `breakout`, `breakout_pooled`, or baseline:<name>
        section["breakout_model"] = served
        if not served.startswith("baseline"):
            models["breakout_probability"] = f"buyer.{served}"
    section["top_drivers"] = {s: d for s, ns in models.items() if (d := drivers_for(records, ns))}
    return section


def mark_windows_ahead(windows: list[dict] | None, time_of_day: str) -> list[dict] | None:
    """Intraday decisions (issue 24): each gamma window says whether it is still ahead of
    `time_of_day` ('HH:MM' IST; `ahead` = not yet ended) and whether it is under way now."""
    if windows is None:
        return None
    return [{**w, "ahead": w["end"] > time_of_day,
             "in_progress": w["start"] <= time_of_day < w["end"]} for w in windows]
