"""The signal ledger on DuckDB and on a real PostgreSQL server: keep-first appends, conflicts, migrations."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from aegismatrix.ledger import schema as S
from aegismatrix.ledger.db import Database
from aegismatrix.ledger.store import LedgerError, SignalLedger

from .conftest import make_rows

DATES = pd.bdate_range("2021-01-04", periods=10)


def _run(run_id: str, kind: str = "inference") -> dict:
    return {
        "run_id": run_id,
        "kind": kind,
        "data_as_of": DATES[-1],
        "model_versions": {"seller.breach_5d": "v1"},
        "mlflow_run_ids": {"seller.breach_5d": "abc"},
        "provenance": {"source": "csv"},
        "data_source": "csv",
    }


def test_append_is_idempotent_and_keeps_the_first_served_values(ledger_url):
    ledger = SignalLedger(ledger_url)
    first = ledger.append(_run("a"), make_rows(DATES))
    assert first == {"offered": 10, "inserted": 10, "unchanged": 0, "conflicts": 0}
    again = ledger.append(_run("b"), make_rows(DATES))  # a rerun: nothing written, not even a run record
    assert again == {"offered": 10, "inserted": 0, "unchanged": 10, "conflicts": 0}
    assert ledger.count() == 10 and list(ledger.read_table("ledger_runs")["run_id"]) == ["a"]
    changed = make_rows(DATES[-3:], lower=95.0)  # a retrained model serving other numbers for known keys
    more = make_rows(pd.bdate_range(DATES[-1] + pd.Timedelta(days=1), periods=2))
    counts = ledger.append(_run("c"), pd.concat([changed, more], ignore_index=True))
    assert counts == {"offered": 5, "inserted": 2, "unchanged": 0, "conflicts": 3}
    stored = ledger.read_signals()
    assert len(stored) == 12 and (stored["lower"] == 90.0).all()  # first wins
    refused = ledger.read_table("ledger_conflicts")
    assert len(refused) == 3 and {json.loads(o)["lower"] for o in refused["offered"]} == {95.0}
    runs = ledger.read_table("ledger_runs").set_index("run_id")
    assert runs.loc["c", "n_inserted"] == 2 and runs.loc["c", "n_conflicts"] == 3
    assert json.loads(runs.loc["a", "mlflow_run_ids"]) == {"seller.breach_5d": "abc"}
    ledger.close()


def test_rows_round_trip_with_types(ledger_url):
    ledger = SignalLedger(ledger_url)
    rows = make_rows(DATES[:2])
    rows.loc[1, ["lower", "upper", "probability"]] = [None, None, None]
    rows["expiry"] = pd.Timestamp("2021-01-28")
    ledger.append(_run("a"), rows)
    back = ledger.read_signals()
    assert back["as_of_date"].tolist() == list(DATES[:2]) and back["expiry"].iloc[0] == pd.Timestamp(
        "2021-01-28"
    )
    assert (
        back["lower"].iloc[0] == 90.0
        and pd.isna(back["lower"].iloc[1])
        and back["horizon_days"].tolist() == [5, 5]
    )
    assert set(back["kind"]) == {"inference"} and set(back["run_id"]) == {"a"}


def test_duplicate_keys_in_one_offer_are_refused(ledger_url):
    ledger = SignalLedger(ledger_url)
    with pytest.raises(LedgerError, match="share a key"):
        ledger.append(_run("a"), make_rows([DATES[0], DATES[0]]))
    assert ledger.count() == 0


def test_an_older_schema_is_migrated_in_place(ledger_url):
    database = Database(ledger_url)
    with database.begin() as conn:
        assert S.migrate(conn, upto=1) == 1
    ledger = SignalLedger(ledger_url)
    ledger.append(
        _run("a"), make_rows(DATES[:3])
    )  # an append migrates first (version 2 adds ledger_conflicts)
    history = ledger.read_table("ledger_schema")
    assert sorted(history["version"]) == list(range(1, S.SCHEMA_VERSION + 1)) and ledger.count() == 3
    assert ledger.migrate() == S.SCHEMA_VERSION
    with database.begin() as conn:
        conn.execute("INSERT INTO ledger_schema VALUES (?, ?, ?)", [99, "from the future", "x"])
    with pytest.raises(S.LedgerSchemaError, match="newer"):
        ledger.migrate()
