"""A replayed decision sees only what was published by its instant (issue 24): a CSV file may hold the rest of
the day, the US session of the same date, and later bars."""

from __future__ import annotations

import pandas as pd
import pytest

from aegismatrix.market.collect import Collected, published_by
from aegismatrix.market.ingest import Fetched
from aegismatrix.market.session import replay_instant


def _daily(last: str) -> pd.DataFrame:
    dates = pd.bdate_range(end=last, periods=5)
    return pd.DataFrame({"date": dates, "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 0})


def _collected() -> Collected:
    bars = pd.DataFrame({"timestamp": pd.date_range("2022-12-30 09:15", "2022-12-30 15:15", freq="15min")})
    bars = bars.assign(date=pd.Timestamp("2022-12-30"), open=1.0, high=1.0, low=1.0, close=1.0, volume=0,
                       interval="15m")
    fetched = {key: Fetched(key, key, _daily("2022-12-30"), "csv", "file") for key in ("nifty50", "sp500")}
    return Collected(fetched, bars, [], pd.Timestamp("2022-12-01"), pd.Timestamp("2022-12-30"))


def test_a_replay_at_11_sees_the_previous_close_the_overnight_us_session_and_ended_bars():
    instant = replay_instant({"decision_at": "2022-12-30T11:00:00+05:30"})
    cut = published_by(_collected(), instant, {"overnight": {"sp500": "^GSPC"}})
    assert str(cut.fetched["nifty50"].frame["date"].max().date()) == "2022-12-29"
    assert str(cut.fetched["sp500"].frame["date"].max().date()) == "2022-12-29"  # closed 02:30 IST
    assert cut.intraday["timestamp"].max() == pd.Timestamp("2022-12-30 10:45")  # the 10:45 bar ends at 11:00


def test_after_the_close_is_final_the_day_is_published():
    instant = replay_instant({"decision_at": "2022-12-30T15:45:00+05:30"})
    cut = published_by(_collected(), instant, {"overnight": {"sp500": "^GSPC"}})
    assert str(cut.fetched["nifty50"].frame["date"].max().date()) == "2022-12-30"
    assert str(cut.fetched["sp500"].frame["date"].max().date()) == "2022-12-29"  # New York has not opened


def test_a_replay_instant_needs_a_zone_and_none_means_live():
    assert replay_instant({}) is None and replay_instant(None) is None
    with pytest.raises(ValueError, match="needs a zone"):
        replay_instant({"decision_at": "2022-12-30T11:00"})
