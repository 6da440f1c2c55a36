"""Kedro datasets for the track record: the signal ledger (a database) and an optional JSON report.

`SignalLedgerDataset` loads every ledger row as a frame and saves `{"run": {...}, "rows": frame}` as
one transactional, keep-first append (rules in `aegismatrix.ledger.store`). `filepath` names a
DuckDB file (default); `url` (or `credentials: {url}`) a database instead, e.g.
`postgresql+psycopg://user:pass@host:port/db`. `lock_timeout_s`: how long a DuckDB file held by
another process is waited for before the run fails naming it (default 30 s).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset

logger = logging.getLogger(__name__)


class SignalLedgerDataset(AbstractDataset[dict, pd.DataFrame]):
    """Kedro dataset over `aegismatrix.ledger.SignalLedger` (imports the ledger only when used)."""

    def __init__(
        self,
        filepath: str | None = None,
        url: str | None = None,
        credentials: dict | None = None,
        metadata: dict | None = None,
        lock_timeout_s: float | None = None,
    ):
        # `filepath` (a DuckDB file, made absolute by Kedro) unless a database URL is given
        self._url = (credentials or {}).get("url") or url or f"duckdb:///{filepath}"
        if not (credentials or {}).get("url") and not url and not filepath:
            raise ValueError("signal_ledger needs a DuckDB `filepath` or a database `url`")
        self.metadata = metadata
        # how long a DuckDB file held by another process is waited for
        self._lock_timeout_s = lock_timeout_s

    def _ledger(self):
        from aegismatrix.ledger.store import SignalLedger

        return SignalLedger(self._url, self._lock_timeout_s)

    def load(self) -> pd.DataFrame:
        ledger = self._ledger()
        try:
            return ledger.read_signals()
        finally:
            ledger.close()

    def save(self, data: dict) -> None:
        ledger = self._ledger()
        try:
            counts = ledger.append(data["run"], data["rows"])
        finally:
            ledger.close()
        logger.info(
            "ledger %s run %s (%s): %s", _safe(self._url), data["run"]["run_id"], data["run"]["kind"], counts
        )

    def _exists(self) -> bool:
        ledger = self._ledger()
        try:
            return ledger.count() > 0
        finally:
            ledger.close()

    def _describe(self) -> dict[str, Any]:
        return {"url": _safe(self._url)}


def _safe(url: str) -> str:
    """The URL without its password, for logs."""
    from aegismatrix.ledger.db import safe_url

    return safe_url(url)


class OptionalJSONDataset(AbstractDataset[Any, Any]):
    """A plain (unversioned) JSON file that loads None while it does not exist; saves are atomic
    (`write_text_atomic`: a unique temp file in the same folder, fsync, os.replace).

    Not a versioned dataset on purpose: a live report (the scorecard) or an index (MLflow releases)
    is one file that every run reads at its newest, never pinned to a training release.
    """

    def __init__(self, filepath: str, save_args: dict | None = None, metadata: dict | None = None):
        self._path = Path(filepath)
        self._indent = (save_args or {}).get("indent", 1)
        self.metadata = metadata

    def load(self) -> Any:
        if not self._path.exists():
            return None
        return json.loads(self._path.read_text())

    def save(self, data: Any) -> None:
        from aegismatrix.releases.manifest import write_text_atomic

        # serialised first (NaN refused: nothing written);
        # then a unique temp name, fsync, os.replace
        write_text_atomic(self._path,
                          json.dumps(data, indent=self._indent, allow_nan=False, default=str))

    def _exists(self) -> bool:
        return self._path.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._path)}
