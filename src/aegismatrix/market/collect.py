"""Collect the core pair (index + VIX),
intraday bars and the optional universe through the source chain."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from aegismatrix.market.ingest import Fetched, Resolver, synthetic_core, synthetic_symbols
from aegismatrix.market.intraday_bars import csv_intraday, interval_length
from aegismatrix.market.overnight import collect_overnight
from aegismatrix.market.sector import collect_sector
from aegismatrix.market.session import IST, completed_through, resolve_window
from aegismatrix.market.sources import csv as csv_source
from aegismatrix.market.synthetic import INTRADAY_COLUMNS, synthetic_intraday
from aegismatrix.market.universe import resolve_universe

log = logging.getLogger(__name__)


@dataclass
class Collected:
    """Raw daily frames per symbol, intraday bars and the window they cover."""

    fetched: dict[str, Fetched]
    intraday: pd.DataFrame
    intraday_warnings: list[str]
    start: pd.Timestamp
    end: pd.Timestamp


def empty_intraday() -> pd.DataFrame:
    """An intraday frame with the contract's columns and no rows."""
    return pd.DataFrame({"timestamp": pd.Series(dtype="datetime64[ns]"),
                         "date": pd.Series(dtype="datetime64[ns]"),
                         **{c: pd.Series(dtype="float64")
                            for c in ("open", "high", "low", "close", "volume")},
                         "interval": pd.Series(dtype="object")})[INTRADAY_COLUMNS]


