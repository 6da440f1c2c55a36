"""The ledger's DB-API layer: URLs, the tables it creates, ledgers written by the SQLAlchemy release,
rollback, no lingering DuckDB lock, and no SQLAlchemy import."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from aegismatrix.datasets.ledger import _safe
from aegismatrix.ledger import db
from aegismatrix.ledger.schema import KEY, SCHEMA_VERSION
from aegismatrix.ledger.store import SignalLedger

from .conftest import make_rows

DATES = pd.bdate_range("2021-01-04", periods=5)

# The DDL the SQLAlchemy Core release emitted (the same for DuckDB and PostgreSQL), at schema version 2
LEGACY_DDL = [
    "CREATE TABLE ledger_schema (version INTEGER NOT NULL, description TEXT NOT NULL, "
    "applied_at TEXT NOT NULL, PRIMARY KEY (version))",
    "CREATE TABLE ledger_runs (run_id TEXT NOT NULL, kind TEXT NOT NULL, recorded_at TEXT NOT NULL, "
    "data_as_of DATE, decision_time TEXT NOT NULL, data_source TEXT, provenance TEXT, release TEXT, "
    "model_versions TEXT, mlflow_run_ids TEXT, n_offered INTEGER NOT NULL, n_inserted INTEGER NOT NULL, "
    "n_unchanged INTEGER NOT NULL, n_conflicts INTEGER NOT NULL, PRIMARY KEY (run_id))",
    "CREATE TABLE ledger_signals (as_of_date DATE NOT NULL, decision_time TEXT NOT NULL, "
    "signal TEXT NOT NULL, horizon TEXT NOT NULL, horizon_days INTEGER, expiry DATE, value FLOAT(53), "
    "lower FLOAT(53), upper FLOAT(53), probability FLOAT(53), label TEXT, extra TEXT, model_source TEXT, "
    "model TEXT, model_version TEXT, mlflow_run_id TEXT, kind TEXT NOT NULL, run_id TEXT NOT NULL, "
    "PRIMARY KEY (as_of_date, decision_time, signal, horizon))",
    "CREATE TABLE ledger_conflicts (run_id TEXT NOT NULL, as_of_date DATE NOT NULL, decision_time TEXT NOT "
    "NULL, signal TEXT NOT NULL, horizon TEXT NOT NULL, offered TEXT NOT NULL, reason TEXT NOT NULL)",
    "CREATE INDEX ix_ledger_signals_signal ON ledger_signals (signal, horizon, as_of_date)",
    "INSERT INTO ledger_schema VALUES (1, 'v1', '2024-01-01T00:00:00+00:00'), "
    "(2, 'v2', '2024-01-01T00:00:00+00:00')",
    "INSERT INTO ledger_runs VALUES ('old', 'backfill', '2024-01-01T00:00:00+00:00', '2021-01-04', "
    "'close', 'csv', '{}', NULL, '{}', '{}', 1, 1, 0, 0)",
    "INSERT INTO ledger_signals VALUES ('2021-01-04', 'close', 'seller.safe_range', '5d', 5, NULL, NULL, "
    "90.0, 110.0, 0.1, NULL, '{\"target_breach_probability\": 0.1}', 'model', 'seller.breach_5d', "
    "'2021-01-01T00.00.00.000Z', 'abc', 'backfill', 'old')",
]


def _raw(url: str):
    """A driver connection made here, not by the layer under test."""
    if url.startswith("duckdb:///"):
        import duckdb

        return duckdb.connect(url.removeprefix("duckdb:///"))
    import psycopg

    return psycopg.connect(url.replace("+psycopg", "", 1), autocommit=True)


def _query(url: str, sql: str) -> list[tuple]:
    conn = _raw(url)
    try:
        return [tuple(r) for r in conn.execute(sql).fetchall()]
    finally:
        conn.close()


def test_urls_are_parsed_without_sqlalchemy():
    assert db.duckdb_target("duckdb:///data/09_ledger/ledger.duckdb") == ("data/09_ledger/ledger.duckdb", {})
    absolute = db.duckdb_target("duckdb:////tmp/a%20b/l.duckdb?threads=1")
    assert absolute == ("/tmp/a b/l.duckdb", {"threads": "1"})
    assert db.duckdb_target("duckdb:///:memory:")[0] == db.duckdb_target("duckdb://")[0] == ":memory:"
    assert db.dialect_of("postgresql://u@h/d") == db.dialect_of("postgresql+psycopg://u@h/d") == "postgresql"
    assert db.postgres_conninfo("postgresql+psycopg://u:p@h:5/d?sslmode=require") == (
        "postgresql://u:p@h:5/d?sslmode=require"
    )
    with pytest.raises(ValueError, match="expected duckdb"):
        SignalLedger("sqlite:///x.db")
    assert _safe("postgresql+psycopg://aegis:s%40cret@db:5432/aegis?sslmode=require") == (
        "postgresql+psycopg://aegis:***@db:5432/aegis?sslmode=require"
    )
    assert _safe("postgresql://aegis@db/aegis") == "postgresql://aegis@db/aegis"
    assert _safe("duckdb:///data/09_ledger/ledger.duckdb") == "duckdb:///data/09_ledger/ledger.duckdb"


def test_tables_keep_the_portable_types_key_and_index(ledger_url):
    SignalLedger(ledger_url).migrate()
    found = _query(
        ledger_url,
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_name LIKE 'ledger_%'",
    )
    alias = {"varchar": "text", "double": "double precision"}  # DuckDB's names for TEXT and DOUBLE PRECISION
    types = {(t, c): alias.get(k.lower(), k.lower()) for t, c, k in found}
    assert {types[("ledger_signals", c)] for c in ("value", "lower", "upper", "probability")} == {
        "double precision"
    }
    assert (types[("ledger_signals", "as_of_date")], types[("ledger_runs", "data_as_of")]) == ("date", "date")
    assert types[("ledger_signals", "horizon_days")] == types[("ledger_schema", "version")] == "integer"
    assert set(types.values()) == {"date", "text", "integer", "double precision"} and len(types) == 63
    keys = _query(
        ledger_url,
        "SELECT k.table_name, k.column_name FROM information_schema.key_column_usage k JOIN "
        "information_schema.table_constraints c ON c.constraint_name = k.constraint_name "
        "AND c.table_name = k.table_name WHERE c.constraint_type = 'PRIMARY KEY' "
        "AND k.table_name LIKE 'ledger_%' ORDER BY k.table_name, k.ordinal_position",
    )
    assert [c for t, c in keys if t == "ledger_signals"] == list(KEY)
    assert {t for t, _ in keys} == {"ledger_schema", "ledger_runs", "ledger_signals", "ledger_snapshots"}
    indexes = (
        "SELECT sql FROM duckdb_indexes() WHERE index_name = 'ix_ledger_signals_signal'"
        if ledger_url.startswith("duckdb")
        else "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_ledger_signals_signal'"
    )
    assert "(signal, horizon, as_of_date)" in _query(ledger_url, indexes)[0][0]


def _write_legacy_ledger(url: str) -> None:
    """The ledger as the SQLAlchemy release left it (LEGACY_DDL), written with a driver connection."""
    conn = _raw(url)
    for statement in LEGACY_DDL:
        conn.execute(statement)
    conn.close()


def test_a_ledger_written_by_the_sqlalchemy_release_opens_and_appends(ledger_url):
    _write_legacy_ledger(ledger_url)
    ledger = SignalLedger(ledger_url)
    assert ledger.migrate() == SCHEMA_VERSION and ledger.count() == 1
    counts = ledger.append({"run_id": "new", "kind": "inference"}, make_rows(DATES))
    assert counts == {"offered": 5, "inserted": 4, "unchanged": 1, "conflicts": 0}
    conflict = ledger.append({"run_id": "newer", "kind": "inference"}, make_rows(DATES[:1], lower=1.0))
    assert conflict["conflicts"] == 1 and len(ledger.read_table("ledger_conflicts")) == 1
    back = ledger.read_signals()
    assert back["as_of_date"].tolist() == list(DATES) and (back["lower"] == 90.0).all()
    assert back.set_index("run_id").loc["old", "signal"] == "seller.safe_range"
    assert sorted(ledger.read_table("ledger_runs")["run_id"]) == ["new", "newer", "old"]


def test_an_error_mid_append_rolls_the_whole_run_back(ledger_url, monkeypatch):
    ledger = SignalLedger(ledger_url)
    ledger.append({"run_id": "a", "kind": "backfill"}, make_rows(DATES[:2]))
    insert = db.Connection.insert

    def fail_on_conflicts(self, table, records):
        if table == "ledger_conflicts":  # the run record and new rows are already written in this transaction
            raise RuntimeError("boom")
        insert(self, table, records)

    monkeypatch.setattr(db.Connection, "insert", fail_on_conflicts)
    offer = pd.concat([make_rows(DATES[:1], lower=1.0), make_rows(DATES[2:])], ignore_index=True)
    with pytest.raises(RuntimeError, match="boom"):
        ledger.append({"run_id": "b", "kind": "inference"}, offer)
    assert ledger.count() == 2 and list(ledger.read_table("ledger_runs")["run_id"]) == ["a"]


def test_plain_postgresql_url_reaches_the_same_ledger(postgres_database):
    plain = postgres_database.replace("postgresql+psycopg://", "postgresql://", 1)
    SignalLedger(plain).append({"run_id": "a", "kind": "backfill"}, make_rows(DATES))
    assert SignalLedger(postgres_database).count() == 5


def test_duckdb_file_folder_memory_and_no_lingering_lock(tmp_path):
    url = f"duckdb:///{tmp_path / 'deep' / 'er' / 'l.duckdb'}"
    ledger = SignalLedger(url)  # not closed: no handle may stay open between operations
    assert ledger.append({"run_id": "a", "kind": "backfill"}, make_rows(DATES))["inserted"] == 5
    other = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); c.execute('DELETE FROM ledger_signals')"
    subprocess.run([sys.executable, "-c", other, str(tmp_path / "deep/er/l.duckdb")], check=True, timeout=60)
    assert ledger.count() == 0
    memory = SignalLedger("duckdb:///:memory:")
    assert memory.append({"run_id": "a", "kind": "backfill"}, make_rows(DATES))["inserted"] == 5
    assert memory.count() == 5 and len(memory.read_signals()) == 5
    memory.close()


def test_a_ledger_write_imports_no_sqlalchemy(tmp_path):
    code = textwrap.dedent(f"""
        import sys
        import pandas as pd
        from aegismatrix.ledger.store import SignalLedger
        rows = pd.DataFrame({{"as_of_date": [pd.Timestamp("2021-01-04")], "decision_time": "close",
                              "signal": "s", "horizon": "5d", "model_source": "model", "lower": 1.0}})
        ledger = SignalLedger({f"duckdb:///{tmp_path / 'l.duckdb'}"!r})
        print(ledger.append({{"run_id": "a", "kind": "inference"}}, rows)["inserted"], ledger.count())
        ledger.close()
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "duckdb_engine", "psycopg")))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["1 1", "[]"]


