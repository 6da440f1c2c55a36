"""The US session before NSE's open: loading S&P 500 / Cboe VIX and deciding, from timestamps, what
row t may see.

A row stays dated t (the last completed NSE session). `decision_time` says when its signal is
issued: `close` = 15:30 IST of t, `preopen` = 09:00 IST of the next NSE session. A US session of US
date d is known from 16:00 America/New_York of d (01:30 IST under US daylight saving, 02:30 IST
otherwise), so it may enter row t when that instant is not after the decision instant and d <= t (US
rows dated after t never enter).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from aegismatrix.market.ingest import Fetched, collect_optional

log = logging.getLogger(__name__)
DECISION_TIMES = ("close", "preopen")
US_TZ, IST = "America/New_York", "Asia/Kolkata"
US_CLOSE = pd.Timedelta(hours=16)
NSE_CLOSE = pd.Timedelta(hours=15, minutes=30)
NSE_PREOPEN = pd.Timedelta(hours=9)
OVERNIGHT_COLUMNS = ["us_date", "us_close", "us_vix_close", "us_sessions_new"]


def check_decision_time(decision_time: str) -> str:
    """The decision time, refused clearly when it is not one of DECISION_TIMES."""
    if decision_time not in DECISION_TIMES:
        raise ValueError(f"decision_time must be one of {DECISION_TIMES}, got {decision_time!r}")
    return decision_time


def us_close_instants(us_dates: pd.Series) -> np.ndarray:
    """UTC instants (ns) at which each US session closes:
    16:00 America/New_York, daylight saving included."""
    local = pd.DatetimeIndex(pd.to_datetime(us_dates)).normalize() + US_CLOSE
    # one unit: inputs may be [us] or [ns]
    return local.tz_localize(US_TZ).tz_convert("UTC").as_unit("ns").asi8


def next_nse_sessions(nse_dates: pd.Series) -> pd.DatetimeIndex:
    """The next NSE session of each row: the next row's date; for the last row the next weekday."""
    dates = pd.DatetimeIndex(pd.to_datetime(nse_dates)).normalize()
    if len(dates) == 0:
        return dates
    # approximation: the calendar of today's row is not known yet
    last_next = dates[-1] + pd.offsets.BDay(1)
    return pd.DatetimeIndex([*dates[1:], last_next])


def decision_instants(nse_dates: pd.Series, decision_time: str) -> np.ndarray:
    """UTC instants (ns) at which row t's signal is issued."""
    check_decision_time(decision_time)
    if decision_time == "close":
        local = pd.DatetimeIndex(pd.to_datetime(nse_dates)).normalize() + NSE_CLOSE
    else:
        local = next_nse_sessions(nse_dates) + NSE_PREOPEN
    return local.tz_localize(IST).tz_convert("UTC").as_unit("ns").asi8


def available_us_session(nse_dates: pd.Series, us_dates: pd.Series, decision_time: str) -> np.ndarray:
    """Per NSE row, the position in `us_dates` (sorted)
    of the latest US session row t may use; -1 if none."""
    us = pd.DatetimeIndex(pd.to_datetime(us_dates)).normalize()
    nse = pd.DatetimeIndex(pd.to_datetime(nse_dates)).normalize()
    closed = np.searchsorted(us_close_instants(us), decision_instants(nse, decision_time), side="right") - 1
    # US date <= t
    dated = np.searchsorted(us.as_unit("ns").asi8, nse.as_unit("ns").asi8, side="right") - 1
    return np.minimum(closed, dated)


# a US holiday weekend leaves NIFTY at most ~2 sessions past the US feed
US_FEED_MAX_LAG_SESSIONS = 3
_WARNED_FEED_ENDS: set[tuple[str, str]] = set()


def rows_past_us_feed_end(nse_dates: pd.Series, us_dates: pd.Series) -> np.ndarray:
    """NIFTY rows without US input because the US feed ended early (more than
    US_FEED_MAX_LAG_SESSIONS sessions before NIFTY's last date): every row after the first NSE
    session past its last date.

    A feed that stops two weeks early would otherwise read as a string of US holidays (no new
    session, forward-filled closes); these rows get no US session instead, and the run logs a
    warning once.
    """
    nse = pd.DatetimeIndex(pd.to_datetime(nse_dates)).normalize()
    us_last = pd.Timestamp(pd.to_datetime(us_dates).max()).normalize()
    lag = int((nse > us_last).sum())
    if lag <= US_FEED_MAX_LAG_SESSIONS:
        return np.zeros(len(nse), dtype=bool)
    key = (str(us_last.date()), str(nse.max().date()))
    if key not in _WARNED_FEED_ENDS:
        _WARNED_FEED_ENDS.add(key)
        log.warning("overnight: the US feed (S&P 500 / Cboe VIX) ends on %s, %d NIFTY sessions "
                    "before NIFTY's last date %s (more than %d): not US holidays but a feed that "
                    "stopped; the rows after %s get no US session (NaN overnight inputs, no "
                    "overnight block served). Refresh "
                    "the US data.", key[0], lag, key[1], US_FEED_MAX_LAG_SESSIONS, key[0])
    after = np.flatnonzero(np.asarray(nse > us_last))
    mask = np.zeros(len(nse), dtype=bool)
    # the first session after us_last may still see that last US close (close mode)
    mask[after[1:]] = True
    return mask


