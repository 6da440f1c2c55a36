"""CSV intraday bars: `<csv_dir>/intraday/<key>_<interval>.csv[.gz]`, columns
`date_time,open,high,low,close[,volume]`.

The layout and names of the shared files (`../shared/data/real/intraday/`, e.g.
`nifty50_1m.csv.gz`): Asia/Kolkata wall-clock times without a zone, each bar stamped at its START.
Returned in the `market_intraday` contract (market/synthetic.py INTRADAY_COLUMNS: tz-naive IST
`timestamp` = bar start, `date` = its session, `interval`).
Refused with the file and example rows: unparseable times, NaN or non-positive prices, high/low that
do not bracket open and close, times that are not strictly increasing, bars outside the NSE session
09:15-15:30 IST (except on the calendar's special evening sessions, e.g. Muhurat).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from aegismatrix.market.calendar import nse_trading_days
from aegismatrix.market.errors import DataValidationError
from aegismatrix.market.session import CLOSE, OPEN
from aegismatrix.market.synthetic import INTRADAY_COLUMNS

# the NSE continuous session (market/session.py owns the hours)
SESSION_OPEN, SESSION_CLOSE = OPEN, CLOSE
PRICES = ["open", "high", "low", "close"]
# Sessions that ran past 15:30 (a fact of the tape, not of the calendar's rules); provenance per row
EXTENDED_SESSIONS = {
    "2021-02-24": "NSE press release 2021-02-24: trading halted by a technical glitch at 11:40 "
                  "IST, resumed 15:45 and extended to 17:00",
}
_INTERVAL = re.compile(r"^(\d+)([mh])$")
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.^=-]*$")


def interval_length(interval: str) -> pd.Timedelta:
    """'1m' / '15m' / '1h' -> the bar length; anything else is refused."""
    match = _INTERVAL.match(str(interval))
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"intraday interval {interval!r} is not "
                         "'<n>m' or '<n>h' (e.g. 1m, 15m, 1h)")
    return pd.Timedelta(int(match.group(1)), unit="min" if match.group(2) == "m" else "h")


def locate_intraday(csv_dir: str | Path, key: str, interval: str) -> Path | None:
    """`<csv_dir>/intraday/<key>_<interval>.csv` or `.csv.gz` (None when neither exists)."""
    interval_length(interval)
    if not _KEY.match(str(key)) or ".." in str(key):
        raise ValueError(f"symbol key {key!r} is not a plain file "
                         f"name: refusing to read outside {csv_dir}")
    folder = Path(csv_dir).resolve() / "intraday"
    for candidate in (folder / f"{key}_{interval}.csv", folder / f"{key}_{interval}.csv.gz"):
        if candidate.exists() and candidate.resolve().is_relative_to(Path(csv_dir).resolve()):
            return candidate
    return None


def special_sessions(start, end) -> pd.DatetimeIndex:
    """Sessions of the NSE calendar outside the regular hours (Muhurat evenings) in [start, end]."""
    regular = nse_trading_days(start, end, include_special_sessions=False)
    return nse_trading_days(start, end).difference(regular)


def _examples(frame: pd.DataFrame, mask, what: str) -> str:
    """'N rows <what>, e.g. line 12 (2020-01-01 09:15:00),
    ...': line numbers as in the file (header = 1)."""
    rows = np.flatnonzero(np.asarray(mask))
    shown = ", ".join(f"line {r + 2} ({frame['raw_time'].iloc[r]})" for r in rows[:3])
    return f"{len(rows)} rows {what}, e.g. {shown}"


