"""The universe next to a real index: a member that cannot be read is skipped, never filled with synthetic
bars (pooled models would train on them); the universe is synthetic only when the index is."""

from __future__ import annotations

import pandas as pd

from aegismatrix.market import collect
from aegismatrix.market.ingest import Fetched, Resolver

START, END = pd.Timestamp("2023-01-02"), pd.Timestamp("2023-06-30")


def _only_aapl_reachable(monkeypatch):
    bars = pd.DataFrame({"date": pd.bdate_range(START, END), "open": 1.0, "high": 1.0, "low": 1.0,
                         "close": 1.0})

    def daily(self, key, ticker):
        if key != "AAPL":
            self.failures[key] = "ConnectionError: offline"
            return None
        return Fetched(key, ticker, bars, "yfinance", "yfinance:AAPL")

    monkeypatch.setattr(Resolver, "daily", daily)


def test_unreachable_members_are_skipped_next_to_a_real_index(monkeypatch, tmp_path, caplog):
    _only_aapl_reachable(monkeypatch)
    params = {"source": "auto", "universe": "global26", "cache": {"dir": str(tmp_path)}}
    got = collect.collect_universe(params, START, END)
    assert list(got) == ["AAPL"] and got["AAPL"].source == "yfinance"
    assert "universe: MSFT (MSFT) skipped: ConnectionError: offline" in caplog.text


def test_the_universe_is_synthetic_only_when_the_index_is(monkeypatch, tmp_path):
    _only_aapl_reachable(monkeypatch)
    params = {"source": "auto", "universe": "global26", "cache": {"dir": str(tmp_path)}}
    got = collect.collect_universe(params, START, END, core_synthetic=True)
    assert len(got) == 26 and {f.source for f in got.values()} == {"synthetic"}
