"""Kedro datasets for the track record: the signal ledger (a database) and an optional JSON report.

`SignalLedgerDataset` loads every ledger row as a frame and saves `{"run": {...}, "rows": frame}` as one
transactional, keep-first append (rules in `aegismatrix.ledger.store`). The URL picks the database: DuckDB by
default, PostgreSQL with `postgresql+psycopg://user:pass@host:port/db` (in conf/local, or via `credentials: {url}`).
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset
from kedro.io.core import DatasetError
from kedro_datasets.json import JSONDataset

logger = logging.getLogger(__name__)


class SignalLedgerDataset(AbstractDataset[dict, pd.DataFrame]):
    """Kedro dataset over `aegismatrix.ledger.SignalLedger` (imports SQLAlchemy only when used)."""

    def __init__(self, url: str, credentials: dict | None = None, metadata: dict | None = None):
        self._url = (credentials or {}).get("url") or url
        self.metadata = metadata

    def _ledger(self):
        from aegismatrix.ledger.store import SignalLedger

        return SignalLedger(self._url)

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
        logger.info("ledger %s run %s (%s): %s", _safe(self._url), data["run"]["run_id"], data["run"]["kind"], counts)

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
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


class OptionalJSONDataset(JSONDataset):
    """A (versioned) JSON dataset that loads None while nothing was saved yet, e.g. a scorecard before the first run."""

    def load(self) -> Any:
        try:
            return super().load()
        except DatasetError as error:
            if "Did not find any versions" in str(error) or "No such file" in str(error) or "not found" in str(error):
                return None
            raise
