"""The signal ledger: an append-only table of every served signal,
on DuckDB (default) or PostgreSQL by URL.

One code path and one SQL text serve both databases, on plain DB-API connections
(`aegismatrix.ledger.db`: importing SQLAlchemy and building an engine cost every inference run ~0.3
s). Each append is ONE transaction (run record, new rows and refused re-serves together), so a crash
mid-write leaves the ledger exactly as it was before that run.

Idempotency rule, "keep the first": a row's key is (as_of_date, decision_time, signal, horizon). A
key already in the ledger is never replaced. Offered again with the same values it is skipped
silently (a rerun); offered with different values it is refused, logged as a warning and kept in
`ledger_conflicts` with the reason and the values that were refused. A run that adds nothing and
conflicts with nothing writes nothing at all. The `market` column (the option market's numbers
beside the model's, issue 22) is not a served value: it is left out of that comparison, and a stored
row without it is filled once when an unchanged re-offer brings it (a backfill replayed with option
data); a stored one is never replaced.

Decision times: `ledger_signals` holds close and preopen signals only, the rows the scorecard
scores. Intraday rows are snapshots (`ledger_snapshots`, key + `snapshot_at`, the instant they were
computed): kept, never scored. A close/preopen row dated after the last session completed at its run
(an inference run whose provenance carries the session clock, on live data) would be a developing
bar's number: it is kept as a snapshot too, with a warning, never as a close signal.
"""

from __future__ import annotations

import json
import logging
import math

import numpy as np
import pandas as pd

from aegismatrix.ledger import schema as S
from aegismatrix.ledger.db import Connection, Database
from aegismatrix.market.session import now_utc

logger = logging.getLogger(__name__)

ROW_COLUMNS = [c for c in S.columns(S.SIGNALS) if c not in ("kind", "run_id")]
SNAPSHOT_COLUMNS = [c for c in S.columns(S.SNAPSHOTS) if c not in ("kind", "run_id")]
FLOAT_COLUMNS = ("value", "lower", "upper", "probability")
DEFAULT_URL = "duckdb:///data/09_ledger/ledger.duckdb"


class LedgerError(ValueError):
    """Rows offered to the ledger break its contract (duplicate keys, missing columns)."""


def _plain(value):
    """Python scalars for any driver: None for NaN/NaT,
    date for timestamps, int/float for numpy numbers."""
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
    key = list(S.KEY) + (["snapshot_at"] if "snapshot_at" in rows else [])
    frame = rows.reindex(columns=ROW_COLUMNS + key[len(S.KEY):]).copy()
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.normalize()
    frame["expiry"] = pd.to_datetime(frame["expiry"]).dt.normalize()
    dup = frame.duplicated(key, keep=False)
    if dup.any():
        raise LedgerError(
            f"{int(dup.sum())} offered rows share a key, e.g. "
            f"{frame.loc[dup, key].head(2).to_dict('records')}"
        )
    return frame


def _completed_through(run: dict) -> pd.Timestamp | None:
    """The last completed session at a live inference run's fetch (None:
    backfill, csv, synthetic, older)."""
    provenance = run.get("provenance") or {}
    session = provenance.get("session") or {}
    live = run.get("kind") == "inference" and provenance.get("source") not in ("csv", "synthetic", None)
    return pd.Timestamp(session["last_completed_session"]) if live and session else None


