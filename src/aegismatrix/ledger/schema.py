"""The signal ledger's tables (one SQL definition for DuckDB and PostgreSQL) and their migrations.

Every schema change is a new numbered migration appended to MIGRATIONS; `migrate` applies the
missing ones in one transaction and records each in `ledger_schema`, so a ledger written by an older
release opens and upgrades. Types are the portable DATE, TEXT, INTEGER and DOUBLE PRECISION (DuckDB
stores TEXT as VARCHAR and DOUBLE PRECISION as DOUBLE), the same tables the earlier SQLAlchemy
definitions created.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from aegismatrix.ledger.db import Connection

HISTORY, RUNS, SIGNALS, CONFLICTS = "ledger_schema", "ledger_runs", "ledger_signals", "ledger_conflicts"
# intraday snapshots: kept, never scored (the scorecard reads ledger_signals)
SNAPSHOTS = "ledger_snapshots"

KEY = ("as_of_date", "decision_time", "signal", "horizon")
SNAPSHOT_KEY = ("as_of_date", "decision_time", "snapshot_at", "signal", "horizon")
# ledger_signals holds only these; intraday goes to snapshots
SCORED_DECISION_TIMES = ("close", "preopen")
VALUE_COLUMNS = ("value", "lower", "upper", "probability", "label", "extra", "model_source")

# (column, type and constraint) per table, in table order; PRIMARY_KEYS adds each table's key clause
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    HISTORY: (
        ("version", "INTEGER NOT NULL"),
        ("description", "TEXT NOT NULL"),
        ("applied_at", "TEXT NOT NULL"),
    ),
    RUNS: (
        ("run_id", "TEXT NOT NULL"),
        ("kind", "TEXT NOT NULL"),  # inference | backfill
        ("recorded_at", "TEXT NOT NULL"),
        ("data_as_of", "DATE"),
        ("decision_time", "TEXT NOT NULL"),
        ("data_source", "TEXT"),
        ("provenance", "TEXT"),  # JSON
        # the release id served (issue 12's manifest), when the payload names one
        ("release", "TEXT"),
        ("model_versions", "TEXT"),  # JSON {namespace: Kedro version}
        ("mlflow_run_ids", "TEXT"),  # JSON {namespace: MLflow run id}
        ("n_offered", "INTEGER NOT NULL"),
        ("n_inserted", "INTEGER NOT NULL"),
        ("n_unchanged", "INTEGER NOT NULL"),
        ("n_conflicts", "INTEGER NOT NULL"),
    ),
    SIGNALS: (
        ("as_of_date", "DATE NOT NULL"),
        ("decision_time", "TEXT NOT NULL"),  # close | preopen (SCORED_DECISION_TIMES)
        ("signal", "TEXT NOT NULL"),  # e.g. seller.safe_range
        ("horizon", "TEXT NOT NULL"),  # "5d", "21d" or "expiry:2023-01-26"
        ("horizon_days", "INTEGER"),
        ("expiry", "DATE"),
        ("value", "DOUBLE PRECISION"),
        ("lower", "DOUBLE PRECISION"),
        ("upper", "DOUBLE PRECISION"),
        ("probability", "DOUBLE PRECISION"),
        ("label", "TEXT"),
        ("extra", "TEXT"),  # JSON of the other served numbers
        ("model_source", "TEXT"),
        ("model", "TEXT"),
        ("model_version", "TEXT"),
        ("mlflow_run_id", "TEXT"),
        ("kind", "TEXT NOT NULL"),
        ("run_id", "TEXT NOT NULL"),
        # JSON of the option market's numbers at the same strikes (issue 22), beside the model's;
        # not a served value: outside the keep-first comparison, filled once where a row was
        # recorded without them
        ("market", "TEXT"),
    ),
    CONFLICTS: (
        ("run_id", "TEXT NOT NULL"),
        ("as_of_date", "DATE NOT NULL"),
        ("decision_time", "TEXT NOT NULL"),
        ("signal", "TEXT NOT NULL"),
        ("horizon", "TEXT NOT NULL"),
        ("offered", "TEXT NOT NULL"),  # JSON of the refused values
        ("reason", "TEXT NOT NULL"),
    ),
}
# a snapshot: the signal row plus the instant (UTC, ISO) it was computed at, as of its session date
COLUMNS[SNAPSHOTS] = (*COLUMNS[SIGNALS][:2], ("snapshot_at", "TEXT NOT NULL"),
                      *COLUMNS[SIGNALS][2:])
PRIMARY_KEYS = {HISTORY: ("version",), RUNS: ("run_id",), SIGNALS: KEY, SNAPSHOTS: SNAPSHOT_KEY}


def columns(table: str) -> list[str]:
    """The column names of a ledger table, in table order (KeyError for an unknown table)."""
    return [name for name, _ in COLUMNS[table]]


def create_table(conn: Connection, table: str) -> None:
    body = [f"{name} {kind}" for name, kind in COLUMNS[table]]
    if table in PRIMARY_KEYS:
        body.append(f"PRIMARY KEY ({', '.join(PRIMARY_KEYS[table])})")
    conn.execute(f"CREATE TABLE {table} ({', '.join(body)})")


def _v1(conn: Connection) -> None:
    for table in (RUNS, SIGNALS):
        create_table(conn, table)


def _v2(conn: Connection) -> None:
    create_table(conn, CONFLICTS)
    conn.execute("CREATE INDEX ix_ledger_signals_signal ON "
                 "ledger_signals (signal, horizon, as_of_date)")


def _v3(conn: Connection) -> None:
    """ledger_snapshots, and close/preopen rows an inference run recorded before that session's
    closing price was final (a developing bar, before the session clock) moved there: kept, no
    longer scored."""
    create_table(conn, SNAPSHOTS)
    _move_developing_rows(conn)


def _move_developing_rows(conn: Connection) -> None:
    """Per (inference run, as_of_date):
    recorded before that session's closing price was final -> snapshot."""
    import pandas as pd

    from aegismatrix.market.session import CLOSE_SETTLE, session_hours

    recorded = {run_id: pd.Timestamp(at) for run_id, at in
                conn.execute(f"SELECT run_id, recorded_at FROM {RUNS} WHERE kind = 'inference'")}
    pairs = conn.execute("SELECT DISTINCT run_id, as_of_date FROM "
                         f"{SIGNALS} WHERE kind = 'inference'")
    names = ", ".join(c for c in columns(SIGNALS) if c != "market")  # the columns as of version 3
    for run_id, day in pairs:
        at = recorded.get(run_id)
        at = at.tz_localize("UTC") if at is not None and at.tzinfo is None else at
        if at is None or at >= session_hours(pd.Timestamp(day))[1] + CLOSE_SETTLE:
            continue
        conn.execute(f"INSERT INTO {SNAPSHOTS} ({names}, snapshot_at) SELECT {names}, ? FROM "
                     f"{SIGNALS} "
                     "WHERE run_id = ? AND as_of_date = ?", [at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                                             run_id, day])
        conn.execute(f"DELETE FROM {SIGNALS} WHERE run_id = ? AND as_of_date = ?", [run_id, day])


