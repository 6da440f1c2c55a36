"""Source resolution: csv | yfinance | synthetic | auto (fresh cache -> yfinance -> stale cache ->
synthetic). Fresh means by market time (market/freshness.py): the cache holds the session the
decision needs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from aegismatrix.market.cache import ParquetCache, merge_frames
from aegismatrix.market.errors import DataValidationError, SourceError
from aegismatrix.market.freshness import staleness
from aegismatrix.market.session import now_utc
from aegismatrix.market.sources import csv as csv_source
from aegismatrix.market.sources.yahoo import YahooSource
from aegismatrix.market.synthetic import synthetic_market_daily, synthetic_universe

log = logging.getLogger(__name__)
SOURCES = {"auto", "yfinance", "csv", "synthetic"}
_OVERLAP_DAYS = 5
# refetch a few days on incremental refresh: Yahoo revises the latest bars
VOL_INDEX_TICKERS = {"^VIX", "^INDIAVIX"}


@dataclass
class Fetched:
    """One symbol's raw frame and where it came from."""

    key: str
    ticker: str
    frame: pd.DataFrame
    source: str
    origin: str
    fetched_at: pd.Timestamp | None = None
    cache_age_hours: float | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    live: dict | None = None  # today's developing bar as a live price (never a row of `frame`)
    stale: bool = False
    stale_reason: str | None = None


def _window(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, col: str = "date") -> pd.DataFrame:
    """Rows with start <= date <= end."""
    return frame.loc[frame[col].between(start, end)].reset_index(drop=True)


