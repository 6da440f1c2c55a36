"""The yfinance path through the real library, served by recorded chart-API JSON (offline)."""

from __future__ import annotations

import pandas as pd
import pytest
import requests

from aegismatrix.market.cache import ParquetCache
from aegismatrix.market.errors import SourceError
from aegismatrix.market.ingest import Resolver
from aegismatrix.market.sources.yahoo import YahooSource

from .conftest import DNS_ERROR, chart_json, make_session

START, END = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31")


def _source(tmp_path, session, sleeps=None) -> YahooSource:
    return YahooSource(tmp_path / "yf", session=session, timeout=2, max_retries=3, backoff_seconds=1.0,
                       sleep=(sleeps.append if sleeps is not None else lambda s: None))


def test_success_parses_daily_bars(tmp_path):
    session, adapter = make_session(lambda req: (200, chart_json("chart_nsei_1d.json")))
    frame = _source(tmp_path, session).daily("^NSEI", START, END)
    assert list(frame.columns) == ["date", "open", "high", "low", "close", "volume", "adj_close"]
    assert len(frame) == 23 and frame["date"].is_monotonic_increasing
    assert frame["date"].dt.tz is None and (frame["date"] == frame["date"].dt.normalize()).all()
    assert (frame["close"].iloc[0]
            == chart_json("chart_nsei_1d.json")["chart"]["result"][0]["indicators"]["quote"][0]["close"][0])
    assert (tmp_path / "yf").is_dir()  # yfinance's SQLite caches live here, not in $HOME


def test_yahoo_error_json_is_a_clear_failure(tmp_path):
    session, _ = make_session(lambda req: (404, chart_json("chart_error_not_found.json")))
    with pytest.raises(SourceError) as info:
        _source(tmp_path, session).daily("^BOGUS", START, END)
    assert "^BOGUS" in str(info.value) and not info.value.retryable


def test_rate_limit_then_success_backs_off_exponentially(tmp_path):
    calls = {"n": 0}

    def chart(req):
        calls["n"] += 1
        return ((429, {"error": "Too Many Requests"}) if calls["n"] <= 4
                else (200, chart_json("chart_nsei_1d.json")))

    sleeps: list[float] = []
    session, _ = make_session(chart)
    frame = _source(tmp_path, session, sleeps).daily("^NSEI", START, END)
    assert len(frame) == 23
    assert sleeps == [1.0, 2.0]  # yfinance retries each 429 once itself, so 4 refusals = 2 of our attempts


def test_persistent_rate_limit_gives_up(tmp_path):
    sleeps: list[float] = []
    session, _ = make_session(lambda req: (429, {"error": "Too Many Requests"}))
    with pytest.raises(SourceError, match="gave up after 4 attempts"):
        _source(tmp_path, session, sleeps).daily("^NSEI", START, END)
    assert sleeps == [1.0, 2.0, 4.0]


@pytest.mark.parametrize("fixture", ["chart_empty.json", "chart_all_nan.json"])
def test_empty_or_all_nan_frame_is_failure(tmp_path, fixture):
    session, _ = make_session(lambda req: (200, chart_json(fixture)))
    with pytest.raises(SourceError):
        _source(tmp_path, session).daily("^NSEI", START, END)


def test_network_error_retries_then_trips_circuit_breaker(tmp_path):
    sleeps: list[float] = []
    session, adapter = make_session(lambda req: requests.ConnectionError("connection reset by peer"))
    source = _source(tmp_path, session, sleeps)
    with pytest.raises(SourceError):
        source.daily("^NSEI", START, END)
    assert sleeps == [1.0, 2.0, 4.0]
    calls = adapter.chart_calls
    with pytest.raises(SourceError, match="network unavailable"):
        source.daily("^INDIAVIX", START, END)
    assert adapter.chart_calls == calls  # never hammer a dead network


def _params(tmp_path, source="auto") -> dict:
    return {"source": source, "cache": {"dir": str(tmp_path / "cache"), "daily_ttl_hours": 72},
            "yfinance": {"cache_dir": str(tmp_path / "yf"), "timeout_seconds": 2, "max_retries": 2,
                         "backoff_seconds": 0.0}}


@pytest.mark.parametrize(("last", "stale"), [("2024-01-31", False), ("2024-01-24", True)])
def test_dns_failure_falls_back_to_cache_stale_only_without_the_needed_session(tmp_path, last, stale):
    cached = pd.DataFrame({"date": pd.bdate_range(START, last).as_unit("ns"), "open": 1.0, "high": 2.0,
                           "low": 0.5, "close": 1.5, "volume": 1.0})
    ParquetCache(tmp_path / "cache").write("^NSEI", "1d", cached,
                                           pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=10))
    session, _ = make_session(lambda req: DNS_ERROR)
    got = Resolver(_params(tmp_path), START, END, session=session,
                   sleep=lambda s: None).daily("nifty50", "^NSEI")
    assert got.source == "cache" and len(got.frame) == len(cached)
    assert got.cache_age_hours > 200 and "using cache 240.0 hours old" in got.warnings[0]
    assert got.stale is stale  # by market time: does it hold 2024-01-31, the window's last session?
    reason = got.stale_reason or ""
    assert (reason == "") if not stale else "last completed session is 2024-01-31" in reason


def test_dns_failure_without_cache_returns_none_in_auto_and_raises_in_yfinance_mode(tmp_path):
    session, _ = make_session(lambda req: DNS_ERROR)
    assert Resolver(_params(tmp_path), START, END, session=session).daily("nifty50", "^NSEI") is None
    with pytest.raises(SourceError):
        Resolver(_params(tmp_path, "yfinance"), START, END, session=session).daily("nifty50", "^NSEI")


def test_fresh_cache_is_used_without_network_and_refresh_is_incremental(tmp_path):
    params = _params(tmp_path)
    session, adapter = make_session(lambda req: (200, chart_json("chart_nsei_1d.json")))
    first = Resolver(params, START, END, session=session).daily("nifty50", "^NSEI")
    assert first.source == "yfinance" and ParquetCache(tmp_path / "cache").read("^NSEI", "1d") is not None
    calls = adapter.chart_calls
    again = Resolver(params, START, END, session=session).daily("nifty50", "^NSEI")
    assert again.source == "cache" and adapter.chart_calls == calls
    periods: list[str] = []

    def chart(req):
        periods.append(req.url)
        return 200, chart_json("chart_nsei_1d.json")

    session2, _ = make_session(chart)
    stale = {**params, "cache": {**params["cache"], "daily_ttl_hours": 0}}
    refreshed = Resolver(stale, START, END, session=session2).daily("nifty50", "^NSEI")
    assert refreshed.source == "yfinance" and len(refreshed.frame) == 23
    since = pd.Timestamp("2024-01-31") - pd.Timedelta(days=5)
    history_calls = [u for u in periods if "period1" in u]
    assert (history_calls
            and f"period1={int(since.tz_localize('Asia/Kolkata').timestamp())}" in history_calls[-1])
