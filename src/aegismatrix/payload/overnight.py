"""The payload's decision time and overnight inputs (issue 14): added to the market block.

`decision_time` says when the signals are for (after the NSE close of data_as_of, or 09:00 IST of
the next session); `overnight` gives the US session those signals could see (S&P 500 return, Cboe
VIX and its change, a flag when no fresh US session closed) and, before the open, the expected
opening gap with its interval.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from aegismatrix.market.overnight import (
    US_FEED_MAX_LAG_SESSIONS,
    check_decision_time,
    decision_instants,
    rows_past_us_feed_end,
    with_us_sessions,
)

GAP_INTERVAL_LEVEL = "0.8"  # the gap interval covers 80% of out-of-sample absolute errors


def _num(value: Any) -> float | None:
    value = float(value) if value is not None else math.nan
    return value if math.isfinite(value) else None


def _iso_utc(instant_ns: int) -> str:
    return pd.Timestamp(instant_ns, tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def us_inputs(market: pd.DataFrame, us_daily: pd.DataFrame | None,
              decision_time: str) -> dict | None:
    """The US session row t may use at its decision time; None when no US data is loaded."""
    if us_daily is None or us_daily.empty:
        return None
    attached = with_us_sessions(market, us_daily, decision_time)
    last, prev = attached.iloc[-1], attached.iloc[-2] if len(attached) > 1 else attached.iloc[-1]
    if pd.isna(last["us_date"]):
        return None
    fresh = bool(last["us_sessions_new"] >= 1) if pd.notna(last["us_sessions_new"]) else False
    return {"us_date": str(pd.Timestamp(last["us_date"]).date()), "fresh_session": fresh,
            "sp500_close": _num(last["us_close"]),
            "sp500_return": _num(np.log(last["us_close"] / prev["us_close"])),
            "us_vix": _num(last["us_vix_close"]),
            "us_vix_change": _num(np.log(last["us_vix_close"] / prev["us_vix_close"]))}


def expected_gap(gap_predictions: pd.DataFrame | None, gap_model: dict | None, as_of: pd.Timestamp,
                 spot: float) -> dict | None:
    """The expected log gap of the next open with the interval of past out-of-sample errors (model
    or baseline)."""
    if gap_predictions is None or gap_predictions.empty:
        return None
    row = gap_predictions.loc[pd.to_datetime(gap_predictions["date"]) == as_of]
    if row.empty:
        return None
    value, source = float(row["prediction"].iloc[-1]), str(row["model_source"].iloc[-1])
    meta = (gap_model or {}).get("meta", {})
    widths = (meta.get("abs_residual_quantiles") or {}).get(source, {})
    width = widths.get(GAP_INTERVAL_LEVEL)
    # no recorded errors (a model trained before issue 14): NaN, which publishing marks unavailable
    # with a reason
    low, high = (value - width, value + width) if width is not None else (math.nan, math.nan)
    points = lambda g: spot * (math.exp(g) - 1.0)  # noqa: E731
    return {"value": value, "lower": low, "upper": high,
            "interval_coverage": float(GAP_INTERVAL_LEVEL) if width is not None else math.nan,
            "points": points(value), "lower_points": points(low), "upper_points": points(high),
            "model_source": source, "edge": bool(meta.get("edge", False))}


def overnight_market_fields(market_daily: pd.DataFrame, us_daily: pd.DataFrame | None,
                            decision_time: str,
                            gap_predictions: pd.DataFrame | None = None,
                            gap_model: dict | None = None) -> dict:
    """`decision_time`, `decision_at` (UTC) and `overnight` for the payload's market block."""
    market = market_daily.sort_values("date").reset_index(drop=True)
    check_decision_time(decision_time)
    as_of = pd.Timestamp(market["date"].iloc[-1])
    instant = decision_instants(market["date"].iloc[-1:], decision_time)[0]
    overnight = us_inputs(market, us_daily, decision_time)
    if overnight is not None:
        gap = expected_gap(gap_predictions, gap_model, as_of, float(market["close"].iloc[-1]))
        # after the close the expected gap is not served
        overnight["expected_gap"] = gap if decision_time == "preopen" else None
    return {"decision_time": decision_time, "decision_at": _iso_utc(int(instant)),
            "overnight": overnight}


def us_feed_warning(market_daily: pd.DataFrame, us_daily: pd.DataFrame | None) -> str | None:
    """The published warning for a US feed that stopped early (issue 26): the overnight block is
    then not served, and the payload says why instead of reading the gap as US holidays."""
    if us_daily is None or not len(us_daily) or not len(market_daily):
        return None
    if not rows_past_us_feed_end(market_daily["date"], us_daily["date"]).any():
        return None
    us_last = pd.Timestamp(us_daily["date"].max()).date()
    nse_last = pd.Timestamp(market_daily["date"].max()).date()
    return (f"us_feed_ended: the US session feed ends on {us_last}, more than "
            f"{US_FEED_MAX_LAG_SESSIONS} NIFTY sessions before {nse_last}: no overnight inputs are "
            "served (not US holidays); refresh the US data")
