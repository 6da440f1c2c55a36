"""Ledger rows joined with what the market did afterwards
(all look-ahead through `aegismatrix.labels`).

A row issued after the close of t with a horizon of h sessions is *matured* once the market data
hold t+h; until then it is *pending*: counted, never scored. Rows whose as-of date is not a session
of the market data (or that have no horizon) are *unscorable* and counted as such.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from aegismatrix.labels import (
    direction_class,
    forward_realised_vol,
    forward_return,
    next_day_breakout,
    range_breach,
)

TRADING_DAYS = 252


def _positions(market: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """Index of each row's as-of date in the market frame, -1 when it is not a session there."""
    dates = pd.DatetimeIndex(market["date"]).normalize()
    pos = dates.get_indexer(pd.DatetimeIndex(rows["as_of_date"]).normalize())
    return pos


def maturity(market: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """`matured`, `pending` or `unscorable` per ledger row."""
    pos = _positions(market, rows)
    days = pd.to_numeric(rows["horizon_days"], errors="coerce").to_numpy(dtype=float)
    last = len(market) - 1
    state = np.where(
        (pos < 0) | np.isnan(days),
        "unscorable",
        np.where(pos + np.nan_to_num(days) <= last, "matured", "pending"),
    )
    return pd.Series(state, index=rows.index)


def _on_market(market: pd.DataFrame, pos: np.ndarray, values: np.ndarray) -> pd.Series:
    """Place per-row values on the market's index (NaN elsewhere)
    so label functions can look forward."""
    out = np.full(len(market), np.nan)
    out[pos] = values
    return pd.Series(out, index=market.index)


def range_outcomes(market: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Per range row: `breach` (any high above upper or low below lower in t+1..t+h,
    labels.range_breach) and `expire_beyond` (close of t+h outside the range). NaN while pending."""
    out = pd.DataFrame({"breach": np.nan, "expire_beyond": np.nan}, index=rows.index)
    pos = _positions(market, rows)
    days = pd.to_numeric(rows["horizon_days"], errors="coerce")
    for h in sorted(days.dropna().unique()):
        pick = ((days == h) & (pos >= 0)).to_numpy()
        if not pick.any():
            continue
        p = pos[pick]
        lower = _on_market(market, p, rows["lower"].to_numpy(dtype=float)[pick])
        upper = _on_market(market, p, rows["upper"].to_numpy(dtype=float)[pick])
        breach = range_breach(market, lower, upper, int(h)).to_numpy()[p]
        terminal = (market["close"] * (1.0 + forward_return(market, int(h)))).to_numpy()[p]
        beyond = ((terminal < lower.to_numpy()[p]) | (terminal > upper.to_numpy()[p])).astype(float)
        out.loc[pick, "breach"] = breach
        out.loc[pick, "expire_beyond"] = np.where(np.isnan(terminal), np.nan, beyond)
    return out


def trailing_realised_vol(market: pd.DataFrame, window: int = 21) -> pd.Series:
    """Annualised close-to-close vol of the last `window`
    log returns up to t (causal: the naive forecast)."""
    log_ret = np.log(market["close"]).diff()
    return np.sqrt((log_ret**2).rolling(window, min_periods=window).mean() * TRADING_DAYS)


def vol_outcomes(market: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Per vol-forecast row: realised vol of t+1..t+h and
    the naive trailing vol of the same length at t."""
    out = pd.DataFrame({"realised": np.nan, "naive": np.nan}, index=rows.index)
    pos = _positions(market, rows)
    days = pd.to_numeric(rows["horizon_days"], errors="coerce")
    for h in sorted(days.dropna().unique()):
        pick = ((days == h) & (pos >= 0)).to_numpy()
        out.loc[pick, "realised"] = forward_realised_vol(market, int(h)).to_numpy()[pos[pick]]
        out.loc[pick, "naive"] = trailing_realised_vol(market, int(h)).to_numpy()[pos[pick]]
    return out


def direction_outcomes(market: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """Per direction row: realised class 0 DOWN / 1 NEUTRAL / 2 UP over t+1..t+h against the row's
    neutral band."""
    out = pd.Series(np.nan, index=rows.index)
    pos = _positions(market, rows)
    band = (
        rows["extra"]
        .map(lambda e: json.loads(e).get("neutral_band") if isinstance(e, str) else None)
        .astype(float)
    )
    for (h, b), group in rows.groupby([rows["horizon_days"], band.round(10)]):
        pick = rows.index.isin(group.index) & (pos >= 0) & np.isfinite(band.to_numpy())
        out[pick] = direction_class(market, int(h), float(b)).to_numpy()[pos[pick]]
    return out


def breakout_outcomes(
    market: pd.DataFrame, rows: pd.DataFrame, atr_window: int, multiplier: float
) -> pd.Series:
    """Per breakout row: 1 if the range of t+1 exceeds multiplier x ATR(t)
    (labels.next_day_breakout)."""
    pos = _positions(market, rows)
    realised = next_day_breakout(market, atr_window, multiplier).to_numpy()
    return pd.Series(np.where(pos >= 0, realised[np.clip(pos, 0, None)], np.nan), index=rows.index)
