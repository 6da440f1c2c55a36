"""Atomic Parquet cache of raw downloads: incremental merge, stale fallback, and what a daily series
needs to be judged fresh by market time (its exchange's zone and the live price seen at fetch, in
the file's metadata).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

_META_KEY = b"aegismatrix.fetched_at"
# JSON: exchange_tz, live price (never a row: a developing bar is no close)
_EXTRA_KEY = b"aegismatrix.extra"


@dataclass(frozen=True)
class CacheEntry:
    """A cached frame and when it was fetched."""

    frame: pd.DataFrame
    fetched_at: pd.Timestamp
    path: Path
    extra: dict | None = None

    def age_hours(self, now: pd.Timestamp | None = None) -> float:
        """Hours since the data was fetched."""
        from aegismatrix.market.session import now_utc

        now = now if now is not None else now_utc()
        return (now - self.fetched_at).total_seconds() / 3600.0

    def is_fresh(self, ttl_hours: float, now: pd.Timestamp | None = None) -> bool:
        """True while younger than the TTL."""
        return self.age_hours(now) <= ttl_hours

    def covers(self, start: pd.Timestamp, column: str = "date") -> bool:
        """True when the cached rows reach back to `start` (within a week, for holidays)."""
        return not self.frame.empty and self.frame[column].min() <= start + pd.Timedelta(days=7)


class ParquetCache:
    """One Parquet file per (ticker, interval) under `root`;
    each write replaces the file atomically."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def path(self, ticker: str, interval: str) -> Path:
        """File of one ticker/interval (ticker sanitised for the file system)."""
        return self.root / f"{re.sub(r'[^A-Za-z0-9._-]', '_', ticker)}_{interval}.parquet"

    def read(self, ticker: str, interval: str) -> CacheEntry | None:
        """Return the cached entry,
        or None when absent or unreadable (a corrupt file is never fatal)."""
        path = self.path(ticker, interval)
        if not path.exists():
            return None
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException):
            return None
        meta = table.schema.metadata or {}
        fetched = (pd.Timestamp(meta[_META_KEY].decode()) if _META_KEY in meta
                   else pd.Timestamp(path.stat().st_mtime, unit="s", tz="UTC"))
        extra = json.loads(meta[_EXTRA_KEY].decode()) if _EXTRA_KEY in meta else {}
        return CacheEntry(table.to_pandas(), fetched, path, extra)

    def write(self, ticker: str, interval: str, frame: pd.DataFrame,
              fetched_at: pd.Timestamp | None = None, extra: dict | None = None) -> Path:
        """Write to a temp file in the same folder, fsync, then os.replace over the old file."""
        from aegismatrix.market.session import now_utc

        path = self.path(ticker, interval)
        path.parent.mkdir(parents=True, exist_ok=True)
        fetched_at = fetched_at if fetched_at is not None else now_utc()
        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               _META_KEY: fetched_at.isoformat().encode(),
                                               _EXTRA_KEY: json.dumps(extra or {}).encode()})
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                pq.write_table(table, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path


def merge_frames(old: pd.DataFrame, new: pd.DataFrame, key: str = "date") -> pd.DataFrame:
    """Union of cached and freshly fetched rows; fresh rows win on the same key."""
    if old is None or old.empty:
        return new.sort_values(key).reset_index(drop=True)
    both = pd.concat([old, new], ignore_index=True)
    return both.drop_duplicates(subset=[key], keep="last").sort_values(key).reset_index(drop=True)
