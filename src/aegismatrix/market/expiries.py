"""Option expiry dates from the dated rule table in conf/base/calendar/expiry_rules.yml (rules as
data, not code).

Weekly expiries fall on the rule's weekday; monthly ones on the last weekly expiry day of the month;
an expiry on a non-trading day moves to the previous NSE trading day (Muhurat evening sessions are
never expiry days).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from aegismatrix.market.calendar import conf_base_dir, conf_dates, nse_trading_days, read_conf_yaml

WEEKDAYS = {"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4}
KINDS = ("weekly", "monthly")
OPEN_ENDED = pd.Timestamp("2100-12-31")
# enough sessions before `start` to move a holiday expiry back across a long closure
CALENDAR_SLACK_DAYS = 10


@lru_cache(maxsize=8)
def load_expiry_rules(path: str | None = None) -> pd.DataFrame:
    """The rule table with parsed dates; each row checked (weekday, kind, a source)."""
    file = Path(path) if path else conf_base_dir() / "calendar" / "expiry_rules.yml"
    table = pd.DataFrame(read_conf_yaml(file)["rules"])
    for i, row in table.iterrows():
        if (row["weekday"] not in WEEKDAYS or row["kind"] not in KINDS
                or not str(row.get("source") or "").strip()):
            raise ValueError(f"{file}: rule {i} needs weekday in {sorted(WEEKDAYS)}, kind in "
                             f"{KINDS} and a source")
    table["expiries_from"] = conf_dates(table["expiries_from"], file, "rules", "expiries_from").to_numpy()
    until = conf_dates(table["expiries_to"], file, "rules", "expiries_to")
    table["expiries_to"] = until.fillna(OPEN_ENDED).to_numpy()
    return table


def _rules_for(underlying: str, kind: str, path: str | None) -> pd.DataFrame:
    table = load_expiry_rules(path)
    rules = table[(table["underlying"] == underlying) & (table["kind"] == kind)]
    if rules.empty:
        raise KeyError(f"no {kind} expiry rule for {underlying!r} in the expiry rule table; "
                       f"known: {sorted(set(zip(table['underlying'], table['kind'])))}")
    return rules.sort_values("expiries_from")


def _roll_back(nominal: pd.DatetimeIndex, sessions: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Each nominal date, or the last session before it when it is not a session."""
    position = np.searchsorted(sessions.values, nominal.values, side="right") - 1
    if (position < 0).any():
        raise ValueError(f"no trading session on or before {nominal[position < 0][0].date()}")
    return pd.DatetimeIndex(sessions.values[position])


def _weekly_nominal(rules: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Rule weekdays in [start, end], each within its rule's [expiries_from, expiries_to]."""
    parts = []
    for _, rule in rules.iterrows():
        lo, hi = max(start, rule["expiries_from"]), min(end, rule["expiries_to"])
        if lo <= hi:
            parts.append(pd.date_range(lo, hi, freq=f"W-{rule['weekday']}"))
    if not parts:
        return pd.DatetimeIndex([])
    # sorted, each day once
    return pd.DatetimeIndex(np.unique(np.concatenate([p.values for p in parts])))


def expiry_dates(start, end, underlying: str = "NIFTY", kind: str = "weekly",
                 rules_path: str | None = None) -> pd.DatetimeIndex:
    """Expiry days (after the holiday shift)
    of `underlying`'s `kind` contracts that fall in [start, end]."""
    if kind not in KINDS:
        raise ValueError(f"expiry kind must be one of {KINDS}, got {kind!r}")
    start_ts, end_ts = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    # A month's last expiry can lie after `end`; look a month past it, and a little before `start`
    # for roll-backs.
    lo, hi = start_ts - pd.DateOffset(days=CALENDAR_SLACK_DAYS), end_ts + pd.DateOffset(days=40)
    sessions = nse_trading_days(lo - pd.DateOffset(days=CALENDAR_SLACK_DAYS), hi,
                                include_special_sessions=False)
    nominal = _weekly_nominal(_rules_for(underlying, kind, rules_path), lo, hi)
    # the month's last rule weekday, chosen before the holiday shift (1 May 2025 -> April's is 24th)
    if kind == "monthly":
        nominal = pd.DatetimeIndex(pd.Series(nominal).groupby(nominal.to_period("M")).max().values)
    days = _roll_back(nominal, sessions)
    days = days[(days >= start_ts) & (days <= end_ts)]
    # sorted, each expiry once (two rules may roll to a day)
    return pd.DatetimeIndex(np.unique(days.values))


def next_expiries(dates, count: int, underlying: str = "NIFTY", kind: str = "weekly",
                  rules_path: str | None = None) -> pd.DataFrame:
    """The next `count` expiries strictly after each decision date (decisions follow the close: t's
    expiry is settled)."""
    index = pd.DatetimeIndex(dates)
    horizon = pd.DateOffset(days=40 * count if kind == "monthly" else 10 * count + 20)
    schedule = expiry_dates(index.min(), index.max() + horizon, underlying, kind, rules_path)
    position = np.searchsorted(schedule.values, index.values, side="right")
    frame = {}
    for j in range(count):
        at = position + j
        frame[f"{kind}_{j + 1}"] = np.where(at < len(schedule),
                                            schedule.values[np.minimum(at, len(schedule) - 1)],
                                            np.datetime64("NaT"))
    return pd.DataFrame(frame, index=index)
