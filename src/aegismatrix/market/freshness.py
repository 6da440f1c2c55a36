"""Freshness by market time, not by age: does a daily series hold the session a decision needs?

A cached or fetched daily series is fresh when it holds the last completed session up to the
window's end (the NSE calendar for NSE series; another exchange's own close for the overnight US
session), and, while the NSE session is open, when the live price seen with it is younger than
`live_max_age_minutes`. Its age in hours only decides when to revalidate (Yahoo revises recent
bars), never whether it is stale.
"""

from __future__ import annotations

import pandas as pd

from aegismatrix.market.calendar import nse_trading_days
from aegismatrix.market.session import IST, completed_through, session_state
from aegismatrix.market.sources.yahoo import EXCHANGE_CLOSES

NSE_TICKER_PREFIXES, NSE_TICKER_SUFFIXES = ("^NSE", "^INDIAVIX", "^CNX"), (".NS", ".BO")


def exchange_zone(ticker: str, recorded: str | None) -> str:
    """The zone of a ticker's exchange: as Yahoo reported it,
    else Asia/Kolkata for NSE names, else UTC."""
    if recorded:
        return recorded
    nse = ticker.upper().startswith(NSE_TICKER_PREFIXES) or ticker.upper().endswith(NSE_TICKER_SUFFIXES)
    return IST if nse else "UTC"


def needed_session(zone: str, instant: pd.Timestamp, end: pd.Timestamp) -> pd.Timestamp:
    """The last completed session up to `end` that a decision at `instant` needs (naive date)."""
    cap = min(completed_through(zone, instant, EXCHANGE_CLOSES.get(zone)),
              pd.Timestamp(end).normalize())
    if zone == IST:
        return nse_trading_days(cap - pd.Timedelta(days=30), cap)[-1]
    # weekdays: that exchange's holidays are told by the fetch
    return pd.bdate_range(end=cap, periods=1)[0]


def staleness(ticker: str, last_date, fetched_at: pd.Timestamp | None, extra: dict | None,
              instant: pd.Timestamp, end: pd.Timestamp, live_max_age_minutes: float) -> str | None:
    """Why a series with rows up to `last_date` is not fresh
    for a decision at `instant`; None when fresh."""
    extra = extra or {}
    zone = exchange_zone(ticker, extra.get("exchange_tz"))
    needed = needed_session(zone, instant, end)
    last = pd.Timestamp(last_date).normalize() if last_date is not None and not pd.isna(last_date) else None
    if last is None or last < needed:
        # another exchange's holiday: fetched after that day's close and the day has no bar
        fetched_after = (fetched_at is not None and zone != IST
                         and completed_through(zone, fetched_at, EXCHANGE_CLOSES.get(zone)) >= needed)
        if not fetched_after:
            held = last.date() if last is not None else "nothing"
            return f"{ticker} holds sessions up to {held}; the last completed session is {needed.date()}"
    return _live_staleness(ticker, zone, extra.get("live"), instant, end, live_max_age_minutes)


def _live_staleness(ticker: str, zone: str, live: dict | None, instant: pd.Timestamp,
                    end: pd.Timestamp, live_max_age_minutes: float) -> str | None:
    """While the NSE session runs,
    an NSE series also needs a live price of today younger than the limit."""
    state = session_state(instant)
    if zone != IST or state.state not in ("open", "closing") or pd.Timestamp(end).normalize() < state.day:
        return None
    if not live or live.get("date") != str(state.day.date()):
        return f"{ticker} has no live price of the {state.day.date()} session"
    age = (pd.Timestamp(instant).tz_convert("UTC") - pd.Timestamp(live["time"])).total_seconds() / 60.0
    if age > live_max_age_minutes:
        return f"{ticker}'s live price is {age:.0f} minutes old (limit {live_max_age_minutes:g})"
    return None


def live_age_minutes(live: dict | None, instant: pd.Timestamp) -> float | None:
    """Minutes between a live price's time and `instant` (None without a live price)."""
    if not live or not live.get("time"):
        return None
    age = pd.Timestamp(instant).tz_convert("UTC") - pd.Timestamp(live["time"])
    return round(age.total_seconds() / 60, 1)
