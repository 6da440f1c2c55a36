"""CSV folder source: the global date_format leaves ISO files alone; a symlink out of csv_dir is named as
such (issue 26, item 8)."""

from __future__ import annotations

import pytest

from aegismatrix.market.sources.csv import locate, read_symbol_csv

ROWS = [("2024-01-02", "02-01-2024"), ("2024-01-03", "03-01-2024"), ("2024-01-04", "04-01-2024")]


def _write(path, dates):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("date,open,high,low,close\n" + "".join(f"{d},1,2,0.5,1.5\n" for d in dates))
    return path


def test_a_global_date_format_does_not_break_iso_us_files(tmp_path):
    nse = _write(tmp_path / "nifty50.csv", [dmy for _, dmy in ROWS])
    us = _write(tmp_path / "us" / "sp500.csv", [iso for iso, _ in ROWS])
    expected = [iso for iso, _ in ROWS]
    for path in (nse, us):
        frame, _ = read_symbol_csv(path, "%d-%m-%Y")
        assert frame["date"].dt.strftime("%Y-%m-%d").tolist() == expected, path


def test_a_symlink_out_of_csv_dir_says_so(tmp_path):
    outside = _write(tmp_path / "elsewhere" / "nifty50.csv", [iso for iso, _ in ROWS])
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    (csv_dir / "nifty50.csv").symlink_to(outside)
    with pytest.raises(FileNotFoundError) as err:
        locate(csv_dir, "nifty50")
    message = str(err.value)
    assert "symlink" in message and "outside csv_dir" in message and str(outside) in message
    assert "no CSV for symbol" not in message


def test_a_symlink_inside_csv_dir_is_followed(tmp_path):
    real = _write(tmp_path / "csv" / "archive" / "nifty50_2024.csv", [iso for iso, _ in ROWS])
    (tmp_path / "csv" / "nifty50.csv").symlink_to(real)
    path = locate(tmp_path / "csv", "nifty50")
    assert path == (tmp_path / "csv").resolve() / "nifty50.csv" and len(read_symbol_csv(path)[0]) == 3
