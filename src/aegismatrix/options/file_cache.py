"""Parsed NSE option files kept as Parquet (market/cache.py's atomic ParquetCache), so a run
re-parses only what changed: one file per source file, keyed by its path, size and modification time
(in the Parquet's metadata with the findings its parsing made). A new or changed file is parsed
again, a removed one's entry is deleted; the checks (options/chain_checks.py) still run on the
combined rows every time.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from aegismatrix.market.cache import ParquetCache
from aegismatrix.options.nse_files import read_option_file

INTERVAL = "parsed"  # ParquetCache's second key: every entry here is one parsed source file


class ParsedOptionFiles:
    """A `read_option_file` that answers from the cache under `root` when the file is unchanged.

    `parsed` and `cached` count this run's files; `forget_others()` deletes entries of files not
    read."""

    def __init__(self, root: str | Path) -> None:
        self.cache = ParquetCache(root)
        self.parsed: list[str] = []
        self.cached: list[str] = []

    @staticmethod
    def _key(path: Path) -> str:
        """Readable and unique: the file's name and a digest of its path as given."""
        return f"{path.name}-{hashlib.sha1(str(path).encode()).hexdigest()[:12]}"

    @staticmethod
    def _signature(path: Path) -> dict:
        stat = path.stat()
        return {"source": str(path), "size": int(stat.st_size), "mtime_ns": int(stat.st_mtime_ns)}

    def __call__(self, path: Path, findings: list) -> pd.DataFrame:
        """The file's rows (nse_files.ROW_COLUMNS), its findings appended to `findings`."""
        signature = self._signature(path)
        entry = self.cache.read(self._key(path), INTERVAL)
        extra = (entry.extra or {}) if entry is not None else {}
        if entry is not None and {k: extra.get(k) for k in signature} == signature:
            self.cached.append(str(path))
            findings.extend(extra.get("findings") or [])
            return entry.frame
        own: list[dict] = []
        frame = read_option_file(path, own)
        if not any(
            f["check"] == "unreadable_file" for f in own
        ):  # a failed read is retried next run
            self.cache.write(
                self._key(path),
                INTERVAL,
                frame.reset_index(drop=True),
                extra={**signature, "findings": own},
            )
        self.parsed.append(str(path))
        findings.extend(own)
        return frame

    def forget_others(self) -> list[str]:
        """Delete the entries of files not read in this run (removed from the folder); names."""
        keep = {
            self.cache.path(self._key(Path(p)), INTERVAL).name for p in self.parsed + self.cached
        }
        gone = [p for p in self.cache.root.glob(f"*_{INTERVAL}.parquet") if p.name not in keep]
        for path in gone:
            path.unlink(missing_ok=True)
        return [p.name for p in gone]
