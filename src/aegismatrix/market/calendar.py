"""Trading calendars and the ingestion window."""

from __future__ import annotations

import numpy as np
import pandas as pd


def weekday_sessions(start: pd.Timestamp, end: pd.Timestamp, holidays: list[str] | None = None) -> pd.DatetimeIndex:
    """Weekdays in [start, end] minus listed holidays (an approximation of an exchange calendar)."""
    days = pd.bdate_range(start, end)
    return days.difference(pd.DatetimeIndex(pd.to_datetime(holidays or []))) if holidays else days


def resolve_window(start: str | None, end: str | None, lookback_years: float, last_available: pd.Timestamp | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return (start, end): `end` defaults to the last available date (csv) or today; start to end - lookback."""
    end_ts = pd.Timestamp(end) if end else (last_available if last_available is not None else pd.Timestamp.today())
    end_ts = end_ts.normalize()
    start_ts = pd.Timestamp(start).normalize() if start else end_ts - pd.DateOffset(days=int(round(365.25 * lookback_years)))
    if start_ts > end_ts:
        raise ValueError(f"data_ingestion window is empty: start {start_ts.date()} is after end {end_ts.date()}")
    return start_ts, end_ts


def missing_sessions(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp, holidays: list[str] | None = None) -> pd.DatetimeIndex:
    """Expected weekday sessions in [start, end] that have no row."""
    return weekday_sessions(start, end, holidays).difference(pd.DatetimeIndex(dates))


def gaps_in_sessions(dates: pd.Series) -> np.ndarray:
    """Weekdays skipped between each date and the previous one (0 for consecutive sessions; first row 0)."""
    d = pd.DatetimeIndex(dates).values.astype("datetime64[D]")
    if len(d) < 2:
        return np.zeros(len(d), dtype=int)
    return np.concatenate([[0], np.maximum(np.busday_count(d[:-1], d[1:]) - 1, 0)])
