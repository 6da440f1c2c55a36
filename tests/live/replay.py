"""Replay of a live day: Yahoo's chart API answered from the recorded NIFTY 50 bars of January 2024
(tests/fixtures/yahoo/chart_nsei_1d.json) as Yahoo serves them at a given instant, and the data layer run
under a fake clock (time-machine).

At an instant the answer holds every session completed before it and, while a session runs, a DEVELOPING
bar of today: open so far, high/low so far, the last price as close (moving from the open to the recorded
close over the session, 5 points off it), `regularMarketTime` = a minute before the instant. After the
closing price is out it is the recorded bar. The fixture's weekdays are cut to NSE sessions (no bar on the
22nd or the 26th) and the Saturday special session of 20 January 2024 gets a bar made from the 19th's
close. India VIX and the overnight US symbols (on New York time) follow the same path, scaled.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterator
from urllib.parse import unquote

import pandas as pd
import time_machine

from aegismatrix.market.calendar import nse_trading_days
from aegismatrix.market.session import session_state
from tests.market.conftest import chart_json, make_session

IST = "Asia/Kolkata"
SCALE = {"^NSEI": 1.0, "^INDIAVIX": 1 / 1500, "^GSPC": 1 / 4.5, "^VIX": 1 / 1600}
US = {"^GSPC", "^VIX"}  # the overnight US session: New York bars, complete after 16:00 there


@functools.lru_cache(maxsize=1)
def recorded_bars() -> pd.DataFrame:
    """The recorded January 2024 bars on NSE sessions (plus the 20 Jan special session)."""
    result = chart_json("chart_nsei_1d.json")["chart"]["result"][0]
    quote = result["indicators"]["quote"][0]
    stamps = pd.to_datetime(result["timestamp"], unit="s", utc=True)
    dates = stamps.tz_convert(IST).tz_localize(None).normalize()
    bars = pd.DataFrame({k: quote[k] for k in ("open", "high", "low", "close", "volume")}, index=dates)
    sessions = nse_trading_days("2024-01-01", "2024-01-31")
    special = pd.Timestamp("2024-01-20")
    prior = bars.loc[pd.Timestamp("2024-01-19"), "close"]
    bars.loc[special] = [prior, prior * 1.004, prior * 0.997, prior * 1.002, 100000]
    return bars.loc[bars.index.isin(sessions)].sort_index()


@functools.lru_cache(maxsize=2)
def bars_with_history(years: float) -> pd.DataFrame:
    """The recorded bars after `years` of synthetic NSE sessions (for a full inference run's feature windows),
    scaled to end at the recorded first open."""
    from aegismatrix.market.synthetic import synthetic_market_daily

    recorded = recorded_bars()
    sim = synthetic_market_daily(years=years + 0.2, seed=11, end="2023-12-29").set_index("date")
    sim = sim.loc[sim.index.isin(nse_trading_days("2015-01-01", "2023-12-29"))].iloc[-int(years * 248):]
    scale = recorded["open"].iloc[0] / sim["close"].iloc[-1]
    history = sim[["open", "high", "low", "close"]] * scale
    history["volume"] = 200000.0
    return pd.concat([history, recorded])


def bar_at(date: pd.Timestamp, instant: pd.Timestamp, bars: pd.DataFrame | None = None) -> dict | None:
    """The bar of `date` as Yahoo shows it at `instant`: None before the open, developing, then final."""
    state = session_state(instant)
    final = (recorded_bars() if bars is None else bars).loc[date]
    if state.session_date != date or state.state == "closed_after":
        return dict(final)
    if state.state in ("closed_before", "pre_open"):
        return None
    done = min(1.0, (instant - state.opens_at) / (state.closes_at - state.opens_at))
    # the last trade, not the closing price (the exchange's weighted average of the last 30 minutes)
    last = final["open"] + done * (final["close"] - final["open"]) + 5.0
    return {"open": final["open"], "high": max(final["open"], last), "low": min(final["open"], last),
            "close": last, "volume": final["volume"] * done}


def chart_at(symbol: str, instant: pd.Timestamp, history_years: float = 0.0) -> dict:
    """A chart-API answer for `symbol` at `instant` (the recorded response's shape and meta)."""
    body = chart_json("chart_nsei_1d.json")
    result = body["chart"]["result"][0]
    rows, stamps = [], []
    zone = "America/New_York" if symbol in US else IST
    today = instant.tz_convert(zone).tz_localize(None).normalize()
    bars = bars_with_history(history_years) if history_years else recorded_bars()
    for date in bars.index[bars.index <= today]:
        # the US path reuses the NSE dates; every replayed instant is outside New York's session
        bar = dict(bars.loc[date]) if symbol in US else bar_at(date, instant, bars)
        if bar is not None and not (symbol in US and date == today):
            rows.append({k: (v * SCALE[symbol] if k != "volume" else v) for k, v in bar.items()})
            opens = pd.Timedelta(hours=9, minutes=30) if symbol in US else pd.Timedelta(hours=9, minutes=15)
            stamps.append(int((date + opens).tz_localize(zone).timestamp()))
    quote = {k: [r[k] for r in rows] for k in ("open", "high", "low", "close", "volume")}
    result["timestamp"], result["indicators"]["quote"] = stamps, [quote]
    result["indicators"]["adjclose"] = [{"adjclose": quote["close"]}]
    # Yahoo's quotes arrive with a delay: the last price is a minute old
    result["meta"].update(symbol=symbol, regularMarketTime=int(instant.timestamp()) - 60,
                          regularMarketPrice=quote["close"][-1], exchangeTimezoneName=zone,
                          gmtoffset=int(pd.Timestamp(instant).tz_convert(zone).utcoffset().total_seconds()))
    return body


class FakeYahoo:
    """A requests.Session answering chart requests for the fake clock's instant; `down` = no network."""

    def __init__(self, history_years: float = 0.0) -> None:
        self.down, self.history_years = False, history_years
        self.session, self.adapter = make_session(self._answer)

    def _answer(self, request):
        if self.down:
            import requests

            return requests.ConnectionError("connection reset by peer (replayed outage)")
        symbol = unquote(request.url.split("/v8/finance/chart/")[1].split("?")[0])
        return 200, chart_at(symbol, pd.Timestamp.now(tz="UTC"), self.history_years)


@contextlib.contextmanager
def server_clock(instant: pd.Timestamp, server_tz: str) -> Iterator[None]:
    """Move the process clock to `instant` with the server's zone set to `server_tz`."""
    import os

    previous = os.environ.get("TZ")
    os.environ["TZ"] = server_tz
    time.tzset()
    try:
        with time_machine.travel(instant.to_pydatetime(), tick=False):
            yield
    finally:
        if previous is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = previous
        time.tzset()
