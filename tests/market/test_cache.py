"""The Parquet cache: atomic replace, TTL, merge."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from aegismatrix.market.cache import ParquetCache, merge_frames


def _frame(n: int, close: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.bdate_range("2024-01-01", periods=n).as_unit("ns"), "close": close})


def test_round_trip_keeps_fetched_at(tmp_path):
    cache = ParquetCache(tmp_path)
    stamp = pd.Timestamp("2024-02-01T10:00:00", tz="UTC")
    cache.write("^NSEI", "1d", _frame(5), stamp)
    entry = cache.read("^NSEI", "1d")
    assert entry.fetched_at == stamp and len(entry.frame) == 5
    assert entry.age_hours(stamp + pd.Timedelta(hours=5)) == pytest.approx(5)
    assert (entry.is_fresh(72, stamp + pd.Timedelta(hours=5))
            and not entry.is_fresh(1, stamp + pd.Timedelta(hours=5)))
    assert entry.path.name == "_NSEI_1d.parquet"


def test_failure_mid_write_leaves_old_cache_intact(tmp_path, monkeypatch):
    cache = ParquetCache(tmp_path)
    cache.write("^NSEI", "1d", _frame(5, 1.0))

    def broken_write(table, where, **kwargs):
        where.write(b"PAR1 half a file")  # the crash happens after some bytes hit the disk
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken_write)
    with pytest.raises(OSError, match="disk full"):
        cache.write("^NSEI", "1d", _frame(9, 2.0))
    monkeypatch.undo()
    entry = cache.read("^NSEI", "1d")
    assert len(entry.frame) == 5 and (entry.frame["close"] == 1.0).all()
    assert [p.name for p in tmp_path.iterdir()] == ["_NSEI_1d.parquet"]  # no temp file left behind


def test_interrupted_write_leaves_old_cache_intact(tmp_path, monkeypatch):
    cache = ParquetCache(tmp_path)
    cache.write("X", "1d", _frame(3))
    monkeypatch.setattr("os.replace", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        cache.write("X", "1d", _frame(7))
    monkeypatch.undo()
    assert len(cache.read("X", "1d").frame) == 3 and len(list(tmp_path.iterdir())) == 1


def test_corrupt_file_reads_as_absent(tmp_path):
    cache = ParquetCache(tmp_path)
    cache.path("X", "1d").write_bytes(b"not parquet")
    assert cache.read("X", "1d") is None


def test_merge_prefers_fresh_rows():
    old, new = _frame(5, 1.0), _frame(7, 2.0).iloc[3:]
    merged = merge_frames(old, new)
    assert len(merged) == 7 and merged["close"].tolist() == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0]
