"""Out-of-sample check of the per-expiry ranges: realised touch rates, p_touch reliability, width
versus VIX."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

RELIABILITY_EDGES = [0.0, 0.02, 0.04, 0.06, 0.08, 0.10, 0.15, 0.20, 1.0]


def reliability_table(probability: pd.Series, outcome: pd.Series,
                      edges: list[float] = RELIABILITY_EDGES) -> list[dict]:
    """Per probability bin: rows, mean predicted probability and realised rate."""
    bins = pd.cut(probability, edges, include_lowest=True)
    frame = pd.DataFrame({"p": probability, "y": outcome, "bin": bins})
    table = frame.groupby("bin", observed=True)
    return [{"bin": str(b), "n": int(len(g)), "mean_p": float(g["p"].mean()),
             "realised": float(g["y"].mean())}
            for b, g in table]


def vix_range_of_same_breach(rows: pd.DataFrame) -> dict:
    """The plain VIX-implied range close -+ c x move with one constant c that gives the same
    realised breach rate.

    c is chosen on the evaluated rows themselves (in hindsight, which favours the comparison range).
    """
    rate = float(rows["realised_touch_range"].mean())
    c = float(np.quantile(rows["realised_max_move_ratio"], 1.0 - rate))
    width = 2.0 * c * rows["implied_move_points"]
    return {"multiplier": c, "mean_width_points": float(width.mean()),
            "mean_width_pct_of_spot": float((width / rows["spot"]).mean() * 100.0),
            "realised_breach_rate": float((rows["realised_max_move_ratio"] > c).mean())}


def _summary(rows: pd.DataFrame, target: float) -> dict:
    width = rows["upper"] - rows["lower"]
    touch, p_touch = float(rows["realised_touch_strikes"].mean()), float(rows["p_touch"].mean())
    return {
        "n": int(len(rows)), "from": str(rows["date"].min().date()),
        "to": str(rows["date"].max().date()),
        "target_breach_probability": target,
        "realised_touch_rate_range": float(rows["realised_touch_range"].mean()),
        "mean_p_touch_strikes": p_touch, "realised_touch_rate_strikes": touch,
        "mean_p_expire_beyond": float(rows["p_expire_beyond"].mean()),
        "realised_expire_beyond_rate": float(rows["realised_expire_beyond"].mean()),
        "brier_p_touch": float(((rows["p_touch"] - rows["realised_touch_strikes"]) ** 2).mean()),
        "brier_p_touch_base_rate": float(((touch - rows["realised_touch_strikes"]) ** 2).mean()),
        "mean_width_points": float(width.mean()),
        "mean_width_pct_of_spot": float((width / rows["spot"]).mean() * 100),
        "vix_implied_same_breach": vix_range_of_same_breach(rows),
        "reliability_p_touch": reliability_table(rows["p_touch"], rows["realised_touch_strikes"]),
        "by_trading_days": [{"trading_days": int(d), "n": int(len(g)),
                             "realised_touch_rate_range": float(g["realised_touch_range"].mean()),
                             "mean_p_touch_strikes": float(g["p_touch"].mean()),
                             "realised_touch_rate_strikes":
                                 float(g["realised_touch_strikes"].mean())}
                            for d, g in rows.groupby("trading_days")],
    }


def expiry_range_calibration(ranges: pd.DataFrame, seller_params: dict) -> dict:
    """Per (kind, rank) of expiry: out-of-sample calibration on the calibrated rows whose expiry has
    closed.
    """
    target = float(seller_params["safe_range"]["target_breach_probability"])
    calibrated = ranges["model_source"] == "calibrated"
    closed = ranges[calibrated & ranges["realised_touch_range"].notna()]
    result = {"rule": ("causal: each row uses only (date, expiry) windows closed by its date, "
                       "in its days-to-expiry bucket"),
              "expiries": {}}
    for (kind, rank), rows in closed.groupby(["expiry_kind", "expiry_rank"]):
        if len(rows) >= 20:
            result["expiries"][f"{kind}_{rank}"] = _summary(rows, target)
    nearest = result["expiries"].get("weekly_1")
    if nearest:
        logger.info("expiry ranges, nearest weekly: touch of [lower, upper] %.3f (target %.3f), "
                    "p_touch %.3f vs %.3f",
                    nearest["realised_touch_rate_range"], target, nearest["mean_p_touch_strikes"],
                    nearest["realised_touch_rate_strikes"])
    else:
        result["reason"] = ("fewer than 20 calibrated rows with a closed expiry "
                            "(short window or min_history too high)")
    return result
