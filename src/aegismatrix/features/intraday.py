"""Intraday features per session from `market_intraday`,
and the time-of-day profile of absolute moves."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .engine import drop_warmup

INTRADAY_FEATURES = {
    "intraday_return": "log(last close / first open) of the session",
    "intraday_range_pct": "(session high - session low) / first open",
    "intraday_realised_vol": "sqrt(sum of squared bar log returns) of the session, annualised with "
                             "sqrt(252)",
    "intraday_trend_slope_5m": "least-squares slope of log 5-minute closes per 5-minute bar: the "
                               "session's trend",
    "intraday_momentum_last_60m": "log(last close / close 60 minutes before the last bar): current "
                                  "momentum",
    "intraday_first_30m_return": "log(close 30 minutes after the open / first open): the opening "
                                 "drive",
    "intraday_n_bars": "number of bars in the session",
}
INTRADAY_COLUMNS = ["date", *INTRADAY_FEATURES]
PROFILE_COLUMNS = ["bucket_start", "mean_abs_move", "median_abs_move", "n_days"]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "date" else "float64") for c in columns})


def _prepared(market_intraday: pd.DataFrame) -> pd.DataFrame:
    bars = market_intraday.sort_values("timestamp").reset_index(drop=True)
    bars["date"] = pd.to_datetime(bars["timestamp"]).dt.normalize()  # the session a bar belongs to
    return bars


def _close_at_or_before(bars: pd.DataFrame, cutoff: pd.Series) -> pd.Series:
    """Per session: the last close whose timestamp is at or before that session's cutoff."""
    mask = bars["timestamp"] <= bars["date"].map(cutoff)
    return bars[mask].groupby("date")["close"].last().reindex(cutoff.index)


def _trend_slope_5m(bars: pd.DataFrame) -> pd.Series:
    five = bars.assign(slot=bars["timestamp"].dt.floor("5min")).groupby(["date", "slot"])["close"].last()
    y = np.log(five).rename("y").reset_index()
    y["x"] = y.groupby("date").cumcount().astype("float64")
    y["xy"], y["xx"] = y["x"] * y["y"], y["x"] ** 2
    m = y.groupby("date")[["x", "y", "xy", "xx"]].mean()
    return (m["xy"] - m["x"] * m["y"]) / (m["xx"] - m["x"] ** 2)


def intraday_features(market_intraday: pd.DataFrame) -> pd.DataFrame:
    """One row per session from that session's bars only;
    empty with INTRADAY_COLUMNS when there are none."""
    if market_intraday is None or market_intraday.empty:
        return _empty(INTRADAY_COLUMNS)
    bars = _prepared(market_intraday)
    g = bars.groupby("date")
    first_open, last_close = g["open"].first(), g["close"].last()
    # first bar: against its own open
    bar_ret = np.log(bars["close"] / g["close"].shift(1).fillna(bars["open"]))
    out = pd.DataFrame({
        "intraday_return": np.log(last_close / first_open),
        "intraday_range_pct": (g["high"].max() - g["low"].min()) / first_open,
        "intraday_realised_vol": np.sqrt((bar_ret**2).groupby(bars["date"]).sum() * 252),
        "intraday_trend_slope_5m": _trend_slope_5m(bars),
        "intraday_momentum_last_60m": np.log(
            last_close / _close_at_or_before(bars, g["timestamp"].max() - pd.Timedelta("60min"))),
        "intraday_first_30m_return": np.log(
            _close_at_or_before(bars, g["timestamp"].min() + pd.Timedelta("29min")) / first_open),
        "intraday_n_bars": g.size().astype("float64"),
    })
    out = out.replace([np.inf, -np.inf], np.nan).rename_axis("date").reset_index()
    return drop_warmup(out[INTRADAY_COLUMNS], list(INTRADAY_FEATURES), "intraday_features")


def time_of_day_profile(market_intraday: pd.DataFrame, bucket_minutes: int = 30) -> pd.DataFrame:
    """Mean/median |log move| from a bucket's first open to its last close, per time-of-day bucket
    (gamma windows)."""
    if market_intraday is None or market_intraday.empty:
        return pd.DataFrame({"bucket_start": pd.Series(dtype="str"),
                             **{c: pd.Series(dtype="float64") for c in PROFILE_COLUMNS[1:]}})
    bars = _prepared(market_intraday)
    width = pd.Timedelta(minutes=bucket_minutes)
    # buckets aligned to the session open (09:15)
    start = bars.groupby("date")["timestamp"].transform("min")
    bucket = (start - bars["date"]) + ((bars["timestamp"] - start) // width) * width
    per_day = bars.assign(bucket=bucket).groupby(["date", "bucket"]).agg(o=("open", "first"),
                                                                         c=("close", "last"))
    moves = np.abs(np.log(per_day["c"] / per_day["o"])).rename("move").reset_index()
    prof = moves.groupby("bucket")["move"].agg(mean_abs_move="mean", median_abs_move="median",
                                               n_days="count")
    minutes = (prof.index.total_seconds() // 60).astype(int)
    prof.insert(0, "bucket_start", [f"{m // 60:02d}:{m % 60:02d}" for m in minutes])
    return prof.reset_index(drop=True).astype({"n_days": "float64"})[PROFILE_COLUMNS]