class Resolver:
    """Fetches symbols through the configured source chain, logging each step."""

    def __init__(self, params: dict[str, Any], start: pd.Timestamp, end: pd.Timestamp,
                 session: Any = None, sleep: Any = None) -> None:
        self.params, self.start, self.end = params, start, end
        self.mode = params.get("source", "auto")
        if self.mode not in SOURCES:
            raise ValueError("data_ingestion.source must be one of "
                             f"{sorted(SOURCES)}, got '{self.mode}'")
        cache_cfg = params.get("cache", {})
        self.cache = ParquetCache(cache_cfg.get("dir", "data/01_raw/market_cache"))
        # revalidation only, never staleness
        self.ttl_daily = float(cache_cfg.get("daily_ttl_hours", 72))
        self.live_max_age = float(cache_cfg.get("live_max_age_minutes", 15))
        self.ttl_intraday = float(cache_cfg.get("intraday_ttl_hours", 1))
        self.session, self.sleep = session, sleep
        self._yahoo: YahooSource | None = None
        # key -> why the network step failed (the synthetic fallback's reason)
        self.failures: dict[str, str] = {}
        self.seed = int(params.get("synthetic", {}).get("seed", 7))

    @property
    def yahoo(self) -> YahooSource:
        """The yfinance source,
        created on first use (it redirects yfinance's caches into the project)."""
        if self._yahoo is None:
            cfg = self.params.get("yfinance", {})
            extra = {"sleep": self.sleep} if self.sleep else {}
            self._yahoo = YahooSource(cfg.get("cache_dir", "data/01_raw/.yfinance_cache"),
                                      session=self.session, timeout=float(cfg.get("timeout_seconds", 10)),
                                      max_retries=int(cfg.get("max_retries", 3)),
                                      backoff_seconds=float(cfg.get("backoff_seconds", 1.0)), **extra)
        return self._yahoo

    def csv(self, key: str, ticker: str) -> Fetched:
        """Read `<csv_dir>/<key>.csv`, cut to the window;
        a symbol without rows in the window is an error."""
        path = csv_source.locate(self.params["csv_dir"], key)
        frame, notes = csv_source.read_symbol_csv(path, self.params.get("date_format"))
        window = _window(frame.sort_values("date", kind="stable"), self.start, self.end)
        origin = csv_source.relative_origin(path, self.params["csv_dir"])
        if window.empty:
            raise DataValidationError(origin, "empty",
                                      f"no rows between {self.start.date()} and {self.end.date()} "
                                      f"(the file spans {frame['date'].min().date()} .. "
                                      f"{frame['date'].max().date()})")
        return Fetched(key, ticker, window, "csv", origin, notes=notes)

    def daily(self, key: str, ticker: str) -> Fetched | None:
        """Daily bars via the cache/yfinance chain;
        None when every network-backed step failed (auto mode)."""
        entry, now = self.cache.read(ticker, "1d"), now_utc()
        if entry is not None and entry.covers(self.start):
            why = self._staleness(ticker, entry.frame, entry.fetched_at, entry.extra, now)
            if why is None and entry.is_fresh(self.ttl_daily, now):
                log.info("%s: fresh cache (holds the needed session; %.1f h old) at %s", key,
                         entry.age_hours(now), entry.path)
                return Fetched(key, ticker, _window(entry.frame, self.start, self.end), "cache",
                               str(entry.path), entry.fetched_at, round(entry.age_hours(now), 2),
                               live=(entry.extra or {}).get("live"))
            log.info("%s: cache needs a refresh: %s", key,
                     why or f"revalidated after {self.ttl_daily:g} h")
        try:
            fetched = self._download_daily(key, ticker, entry, now)
        except SourceError as exc:
            return self._after_failure(key, ticker, entry, exc, now)
        why = self._staleness(ticker, fetched.frame, now,
                              {"live": fetched.live, **fetched.frame.attrs}, now)
        if why is not None:  # Yahoo itself lags the calendar
            fetched.stale, fetched.stale_reason = True, f"fetched from yfinance, but {why}"
            fetched.warnings.append(fetched.stale_reason)
        return fetched

    def _staleness(self, ticker: str, frame: pd.DataFrame, fetched_at, extra: dict | None,
                   now: pd.Timestamp) -> str | None:
        last = frame["date"].max() if len(frame) else None
        return staleness(ticker, last, fetched_at, extra, now, self.end, self.live_max_age)

    def _after_failure(self, key: str, ticker: str, entry: Any, exc: SourceError,
                       now: pd.Timestamp) -> Fetched | None:
        """Serve the cache when the network failed:
        stale (with the reason) unless it holds the session."""
        log.warning("%s: yfinance failed: %s", key, exc.reason)
        self.failures[key] = exc.reason
        if entry is None:
            if self.mode == "yfinance":
                raise exc
            log.warning("%s: no cache to fall back on", key)
            return None
        age = entry.age_hours(now)
        why = self._staleness(ticker, entry.frame, entry.fetched_at, entry.extra, now)
        msg = (f"network failed ({exc.reason[:120]}); using cache {age:.1f} hours old"
               + (f": STALE, {why}" if why else ", which still holds the session the decision needs"))
        log.warning("%s: %s", key, msg)
        return Fetched(key, ticker, _window(entry.frame, self.start, self.end), "cache",
                       str(entry.path),
                       entry.fetched_at, round(age, 2), [msg], live=(entry.extra or {}).get("live"),
                       stale=why is not None, stale_reason=msg if why else None)

    def _download_daily(self, key: str, ticker: str, entry: Any, now: pd.Timestamp) -> Fetched:
        """Full download, or only the missing days when the cache already covers the start."""
        incremental = entry is not None and entry.covers(self.start)
        since = entry.frame["date"].max() - pd.Timedelta(days=_OVERLAP_DAYS) if incremental else self.start
        log.info("%s: fetching %s from yfinance (%s from %s)", key, ticker,
                 "incremental" if incremental else "full", since.date())
        fresh = self.yahoo.daily(ticker, since, self.end, now)
        attrs = dict(fresh.attrs)
        merged = merge_frames(entry.frame if incremental else None, fresh)
        # a cache written before the session clock may hold a developing bar as a row: never keep it
        merged = merged.loc[merged["date"] <= pd.Timestamp(attrs["completed_through"])].reset_index(drop=True)
        # atomic: a failure above leaves the old file intact
        self.cache.write(ticker, "1d", merged, now,
                         extra={k: attrs.get(k) for k in ("exchange_tz", "live")})
        frame = _window(merged, self.start, self.end)
        frame.attrs = attrs
        return Fetched(key, ticker, frame, "yfinance", f"yfinance:{ticker}", now, 0.0,
                       live=attrs.get("live"))

    def intraday(self, ticker: str, interval: str, days: int) -> tuple[pd.DataFrame, str, list[str]]:
        """Intraday bars via cache/yfinance; returns (frame, source, warnings); empty frame when
        unavailable."""
        entry = self.cache.read(ticker, interval)
        if entry is not None and entry.is_fresh(self.ttl_intraday):
            return entry.frame, "cache", []
        try:
            fresh = self.yahoo.intraday(ticker, interval, days)
            merged = merge_frames(entry.frame if entry is not None else None, fresh,
                                  key="timestamp")
            cutoff = merged["date"].max() - pd.Timedelta(days=days + 7)
            merged = merged.loc[merged["date"] >= cutoff].reset_index(drop=True)
            self.cache.write(ticker, interval, merged)
            return merged, "yfinance", []
        except SourceError as exc:
            if entry is not None:
                return entry.frame, "cache", [f"{interval} bars from stale cache "
                                              f"({entry.age_hours():.1f} h old): {exc.reason[:120]}"]
            return pd.DataFrame(), "none", [f"no {interval} bars: {exc.reason[:120]}"]


