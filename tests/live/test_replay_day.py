"""Replay of whole days through the data layer and the ledger: recorded Yahoo bars served as Yahoo shows them
at each instant (tests/live/replay.py), a fake clock, the server in UTC and in New York.

Each run fetches (cache -> yfinance -> stale cache), validates and aligns as `data_ingestion` does, builds the
payload's data block, and offers the ledger one signal row at the decision time the clock makes due. The
assertions: data_as_of, decision time, spot, freshness, live price and the ledger rows."""

from __future__ import annotations

import functools
import uuid
from pathlib import Path

import pandas as pd
import pytest
import yaml

from aegismatrix.ledger.store import SignalLedger
from aegismatrix.market import collect
from aegismatrix.market.session import auto_decision_time, session_state
from aegismatrix.payload.assemble import data_section, market_section
from aegismatrix.pipelines.data_ingestion import nodes

from .conftest import make_rows
from .replay import FakeYahoo, recorded_bars, server_clock

CONF = Path(__file__).resolve().parents[2] / "conf" / "base" / "parameters_data_ingestion.yml"


def ist(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="Asia/Kolkata")


@pytest.fixture
def live(tmp_path, monkeypatch):
    """Ingestion parameters on a temporary cache, the fake Yahoo and a DuckDB ledger."""
    params = yaml.safe_load(CONF.read_text())["data_ingestion"]
    params.update(source="auto", start="2024-01-01", overnight={}, sector={}, universe=None,
                  intraday={"enabled": False},
                  cache={"dir": str(tmp_path / "cache"), "daily_ttl_hours": 72, "live_max_age_minutes": 15},
                  yfinance={"cache_dir": str(tmp_path / "yf"), "timeout_seconds": 2, "max_retries": 0,
                            "backoff_seconds": 0.0})
    yahoo = FakeYahoo()
    monkeypatch.setattr(nodes, "collect_core", functools.partial(collect.collect_core, session=yahoo.session,
                                                                 sleep=lambda s: None))
    return params, yahoo, SignalLedger(f"duckdb:///{tmp_path / 'ledger.duckdb'}")


def run_at(live, instant: pd.Timestamp, server_tz: str = "UTC", decision_time: str | None = None) -> dict:
    """One scheduled run: data layer, data block, and a ledger append at the decision time due."""
    params, yahoo, ledger = live
    with server_clock(instant, server_tz):
        raw, _, fetch_log = nodes.fetch_market_data(params)
        validated, _ = nodes.validate_market_data(raw, fetch_log, params)
        market, _ = nodes.align_market_data(validated, params)
        provenance = nodes.build_data_provenance(fetch_log, validated, market, {}, None, params)
        data = data_section(provenance, market, {"stale_after_hours": 24})
        decision = decision_time or auto_decision_time(session_state())
        spot = market_section(market, {})["spot"]
        as_of = market["date"].max()
        rows = make_rows([as_of], lower=round(spot * 0.97, 2), upper=round(spot * 1.03, 2))
        run = {"run_id": uuid.uuid4().hex, "kind": "inference", "data_as_of": as_of,
               "decision_time": decision, "provenance": provenance, "data_source": provenance["source"],
               "model_versions": {}, "mlflow_run_ids": {}}
        counts = ledger.append(run, rows.assign(decision_time=decision))
    return {"data_as_of": str(as_of.date()), "decision_time": decision, "spot": spot, "data": data,
            "source": data["provenance"]["nifty50"]["source"], "counts": counts}


DAY = [  # instant (IST), state, decision due, data_as_of, served from, live price expected
    ("2024-01-31 08:55", "closed_before", "preopen", "2024-01-30", "yfinance", False),
    ("2024-01-31 09:00", "pre_open", "preopen", "2024-01-30", "cache", False),
    ("2024-01-31 09:45", "open", "intraday", "2024-01-30", "yfinance", True),
    ("2024-01-31 11:00", "open", "intraday", "2024-01-30", "yfinance", True),
    ("2024-01-31 13:00", "open", "intraday", "2024-01-30", "cache", True),  # Yahoo unreachable: stale
    ("2024-01-31 15:35", "closing", "intraday", "2024-01-30", "yfinance", True),
    ("2024-01-31 15:45", "closed_after", "close", "2024-01-31", "yfinance", False),
    ("2024-02-01 09:00", "pre_open", "preopen", "2024-01-31", "cache", False),
]


