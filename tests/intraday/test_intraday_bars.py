"""CSV intraday bars: the shared files' layout, and refusals naming the file, the check and the lines."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from aegismatrix.market.errors import DataValidationError
from aegismatrix.market.intraday_bars import csv_intraday, locate_intraday, read_intraday_csv

GOOD = ["date_time,open,high,low,close", "2022-06-01 09:15:00,100,101,99,100.5",
        "2022-06-01 09:30:00,100.5,102,100,101", "2022-06-01 15:15:00,101,101.5,100.5,101.2",
        "2022-06-02 09:15:00,101,101,100,100.2"]


def _write(tmp_path, lines, name="nifty50_15m.csv", compress=False):
    folder = tmp_path / "intraday"
    folder.mkdir(exist_ok=True)
    text = "\n".join(lines) + "\n"
    path = folder / (name + (".gz" if compress else ""))
    if compress:
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("compress", [False, True])
def test_reads_the_shared_layout_into_the_intraday_contract(tmp_path, compress):
    _write(tmp_path, GOOD, compress=compress)
    path = locate_intraday(tmp_path, "nifty50", "15m")
    assert path is not None and path.name.endswith(".csv.gz" if compress else ".csv")
    bars = read_intraday_csv(path, "15m")
    assert list(bars.columns) == ["timestamp", "date", "open", "high", "low", "close", "volume", "interval"]
    assert bars["timestamp"].iloc[1] == pd.Timestamp("2022-06-01 09:30")  # stamped at the bar's start
    assert bars["date"].iloc[-1] == pd.Timestamp("2022-06-02") and set(bars["interval"]) == {"15m"}


@pytest.mark.parametrize("bad_line, check", [
    ("2022-06-01 09:45:00,100,101,99,nan", "prices"),
    ("2022-06-01 09:45:00,100,101,-1,100", "prices"),
    ("2022-06-01 09:45:00,100,99,98,100", "ohlc_logic"),      # high below the open
    ("2022-06-01 09:15:00,100,101,99,100", "monotonic"),      # repeats the first bar
    ("2022-06-01 15:30:00,100,101,99,100", "session_hours"),  # would end 15:45
    ("2022-06-01 9h45,100,101,99,100", "dates"),
])
def test_bad_rows_are_refused_with_file_check_and_line(tmp_path, bad_line, check):
    lines = GOOD[:3] + [bad_line] + GOOD[3:] if check != "session_hours" else GOOD[:4] + [bad_line]
    path = _write(tmp_path, lines)
    with pytest.raises(DataValidationError) as error:
        read_intraday_csv(path, "15m")
    assert error.value.check == check and str(path) in str(error.value)
    line = (lines.index(bad_line) + 1) if check != "ohlc_logic" else 4
    assert f"line {line} " in str(error.value)


def test_a_muhurat_evening_session_is_not_outside_hours(tmp_path):
    lines = GOOD + ["2020-11-14 18:15:00,12700,12780,12690,12770"]  # Diwali Muhurat (calendar override)
    lines = [lines[0], lines[-1], *lines[1:-1]]
    assert len(read_intraday_csv(_write(tmp_path, lines), "15m")) == 5


def test_missing_files_and_bad_names(tmp_path):
    assert locate_intraday(tmp_path, "nifty50", "1m") is None
    with pytest.raises(ValueError, match="interval"):
        locate_intraday(tmp_path, "nifty50", "15x")
    with pytest.raises(ValueError, match="plain file name"):
        locate_intraday(tmp_path, "../nifty50", "1m")
    _write(tmp_path, GOOD)
    frame, warnings = csv_intraday(tmp_path, "nifty50", ["15m", "1m"], pd.Timestamp("2022-06-02"),
                                   pd.Timestamp("2022-06-02"))
    assert len(frame) == 1 and frame["date"].iloc[0] == pd.Timestamp("2022-06-02")
    assert warnings == ["no intraday CSV for nifty50 1m (looked for intraday/nifty50_1m.csv[.gz])"]


def test_the_csv_source_serves_the_shared_intraday_file(real_data_dir, tmp_path):
    from aegismatrix.market.collect import collect_core

    params = {"source": "csv", "csv_dir": str(real_data_dir), "start": "2022-12-01", "end": "2022-12-30",
              "symbols": {"nifty50": "^NSEI", "indiavix": "^INDIAVIX"}, "overnight": {}, "sector": {},
              "cache": {"dir": str(tmp_path / "cache")}, "yfinance": {"cache_dir": str(tmp_path / "yf")},
              "intraday": {"csv_intervals": ["15m"]}}
    collected = collect_core(params)
    bars = collected.intraday
    assert set(bars["interval"]) == {"15m"} and bars["date"].min() == pd.Timestamp("2022-12-01")
    assert bars["date"].nunique() == 22 and len(bars) == 22 * 25
    assert collected.intraday_warnings == []
    off = collect_core({**params, "intraday": {"enabled": False}})
    assert off.intraday.empty