def _v4(conn: Connection) -> None:
    """`market` on ledger_signals and ledger_snapshots
    (tables created by this release's _v1/_v3 have it)."""
    for table in (SIGNALS, SNAPSHOTS):
        present = conn.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = ? AND column_name = 'market'",
            [table],
        )
        if not present[0][0]:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN market TEXT")


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "ledger_runs and ledger_signals (key: as_of_date, decision_time, signal, horizon)", _v1),
    (2, "ledger_conflicts (refused re-serves, keep-first rule) and an index by signal", _v2),
    (3,
     "ledger_snapshots (intraday, never scored); rows recorded from a developing bar moved there", _v3),
    (4, "market: the option market's probabilities beside the model's at the same strikes (JSON)",
     _v4),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


class LedgerSchemaError(RuntimeError):
    """The ledger was written by a newer release than this code."""


def current_version(conn: Connection) -> int:
    if not conn.has_table(HISTORY):
        return 0
    return int(conn.execute(f"SELECT max(version) FROM {HISTORY}")[0][0] or 0)


def migrate(conn: Connection, upto: int = SCHEMA_VERSION) -> int:
    """Apply the missing migrations inside the caller's transaction; returns the version reached."""
    if conn.dialect == "postgresql":  # two first writers must not both create the tables
        conn.execute("SELECT pg_advisory_xact_lock(1515)")
    have = current_version(conn)
    if have > SCHEMA_VERSION:
        raise LedgerSchemaError(
            f"ledger schema version {have} is newer than this code's {SCHEMA_VERSION}: upgrade"
        )
    if have == 0:
        create_table(conn, HISTORY)
    for version, description, apply in MIGRATIONS:
        if have < version <= upto:
            apply(conn)
            conn.insert(
                HISTORY,
                [
                    {
                        "version": version,
                        "description": description,
                        "applied_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    }
                ],
            )
    return max(have, min(upto, SCHEMA_VERSION))
