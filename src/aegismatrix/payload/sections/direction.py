"""The direction engine's part of aegismatrix.json: per horizon, probabilities, label, conviction,
the move and its interval, source and drivers, from `direction_signals` (columns:
`pipelines/direction/nodes.py: SIGNAL_COLUMNS`) and the direction models' records; heuristics when
absent.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from aegismatrix.payload.fields import (
    Section,
    drivers_for,
    implied_sigma_points,
    iso_date,
    latest_row,
    non_negative,
    signal_source,
    unit_interval,
)


def direction_section(signals: pd.DataFrame | None, records: dict[str, dict], market: pd.DataFrame,
                      as_of: pd.Timestamp, params: dict) -> Section:
    """Per horizon: probabilities, label, conviction, expected move with its interval, source,
    drivers (`records`: the direction models' payload records by namespace)."""
    horizons, warnings = [], []
    if signals is not None and len(signals):
        for h, group in signals.groupby("horizon_days", sort=True):
            row, late = latest_row(group, as_of, f"direction_signals (h={h})")
            warnings += [late] if late else []
            if row is None:
                continue
            ns = next((n for n, e in records.items()
                       if e.get("horizon") == h and e.get("class_names")), None)
            horizons.append({
                "horizon_days": int(h), "p_down": float(row["p_down"]),
                "p_neutral": float(row["p_neutral"]),
                "p_up": float(row["p_up"]), "neutral_band": float(row["neutral_band"]),
                "label": str(row["predicted_direction"]).upper(),
                "conviction": unit_interval(row["conviction"]),
                "expected_abs_move_points": non_negative(row["expected_abs_move_points"]),
                "move_lower_points": non_negative(row["move_lower_points"]),
                "move_upper_points": non_negative(row["move_upper_points"]),
                **({"interval_coverage": float(row["interval_coverage"])}
                   if "interval_coverage" in row.index else {}),
                "model_source": signal_source(row, "direction"),
                "top_drivers": drivers_for(records, ns),
                **_served_by(row, ns), "signal_date": iso_date(row["date"]),
            })
    if horizons:
        return Section({"horizons": horizons}, tuple(warnings))
    return Section({"horizons": heuristic_direction(market, params),
                    "heuristic_reason": "no direction signals"}, tuple(warnings))


def _served_by(row: pd.Series, drivers_ns: str | None) -> dict:
    """Which model produced the probabilities (e.g. `stack_h1`, `xgb_h1`, `baseline`) and whose
    drivers are shown."""
    served = row.get("direction_model")
    out = {"served_by": str(served)} if isinstance(served, str) and served else {}
    return {**out, "drivers_from": drivers_ns} if drivers_ns else out


def heuristic_direction(market: pd.DataFrame, params: dict) -> list[dict]:
    """Class priors of the loaded window's closed label windows and the VIX-implied move
    (`heuristic`)."""
    from aegismatrix.labels import build_label

    cfg = params.get("heuristic", {})
    out = []
    for h in cfg["direction_horizons"]:  # the fallback's own (parameters_inference.yml)
        band = float(cfg.get("neutral_band_1d", 0.0025)) * math.sqrt(h)
        try:
            labels = build_label(market, "direction_class", horizon=h, neutral_band=band).dropna()
            counts = np.bincount(labels.astype(int), minlength=3)[:3] + 1.0
            p_down, p_neutral, p_up = (counts / counts.sum()).tolist()
        except Exception:  # DESIGN.md facts on real NIFTY (+-0.25% band, 1 day)
            p_down, p_neutral, p_up = 0.32, 0.28, 0.40
        probs = {"DOWN": p_down, "NEUTRAL": p_neutral, "UP": p_up}
        ranked = sorted(probs.values(), reverse=True)
        sigma = implied_sigma_points(market, h)
        out.append({"horizon_days": int(h), "p_down": p_down, "p_neutral": p_neutral, "p_up": p_up,
                    "neutral_band": band, "label": max(probs, key=probs.get),
                    "conviction": ranked[0] - ranked[1],
                    "expected_abs_move_points": sigma * math.sqrt(2 / math.pi),  # E|N(0, sigma)|
                    # 10%/90% of |N|
                    "move_lower_points": sigma * 0.1257, "move_upper_points": sigma * 1.6449,
                    "interval_coverage": 0.8, "model_source": "heuristic", "top_drivers": []})
    return out
