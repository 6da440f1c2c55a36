"""Trading calendars and the ingestion window."""

from __future__ import annotations

import datetime
import logging
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


def weekday_sessions(start: pd.Timestamp, end: pd.Timestamp,
                     holidays: list[str] | None = None) -> pd.DatetimeIndex:
    """Weekdays in [start, end] minus listed holidays (an approximation of an exchange calendar)."""
    days = pd.bdate_range(start, end)
    return days.difference(pd.DatetimeIndex(pd.to_datetime(holidays or []))) if holidays else days


def missing_sessions(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp,
                     holidays: list[str] | None = None) -> pd.DatetimeIndex:
    """Expected weekday sessions in [start, end] that have no row."""
    return weekday_sessions(start, end, holidays).difference(pd.DatetimeIndex(dates))


def gaps_in_sessions(dates: pd.Series) -> np.ndarray:
    """Weekdays skipped between each date and the previous
    one (0 for consecutive sessions; first row 0)."""
    d = pd.DatetimeIndex(dates).values.astype("datetime64[D]")
    if len(d) < 2:
        return np.zeros(len(d), dtype=int)
    return np.concatenate([[0], np.maximum(np.busday_count(d[:-1], d[1:]) - 1, 0)])


# --- NSE trading calendar: the `holidays` XNSE financial calendar + the committed override table

OVERRIDE_ACTIONS = ("open", "closed")
# one-hour evening sessions: rows for the index, never an expiry day
NOT_EXPIRY_KINDS = ("muhurat",)


def conf_base_dir() -> Path:
    """The project's conf/base (next to src/ in this repository; the working directory's conf/base
    otherwise)."""
    beside_package = Path(__file__).resolve().parents[3] / "conf" / "base"
    return beside_package if beside_package.is_dir() else Path.cwd() / "conf" / "base"


class ConfDateError(ValueError):
    """A date in a committed table that is not an ISO calendar date (YYYY-MM-DD)."""


def _strict_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode):
    # PyYAML raises a bare "day is out of range for month" for 2023-02-30:
    # say the line and the value
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise ConfDateError(f"line {node.start_mark.line + 1}: {node.value!r} is not a calendar "
                            "date "
                            f"({exc})") from None


class _ConfLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present
    pass


_ConfLoader.add_constructor("tag:yaml.org,2002:timestamp", _strict_timestamp)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def read_conf_yaml(file: Path) -> dict:
    """A committed YAML table, parsed by libyaml when present (pure-Python PyYAML:
    ~0.1 s for events.yml)."""
    try:
        return yaml.load(file.read_text(), Loader=_ConfLoader)
    except ConfDateError as exc:
        raise ConfDateError(f"{file}: {exc}") from None


def conf_date(value, where: str) -> pd.Timestamp:
    """An ISO date (YAML date or 'YYYY-MM-DD') from a committed table; anything else is an error
    naming `where` (file, entry, field) and the value: '01-02-2023' could be 1 February or 2
    January."""
    if isinstance(value, datetime.date):
        return pd.Timestamp(value).normalize()
    text = str(value).strip() if isinstance(value, str) else None
    if text is None or not _ISO_DATE.match(text):
        raise ConfDateError(f"{where}: {value!r} is not an ISO date (write YYYY-MM-DD)")
    try:
        return pd.Timestamp(datetime.date.fromisoformat(text))
    except ValueError as exc:
        raise ConfDateError(f"{where}: {value!r} is not a calendar date ({exc})") from None


def conf_dates(values, file: Path, entries: str, field: str, names=None) -> pd.Series:
    """`conf_date` over a column;
    None stays NaT (optional fields). Entry i is named by `names[i]`."""
    out = []
    for i, value in enumerate(values):
        missing = value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT
        label = f"{entries}[{i}]" + (f" ({names[i]})" if names is not None else "")
        out.append(pd.NaT if missing else conf_date(value, f"{file}: {label} {field}"))
    return pd.Series(pd.DatetimeIndex(out), dtype="datetime64[ns]")


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
    table["date"] = conf_dates(table["date"], file, "overrides", "date").to_numpy()
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
    # once per year and process:
    # a serving run asks for overlapping ranges ~8 times (expiries, events)
    import holidays as holiday_calendars  # `holidays` names a parameter in this module

    return tuple(pd.Timestamp(d) for d in holiday_calendars.financial_holidays("XNSE", years=year))


def nse_trading_days(start, end, include_special_sessions: bool = True,
                     overrides_path: str | None = None) -> pd.DatetimeIndex:
    """NSE sessions in [start, end]: weekdays minus XNSE holidays, then the override table applied,
    then, over the span of the index history observed in this process (`observe_sessions`), the
    observed sessions.

    `include_special_sessions=False` drops the Muhurat evening sessions (for expiry rules and option
    decay). Before 2001 the library has no holidays, so the result is weekdays plus override rows
    there (unless the index history was observed).
    """
    return _sessions(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(),
                     include_special_sessions, overrides_path, _OBSERVED["version"])


