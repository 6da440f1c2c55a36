"""The signal ledger: an append-only table of every served signal, on DuckDB (default) or PostgreSQL by URL.

One code path and one SQL text serve both databases, on plain DB-API connections (`aegismatrix.ledger.db`:
importing SQLAlchemy and building an engine cost every inference run ~0.3 s). Each append is ONE transaction
(run record, new rows and refused re-serves together), so a crash mid-write leaves the ledger exactly as it
was before that run.

Idempotency rule, "keep the first": a row's key is (as_of_date, decision_time, signal, horizon). A key already
in the ledger is never replaced. Offered again with the same values it is skipped silently (a rerun); offered
with different values it is refused, logged as a warning and kept in `ledger_conflicts` with the reason and
the values that were refused. A run that adds nothing and conflicts with nothing writes nothing at all.
"""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from aegismatrix.ledger import schema as S
from aegismatrix.ledger.db import Connection, Database

logger = logging.getLogger(__name__)

ROW_COLUMNS = [c for c in S.columns(S.SIGNALS) if c not in ("kind", "run_id")]
FLOAT_COLUMNS = ("value", "lower", "upper", "probability")
DEFAULT_URL = "duckdb:///data/09_ledger/ledger.duckdb"


class LedgerError(ValueError):
    """Rows offered to the ledger break its contract (duplicate keys, missing columns)."""


