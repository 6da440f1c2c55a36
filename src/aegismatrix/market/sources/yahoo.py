"""Yahoo Finance source through yfinance: short timeouts,
backoff on rate limits and network errors."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import requests

from aegismatrix.market.errors import SourceError
from aegismatrix.market.session import completed_through, now_utc

log = logging.getLogger(__name__)
OHLCV = ["open", "high", "low", "close", "volume"]
_RENAME = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Volume": "volume",
           "Adj Close": "adj_close"}
# regular-session close (local time) of exchanges whose daily bars the project reads besides NSE; a
# bar dated local today of an exchange not listed counts as developing until the local day ends
EXCHANGE_CLOSES = {"America/New_York": "16:00", "America/Chicago": "15:00",
                   "Europe/London": "16:30", "Asia/Tokyo": "15:30", "Asia/Hong_Kong": "16:00"}


@contextlib.contextmanager
def _raising_yfinance() -> Iterator[Any]:
    """Make yfinance raise instead of logging and returning an empty frame; restore afterwards."""
    import yfinance as yf

    previous = yf.config.debug.hide_exceptions
    yf.config.debug.hide_exceptions = False
    try:
        yield yf
    finally:
        yf.config.debug.hide_exceptions = previous


def _is_rate_limit(exc: BaseException) -> bool:
    """True for Yahoo's rate limiting (YFRateLimitError or an HTTP 429)."""
    from yfinance.exceptions import YFRateLimitError

    response = getattr(exc, "response", None)
    return isinstance(exc, YFRateLimitError) or getattr(response, "status_code", None) == 429


def _is_network(exc: BaseException) -> bool:
    """True for connection,
    DNS and timeout failures (requests and curl_cffi errors are OSErrors)."""
    return isinstance(exc, (requests.ConnectionError, requests.Timeout, TimeoutError, OSError))