def ingestion_window(params: dict[str, Any]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Resolve start/end; for csv, lookback counts back from the index file's last date."""
    last = None
    if params.get("source") == "csv" and not params.get("end"):
        frame, _ = csv_source.read_symbol_csv(csv_source.locate(params["csv_dir"],
                                                                params.get("index_key", "nifty50")),
                                              params.get("date_format"))
        last = frame["date"].max()
    return resolve_window(params.get("start"), params.get("end"),
                          float(params.get("lookback_years", 5)), last)


def collect_core(params: dict[str, Any], session: Any = None, sleep: Any = None) -> Collected:
    """The index and VIX, plus the overnight US session (S&P 500, Cboe VIX) and the sector index
    (NIFTY BANK, when configured) through the same source chain."""
    collected = _collect_index_pair(params, session, sleep)
    collected.fetched |= collect_overnight(params, collected.fetched, collected.start,
                                           collected.end, session, sleep)
    collected.fetched |= collect_sector(params, collected.fetched, collected.start, collected.end,
                                        session, sleep)
    return collected


def _collect_index_pair(params: dict[str, Any], session: Any = None, sleep: Any = None) -> Collected:
    """Fetch the index and VIX through the configured chain; synthetic replaces both if either is
    unreachable."""
    start, end = ingestion_window(params)
    symbols = dict(params.get("symbols") or {"nifty50": "^NSEI", "indiavix": "^INDIAVIX"})
    index_key, vix_key = params.get("index_key", "nifty50"), params.get("vix_key", "indiavix")
    missing = {index_key, vix_key} - set(symbols)
    if missing:
        raise ValueError(f"data_ingestion.symbols lacks {sorted(missing)} (index_key/vix_key)")
    resolver = Resolver(params, start, end, session=session, sleep=sleep)
    mode, seed = resolver.mode, resolver.seed
    log.info("data_ingestion: source=%s window %s .. %s", mode, start.date(), end.date())
    if mode == "csv":
        return Collected({k: resolver.csv(k, t) for k, t in symbols.items()},
                         *_csv_intraday(params, index_key, start, end), start, end)
    fetched = {} if mode == "synthetic" else {k: resolver.daily(k, t) for k, t in symbols.items()}
    if mode == "synthetic" or fetched[index_key] is None or fetched[vix_key] is None:
        core = synthetic_core(symbols, index_key, vix_key, start, end, seed)
        if mode == "auto":
            _fallback_warning(core, resolver.failures, seed)
        others = {k: t for k, t in symbols.items()
                  if k not in core and (mode == "synthetic" or fetched.get(k) is None)}
        fetched = {**{k: v for k, v in fetched.items() if v is not None},
                   **synthetic_symbols(others, start, end, seed), **core}
        sessions = int(params.get("synthetic", {}).get("intraday_sessions", 5))
        intraday = (synthetic_intraday(core[index_key].frame, sessions=sessions, seed=seed)
                    if _intraday_on(params) else empty_intraday())
        return Collected(fetched, intraday, [], start, end)
    intraday, warnings = _yahoo_intraday(resolver, symbols[index_key], params)
    return Collected(fetched, intraday, warnings, start, end)


def _fallback_warning(core: dict[str, Fetched], failures: dict[str, str], seed: int) -> None:
    """Say in the log and in each core symbol's warnings (-> data.warnings)
    why the market is synthetic."""
    why = "; ".join(f"{k}: {r[:120]}" for k, r in failures.items()) or "no network and no cache"
    message = f"SYNTHETIC market served (seed={seed}), not real data: no cache and yfinance failed ({why})"
    log.warning("data_ingestion: %s", message)
    for fetched in core.values():
        fetched.warnings.append(message)


def _csv_intraday(params: dict[str, Any], index_key: str, start: pd.Timestamp,
                  end: pd.Timestamp) -> tuple[pd.DataFrame, list[str]]:
    """The index's `<csv_dir>/intraday/<key>_<interval>.csv[.gz]`
    bars (market/intraday_bars.py, issue 24)."""
    if not _intraday_on(params):
        return empty_intraday(), []
    intervals = params.get("intraday", {}).get("csv_intervals") or ["15m"]
    return csv_intraday(params["csv_dir"], index_key, intervals, start, end)


def _intraday_on(params: dict[str, Any]) -> bool:
    """True unless intraday ingestion is switched off."""
    return bool(params.get("intraday", {}).get("enabled", True))


def _yahoo_intraday(resolver: Resolver, ticker: str,
                    params: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """Intraday bars per configured interval (e.g. 1m for 5 days,
    5m for 60 days); empty when unavailable."""
    if not _intraday_on(params):
        return empty_intraday(), []
    frames, warnings = [], []
    for interval, days in (params.get("intraday", {}).get("intervals") or {"1m": 5, "5m": 60}).items():
        frame, source, warns = resolver.intraday(ticker, interval, int(days))
        log.info("intraday %s %s: %d bars from %s", ticker, interval, len(frame), source)
        warnings += warns
        if not frame.empty:
            frames.append(frame[INTRADAY_COLUMNS])
    return (pd.concat(frames, ignore_index=True) if frames else empty_intraday()), warnings


def collect_universe(params: dict[str, Any], start: pd.Timestamp, end: pd.Timestamp,
                     session: Any = None,
                     sleep: Any = None, core_synthetic: bool = False) -> dict[str, Fetched]:
    """Daily bars for the selected named universe ({} when none is selected).

    A member that cannot be read is skipped with a warning, never replaced by a synthetic series
    next to a real index (pooled models would train on it); the universe is synthetic only when the
    index is (`core_synthetic`)."""
    symbols = resolve_universe(params.get("universe"))
    if not symbols:
        return {}
    resolver = Resolver(params, start, end, session=session, sleep=sleep)
    if resolver.mode == "synthetic" or core_synthetic:
        return synthetic_symbols(symbols, start, end, resolver.seed)
    out = {}
    for key, ticker in symbols.items():
        try:
            fetched = resolver.csv(key, ticker) if resolver.mode == "csv" else resolver.daily(key, ticker)
        except FileNotFoundError as exc:
            fetched, why = None, str(exc)
        else:
            why = resolver.failures.get(key, "no data from any source")
        if fetched is None:
            # never filled with synthetic bars
            log.warning("universe: %s (%s) skipped: %s", key, ticker, why)
            continue
        out[key] = fetched
    return out


def published_by(collected: Collected, instant: pd.Timestamp, params: dict[str, Any]) -> Collected:
    """What had been published at `instant` (a replay's decision instant): daily bars of sessions
    already closed (NSE by the session clock, the US keys at 16:00 New York) and intraday bars
    already ended. A CSV file may hold the rest of the day; a replayed decision must not see it."""
    us_keys = set(params.get("overnight") or {})
    nse_done = completed_through(IST, instant)
    us_done = completed_through("America/New_York", instant, "16:00")
    fetched = {}
    for key, f in collected.fetched.items():
        done = us_done if key in us_keys else nse_done
        fetched[key] = replace(f, frame=f.frame.loc[f.frame["date"] <= done].reset_index(drop=True))
    bars = collected.intraday
    if len(bars):
        ends = bars["timestamp"] + bars["interval"].astype(str).map(interval_length)
        bars = bars.loc[ends <= instant.tz_convert(IST).tz_localize(None)].reset_index(drop=True)
    return replace(collected, fetched=fetched, intraday=bars)