# The index history loaded by this process: its sessions are facts for the span it covers (the
# library is a forecast). Set by `observe_sessions`
# (aegismatrix.market.observed.ObservedSessionsHooks in a Kedro run).
_OBSERVED: dict = {"sessions": None, "source": "", "version": 0, "disagreements": None}


def observed_version() -> int:
    """Changes whenever the observed sessions change (part
    of the cache keys of calendar-derived tables)."""
    return _OBSERVED["version"]


def observe_sessions(dates, source: str = "index history") -> pd.DataFrame:
    """Take `dates` (the NIFTY daily rows) as the NSE sessions from their first to their last date.

    Returns the days on which the library + override calendar disagrees (columns date, observed,
    calendar, kind) and logs them once: the observed sessions win for the past; a wrong override row
    or a day the library misses shows up here. The calendar beyond the last observed date is
    unchanged.
    """
    observed = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates)).dropna()).normalize().unique().sort_values()
    previous = _OBSERVED["sessions"]
    if previous is not None and previous.equals(observed) and _OBSERVED["source"] == source:
        return _OBSERVED["disagreements"].copy()
    forget_observed_sessions()
    if observed.empty:
        return _disagreement_frame(pd.DatetimeIndex([]), observed)
    calendar = nse_trading_days(observed[0], observed[-1])
    disagreements = _disagreement_frame(calendar.symmetric_difference(observed), observed)
    _OBSERVED.update(sessions=observed, source=source, version=_OBSERVED["version"] + 1,
                     disagreements=disagreements)
    if len(disagreements):
        _log_disagreements(disagreements, source, observed)
    return disagreements.copy()


def forget_observed_sessions() -> None:
    """Back to the library + override calendar alone (end of a run; tests)."""
    _OBSERVED.update(sessions=None, source="", version=_OBSERVED["version"] + 1, disagreements=None)


def _disagreement_frame(days: pd.DatetimeIndex, observed: pd.DatetimeIndex) -> pd.DataFrame:
    traded = days.isin(observed)
    kind = np.where(traded, "session the calendar lacks", "calendar session without an index row")
    return pd.DataFrame({"date": days, "observed": traded, "calendar": ~traded, "kind": kind})


def _log_disagreements(frame: pd.DataFrame, source: str, observed: pd.DatetimeIndex) -> None:
    extra = frame.loc[frame["observed"], "date"].dt.strftime("%Y-%m-%d").tolist()
    missing = frame.loc[~frame["observed"], "date"].dt.strftime("%Y-%m-%d").tolist()
    logging.getLogger(__name__).warning(
        "NSE calendar: the %s (%s .. %s) disagrees with the holidays XNSE calendar + override "
        "table on %d days; the observed sessions win there. Index rows on calendar "
        "holidays/weekends: %d %s; calendar sessions without an index row: %d %s (add a dated row "
        "with its source to conf/base/calendar/nse_overrides.yml "
        "when the exchange changed its calendar)",
        source, observed[0].date(), observed[-1].date(), len(frame), len(extra), extra[:8], len(missing),
        missing[:8])


@lru_cache(maxsize=64)  # a serving run asks for the same windows from expiries, events and features
def _sessions(start_ts: pd.Timestamp, end_ts: pd.Timestamp, include_special_sessions: bool,
              overrides_path: str | None, observed_key: int) -> pd.DatetimeIndex:
    days = pd.bdate_range(start_ts, end_ts).difference(library_holidays(start_ts, end_ts))
    table = load_calendar_overrides(overrides_path)
    table = table[(table["date"] >= start_ts) & (table["date"] <= end_ts)]
    opened = table.loc[table["action"] == "open"]
    if not include_special_sessions:
        opened = opened[~opened["kind"].isin(NOT_EXPIRY_KINDS)]
        days = days.difference(pd.DatetimeIndex(table.loc[table["kind"].isin(NOT_EXPIRY_KINDS),
                                                          "date"]))
    days = days.difference(pd.DatetimeIndex(table.loc[table["action"] == "closed", "date"]))
    days = days.union(pd.DatetimeIndex(opened["date"])).rename(None)
    observed = _OBSERVED["sessions"]
    if observed is None or end_ts < observed[0] or start_ts > observed[-1]:
        return days
    lo, hi = max(start_ts, observed[0]), min(end_ts, observed[-1])
    facts = observed[(observed >= lo) & (observed <= hi)]
    if not include_special_sessions:
        facts = facts.difference(pd.DatetimeIndex(table.loc[table["kind"].isin(NOT_EXPIRY_KINDS),
                                                            "date"]))
    return days[(days < lo) | (days > hi)].union(facts).rename(None)


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