def split_snapshots(offered: pd.DataFrame, run: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scored close/preopen rows, snapshots): intraday rows,
    and rows of a session not completed at run."""
    snapshot = ~offered["decision_time"].isin(S.SCORED_DECISION_TIMES).to_numpy()
    completed = _completed_through(run)
    if completed is not None:
        developing = (offered["as_of_date"] > completed).to_numpy() & ~snapshot
        if developing.any():
            logger.warning("ledger: %d %s rows dated after the last completed session %s kept as "
                           "snapshots, "
                           "never as close signals", int(developing.sum()), run.get("decision_time"),
                           completed.date())
        snapshot |= developing
    snaps = offered[snapshot].copy()
    session = (run.get("provenance") or {}).get("session") or {}
    at = session.get("instant") or now_utc().strftime("%Y-%m-%dT%H:%M:%SZ")
    snaps["snapshot_at"] = snaps["snapshot_at"].fillna(at) if "snapshot_at" in snaps else at
    return offered[~snapshot].drop(columns="snapshot_at", errors="ignore"), snaps


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

    @staticmethod
    def _stored(conn: Connection, offered: pd.DataFrame, table: str, key: tuple[str, ...]) -> pd.DataFrame:
        names, times = sorted(offered["signal"].unique()), sorted(offered["decision_time"].unique())
        wanted = list(key + S.VALUE_COLUMNS + ("market",))
        query = (
            f"SELECT {', '.join(wanted)} FROM {table} WHERE as_of_date BETWEEN ? AND ?"
            f" AND signal IN ({', '.join('?' * len(names))})"
            f" AND decision_time IN ({', '.join('?' * len(times))})"
        )
        span = [offered["as_of_date"].min().date(), offered["as_of_date"].max().date()]
        stored = pd.DataFrame(conn.execute(query, span + names + times), columns=wanted)
        stored["as_of_date"] = pd.to_datetime(stored["as_of_date"])
        return stored

    def _compare(self, conn: Connection, offered: pd.DataFrame, table: str,
                 key: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame, int, pd.DataFrame]:
        """(new rows, refused rows, number unchanged, unchanged rows whose stored `market` is null
        and the offer's is not) of an offer against one table's keep-first rule."""
        if offered.empty:
            return offered, offered, 0, offered
        joined = offered.merge(self._stored(conn, offered, table, key), on=list(key), how="left",
                               suffixes=("", "_stored"), indicator=True)
        known = (joined["_merge"] == "both").to_numpy()
        stored = joined[[f"{c}_stored" for c in S.VALUE_COLUMNS]].set_axis(list(S.VALUE_COLUMNS), axis=1)
        same = known & _same(joined, stored)
        # the market's numbers are not the model's served values:
        # a replay with a chain fills a blank once
        fill = same & joined["market_stored"].isna().to_numpy() & joined["market"].notna().to_numpy()
        return joined[~known], joined[known & ~same], int(same.sum()), joined[fill]

    @staticmethod
    def _fill_market(conn: Connection, rows: pd.DataFrame, table: str, key: tuple[str, ...]) -> None:
        """Set `market` on stored rows that have none (never replaces one)."""
        where = " AND ".join(f"{k} = ?" for k in key)
        for record in _records(rows, ["market", *key]):
            conn.execute(f"UPDATE {table} SET market = ? WHERE {where} AND market IS NULL",
                         [record[c] for c in ("market", *key)])

    def append(self, run: dict, rows: pd.DataFrame) -> dict:
        """Add the run's new rows in one transaction; returns counts {offered, inserted, unchanged,
        conflicts}, plus `snapshots` (new snapshot rows, counted in inserted) when the offer had
        any."""
        offered = _check_offer(rows)
        scored, snaps = split_snapshots(offered, run)
        counts = {"offered": len(offered), "inserted": 0, "unchanged": 0, "conflicts": 0}
        with self._db.begin() as conn:
            S.migrate(conn)
            if offered.empty:
                return counts
            new, refused, same, fill = self._compare(conn, scored, S.SIGNALS, S.KEY)
            new_snaps, refused_snaps, same_snaps, _ = self._compare(conn, snaps, S.SNAPSHOTS, S.SNAPSHOT_KEY)
            counts.update(inserted=len(new) + len(new_snaps), unchanged=same + same_snaps,
                          conflicts=len(refused) + len(refused_snaps))
            counts.update({"snapshots": len(new_snaps)} if len(snaps) else {})
            counts.update({"market_filled": len(fill)} if len(fill) else {})
            if not counts["inserted"] and not counts["conflicts"] and not len(fill):
                return counts
            conn.insert(S.RUNS, [_run_record(run, offered, counts)])
            self._fill_market(conn, fill, S.SIGNALS, S.KEY)
            tag = {"kind": run["kind"], "run_id": run["run_id"]}
            if len(new):
                conn.insert(S.SIGNALS, [{**r, **tag} for r in _records(new, ROW_COLUMNS)])
            if len(new_snaps):
                conn.insert(S.SNAPSHOTS,
                            [{**r, **tag} for r in _records(new_snaps, SNAPSHOT_COLUMNS)])
            if counts["conflicts"]:
                refused_all = pd.concat([refused, refused_snaps])
                conn.insert(S.CONFLICTS, _conflict_records(refused_all, run["run_id"]))
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

    def read_snapshots(self) -> pd.DataFrame:
        """Every intraday snapshot (never scored), dates as Timestamps, ordered by key."""
        frame = self.read_table(S.SNAPSHOTS)
        for col in ("as_of_date", "expiry"):
            frame[col] = pd.to_datetime(frame[col])
        return frame.sort_values(list(S.SNAPSHOT_KEY)).reset_index(drop=True)

    def read_table(self, table: str) -> pd.DataFrame:
        """A whole ledger table (`ledger_runs`, `ledger_conflicts`, `ledger_schema`) as a frame."""
        names = S.columns(table)
        with self._db.begin() as conn:
            if not conn.has_table(table):
                return pd.DataFrame(columns=names)
            return pd.DataFrame(conn.execute(f"SELECT {', '.join(names)} FROM {table}"),
                                columns=names)

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
        "recorded_at": now_utc().to_pydatetime().isoformat(timespec="seconds"),
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
    snapshot_at = refused["snapshot_at"] if "snapshot_at" in refused else pd.Series(index=refused.index)
    for record, at in zip(_records(refused, list(S.KEY) + list(S.VALUE_COLUMNS)), snapshot_at):
        offered = {c: record.pop(c) for c in S.VALUE_COLUMNS}
        where = f" (snapshot at {at})" if isinstance(at, str) else ""
        out.append(
            {
                **record,
                "run_id": run_id,
                "offered": json.dumps(offered, sort_keys=True, default=str),
                "reason": f"key already served with other values{where}; "
                          "the first served values are kept",
            }
        )
    return out
