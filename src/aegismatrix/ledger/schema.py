"""The signal ledger's tables (SQLAlchemy Core, one definition for DuckDB and PostgreSQL) and their
migrations.

Every schema change is a new numbered migration appended to MIGRATIONS; `migrate` applies the missing ones in
one transaction and records each in `ledger_schema`, so a ledger written by an older release opens and
upgrades.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa

metadata = sa.MetaData()

schema_history = sa.Table(
    "ledger_schema",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("applied_at", sa.Text, nullable=False),
)

runs = sa.Table(
    "ledger_runs",
    metadata,
    sa.Column("run_id", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),  # inference | backfill
    sa.Column("recorded_at", sa.Text, nullable=False),
    sa.Column("data_as_of", sa.Date),
    sa.Column("decision_time", sa.Text, nullable=False),
    sa.Column("data_source", sa.Text),
    sa.Column("provenance", sa.Text),  # JSON
    sa.Column("release", sa.Text),  # the release id served (issue 12's manifest), when the payload names one
    sa.Column("model_versions", sa.Text),  # JSON {namespace: Kedro version}
    sa.Column("mlflow_run_ids", sa.Text),  # JSON {namespace: MLflow run id}
    sa.Column("n_offered", sa.Integer, nullable=False),
    sa.Column("n_inserted", sa.Integer, nullable=False),
    sa.Column("n_unchanged", sa.Integer, nullable=False),
    sa.Column("n_conflicts", sa.Integer, nullable=False),
)

KEY = ("as_of_date", "decision_time", "signal", "horizon")
VALUE_COLUMNS = ("value", "lower", "upper", "probability", "label", "extra", "model_source")

signals = sa.Table(
    "ledger_signals",
    metadata,
    sa.Column("as_of_date", sa.Date, primary_key=True),
    sa.Column("decision_time", sa.Text, primary_key=True),  # close | preopen
    sa.Column("signal", sa.Text, primary_key=True),  # e.g. seller.safe_range
    sa.Column("horizon", sa.Text, primary_key=True),  # "5d", "21d" or "expiry:2023-01-26"
    sa.Column("horizon_days", sa.Integer),
    sa.Column("expiry", sa.Date),
    sa.Column("value", sa.Float(53)),
    sa.Column("lower", sa.Float(53)),
    sa.Column("upper", sa.Float(53)),
    sa.Column("probability", sa.Float(53)),
    sa.Column("label", sa.Text),
    sa.Column("extra", sa.Text),  # JSON of the other served numbers
    sa.Column("model_source", sa.Text),
    sa.Column("model", sa.Text),
    sa.Column("model_version", sa.Text),
    sa.Column("mlflow_run_id", sa.Text),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("run_id", sa.Text, nullable=False),
)

conflicts = sa.Table(
    "ledger_conflicts",
    metadata,
    sa.Column("run_id", sa.Text, nullable=False),
    sa.Column("as_of_date", sa.Date, nullable=False),
    sa.Column("decision_time", sa.Text, nullable=False),
    sa.Column("signal", sa.Text, nullable=False),
    sa.Column("horizon", sa.Text, nullable=False),
    sa.Column("offered", sa.Text, nullable=False),  # JSON of the refused values
    sa.Column("reason", sa.Text, nullable=False),
)


def _v1(conn: sa.Connection) -> None:
    for table in (runs, signals):
        table.create(conn)


def _v2(conn: sa.Connection) -> None:
    conflicts.create(conn)
    # plain DDL: an Index object bound to the table would already be created by version 1
    conn.execute(
        sa.text("CREATE INDEX ix_ledger_signals_signal ON ledger_signals (signal, horizon, as_of_date)")
    )


MIGRATIONS: list[tuple[int, str, Callable[[sa.Connection], None]]] = [
    (1, "ledger_runs and ledger_signals (key: as_of_date, decision_time, signal, horizon)", _v1),
    (2, "ledger_conflicts (refused re-serves, keep-first rule) and an index by signal", _v2),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


class LedgerSchemaError(RuntimeError):
    """The ledger was written by a newer release than this code."""


def current_version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table(schema_history.name):
        return 0
    return int(conn.execute(sa.select(sa.func.max(schema_history.c.version))).scalar() or 0)


def migrate(conn: sa.Connection, upto: int = SCHEMA_VERSION) -> int:
    """Apply the missing migrations inside the caller's transaction; returns the version reached."""
    if conn.dialect.name == "postgresql":  # two first writers must not both create the tables
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(1515)"))
    have = current_version(conn)
    if have > SCHEMA_VERSION:
        raise LedgerSchemaError(
            f"ledger schema version {have} is newer than this code's {SCHEMA_VERSION}: upgrade"
        )
    if have == 0:
        schema_history.create(conn)
    for version, description, apply in MIGRATIONS:
        if have < version <= upto:
            apply(conn)
            conn.execute(
                schema_history.insert().values(
                    version=version,
                    description=description,
                    applied_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )
    return max(have, min(upto, SCHEMA_VERSION))
