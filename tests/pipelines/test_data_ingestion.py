"""The data_ingestion pipeline: in-memory runs of its nodes, and one end-to-end `kedro run` in a project
copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from aegismatrix.market.alignment import MARKET_DAILY_COLUMNS
from aegismatrix.market.errors import DataValidationError
from aegismatrix.market.synthetic import INTRADAY_COLUMNS
from aegismatrix.market.validation import REPORT_COLUMNS
from aegismatrix.pipelines.data_ingestion import create_pipeline


def _params(tmp_path: Path, **over) -> dict:
    base = {"source": "synthetic", "lookback_years": 2, "end": "2024-06-28",
            "symbols": {"nifty50": "^NSEI", "indiavix": "^INDIAVIX"},
            "cache": {"dir": str(tmp_path / "cache")}, "yfinance": {"cache_dir": str(tmp_path / "yf")}}
    return {**base, **over}


class _KeptDataset(MemoryDataset):
    """A MemoryDataset the runner cannot release, so tests can read intermediate outputs."""

    def _release(self) -> None:
        pass


OUTPUTS = ("market_daily", "market_intraday", "universe_daily", "data_quality_report", "data_provenance")


def _run(params: dict) -> dict:
    catalog = DataCatalog({"params:data_ingestion": MemoryDataset(params),
                           "params:inference": MemoryDataset({}),
                           **{name: _KeptDataset() for name in OUTPUTS}})
    SequentialRunner().run(create_pipeline(), catalog)
    return {name: catalog[name].load() for name in OUTPUTS}


def test_synthetic_run_meets_contracts(tmp_path):
    out = _run(_params(tmp_path))
    market, intraday = out["market_daily"], out["market_intraday"]
    assert (list(market.columns) == MARKET_DAILY_COLUMNS and market["date"].is_unique
            and market["date"].is_monotonic_increasing)
    assert (market["date"].iloc[-1] == pd.Timestamp("2024-06-28")
            and market[["close", "vix_close"]].notna().all().all())
    assert list(intraday.columns) == INTRADAY_COLUMNS and intraday["date"].nunique() == 5
    assert list(out["data_quality_report"].columns) == REPORT_COLUMNS
    prov = out["data_provenance"]
    assert prov["source"] == "synthetic" and set(prov["symbols"]) == {"nifty50", "indiavix"}
    assert {"ticker", "source", "rows", "first_date", "last_date", "fetched_at", "cache_age_hours",
            "warnings"} <= set(prov["symbols"]["nifty50"])
    assert out["universe_daily"] == {}
    json.dumps(prov)


def test_universe_selected_gives_one_frame_per_symbol(tmp_path):
    out = _run(_params(tmp_path, universe="global26"))
    uni = out["universe_daily"]
    assert len(uni) == 26 and {"AAPL", "sp500", "vix"} <= set(uni)
    assert list(uni["AAPL"].columns)[:6] == ["date", "open", "high", "low", "close", "volume"]
    assert len(out["data_provenance"]["universe"]) == 26


def test_auto_offline_ends_synthetic_and_logs_why(tmp_path, monkeypatch):
    from aegismatrix.market.errors import SourceError
    from aegismatrix.market.sources import yahoo

    def offline(self, ticker, kwargs):
        raise SourceError("yfinance", ticker, "ConnectionError: Failed to resolve 'query2.finance.yahoo.com'")

    monkeypatch.setattr(yahoo.YahooSource, "_history_once", offline)
    out = _run(_params(tmp_path, source="auto"))
    assert out["data_provenance"]["source"] == "synthetic"


def test_bad_csv_fails_with_clear_message_and_keeps_stored_data(tmp_path):
    (tmp_path / "csv").mkdir()
    rows = pd.DataFrame({"date": pd.bdate_range("2024-01-01", periods=30), "open": 100.0, "high": 101.0,
                         "low": 99.0, "close": 100.0})
    rows.to_csv(tmp_path / "csv" / "nifty50.csv", index=False)
    rows.assign(close="bad").to_csv(tmp_path / "csv" / "indiavix.csv", index=False)
    params = _params(tmp_path, source="csv", csv_dir=str(tmp_path / "csv"), end=None,
                     validation={"checks": {"missing_prices": {"action": "fail"}}})
    with pytest.raises(DataValidationError, match=r"indiavix\.csv: check 'missing_prices'.*2024-01-01"):
        _run(params)


@pytest.mark.e2e
def test_kedro_run_in_a_project_copy_records_synthetic(tmp_path, copy_project_to):
    project = copy_project_to(tmp_path / "project")
    for layer in ("01_raw", "02_intermediate", "03_primary", "08_reporting"):
        (project / "data" / layer).mkdir(parents=True)
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "HOME": str(tmp_path / "home")}
    kedro = Path(sys.executable).with_name("kedro")
    # No network is assumed: point yfinance at an unroutable proxy so the auto chain must fall back.
    env.update({"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"})
    result = subprocess.run([str(kedro), "run", "--pipeline=data_ingestion", "--params",
                             "data_ingestion.yfinance.max_retries=0"],
                            cwd=project, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    prov_files = list((project / "data" / "03_primary" / "data_provenance.json").glob(
        "*/data_provenance.json"))
    assert len(prov_files) == 1 and json.loads(prov_files[0].read_text())["source"] == "synthetic"
    assert list((project / "data" / "03_primary" / "market_daily.parquet").glob("*/market_daily.parquet"))
    assert (project / "data" / "01_raw" / ".yfinance_cache").is_dir()
    assert not (tmp_path / "home" / ".cache" / "py-yfinance").exists()


def test_sector_index_joins_market_daily_on_its_sessions(tmp_path):
    """A synthetic NIFTY gets a coherent synthetic NIFTY BANK; its close lands on every index session."""
    out = _run(_params(tmp_path, sector={"niftybank": "^NSEBANK"}))
    market = out["market_daily"]
    assert list(market.columns) == [*MARKET_DAILY_COLUMNS, "sector_close", "sector_filled"]
    assert market["sector_close"].notna().all() and not market["sector_filled"].any()
    corr = market[["close", "sector_close"]].apply(lambda c: c.pct_change()).corr().iloc[0, 1]
    assert 0.5 < corr < 0.95  # driven by the index, not a copy of it
    assert "niftybank" in out["data_provenance"]["symbols"]


def test_sector_gap_is_carried_a_few_sessions_and_reported(real_data_dir, tmp_path):
    """Real NIFTY BANK lacks 2022-12-26 (Yahoo null row): its previous close is carried, flagged and
    reported."""
    params = _params(tmp_path, source="csv", csv_dir=str(real_data_dir), start="2022-10-01", end=None,
                     sector={"niftybank": "^NSEBANK"}, overnight={})
    out = _run(params)
    market = out["market_daily"].set_index("date")
    assert (market.loc["2022-12-26", "sector_filled"]
            and market.loc["2022-12-26", "sector_close"] == market.loc["2022-12-23", "sector_close"])
    assert int(market["sector_filled"].sum()) == 1
    report = out["data_quality_report"]
    assert ((report["symbol"] == "niftybank") & (report["check"] == "sector_alignment")).any()


def test_sector_off_leaves_market_daily_unchanged(tmp_path):
    out = _run(_params(tmp_path, sector={}))
    assert list(out["market_daily"].columns) == MARKET_DAILY_COLUMNS