class YahooSource:
    """Fetch daily and intraday bars for one ticker at a time,
    with retries and a network circuit breaker."""

    name = "yfinance"

    def __init__(
        self,
        yf_cache_dir: str | os.PathLike,
        session: Any | None = None,
        timeout: float = 10.0,
        max_retries: int = 3,
        backoff_seconds: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.session, self.timeout = session, timeout
        self.max_retries, self.backoff_seconds, self.sleep = max_retries, backoff_seconds, sleep
        self.network_down: str | None = None
        os.makedirs(yf_cache_dir, exist_ok=True)
        import yfinance as yf

        yf.set_tz_cache_location(str(yf_cache_dir))  # keeps yfinance's SQLite caches out of $HOME

    def daily(self, ticker: str, start: pd.Timestamp, end: pd.Timestamp, instant=None) -> pd.DataFrame:
        """Completed daily bars in [start, end] as `date,
        open, high, low, close, volume, adj_close`.

        A bar of a session that has not closed at `instant` (default: the session clock's now) is
        never a daily close: it is dropped from the frame and described in `frame.attrs["live"]`
        (the live price with its time). `frame.attrs` also has `exchange_tz` and `completed_through`
        (last complete date).
        """
        instant = now_utc() if instant is None else instant
        kwargs = {"start": start.strftime("%Y-%m-%d"),
                  "end": (end + pd.Timedelta(days=1)).strftime("%Y-%m-%d"), "interval": "1d"}
        raw = self._with_retries(ticker, kwargs)
        meta = raw.attrs.get("yahoo_meta") or {}
        index = pd.DatetimeIndex(raw.index)
        exchange_tz = str(index.tz) if index.tz is not None else meta.get("exchangeTimezoneName")
        frame = raw.rename(columns=_RENAME)
        frame.insert(0, "date", index.tz_localize(None).normalize().as_unit("ns"))
        cols = ["date", *OHLCV] + (["adj_close"] if "adj_close" in frame else [])
        frame = frame[cols].reset_index(drop=True).astype(dict.fromkeys(cols[1:], "float64"))
        complete = completed_through(exchange_tz, instant, EXCHANGE_CLOSES.get(exchange_tz or ""))
        developing = frame.loc[frame["date"] > complete]
        frame = frame.loc[frame["date"] <= complete].reset_index(drop=True)
        frame.attrs = {"exchange_tz": exchange_tz, "completed_through": str(complete.date()),
                       "live": live_price(developing, meta, instant)}
        if len(developing):
            log.info("%s: developing bar of %s kept as the live price, not as a daily close",
                     ticker, developing["date"].iloc[-1].date())
        return frame

    def intraday(self, ticker: str, interval: str, days: int) -> pd.DataFrame:
        """Intraday bars for the last `days` days in exchange-local time (tz-naive)."""
        raw = self._with_retries(ticker, {"period": f"{days}d", "interval": interval})
        idx = pd.DatetimeIndex(raw.index)
        # history() returns exchange-local time
        stamps = idx.tz_localize(None) if idx.tz is not None else idx
        frame = raw.rename(columns=_RENAME)[OHLCV].astype("float64").reset_index(drop=True)
        frame.insert(0, "date", stamps.normalize().as_unit("ns"))
        frame.insert(0, "timestamp", stamps.as_unit("ns"))
        frame["interval"] = interval
        return frame

    def _with_retries(self, ticker: str, kwargs: dict[str, Any]) -> pd.DataFrame:
        """Call Ticker.history, retrying rate limits and network errors with exponential backoff."""
        if self.network_down:
            raise SourceError(self.name, ticker,
                              f"network unavailable earlier in this run ({self.network_down})")
        for attempt in range(self.max_retries + 1):
            try:
                return self._history_once(ticker, kwargs)
            except SourceError:
                raise
            except Exception as exc:  # noqa: BLE001 - yfinance raises many types; classify below
                retryable = _is_rate_limit(exc) or _is_network(exc)
                reason = f"{type(exc).__name__}: {str(exc)[:200]}"
                if not retryable:
                    raise SourceError(self.name, ticker, reason) from exc
                dns = "NameResolution" in reason or "resolve" in reason.lower()
                # a failed DNS lookup means offline: waiting will not help
                if attempt == self.max_retries or dns:
                    if not _is_rate_limit(exc):
                        self.network_down = reason
                    raise SourceError(self.name, ticker,
                                      f"gave up after {attempt + 1} attempts: {reason}",
                                      retryable=True) from exc
                delay = self.backoff_seconds * 2**attempt
                log.warning("yfinance %s attempt %d failed (%s); retrying in %.1fs",
                            ticker, attempt + 1, reason, delay)
                self.sleep(delay)
        raise AssertionError("unreachable")

    def _history_once(self, ticker: str, kwargs: dict[str, Any]) -> pd.DataFrame:
        """One Ticker.history call; an empty or all-NaN frame is a failure, not data."""
        with _raising_yfinance() as yf:
            handle = yf.Ticker(ticker, session=self.session)
            raw = handle.history(**kwargs, auto_adjust=False, actions=False, timeout=self.timeout)
        prices = raw.reindex(columns=["Open", "High", "Low", "Close"])
        if raw.empty or prices.isna().all().all():
            raise SourceError(self.name, ticker, "Yahoo returned an empty or all-NaN frame")
        kept = raw.dropna(how="all", subset=list(prices.columns))
        kept.attrs["yahoo_meta"] = _metadata(handle)
        return kept


def _metadata(handle: Any) -> dict:
    """The chart response's `meta` (regularMarketTime,
    exchange zone) from the history call just made."""
    # named keys only: yfinance's metadata mapping loads
    # `tradingPeriods` lazily, with another request
    try:
        meta = handle.get_history_metadata() or {}
        return {key: meta.get(key) for key in ("regularMarketTime", "exchangeTimezoneName")}
    except Exception:  # noqa: BLE001 - metadata is optional context, never a reason to fail a fetch
        return {}


def live_price(developing: pd.DataFrame, meta: dict, instant: pd.Timestamp) -> dict | None:
    """The developing bar as a live price: its date, open/high/low so far, last price and that
    price's time (Yahoo's regularMarketTime when it falls on the bar's date, else the fetch instant,
    said so)."""
    if developing.empty:
        return None
    bar = developing.iloc[-1]
    stamp = meta.get("regularMarketTime")
    # yfinance formats the metadata into an aware Timestamp; the raw chart JSON has epoch seconds
    when = (pd.Timestamp(stamp, unit="s", tz="UTC") if isinstance(stamp, int | float)
            else pd.Timestamp(stamp).tz_convert("UTC") if stamp is not None else None)
    timed_by = "yahoo_regular_market_time"
    if when is None or when < pd.Timestamp(bar["date"]).tz_localize("UTC") - pd.Timedelta(hours=12):
        when, timed_by = pd.Timestamp(instant).tz_convert("UTC"), "fetch_instant"
    return {"date": str(pd.Timestamp(bar["date"]).date()), "price": float(bar["close"]),
            "open": float(bar["open"]), "high": float(bar["high"]), "low": float(bar["low"]),
            "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "timed_by": timed_by}
