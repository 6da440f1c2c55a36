"""Scheduled market events (conf/base/calendar/events.yml) plus NIFTY expiries from the rule table.

Each event has an `effective_session`: the first NSE session whose close has seen it (the event's
own date when it is a session and the announcement lands before 15:30 IST, the next session
otherwise), and a `known_from` date: the event can be used by a decision at t only when known_from
<= t (off-cycle decisions: their own date).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from aegismatrix.market.calendar import (
    conf_base_dir,
    conf_date,
    conf_dates,
    nse_trading_days,
    observed_version,
    read_conf_yaml,
)
from aegismatrix.market.expiries import expiry_dates

EVENT_KINDS = ("union_budget", "rbi_policy", "election_result", "fomc")
EXPIRY_KINDS = ("nifty_weekly_expiry", "nifty_monthly_expiry")
# scheduled rows without known_from: the calendar is published about a year ahead
SCHEDULE_KNOWN_DAYS = 365
COLUMNS = ["date", "effective_session", "kind", "name", "scheduled", "known_from", "source"]


@lru_cache(maxsize=8)
def _load_table(path: str | None) -> tuple[pd.DataFrame, pd.Timestamp]:
    file = Path(path) if path else conf_base_dir() / "calendar" / "events.yml"
    content = read_conf_yaml(file)
    table = pd.DataFrame(content["events"])
    bad = table[~table["kind"].isin(EVENT_KINDS) | table["source"].fillna("").str.strip().eq("")]
    if len(bad):
        raise ValueError(f"{file}: rows {bad.index.tolist()[:5]} "
                         f"need kind in {EVENT_KINDS} and a source")
    names = table["name"].tolist() if "name" in table else None
    table["date"] = conf_dates(table["date"], file, "events", "date", names).to_numpy()
    if "known_from" not in table:
        table["known_from"] = None
    advance = table["date"] - pd.Timedelta(days=SCHEDULE_KNOWN_DAYS)
    known = conf_dates(table["known_from"], file, "events", "known_from", names).to_numpy()
    table["known_from"] = pd.Series(known, index=table.index).fillna(advance.where(table["scheduled"],
                                                                                   table["date"]))
    return table, conf_date(content["coverage_from"], f"{file}: coverage_from")


def load_events(path: str | None = None) -> pd.DataFrame:
    """The committed event table with effective NSE sessions (copy; safe to modify)."""
    return _events_with_sessions(path, observed_version()).copy()


@lru_cache(maxsize=8)
def _events_with_sessions(path: str | None, observed_key: int) -> pd.DataFrame:
    # computed once per process: features, expiry ranges and the payload each ask for it
    table, _ = _load_table(path)
    table = table.copy()
    sessions = nse_trading_days(table["date"].min() - pd.Timedelta(days=10),
                                table["date"].max() + pd.Timedelta(days=15),
                                include_special_sessions=False)
    after = table["after_nse_close"].astype(bool).to_numpy()
    side = np.where(after, "right", "left")
    position = np.array([np.searchsorted(sessions.values, d, side=s)
                         for d, s in zip(table["date"].values, side)])
    table["effective_session"] = sessions.values[position]
    return (table[COLUMNS + ["after_nse_close"]].sort_values(["effective_session", "kind"])
            .reset_index(drop=True))


def coverage_from(path: str | None = None) -> pd.Timestamp:
    """First date from which every event kind is listed completely."""
    return _load_table(path)[1]


def _expiry_events(start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    frames = []
    for kind, name in (("weekly", "nifty_weekly_expiry"), ("monthly", "nifty_monthly_expiry")):
        days = expiry_dates(start, end, "NIFTY", kind)
        frames.append(pd.DataFrame({"date": days, "effective_session": days, "kind": name,
                                    "name": f"NIFTY {kind} expiry", "scheduled": True,
                                    "known_from": days - pd.Timedelta(days=SCHEDULE_KNOWN_DAYS),
                                    "source": "conf/base/calendar/expiry_rules.yml",
                                    "after_nse_close": False}))
    return pd.concat(frames, ignore_index=True)


def events_between(start, end, include_expiries: bool = True,
                   events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Events whose effective session lies in [start, end],
    ordered by session (expiries from the rules)."""
    start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    table = load_events() if events is None else events
    table = table[(table["effective_session"] >= start_ts) & (table["effective_session"] <= end_ts)]
    if include_expiries:
        table = pd.concat([table, _expiry_events(start_ts, end_ts)], ignore_index=True)
    return table.sort_values(["effective_session", "kind"]).reset_index(drop=True)


def days_to_next_event(dates, kinds: tuple[str, ...] = EVENT_KINDS + EXPIRY_KINDS,
                       events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Calendar days from t to the next effective session > t of each kind,
    using only events known at t.

    Columns `days_to_next_<kind>`; NaN before the table's coverage or when no such event is known at
    t (e.g. the next Lok Sabha result before the Election Commission announces the poll).
    """
    index = pd.DatetimeIndex(dates).normalize()
    table = load_events() if events is None else events
    if any(k in EXPIRY_KINDS for k in kinds) and len(index):
        table = pd.concat([table, _expiry_events(index.min(), index.max() + pd.Timedelta(days=80))],
                          ignore_index=True)
    out = pd.DataFrame(index=pd.DatetimeIndex(dates))
    covered = index >= coverage_from()
    for kind in kinds:
        rows = table[table["kind"] == kind]
        out[f"days_to_next_{kind}"] = _days_to_next(index,
                                                    rows["effective_session"].to_numpy("datetime64[ns]"),
                                                    rows["known_from"].to_numpy("datetime64[ns]"), covered)
    return out


def _days_to_next(index: pd.DatetimeIndex, sessions: np.ndarray, known_from: np.ndarray,
                  covered: np.ndarray) -> np.ndarray:
    """Per date t: min(session - t)
    over events with session > t and known_from <= t; NaN when none."""
    result = np.full(len(index), np.nan)
    if len(sessions) == 0:
        return result
    order = np.argsort(sessions)
    sessions, known_from = sessions[order], known_from[order]
    t = index.values.astype("datetime64[ns]")
    first = np.searchsorted(sessions, t, side="right")
    for i in np.flatnonzero(covered):  # few events after t are unknown, so the scan is short
        for j in range(first[i], len(sessions)):
            if known_from[j] <= t[i]:
                result[i] = (sessions[j] - t[i]) / np.timedelta64(1, "D")
                break
    return result
