"""Read-only dataset: a folder of option-chain CSV snapshots (one file per date) as {file path: raw text
frame}."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError

UNREADABLE_COLUMN = "__unreadable__"  # a file pandas cannot parse loads as one row saying why (issue 26)


def _read(file: Path) -> pd.DataFrame:
    """The file as text cells, or a one-cell frame with the parse error: a bad file never fails the load."""
    try:
        return pd.read_csv(file, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as error:
        return pd.DataFrame({UNREADABLE_COLUMN: [f"{type(error).__name__}: {error}"]})


class OptionChainSnapshotsDataset(AbstractDataset[None, dict[str, pd.DataFrame]]):
    """Every `*.csv` under `path`, read as text so validation can name a bad cell; no folder or no file ->
    `{}`."""

    def __init__(self, path: str, pattern: str = "*.csv", metadata: dict[str, Any] | None = None) -> None:
        self._path, self._pattern, self.metadata = Path(path), pattern, metadata

    def load(self) -> dict[str, pd.DataFrame]:
        if not self._path.is_dir():
            return {}
        return {str(file): _read(file) for file in sorted(self._path.glob(self._pattern)) if file.is_file()}

    def save(self, data: None) -> None:
        raise DatasetError("option chain snapshots are user input; drop CSV files into the folder instead")

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path), "pattern": self._pattern}

    def _exists(self) -> bool:
        return self._path.is_dir()
