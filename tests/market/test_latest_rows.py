"""Issue 12 findings 3, 4, 5, 7, 8 (keys) and 9 (fallback reason): bad latest rows are a clear error naming
the file, check and dates, or a published warning in the log and data.warnings; never a silently served
number."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from aegismatrix.market.errors import DataValidationError
from aegismatrix.market.synthetic import synthetic_market_daily
from aegismatrix.market.validation import today_ist
from aegismatrix.payload.assemble import data_section
from aegismatrix.pipelines.data_ingestion import nodes

from .conftest import DNS_ERROR, make_session


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return synthetic_market_daily(years=2, seed=11, end="2022-12-30")


def _write(folder, sim, index=None, vix=None, date_format="%Y-%m-%d"):
    folder.mkdir(exist_ok=True)
    index = sim[["date", "open", "high", "low", "close", "volume"]] if index is None else index
    vix = (sim[["date", "vix_close"]].assign(open=sim["vix_close"], high=sim["vix_high"], low=sim["vix_low"])
           .rename(columns={"vix_close": "close"})[["date", "open", "high", "low", "close"]]
           if vix is None else vix)
    index.assign(date=pd.to_datetime(index["date"]).dt.strftime(date_format)).to_csv(
        folder / "nifty50.csv", index=False)
    vix.assign(date=pd.to_datetime(vix["date"]).dt.strftime(date_format)).to_csv(
        folder / "indiavix.csv", index=False)
    return folder


def _params(folder, **extra) -> dict:
    return {"source": "csv", "csv_dir": str(folder), "lookback_years": 2, "overnight": {},
            "intraday": {"enabled": False}, "symbols": {"nifty50": "^NSEI", "indiavix": "^INDIAVIX"},
            "index_key": "nifty50", "vix_key": "indiavix",
            "cache": {"dir": str(folder / "cache")}, **extra}


def _ingest(params: dict) -> tuple[pd.DataFrame, dict]:
    """fetch -> validate -> align -> quality report -> provenance, as the pipeline wires them."""
    raw, _, fetch_log = nodes.fetch_market_data(params)
    validated, v_findings = nodes.validate_market_data(raw, fetch_log, params)
    market, a_findings = nodes.align_market_data(validated, params)
    report = nodes.build_data_quality_report(v_findings, a_findings)
    return market, nodes.build_data_provenance(fetch_log, validated, market, {}, report, params)


def _vix(sim):
    return pd.DataFrame({"date": sim["date"], "open": sim["vix_close"], "high": sim["vix_high"],
                         "low": sim["vix_low"], "close": sim["vix_close"]})


def test_clean_files_serve_the_last_index_date_with_relative_provenance(tmp_path, sim):
    market, provenance = _ingest(_params(_write(tmp_path / "csv", sim)))
    assert market["date"].iloc[-1] == pd.Timestamp("2022-12-30")
    # no absolute local path (finding 8)
    assert provenance["symbols"]["nifty50"]["origin"] == "csv:nifty50.csv"
    assert provenance["warnings"] == []


def test_a_1_to_10_split_on_the_last_rows_is_an_error(tmp_path, sim):
    index = sim[["date", "open", "high", "low", "close", "volume"]].copy()
    index.loc[index.index[-5:], ["open", "high", "low", "close"]] /= 10  # finding 3: published as spot 1810
    with pytest.raises(DataValidationError,
                       match=r"nifty50\.csv: check 'price_jump' failed.*split.*2022-12-2"):
        _ingest(_params(_write(tmp_path / "csv", sim, index=index)))


def test_vix_in_decimals_for_a_month_is_an_error_not_a_truncated_index(tmp_path, sim):
    vix = _vix(sim)
    last_month = vix["date"] >= "2022-12-01"
    vix.loc[last_month, ["open", "high", "low", "close"]] /= 100  # finding 4: silently cut to 2022-12-05
    with pytest.raises(DataValidationError,
                       match=r"indiavix\.csv: check 'implied_vol_unit' failed.*decimal.*2022-12-01"):
        _ingest(_params(_write(tmp_path / "csv", sim, vix=vix)))


def test_vix_gap_at_the_end_refuses_to_truncate_the_index(tmp_path, sim):
    vix = _vix(sim).iloc[:-8]
    with pytest.raises(DataValidationError,
                       match=r"check 'alignment' failed.*would end on 2022-12-23 instead of 2022-12-30"):
        _ingest(_params(_write(tmp_path / "csv", sim, vix=vix)))


@pytest.mark.parametrize("empty", ["nifty50", "indiavix"])
def test_header_only_file_for_any_symbol_is_a_clear_error(tmp_path, sim, empty):
    folder = _write(tmp_path / "csv", sim)
    # finding 5: IndexError / NaTType
    (folder / f"{empty}.csv").write_text("date,open,high,low,close,volume\n")
    with pytest.raises(DataValidationError,
                       match=rf"{empty}\.csv: check 'empty' failed: the file has a header but no data rows"):
        _ingest(_params(folder))


def test_day_first_dates_are_refused_unless_a_format_is_given(tmp_path, sim):
    folder = _write(tmp_path / "csv", sim, date_format="%d-%m-%Y")
    with pytest.raises(DataValidationError,
                       match=r"nifty50\.csv: check 'date_format' failed.*ambiguous day/month"):
        _ingest(_params(folder))
    market, _ = _ingest(_params(folder, date_format="%d-%m-%Y"))  # finding 7: no day/month swap
    expected = sim["date"][sim["date"] >= market["date"].iloc[0]].reset_index(drop=True)
    assert market["date"].reset_index(drop=True).equals(expected.astype("datetime64[ns]"))


def test_a_row_dated_after_today_in_ist_is_an_error(tmp_path):
    sim = synthetic_market_daily(years=2, seed=11, end=str(today_ist().date()))
    index = sim[["date", "open", "high", "low", "close", "volume"]].copy()
    index.loc[index.index[-1], "date"] = today_ist() + pd.Timedelta(days=3)
    with pytest.raises(DataValidationError, match=r"check 'future_dates' failed.*after today"):
        _ingest(_params(_write(tmp_path / "csv", sim, index=index),
                        end=str((today_ist() + pd.Timedelta(days=5)).date())))


def test_symbol_keys_cannot_escape_csv_dir(tmp_path, sim):
    folder = _write(tmp_path / "csv", sim)
    (tmp_path / "x.csv").write_text((folder / "nifty50.csv").read_text())
    params = _params(folder, symbols={"nifty50": "^NSEI", "indiavix": "^INDIAVIX", "../x": "X"})
    with pytest.raises(ValueError, match=r"not a plain file name.*outside csv_dir"):
        _ingest(params)


def test_warn_findings_reach_the_log_and_data_warnings(tmp_path, sim, caplog):
    index = sim[["date", "open", "high", "low", "close", "volume"]].copy()
    last = index.index[-1]
    index.loc[last, ["open", "high", "low"]] = index.loc[last, "close"]  # a flat bar on the latest row (warn)
    with caplog.at_level(logging.WARNING, logger="aegismatrix"):
        market, provenance = _ingest(_params(_write(tmp_path / "csv", sim, index=index)))
    assert any("flat_bars" in r.getMessage() and "2022-12-30" in r.getMessage() for r in caplog.records)
    warnings = data_section(provenance, market, {})["warnings"]
    assert any(w.startswith("nifty50 flat_bars (warn, 1 rows, e.g. 2022-12-30)") for w in warnings), warnings


def test_data_as_of_before_the_index_last_row_is_explained(tmp_path, sim):
    index = sim[["date", "open", "high", "low", "close", "volume"]].copy()
    index.loc[index.index[-1], "close"] = np.nan  # the last index row is dropped by missing_prices
    market, provenance = _ingest(_params(_write(tmp_path / "csv", sim, index=index)))
    assert market["date"].iloc[-1] == pd.Timestamp("2022-12-29")
    warnings = data_section(provenance, market, {})["warnings"]
    assert any("data_as_of 2022-12-29 is before nifty50's last row 2022-12-30" in w
               for w in warnings), warnings


def test_synthetic_fallback_says_why_in_data_warnings(tmp_path):
    from aegismatrix.market.collect import collect_core

    session, _ = make_session(lambda req: DNS_ERROR)
    params = {**_params(tmp_path, source="auto"),
              "yfinance": {"cache_dir": str(tmp_path / "yf"), "max_retries": 1}}
    collected = collect_core(params, session=session, sleep=lambda s: None)
    warnings = collected.fetched["nifty50"].warnings
    assert any(w.startswith("SYNTHETIC market served") and "ConnectionError" in w for w in warnings), warnings