def collect_optional(label: str, symbols: dict[str, str], synthetic, params: dict[str, Any],
                     core: dict[str, Fetched], start: pd.Timestamp, end: pd.Timestamp, session: Any = None,
                     sleep: Any = None) -> dict[str, Fetched]:
    """Optional symbols (the overnight US session,
    the sector index) through the index's source chain.

    `synthetic(index_frame, symbols, seed)` replaces them when the index is synthetic (so they stay
    coherent with it); a symbol that cannot be loaded is skipped with a warning, and the features
    that need it refuse to run.
    """
    if not symbols:
        return {}
    index = core[params.get("index_key", "nifty50")]
    if index.source == "synthetic":
        return synthetic(index.frame, symbols, int(params.get("synthetic", {}).get("seed", 7)))
    resolver = Resolver(params, start, end, session=session, sleep=sleep)
    out = {}
    for key, ticker in symbols.items():
        try:
            fetched = resolver.csv(key, ticker) if resolver.mode == "csv" else resolver.daily(key, ticker)
        except FileNotFoundError as exc:
            fetched = None
            log.warning("%s: %s", label, exc)
        if fetched is None:
            log.warning("%s: %s (%s) unavailable; features that need it will refuse to run",
                        label, key, ticker)
            continue
        out[key] = fetched
    return out


def synthetic_core(keys: dict[str, str], index_key: str, vix_key: str, start: pd.Timestamp,
                   end: pd.Timestamp, seed: int) -> dict[str, Fetched]:
    """The index and its VIX from one simulation, so they stay coherent."""
    years = (len(pd.bdate_range(start, end)) + 1) / 252
    sim = _window(synthetic_market_daily(years=years, seed=seed, end=end.strftime("%Y-%m-%d")),
                  start, end)
    index = sim[["date", "open", "high", "low", "close", "volume"]]
    prev = sim["vix_close"].shift().fillna(sim["vix_close"])
    vix = pd.DataFrame({"date": sim["date"], "open": prev,
                        "high": sim[["vix_high"]].max(axis=1).clip(lower=prev),
                        "low": sim["vix_low"].clip(upper=prev), "close": sim["vix_close"],
                        "volume": float("nan")})
    origin = f"synthetic(seed={seed})"
    return {index_key: Fetched(index_key, keys[index_key], index, "synthetic", origin),
            vix_key: Fetched(vix_key, keys[vix_key], vix, "synthetic", origin)}


def synthetic_symbols(keys: dict[str, str], start: pd.Timestamp, end: pd.Timestamp,
                      seed: int) -> dict[str, Fetched]:
    """Synthetic daily bars for any set of symbols (one vectorised simulation; volatility indices
    from the VIX model)."""
    vol = {k: t for k, t in keys.items() if t in VOL_INDEX_TICKERS}
    prices = {k: t for k, t in keys.items() if k not in vol}
    years = (len(pd.bdate_range(start, end)) + 1) / 252
    out = {}
    if prices:
        frames = synthetic_universe(list(prices), years=years, seed=seed + 1,
                                    end=end.strftime("%Y-%m-%d"))
        out = {k: Fetched(k, keys[k], _window(f, start, end), "synthetic",
                          f"synthetic(seed={seed + 1})")
               for k, f in frames.items()}
    for i, (key, ticker) in enumerate(vol.items()):
        core = synthetic_core({"i": "", key: ticker}, "i", key, start, end, seed + 101 + i)
        out[key] = core[key]
    return out
