"""CSV source and validation: each bad-input case gets its documented repair or a clear error."""

from __future__ import annotations

import pytest

from aegismatrix.market.errors import DataValidationError
from aegismatrix.market.sources.csv import read_symbol_csv
from aegismatrix.market.validation import validate_symbol

GOOD = """date,open,high,low,close,volume
2024-01-01,100,101,99,100.5,1000
2024-01-02,100.5,102,100,101,1100
2024-01-03,101,103,100.5,102,1200
2024-01-04,102,102.5,101,101.5,900
2024-01-05,101.5,102,100,100.2,950
"""


def _csv(tmp_path, text: str, name: str = "nifty50.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _load(tmp_path, text, checks=None, role="index"):
    path = _csv(tmp_path, text)
    frame, notes = read_symbol_csv(path)
    return validate_symbol(frame, "nifty50", role, checks or {}, origin=str(path))


def test_clean_file_passes_unchanged(tmp_path):
    frame, findings = _load(tmp_path, GOOD)
    assert len(frame) == 5 and findings == []
    assert frame["date"].dtype == "datetime64[ns]"


def test_missing_columns_name_file_and_check(tmp_path):
    with pytest.raises(DataValidationError,
                       match=r"nifty50\.csv: check 'columns' failed: missing required columns \['low'\]"):
        _load(tmp_path, "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 3)
                                  for line in GOOD.splitlines()))


def test_duplicate_dates_repaired_or_failed(tmp_path):
    text = GOOD + "2024-01-05,101.5,102,100,100.3,950\n"
    frame, findings = _load(tmp_path, text)
    assert len(frame) == 5 and frame["close"].iloc[-1] == 100.3
    assert findings[0]["check"] == "temporal" and "2024-01-05" in findings[0]["example_dates"]
    with pytest.raises(DataValidationError, match=r"check 'temporal'.*2024-01-05"):
        _load(tmp_path, text, {"temporal": {"action": "fail"}})


def test_unsorted_rows_are_sorted_or_failed(tmp_path):
    lines = GOOD.strip().splitlines()
    text = "\n".join([lines[0], *reversed(lines[1:])]) + "\n"
    frame, findings = _load(tmp_path, text)
    assert frame["date"].is_monotonic_increasing and findings[0]["check"] == "temporal"
    with pytest.raises(DataValidationError, match="not sorted"):
        _load(tmp_path, text, {"temporal": {"action": "fail"}})


def test_non_numeric_prices_dropped_or_failed(tmp_path):
    text = GOOD.replace("2024-01-03,101,", "2024-01-03,abc,")
    frame, findings = _load(tmp_path, text)
    assert len(frame) == 4 and findings[0]["check"] == "missing_prices"
    with pytest.raises(DataValidationError) as info:
        _load(tmp_path, text, {"missing_prices": {"action": "fail"}})
    assert info.value.check == "missing_prices" and info.value.example_dates == ["2024-01-03"]
    assert "Traceback" not in str(info.value)


def test_ohlc_rounding_repaired_large_violation_dropped(tmp_path):
    # low 0.05 above the open (rounding)
    text = GOOD.replace("2024-01-02,100.5,102,100,101", "2024-01-02,100.5,102,100.55,101")
    text = text.replace("2024-01-04,102,102.5,101,101.5", "2024-01-04,102,99,98,101.5")  # high far below open
    frame, findings = _load(tmp_path, text)
    assert frame.loc[frame["date"] == "2024-01-02", "low"].item() == 100.5
    assert [(f["check"], f["action"]) for f in findings] == [("ohlc_logic", "repair"), ("ohlc_logic", "drop")]
    assert len(frame) == 4
    with pytest.raises(DataValidationError, match="ohlc_logic.*2024-01-04"):
        _load(tmp_path, text, {"ohlc_logic": {"action": "fail"}})


def test_gap_fails_with_example_date(tmp_path):
    text = GOOD + "2024-03-01,101,102,100,101,900\n"
    with pytest.raises(DataValidationError, match=r"check 'gaps'.*2024-03-01"):
        _load(tmp_path, text)


def test_split_like_jump_flagged_or_dropped(tmp_path):
    text = GOOD + "2024-01-08,40,41,39,40.1,5000\n"
    with pytest.raises(DataValidationError, match=r"nifty50\.csv: check 'price_jump' failed.*2024-01-08"):
        _load(tmp_path, text)  # the default since issue 12: a split is an error, never a served number
    frame, findings = _load(tmp_path, text, {"price_jump": {"action": "warn"}})
    jump = [f for f in findings if f["check"] == "price_jump"]
    assert jump and jump[0]["example_dates"] == "2024-01-08" and len(frame) == 6
    frame, _ = _load(tmp_path, text, {"price_jump": {"action": "drop"}})
    assert len(frame) == 5


def test_non_positive_and_negative_volume(tmp_path):
    text = GOOD.replace("2024-01-02,100.5,102,100,101,1100", "2024-01-02,100.5,102,100,101,-5")
    text = text.replace("2024-01-04,102,102.5,101,101.5", "2024-01-04,0,102.5,0,101.5")
    frame, findings = _load(tmp_path, text)
    assert {f["check"] for f in findings} >= {"positive_prices", "volume"}
    assert frame["volume"].isna().sum() == 1 and len(frame) == 4


def test_unparseable_dates_are_a_clear_error(tmp_path):
    with pytest.raises(DataValidationError, match=r"check 'dates'.*'notadate'"):
        _load(tmp_path, GOOD + "notadate,1,2,0.5,1,1\n")


def test_vix_bounds(tmp_path):
    text = GOOD.replace("2024-01-03,101,103,100.5,102", "2024-01-03,101,999,100.5,500")
    frame, findings = _load(tmp_path, text.replace("100", "20").replace("101", "21").replace("102", "22"),
                            role="vix")
    assert any(f["check"] == "implied_vol_bounds" for f in findings)