@pytest.mark.parametrize("server_tz", ["UTC", "America/New_York"])
def test_a_replayed_day(live, server_tz):
    _, yahoo, ledger = live
    bars = recorded_bars()
    for when, state, decision, as_of, source, has_live in DAY:
        yahoo.down = when.endswith("13:00")
        got = run_at(live, ist(when), server_tz)
        data = got["data"]
        assert (data["session"]["state"], got["decision_time"], got["data_as_of"], got["source"]) == (
            state, decision, as_of, source), when
        # the last completed close, never the price of 11:00
        assert got["spot"] == pytest.approx(bars.loc[as_of, "close"])
        assert data["last_completed_session"] == as_of
        assert data["stale"] is when.endswith("13:00"), (when, data["stale_reasons"])
        if has_live:
            live_price = data["live"]
            assert live_price["date"] == "2024-01-31"
            assert live_price["price"] != bars.loc["2024-01-31", "close"]
            fetched = ist("2024-01-31 11:00") if when.endswith("13:00") else ist(when)
            assert pd.Timestamp(live_price["time"]) == fetched - pd.Timedelta(minutes=1)  # Yahoo's quote time
            assert live_price["timed_by"] == "yahoo_regular_market_time"
        else:
            assert data["live"] is None
        if when.endswith("13:00"):
            assert "live price is 121 minutes old" in " ".join(data["stale_reasons"])
        if when.endswith("11:00"):  # a close run in session serves the last completed session's close
            got = run_at(live, ist(when), server_tz, decision_time="close")
            assert got["data_as_of"] == "2024-01-30" and got["counts"]["inserted"] == 1
    signals = ledger.read_signals()
    closes = signals.loc[signals["decision_time"] == "close"]
    assert [str(d.date()) for d in closes["as_of_date"]] == ["2024-01-30", "2024-01-31"]  # one per session
    assert closes["upper"].iloc[-1] == pytest.approx(round(bars.loc["2024-01-31", "close"] * 1.03, 2))
    preopens = signals.loc[signals["decision_time"] == "preopen"]
    assert [str(d.date()) for d in preopens["as_of_date"]] == ["2024-01-30", "2024-01-31"]
    snapshots = ledger.read_snapshots()
    assert list(snapshots["snapshot_at"]) == [ist(w).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
                                              for w in ("2024-01-31 09:45", "2024-01-31 11:00",
                                                        "2024-01-31 13:00", "2024-01-31 15:35")]
    assert (snapshots["decision_time"] == "intraday").all()


@pytest.mark.parametrize(("when", "state", "special", "decision", "as_of", "live_date"), [
    ("2024-01-20 11:00", "open", "special_session", "intraday", "2024-01-19", "2024-01-20"),
    ("2024-01-20 15:45", "closed_after", "special_session", "close", "2024-01-20", None),
    ("2024-01-22 10:00", "holiday", None, "close", "2024-01-20", None),
    ("2024-01-26 11:00", "holiday", None, "close", "2024-01-25", None),
    ("2024-01-27 11:00", "weekend", None, "close", "2024-01-25", None),
])
def test_holidays_weekends_and_a_special_session(live, when, state, special, decision, as_of, live_date):
    got = run_at(live, ist(when), "America/New_York")
    data = got["data"]
    session = data["session"]
    assert (session["state"], session["special"], got["decision_time"], got["data_as_of"]) == (
        state, special, decision, as_of)
    assert not data["stale"] and got["spot"] == pytest.approx(recorded_bars().loc[as_of, "close"])
    assert (data["live"] or {}).get("date") == live_date
