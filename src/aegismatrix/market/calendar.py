"""Trading calendars and the ingestion window."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from aegismatrix.optional_imports import submodule_without_package_init


def weekday_sessions(start: pd.Timestamp, end: pd.Timestamp,
                     holidays: list[str] | None = None) -> pd.DatetimeIndex:
    """Weekdays in [start, end] minus listed holidays (an approximation of an exchange calendar)."""
    days = pd.bdate_range(start, end)
    return days.difference(pd.DatetimeIndex(pd.to_datetime(holidays or []))) if holidays else days


def resolve_window(start: str | None, end: str | None, lookback_years: float,
                   last_available: pd.Timestamp | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return (start, end): `end` defaults to the last available date (csv) or today in Asia/Kolkata by the
    session clock (never the server's zone; a developing bar of today is separated by the source); start to
    end - lookback."""
    from aegismatrix.market.session import today_ist  # session imports this module

    end_ts = pd.Timestamp(end) if end else (last_available if last_available is not None else today_ist())
    end_ts = end_ts.normalize()
    start_ts = (pd.Timestamp(start).normalize() if start
                else end_ts - pd.DateOffset(days=int(round(365.25 * lookback_years))))
    if start_ts > end_ts:
        raise ValueError(f"data_ingestion window is empty: start {start_ts.date()} is after end "
                         f"{end_ts.date()}")
    return start_ts, end_ts


def missing_sessions(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp,
                     holidays: list[str] | None = None) -> pd.DatetimeIndex:
    """Expected weekday sessions in [start, end] that have no row."""
    return weekday_sessions(start, end, holidays).difference(pd.DatetimeIndex(dates))


def gaps_in_sessions(dates: pd.Series) -> np.ndarray:
    """Weekdays skipped between each date and the previous one (0 for consecutive sessions; first row 0)."""
    d = pd.DatetimeIndex(dates).values.astype("datetime64[D]")
    if len(d) < 2:
        return np.zeros(len(d), dtype=int)
    return np.concatenate([[0], np.maximum(np.busday_count(d[:-1], d[1:]) - 1, 0)])


# --- NSE trading calendar: the `holidays` XNSE financial calendar + the committed override table ------------

OVERRIDE_ACTIONS = ("open", "closed")
NOT_EXPIRY_KINDS = ("muhurat",)  # one-hour evening sessions: rows for the index, never an expiry day


def conf_base_dir() -> Path:
    """The project's conf/base (next to src/ in this repository; the working directory's conf/base
    otherwise)."""
    beside_package = Path(__file__).resolve().parents[3] / "conf" / "base"
    return beside_package if beside_package.is_dir() else Path.cwd() / "conf" / "base"


def read_conf_yaml(file: Path) -> dict:
    """A committed YAML table, parsed by libyaml when present (pure-Python PyYAML: ~0.1 s for events.yml)."""
    return yaml.load(file.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@lru_cache(maxsize=8)
def load_calendar_overrides(path: str | None = None) -> pd.DataFrame:
    """The dated override table (date, action, kind, reason, source), checked row by row."""
    file = Path(path) if path else conf_base_dir() / "calendar" / "nse_overrides.yml"
    rows = read_conf_yaml(file)["overrides"]
    table = pd.DataFrame(rows)
    for i, row in table.iterrows():
        if row["action"] not in OVERRIDE_ACTIONS or not str(row.get("source") or "").strip():
            raise ValueError(f"{file}: row {i} ({row['date']}) needs action in {OVERRIDE_ACTIONS} "
                             "and a source")
    table["date"] = pd.to_datetime(table["date"])
    if table["date"].duplicated().any():
        raise ValueError(f"{file}: duplicated dates "
                         f"{table.loc[table['date'].duplicated(), 'date'].dt.date.tolist()}")
    return table.sort_values("date").reset_index(drop=True)


def library_holidays(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Weekday closures from the `holidays` package's XNSE calendar (it covers 2001 onward)."""
    days = [d for year in range(start.year, end.year + 1) for d in _xnse_year(year)]
    return pd.DatetimeIndex(sorted(days))


@lru_cache(maxsize=256)
def _xnse_year(year: int) -> tuple[pd.Timestamp, ...]:
    # once per year and process: a serving run asks for overlapping ranges ~8 times (expiries, events)
    return tuple(pd.Timestamp(d) for d in _xnse_calendar()(years=year))


@lru_cache(maxsize=1)
def _xnse_calendar() -> type:
    """`holidays`' XNSE class (the same as `holidays.financial_holidays("XNSE")`)."""
    # the `holidays.financial` package imports every exchange and, through Colombia's, every country (~0.1 s)
    module = submodule_without_package_init("holidays.financial.national_stock_exchange_of_india")
    return module.NationalStockExchangeOfIndia


def nse_trading_days(start, end, include_special_sessions: bool = True,
                     overrides_path: str | None = None) -> pd.DatetimeIndex:
    """NSE sessions in [start, end]: weekdays minus XNSE holidays, then the override table applied.

    `include_special_sessions=False` drops the Muhurat evening sessions (for expiry rules and option decay).
    Before 2001 the library has no holidays, so the result is weekdays plus override rows there.
    """
    return _sessions(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), include_special_sessions,
                     overrides_path)


@lru_cache(maxsize=64)  # a serving run asks for the same windows from expiries, events and features
def _sessions(start_ts: pd.Timestamp, end_ts: pd.Timestamp, include_special_sessions: bool,
              overrides_path: str | None) -> pd.DatetimeIndex:
    days = pd.bdate_range(start_ts, end_ts).difference(library_holidays(start_ts, end_ts))
    table = load_calendar_overrides(overrides_path)
    table = table[(table["date"] >= start_ts) & (table["date"] <= end_ts)]
    opened = table.loc[table["action"] == "open"]
    if not include_special_sessions:
        opened = opened[~opened["kind"].isin(NOT_EXPIRY_KINDS)]
        days = days.difference(pd.DatetimeIndex(table.loc[table["kind"].isin(NOT_EXPIRY_KINDS), "date"]))
    days = days.difference(pd.DatetimeIndex(table.loc[table["action"] == "closed", "date"]))
    return days.union(pd.DatetimeIndex(opened["date"])).rename(None)


def count_sessions_between(starts, ends, sessions: pd.DatetimeIndex) -> np.ndarray:
    """Sessions s with start < s <= end, per pair (0 where end <= start)."""
    ordered = sessions.sort_values().values
    left = np.searchsorted(ordered, pd.DatetimeIndex(starts).values, side="right")
    right = np.searchsorted(ordered, pd.DatetimeIndex(ends).values, side="right")
    return np.maximum(right - left, 0)


def next_session(dates, sessions: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The first session strictly after each date (NaT past the end of `sessions`)."""
    ordered = sessions.sort_values()
    position = np.searchsorted(ordered.values, pd.DatetimeIndex(dates).values, side="right")
    padded = ordered.append(pd.DatetimeIndex([pd.NaT]))
    return pd.DatetimeIndex(padded[np.minimum(position, len(ordered))])
