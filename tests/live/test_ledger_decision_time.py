"""A ledger that knows the decision time: close/preopen rows are scored signals, intraday rows are snapshots
(kept, never scored), a close row of a session that had not completed is never a close signal, and the
migration moves rows an older release recorded from a developing bar."""

from __future__ import annotations

import pandas as pd

from aegismatrix.ledger import schema as S
from aegismatrix.ledger.db import Database
from aegismatrix.ledger.scorecard import build_scorecard
from aegismatrix.ledger.store import SignalLedger

from .conftest import make_rows

DAY = pd.Timestamp("2024-01-31")


def _run(run_id: str, decision_time: str, instant: str | None = None, source: str = "yfinance") -> dict:
    session = ({"instant": instant, "last_completed_session": "2024-01-30" if instant < "2024-01-31T10:10"
                else "2024-01-31"} if instant else None)
    return {"run_id": run_id, "kind": "inference", "data_as_of": DAY, "decision_time": decision_time,
            "provenance": {"source": source, **({"session": session} if session else {})},
            "data_source": source, "model_versions": {}, "mlflow_run_ids": {}}


def _rows(decision_time: str, lower: float = 90.0, day=DAY) -> pd.DataFrame:
    return make_rows([day], lower=lower).assign(decision_time=decision_time)


def test_intraday_rows_are_snapshots_one_per_instant(ledger_url):
    ledger = SignalLedger(ledger_url)
    at_11 = ledger.append(_run("a", "intraday", "2024-01-31T05:30:00Z"), _rows("intraday", 91.0))
    at_13 = ledger.append(_run("b", "intraday", "2024-01-31T07:30:00Z"), _rows("intraday", 92.0))
    again = ledger.append(_run("c", "intraday", "2024-01-31T07:30:00Z"), _rows("intraday", 92.0))
    assert at_11["snapshots"] == at_13["snapshots"] == 1 and again["unchanged"] == 1
    snaps = ledger.read_snapshots()
    assert list(snaps["snapshot_at"]) == ["2024-01-31T05:30:00Z", "2024-01-31T07:30:00Z"]
    assert list(snaps["lower"]) == [91.0, 92.0] and ledger.count() == 0  # nothing to score
    close = ledger.append(_run("d", "close", "2024-01-31T10:15:00Z"), _rows("close", 93.0))
    assert close == {"offered": 1, "inserted": 1, "unchanged": 0, "conflicts": 0}
    signals = ledger.read_signals()
    assert list(signals["decision_time"]) == ["close"] and list(signals["lower"]) == [93.0]


def test_a_close_row_of_an_open_session_is_never_a_close_signal(ledger_url):
    ledger = SignalLedger(ledger_url)
    # an inference run at 11:00 IST whose frames still ended on the developing day: kept as a snapshot
    counts = ledger.append(_run("a", "close", "2024-01-31T05:30:00Z"), _rows("close", 91.0))
    assert counts["snapshots"] == 1 and ledger.count() == 0
    # the 15:45 run with the final bar records the close signal; nothing earlier stands in its way
    final = ledger.append(_run("b", "close", "2024-01-31T10:15:00Z"), _rows("close", 95.0))
    assert final["inserted"] == 1 and final["conflicts"] == 0
    later = ledger.append(_run("c", "close", "2024-02-01T03:30:00Z"), _rows("close", 95.5))
    assert later["conflicts"] == 1  # a revised bar the next morning replaces nothing (keep-first)
    assert list(ledger.read_signals()["lower"]) == [95.0]
    assert len(ledger.read_snapshots()) == 1


def test_scorecard_scores_close_rows_only():
    from tests.ledger.test_scorecard import PARAMS

    market = pd.DataFrame({"date": pd.bdate_range("2024-01-29", periods=12), "close": 100.0, "high": 101.0,
                           "low": 99.0, "open": 100.0, "vix_close": 14.0})
    close = make_rows(market["date"][:3], lower=90.0, upper=110.0)
    intraday = make_rows(market["date"][:3], lower=99.5, upper=100.5).assign(decision_time="intraday")
    card = build_scorecard(pd.concat([close, intraday], ignore_index=True), market, PARAMS, 0.1)
    assert card["n_matured_5d"] == 3 and card["breach_rate_5d"] == 0.0  # the tight intraday rows would breach


def test_migration_moves_rows_recorded_from_a_developing_bar(ledger_url):
    database = Database(ledger_url)
    with database.begin() as conn:
        assert S.migrate(conn, upto=2) == 2
        for run_id, at in (("early", "2024-01-31T05:30:00+00:00"), ("final", "2024-02-01T10:15:00+00:00")):
            conn.insert(S.RUNS, [{"run_id": run_id, "kind": "inference", "recorded_at": at,
                                  "data_as_of": pd.Timestamp(at[:10]).date(),
                                  "decision_time": "close", "data_source": "yfinance", "provenance": "{}",
                                  "release": None, "model_versions": "{}", "mlflow_run_ids": "{}",
                                  "n_offered": 1, "n_inserted": 1, "n_unchanged": 0, "n_conflicts": 0}])
        for run_id, day in (("early", DAY), ("final", DAY + pd.Timedelta(days=1))):
            row = make_rows([day]).iloc[0].to_dict()
            row.update(as_of_date=day.date(), expiry=None, value=None, kind="inference", run_id=run_id)
            conn.insert(S.SIGNALS, [row])
    ledger = SignalLedger(ledger_url)
    assert ledger.migrate() == S.SCHEMA_VERSION
    assert list(ledger.read_signals()["run_id"]) == ["final"]  # recorded at 15:45 IST of its session
    snaps = ledger.read_snapshots()  # recorded at 11:00 IST while its session was open
    assert list(snaps["run_id"]) == ["early"] and list(snaps["snapshot_at"]) == ["2024-01-31T05:30:00Z"]


def test_an_intraday_frame_names_its_instants(ledger_url):
    from aegismatrix.ledger.rows import ledger_rows

    times = pd.to_datetime(["2024-01-31 11:00", "2024-01-31 13:00"]).tz_localize("Asia/Kolkata")
    frame = pd.DataFrame({"date": [DAY, DAY], "lower": [95.0, 96.0], "upper": [105.0, 104.0],
                          "p": [0.1, 0.1], "model_source": "heuristic", "at": times})
    spec = {"signal": "seller.intraday_range", "frame": "intraday_signals", "lower": "lower",
            "upper": "upper", "probability": "p", "horizon_days": 1, "snapshot_column": "at"}
    rows = ledger_rows({"intraday_signals": frame}, [spec], [DAY], "intraday")
    counts = SignalLedger(ledger_url).append(_run("a", "intraday"), rows)  # a backfill of two times a day
    assert counts["snapshots"] == 2
    snaps = SignalLedger(ledger_url).read_snapshots()
    assert list(snaps["snapshot_at"]) == ["2024-01-31T05:30:00Z", "2024-01-31T07:30:00Z"]
