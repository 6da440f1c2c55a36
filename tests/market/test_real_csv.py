"""The csv source on the real NIFTY 50 / India VIX history reports the anomalies listed in SOURCES.md."""

from __future__ import annotations

import pandas as pd
import pytest

from aegismatrix.pipelines.data_ingestion import nodes

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def ingested(real_data_dir):
    params = {"source": "csv", "csv_dir": str(real_data_dir), "start": "1996-01-01",
              "symbols": {"nifty50": "^NSEI", "indiavix": "^INDIAVIX"}}
    raw, intraday, log = nodes.fetch_market_data(params)
    validated, findings = nodes.validate_market_data(raw, log, params)
    market, align = nodes.align_market_data(validated, params)
    report = nodes.build_data_quality_report(findings, align)
    return raw, market, report, nodes.build_data_provenance(log, validated, market, {}), intraday


def _dates(report: pd.DataFrame, symbol: str, check: str) -> str:
    rows = report[(report["symbol"] == symbol) & (report["check"] == check)]
    return " | ".join(rows["example_dates"]) + " | " + " | ".join(rows["message"])


def test_nifty_rounding_violations_repaired(ingested):
    _, _, report, _, _ = ingested
    row = report[(report["symbol"] == "nifty50") & (report["check"] == "ohlc_logic")]
    assert row["action"].tolist() == ["repair"] and row["n_rows"].item() == 2
    assert row["example_dates"].item() == "1999-05-27, 1999-11-17"


def test_weekend_sessions_and_flat_vix_bars_reported(ingested):
    _, _, report, _, _ = ingested
    weekend = report[(report["symbol"] == "nifty50") & (report["check"] == "weekend_sessions")]
    assert weekend["n_rows"].item() == 35
    flat = report[(report["symbol"] == "indiavix") & (report["check"] == "flat_bars")]
    assert flat["n_rows"].item() == 22


def test_vix_open_violation_and_stale_open_reported(ingested):
    _, _, report, _, _ = ingested
    assert "2009-07-08" in _dates(report, "indiavix", "ohlc_logic")
    assert "stale_open" in set(report.loc[report["symbol"] == "indiavix", "check"])


def test_missing_vix_special_sessions_forward_filled(ingested):
    _, market, report, _, _ = ingested
    filled = set(market.loc[market["vix_filled"], "date"].dt.strftime("%Y-%m-%d"))
    assert {"2012-04-28", "2016-10-30", "2019-10-27", "2020-11-14"} <= filled
    assert market["vix_close"].notna().all()


def test_market_daily_spot_checks_and_provenance(ingested):
    raw, market, _, prov, intraday = ingested
    close = market.set_index("date")["close"]
    assert (close["2010-01-04"] == 5232.20 and close["2020-03-23"] == 7610.25
            and close["2022-12-30"] == 18105.30)
    assert market.set_index("date").loc["2020-03-24", "vix_close"] == pytest.approx(83.61, abs=0.01)
    # the index rows before the first VIX day are dropped
    assert market["date"].iloc[0] == pd.Timestamp("2008-03-04")
    assert prov["source"] == "csv" and prov["symbols"]["nifty50"]["last_date"] == "2022-12-30"
    assert prov["symbols"]["nifty50"]["rows"] == 6511
    assert set(intraday["interval"]) == {"15m"}  # intraday/nifty50_15m.csv.gz (issue 24)
