"""Two full `inference` runs of a replayed day in a project copy (no trained models: baselines and heuristics
are served, which is what an untrained install publishes): at 11:00 IST the payload is the last completed
session's, says the session is open and carries the live price; at 15:45 it is the day's close. The ledger
holds one close row per signal and horizon per completed session, and the scorecard scores it."""

from __future__ import annotations

import functools
import json

import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from aegismatrix.ledger.scorecard import build_scorecard
from aegismatrix.ledger.store import SignalLedger
from aegismatrix.market import collect
from aegismatrix.payload.publish import validate_payload
from aegismatrix.pipelines.data_ingestion import nodes

from .replay import FakeYahoo, bars_with_history, server_clock


def _run(project, instant: str, yahoo: FakeYahoo) -> dict:
    cache = {"dir": str(project / "data" / "01_raw" / "market_cache"), "daily_ttl_hours": 72,
             "live_max_age_minutes": 15}
    params = {"decision_time": "auto",
              "data_ingestion": {"source": "auto", "start": "2022-06-01", "overnight": {}, "sector": {},
                                 "intraday": {"enabled": False}, "cache": cache,
                                 "yfinance": {"cache_dir": str(project / "data" / "01_raw" / ".yf"),
                                              "max_retries": 0, "backoff_seconds": 0.0}}}
    with (server_clock(pd.Timestamp(instant, tz="Asia/Kolkata"), "America/New_York"),
          KedroSession.create(project_path=project, runtime_params=params) as session):
        session.run(pipeline_names=["inference"])
    return json.loads((project / "data" / "07_model_output" / "aegismatrix.json").read_text())


@pytest.fixture(scope="module")
def replayed(tmp_path_factory, copy_project_to):
    project = copy_project_to(tmp_path_factory.mktemp("project"))
    bootstrap_project(project)
    yahoo = FakeYahoo(history_years=1.5)
    patch = pytest.MonkeyPatch()
    patch.chdir(project)
    patch.setattr(nodes, "collect_core", functools.partial(collect.collect_core, session=yahoo.session,
                                                           sleep=lambda s: None))
    try:
        payloads = {when: _run(project, f"2024-01-31 {when}", yahoo) for when in ("11:00", "15:45")}
    finally:
        patch.undo()
    return project, payloads


def test_in_session_the_payload_is_the_last_completed_close_with_a_live_price(replayed):
    _, payloads = replayed
    payload = payloads["11:00"]
    validate_payload(payload)
    bars = bars_with_history(1.5)
    assert payload["data_as_of"] == "2024-01-30" and payload["market"]["decision_time"] == "close"
    assert payload["market"]["spot"] == pytest.approx(bars.loc["2024-01-30", "close"])
    data = payload["data"]
    assert data["session"]["state"] == "open" and data["last_completed_session"] == "2024-01-30"
    assert data["live"]["date"] == "2024-01-31" and data["live"]["time"] == "2024-01-31T05:29:00Z"
    assert not data["stale"]


def test_after_the_close_the_payload_is_the_day_and_the_ledger_holds_one_close_per_session(replayed):
    project, payloads = replayed
    payload = payloads["15:45"]
    validate_payload(payload)
    assert payload["data_as_of"] == "2024-01-31" and payload["data"]["live"] is None
    assert payload["market"]["spot"] == pytest.approx(bars_with_history(1.5).loc["2024-01-31", "close"])
    rows = SignalLedger(f"duckdb:///{project / 'data' / '09_ledger' / 'ledger.duckdb'}").read_signals()
    assert set(rows["decision_time"]) == {"close"}
    assert sorted({str(d.date()) for d in rows["as_of_date"]}) == ["2024-01-30", "2024-01-31"]
    assert not rows.duplicated(["as_of_date", "signal", "horizon"]).any()
    from tests.ledger.test_scorecard import PARAMS

    versions = project / "data" / "03_primary" / "market_daily.parquet"
    market = pd.read_parquet(sorted(versions.iterdir())[-1] / "market_daily.parquet")  # the 15:45 run's
    assert market["date"].max() == pd.Timestamp("2024-01-31")
    card = build_scorecard(rows, market, PARAMS, 0.1)  # scored without error; nothing matured yet
    assert card["ledger_rows"] == len(rows) and card["last_as_of"] == "2024-01-31"
