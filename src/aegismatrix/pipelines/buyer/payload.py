"""The buyer engine's part of aegismatrix.json: breakout probability and its up/down split, spike bias, theta
ratio and edge, gamma windows, sources and drivers, from `buyer_signals` (columns: nodes.SIGNAL_COLUMNS).
"""

from __future__ import annotations

import pandas as pd

from aegismatrix.payload.fields import (
    drivers_for,
    finite,
    iso_date,
    known_rate,
    latest_row,
    non_negative,
    signal_source,
)

# Per-signal source columns buyer_signals carries next to `model_source` (first present wins).
SOURCE_COLUMNS = {
    "breakout_probability": ["breakout_model_source"],
    "spike_up_probability": ["spike_model_source", "spike_up_model_source"],
    "theta_ratio_forecast": ["theta_model_source"],
}


def buyer_section(signals: pd.DataFrame | None, as_of: pd.Timestamp, market: pd.DataFrame, gamma: dict | None,
                  entries: dict[str, dict], params: dict, warnings: list[str]) -> dict:
    """Breakout probability and its up/down split, spike bias, theta ratio and edge, gamma windows."""
    row = latest_row(signals, as_of, "buyer_signals", warnings)
    if row is None:
        breakout = known_rate(market, "next_day_breakout", 0.08)
        spike = known_rate(market, "next_day_spike_up", 0.5)
        section = {"breakout_probability": breakout, "spike_up_probability": spike,
                   "p_breakout_up": breakout * spike, "p_breakout_down": breakout * (1 - spike),
                   "theta_ratio_forecast": 1.0, "theta_edge": 0.0, "heuristic_reason": "no buyer signals",
                   "model_source": {"breakout_probability": "heuristic", "spike_up_probability": "heuristic",
                                    "theta_ratio_forecast": "heuristic"}, "top_drivers": {}}
    else:
        section = {"breakout_probability": float(row["breakout_probability"]),
                   "spike_up_probability": float(row["spike_up_probability"]),
                   "p_breakout_up": float(row["p_breakout_up"]),
                   "p_breakout_down": float(row["p_breakout_down"]),
                   "theta_ratio_forecast": non_negative(row["theta_ratio_forecast"]),
                   "theta_edge": float(row["theta_edge"]), "signal_date": iso_date(row["date"]),
                   "model_source": {s: signal_source(row, s, SOURCE_COLUMNS) for s in
                                    ("breakout_probability", "spike_up_probability", "theta_ratio_forecast")}}
        if "fair_theta_ratio" in row.index:
            section["fair_theta_ratio"] = finite(row["fair_theta_ratio"])
        models = dict(params.get("signal_models", {}).get("buyer", {}))
        served = row.get("breakout_model")
        if isinstance(served, str) and served:
            section["breakout_model"] = served  # NIFTY-only `breakout`, `breakout_pooled`, or baseline:<name>
            if not served.startswith("baseline"):
                models["breakout_probability"] = f"buyer.{served}"
        section["top_drivers"] = {s: d for s, ns in models.items() if (d := drivers_for(entries, ns))}
    section["spike_bias"] = "call" if section["p_breakout_up"] >= section["p_breakout_down"] else "put"
    windows, reason = None, "no gamma windows computed (buyer engine not run)"
    if gamma is not None:
        windows, reason = gamma.get("windows"), gamma.get("reason")
    if windows is not None:
        windows = [dict(w) for w in windows]
    section["gamma_windows"] = windows
    section["gamma_windows_reason"] = reason if windows is None else None
    section["model_source"]["gamma_windows"] = "heuristic"
    return section


def mark_windows_ahead(windows: list[dict] | None, time_of_day: str) -> list[dict] | None:
    """Intraday decisions (issue 24): each gamma window says whether it is still ahead of `time_of_day`
    ('HH:MM' IST; `ahead` = not yet ended) and whether it is under way now."""
    if windows is None:
        return None
    return [{**w, "ahead": w["end"] > time_of_day, "in_progress": w["start"] <= time_of_day < w["end"]}
            for w in windows]