def test_a_password_in_the_url_query_never_reaches_a_log_line(caplog):
    """Issue 26 item 8: `?password=` was logged in clear (only user:password@ was masked)."""
    from kedro.io.core import DatasetError

    from aegismatrix.datasets.ledger import SignalLedgerDataset

    url = "postgresql+psycopg://aegis@127.0.0.1:1/aegis?sslmode=disable&password=s3cret&connect_timeout=1"
    assert _safe(url) == (
        "postgresql+psycopg://aegis@127.0.0.1:1/aegis?sslmode=disable&password=***&connect_timeout=1"
    )
    assert "s3cret" not in db.redact(f"could not open {url} (PGPASSWORD=x)")
    dataset = SignalLedgerDataset(url=url)
    with caplog.at_level("DEBUG"), pytest.raises(DatasetError) as failed:
        dataset.save({"run": {"run_id": "r", "kind": "inference"}, "rows": make_rows(DATES)})
    assert "s3cret" not in str(dataset) + str(failed.value) + caplog.text


def test_an_older_ledger_gains_the_market_column_and_keeps_its_rows(ledger_url):
    _write_legacy_ledger(ledger_url)
    ledger = SignalLedger(ledger_url)
    assert ledger.migrate() == SCHEMA_VERSION == 4
    columns = _query(
        ledger_url, "SELECT table_name FROM information_schema.columns WHERE column_name = 'market'"
    )
    assert sorted(t for (t,) in columns) == ["ledger_signals", "ledger_snapshots"]
    old = ledger.read_signals()
    assert len(old) == 1 and old["market"].isna().all() and old["upper"].iloc[0] == 110.0
    market = '{"p_expire_beyond_market": 0.07, "p_touch_market": 0.15}'
    counts = ledger.append({"run_id": "new", "kind": "backfill"}, make_rows(DATES).assign(market=market))
    assert counts == {"offered": 5, "inserted": 4, "unchanged": 1, "conflicts": 0, "market_filled": 1}
    assert (ledger.read_signals()["market"] == market).all()  # the old row's blank filled, its values kept
    history = ledger.read_table("ledger_schema").set_index("version")
    assert ledger.migrate() == 4 and "market" in history.loc[4, "description"]