def with_us_sessions(market_daily: pd.DataFrame, us_daily: pd.DataFrame | None,
                     decision_time: str) -> pd.DataFrame:
    """market_daily plus the US session available to each row: us_date, us_close, us_vix_close,
    us_sessions_new.

    us_sessions_new counts the US sessions that became available since the previous row's decision:
    0 on a US holiday (no fresh input; the features flag it instead of forward-filling silently).
    """
    market = market_daily.sort_values("date").reset_index(drop=True)
    if us_daily is None or us_daily.empty:
        return market.assign(us_date=pd.NaT, us_close=np.nan, us_vix_close=np.nan,
                             us_sessions_new=np.nan)
    us = us_daily.sort_values("date").reset_index(drop=True)
    pos = available_us_session(market["date"], us["date"], decision_time)
    pos[rows_past_us_feed_end(market["date"], us["date"])] = -1  # unknown, not a US holiday
    known = pos >= 0
    take = np.where(known, pos, 0)
    pick = lambda c: np.where(known, us[c].to_numpy(dtype="float64")[take], np.nan)  # noqa: E731
    new = np.diff(np.concatenate([[np.nan], np.where(known, pos, np.nan)]))
    return market.assign(us_date=pd.to_datetime(np.where(known, us["date"].to_numpy()[take],
                                                         np.datetime64("NaT"))),
                         us_close=pick("close"), us_vix_close=pick("vix_close"), us_sessions_new=new)


def overnight_symbols(params: dict[str, Any]) -> dict[str, str]:
    """The configured overnight symbols (key -> Yahoo ticker); {} switches the US session off."""
    return dict(params.get("overnight") or {})  # conf/base sets sp500 / vix


def collect_overnight(params: dict[str, Any], core: dict[str, Fetched], start: pd.Timestamp,
                      end: pd.Timestamp, session: Any = None, sleep: Any = None) -> dict[str, Fetched]:
    """S&P 500 and Cboe VIX through the same source chain as the index; synthetic when the index is
    synthetic."""
    return collect_optional("overnight", overnight_symbols(params), synthetic_us_session, params,
                            core, start, end, session, sleep)


def _us_calendar(nse_dates: pd.DatetimeIndex, rng: np.random.Generator) -> pd.DatetimeIndex:
    """Synthetic US dates: NSE's weekdays less ~9 random
    holidays a year (so holiday flags get exercised)."""
    days = pd.bdate_range(nse_dates.min(), nse_dates.max())
    return days[rng.random(len(days)) > 9 / 252]


def synthetic_us_session(index: pd.DataFrame, symbols: dict[str, str], seed: int) -> dict[str, Fetched]:
    """A plausible US session for a synthetic NIFTY: S&P log return of US date d drives NIFTY's next
    opening gap.

    The S&P return is NIFTY's next gap, standardised, plus noise (corr ~0.5, like 2010-2022); its
    VIX is an AR(1) in logs that rises when the S&P falls. Coherent by construction, never a
    forecast of anything real.
    """
    rng = np.random.default_rng(seed + 211)
    nse = index.sort_values("date").reset_index(drop=True)
    gap = np.log(nse["open"].shift(-1) / nse["close"]).reindex(range(len(nse))).to_numpy()
    us_dates = _us_calendar(pd.DatetimeIndex(nse["date"]), rng)
    gap_on_us = pd.Series(gap, index=nse["date"]).reindex(us_dates).fillna(0.0).to_numpy()
    z_gap = gap_on_us / max(float(np.nanstd(gap)), 1e-6)
    ret = 0.0003 + 0.0085 * (0.5 * z_gap + 0.866 * rng.standard_normal(len(us_dates)))
    close = 2000.0 * np.exp(np.cumsum(ret))
    log_vix = np.empty(len(us_dates))
    log_vix[0] = np.log(18.0)
    for i in range(1, len(us_dates)):
        log_vix[i] = (log_vix[i - 1] + 0.03 * (np.log(18.0) - log_vix[i - 1]) - 4.0 * ret[i]
                      + rng.normal(0, 0.04))
    vix = np.exp(log_vix)
    origin = f"synthetic(seed={seed}, US session driven by the NIFTY gap)"
    out = {}
    for key, ticker in symbols.items():
        level = vix if ticker == "^VIX" else close
        prev = np.concatenate([[level[0]], level[:-1]]) * np.exp(rng.normal(0, 0.002, len(level)))
        wiggle = np.abs(rng.normal(0, 0.004, len(level))) * level
        frame = pd.DataFrame({"date": us_dates, "open": prev,
                              "high": np.maximum(prev, level) + wiggle,
                              "low": np.minimum(prev, level) - wiggle, "close": level, "volume": np.nan})
        out[key] = Fetched(key, ticker, frame, "synthetic", origin)
    return out



def align_us_daily(validated: pd.DataFrame,
                   params: dict[str, Any]) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """`us_daily`: S&P 500 bars with the Cboe VIX joined on the S&P calendar (VIX rows on US
    holidays dropped)."""
    from aegismatrix.market.alignment import MARKET_DAILY_COLUMNS, align_index_vix

    keys = list(overnight_symbols(params))
    present = set(validated["symbol"].unique()) if "symbol" in validated else set()
    if len(keys) != 2 or not set(keys) <= present:
        if keys:
            log.warning("overnight: us_daily is empty (need both of %s, loaded %s)",
                        keys, sorted(present & set(keys)))
        empty = pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "date" else "float64")
                              for c in MARKET_DAILY_COLUMNS})
        return empty.astype({"vix_filled": bool}), []
    # order of data_ingestion.overnight: the equity index, then its volatility index
    index_key, vix_key = keys
    pick = lambda k: validated.loc[validated["symbol"] == k].reset_index(drop=True)  # noqa: E731
    max_ffill = int(params.get("alignment", {}).get("max_ffill_days", 3))
    return align_index_vix(pick(index_key), pick(vix_key), max_ffill, index_key, vix_key)
