"""The parsed-file cache of the options folder: a second run parses nothing, a touched file is
parsed again, a removed one's entry goes, and the rows (checked afterwards) equal those of a run
without a cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from aegismatrix.options import file_cache
from aegismatrix.options.ingest import build_option_chain_daily
from aegismatrix.options.nse_files import read_options_dir

FIXTURE = Path(__file__).parents[1] / "fixtures" / "option_chain_nse"
MARKET = pd.DataFrame({"date": [pd.Timestamp("2022-12-23")], "close": [17806.8]})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "options"
    target.mkdir()
    for path in FIXTURE.glob("*.csv"):
        shutil.copy(path, target / path.name)
    return target


def _counting(monkeypatch) -> list[str]:
    """Every call of the real parser, by file name."""
    calls: list[str] = []
    real = file_cache.read_option_file

    def counted(path, findings):
        calls.append(Path(path).name)
        return real(path, findings)

    monkeypatch.setattr(file_cache, "read_option_file", counted)
    return calls


def _run(folder: Path, cache: Path | None) -> tuple[pd.DataFrame, dict]:
    params = {"options_dir": str(folder), "options": {"cache_dir": str(cache) if cache else None}}
    return build_option_chain_daily(MARKET, params)


def test_second_run_parses_nothing_and_gives_the_same_chain(folder, tmp_path, monkeypatch):
    calls = _counting(monkeypatch)
    first, report = _run(folder, tmp_path / "cache")
    assert sorted(calls) == sorted(p.name for p in folder.glob("*.csv"))
    assert report["file_cache"]["parsed"] == 2 and report["file_cache"]["cached"] == 0
    calls.clear()
    second, again = _run(folder, tmp_path / "cache")
    assert calls == [] and again["file_cache"] == {**again["file_cache"], "parsed": 0, "cached": 2}
    pd.testing.assert_frame_equal(first, second)
    assert again["findings"] == report["findings"]  # the parse findings come back from the cache
    plain, _ = _run(folder, None)
    pd.testing.assert_frame_equal(first, plain)


def test_a_changed_file_is_parsed_again_and_a_removed_one_dropped(folder, tmp_path, monkeypatch):
    calls = _counting(monkeypatch)
    _run(folder, tmp_path / "cache")
    calls_file, removed = sorted(folder.glob("*.csv"))
    text = calls_file.read_text()
    calls_file.write_text(text.replace("17806.8", "17806.80", 1))  # same rows, a new size and mtime
    os.utime(calls_file, ns=(calls_file.stat().st_mtime_ns + 10**9,) * 2)
    removed.unlink()
    calls.clear()
    chain, report = _run(folder, tmp_path / "cache")
    assert calls == [calls_file.name]
    assert report["file_cache"]["cached"] == 0 and len(report["file_cache"]["dropped"]) == 1
    assert set(chain["side"]) == {"call"} or set(chain["side"]) == {"put"}
    assert len(list((tmp_path / "cache").glob("*.parquet"))) == 1


def test_the_reader_is_the_plain_one_without_a_cache(folder):
    rows, findings = read_options_dir(folder)
    cached = file_cache.ParsedOptionFiles(folder.parent / "cache")
    again, found = read_options_dir(folder, cached)
    pd.testing.assert_frame_equal(rows, again)
    assert found == findings and len(cached.parsed) == 2