def _check(path: Path, frame: pd.DataFrame, interval: str) -> None:
    """Every refusal names the file, the check and example lines."""
    where, length = str(path), interval_length(interval)
    if frame["timestamp"].isna().any():
        raise DataValidationError(where, "dates", _examples(frame, frame["timestamp"].isna(),
                                                            "with an unparseable date_time"))
    prices = frame[PRICES]
    bad = prices.isna().any(axis=1) | (prices <= 0).any(axis=1)
    if bad.any():
        raise DataValidationError(where, "prices",
                                  _examples(frame, bad, "with a missing or non-positive price"))
    inverted = ((frame["high"] < frame[["open", "close"]].max(axis=1))
                | (frame["low"] > frame[["open", "close"]].min(axis=1)))
    if inverted.any():
        raise DataValidationError(where, "ohlc_logic",
                                  _examples(frame, inverted,
                                            "whose high/low do not bracket open and close"))
    stamps = frame["timestamp"]
    backwards = stamps.diff() <= pd.Timedelta(0)
    if backwards.any():
        raise DataValidationError(where, "monotonic",
                                  _examples(frame, backwards,
                                            "not after the previous bar (duplicated or unsorted)"))
    time_of_day = stamps - stamps.dt.normalize()
    outside = ((time_of_day < SESSION_OPEN) | (time_of_day + length > SESSION_CLOSE)).to_numpy(copy=True)
    # special evening sessions (Muhurat, from the NSE calendar) trade outside 09:15-15:30
    if outside.any():
        days = stamps.dt.normalize()
        allowed = special_sessions(days.min(), days.max()).union(pd.DatetimeIndex(list(EXTENDED_SESSIONS)))
        outside &= ~days.isin(allowed).to_numpy()
    if outside.any():
        raise DataValidationError(where, "session_hours", _examples(
            frame, outside, f"outside the NSE session 09:15-15:30 IST for {interval} bars (stamped "
                            "at their start)"))


def read_intraday_csv(path: str | Path, interval: str) -> pd.DataFrame:
    """One intraday file in the market_intraday contract, validated (see the module docstring)."""
    stat = Path(path).stat()
    return _parse(Path(path), str(interval), stat.st_mtime_ns, stat.st_size).copy()


# ingestion and the intraday ranges may read the same 10 MB file in one process
@lru_cache(maxsize=4)
def _parse(path: Path, interval: str, mtime_ns: int, size: int) -> pd.DataFrame:
    interval_length(interval)  # refused before the file is read
    # prices parsed natively (~4x faster than text for 915k bars);
    # a bad cell leaves its column as text
    try:
        raw = pd.read_csv(path, dtype={"date_time": str}, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise DataValidationError(str(path), "parse",
                                  f"not a readable CSV ({type(exc).__name__}: {str(exc)[:120]})") from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    missing = [c for c in ["date_time", *PRICES] if c not in raw.columns]
    if missing:
        raise DataValidationError(str(path), "columns",
                                  f"missing columns {missing}; found {list(raw.columns)}")
    if raw.empty:
        raise DataValidationError(str(path), "empty", "the file has a header but no bars")
    frame = pd.DataFrame({"raw_time": raw["date_time"].astype(str).str.strip()})
    frame["timestamp"] = pd.to_datetime(frame["raw_time"], errors="coerce", format="ISO8601")
    for column in PRICES + ["volume"]:
        values = raw[column] if column in raw.columns else pd.Series(np.nan, index=raw.index)
        frame[column] = pd.to_numeric(values, errors="coerce").astype("float64")
    _check(path, frame, interval)
    frame["timestamp"] = frame["timestamp"].astype("datetime64[ns]")
    frame["date"] = frame["timestamp"].dt.normalize()
    frame["interval"] = pd.Series(interval, index=frame.index, dtype=object)
    return frame[INTRADAY_COLUMNS].reset_index(drop=True)


def csv_intraday(csv_dir: str | Path, key: str, intervals, start: pd.Timestamp,
                 end: pd.Timestamp) -> tuple[pd.DataFrame, list[str]]:
    """Bars of every configured interval whose file exists, sessions in [start, end]; a warning per
    missing file or empty window."""
    frames, warnings = [], []
    for interval in intervals:
        path = locate_intraday(csv_dir, key, interval)
        if path is None:
            warnings.append(f"no intraday CSV for {key} {interval} "
                            f"(looked for intraday/{key}_{interval}.csv[.gz])")
            continue
        bars = read_intraday_csv(path, interval)
        bars = bars[(bars["date"] >= pd.Timestamp(start).normalize()) & (bars["date"] <= pd.Timestamp(end))]
        if bars.empty:
            warnings.append(f"intraday/{path.name}: no bars between {pd.Timestamp(start).date()} "
                            f"and {pd.Timestamp(end).date()}")
        frames.append(bars)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {c: pd.Series(dtype="float64") for c in INTRADAY_COLUMNS})
    return frame, warnings


def daily_decision_time(decision_time: str) -> str:
    """The decision time the DAILY features and models use: an intraday decision keeps those of the
    last completed session, i.e. its close (no new training); close and preopen are unchanged."""
    return "close" if decision_time == "intraday" else decision_time