def _plain(value):
    """Python scalars for any driver: None for NaN/NaT, date for timestamps, int/float for numpy numbers."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    return value


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    return [{c: _plain(v) for c, v in zip(columns, row)} for row in frame[columns].itertuples(index=False)]


def _check_offer(rows: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in S.KEY + ("model_source",) if c not in rows]
    if missing:
        raise LedgerError(f"ledger rows lack columns {missing}")
    frame = rows.reindex(columns=ROW_COLUMNS).copy()
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.normalize()
    frame["expiry"] = pd.to_datetime(frame["expiry"]).dt.normalize()
    dup = frame.duplicated(list(S.KEY), keep=False)
    if dup.any():
        raise LedgerError(
            f"{int(dup.sum())} offered rows share a key, e.g. "
            f"{frame.loc[dup, list(S.KEY)].head(2).to_dict('records')}"
        )
    return frame


def _same(offered: pd.DataFrame, stored: pd.DataFrame) -> np.ndarray:
    """Row-wise: every served value equal (floats to 1e-9 relative, both-null counts as equal)."""
    equal = np.ones(len(offered), dtype=bool)
    for col in S.VALUE_COLUMNS:
        a, b = offered[col].to_numpy(), stored[col].to_numpy()
        if col in FLOAT_COLUMNS:
            a, b = a.astype(float), b.astype(float)
            equal &= np.isclose(a, b, rtol=1e-9, atol=0.0, equal_nan=True)
        else:
            equal &= pd.isna(a) & pd.isna(b) | (a == b)
    return equal


class SignalLedger:
    """Append-only store of served signals; see the module docstring for the keep-first rule."""

    def __init__(self, url: str = DEFAULT_URL, lock_timeout_s: float | None = None):
        self.url = url
        self._db = Database(url, lock_timeout_s)

    def migrate(self) -> int:
        """Create or upgrade the tables; returns the schema version."""
        with self._db.begin() as conn:
            return S.migrate(conn)

    def _stored(self, conn: Connection, offered: pd.DataFrame) -> pd.DataFrame:
        names, times = sorted(offered["signal"].unique()), sorted(offered["decision_time"].unique())
        wanted = list(S.KEY + S.VALUE_COLUMNS)
        query = (
            f"SELECT {', '.join(wanted)} FROM {S.SIGNALS} WHERE as_of_date BETWEEN ? AND ?"
            f" AND signal IN ({', '.join('?' * len(names))})"
            f" AND decision_time IN ({', '.join('?' * len(times))})"
        )
        span = [offered["as_of_date"].min().date(), offered["as_of_date"].max().date()]
        stored = pd.DataFrame(conn.execute(query, span + names + times), columns=wanted)
        stored["as_of_date"] = pd.to_datetime(stored["as_of_date"])
        return stored

    def append(self, run: dict, rows: pd.DataFrame) -> dict:
        """Add the run's new rows in one transaction; returns counts {offered, inserted, unchanged,
        conflicts}."""
        offered = _check_offer(rows)
        counts = {"offered": len(offered), "inserted": 0, "unchanged": 0, "conflicts": 0}
        with self._db.begin() as conn:
            S.migrate(conn)
            if offered.empty:
                return counts
            joined = offered.merge(
                self._stored(conn, offered),
                on=list(S.KEY),
                how="left",
                suffixes=("", "_stored"),
                indicator=True,
            )
            known = (joined["_merge"] == "both").to_numpy()
            stored = joined[[f"{c}_stored" for c in S.VALUE_COLUMNS]].set_axis(list(S.VALUE_COLUMNS), axis=1)
            same = known & _same(joined, stored)
            new, refused = joined[~known], joined[known & ~same]
            counts.update(inserted=len(new), unchanged=int(same.sum()), conflicts=len(refused))
            if not len(new) and not len(refused):
                return counts
            conn.insert(S.RUNS, [_run_record(run, offered, counts)])
            if len(new):
                conn.insert(
                    S.SIGNALS,
                    [{**r, "kind": run["kind"], "run_id": run["run_id"]} for r in _records(new, ROW_COLUMNS)],
                )
            if len(refused):
                conn.insert(S.CONFLICTS, _conflict_records(refused, run["run_id"]))
        if counts["conflicts"]:
            logger.warning(
                "ledger: %d rows already served with other values were kept (first wins); see "
                "ledger_conflicts for run %s",
                counts["conflicts"],
                run["run_id"],
            )
        return counts

    def read_signals(self, signal: str | None = None) -> pd.DataFrame:
        """Every ledger row (optionally of one signal), dates as Timestamps, ordered by key."""
        names = S.columns(S.SIGNALS)
        with self._db.begin() as conn:
            if S.current_version(conn) == 0:
                return pd.DataFrame(columns=names)
            where, params = ("WHERE signal = ?", [signal]) if signal else ("", [])
            query = f"SELECT {', '.join(names)} FROM {S.SIGNALS} {where} ORDER BY {', '.join(S.KEY)}"
            frame = pd.DataFrame(conn.execute(query, params), columns=names)
        for col in ("as_of_date", "expiry"):
            frame[col] = pd.to_datetime(frame[col])
        for col in FLOAT_COLUMNS:
            frame[col] = frame[col].astype(float)
        return frame

    def read_table(self, table: str) -> pd.DataFrame:
        """A whole ledger table (`ledger_runs`, `ledger_conflicts`, `ledger_schema`) as a frame."""
        names = S.columns(table)
        with self._db.begin() as conn:
            if not conn.has_table(table):
                return pd.DataFrame(columns=names)
            return pd.DataFrame(conn.execute(f"SELECT {', '.join(names)} FROM {table}"), columns=names)

    def count(self) -> int:
        with self._db.begin() as conn:
            if S.current_version(conn) == 0:
                return 0
            return int(conn.execute(f"SELECT count(*) FROM {S.SIGNALS}")[0][0])

    def close(self) -> None:
        self._db.close()


def _run_record(run: dict, offered: pd.DataFrame, counts: dict) -> dict:
    as_of = run.get("data_as_of")
    return {
        "run_id": run["run_id"],
        "kind": run["kind"],
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_as_of": pd.Timestamp(as_of).date() if as_of else offered["as_of_date"].max().date(),
        "decision_time": run.get("decision_time", "close"),
        "data_source": run.get("data_source"),
        "provenance": json.dumps(run.get("provenance"), sort_keys=True, default=str),
        "release": run.get("release"),
        "model_versions": json.dumps(run.get("model_versions"), sort_keys=True),
        "mlflow_run_ids": json.dumps(run.get("mlflow_run_ids"), sort_keys=True),
        "n_offered": counts["offered"],
        "n_inserted": counts["inserted"],
        "n_unchanged": counts["unchanged"],
        "n_conflicts": counts["conflicts"],
    }


def _conflict_records(refused: pd.DataFrame, run_id: str) -> list[dict]:
    out = []
    for record in _records(refused, list(S.KEY) + list(S.VALUE_COLUMNS)):
        offered = {c: record.pop(c) for c in S.VALUE_COLUMNS}
        out.append(
            {
                **record,
                "run_id": run_id,
                "offered": json.dumps(offered, sort_keys=True, default=str),
                "reason": "key already served with other values; the first served values are kept",
            }
        )
    return out
