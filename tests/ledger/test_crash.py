"""A SIGKILL in the middle of a ledger write (a real subprocess) leaves exactly the rows of completed runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd

from aegismatrix.ledger.store import SignalLedger

from .conftest import make_rows

CHILD = textwrap.dedent("""
    import sys, time
    import pandas as pd
    sys.path.insert(0, {tests!r})
    from ledger.conftest import make_rows
    from aegismatrix.ledger import db
    from aegismatrix.ledger.store import SignalLedger

    ledger = SignalLedger({url!r})
    ledger.append({{"run_id": "done", "kind": "backfill"}},
                  make_rows(pd.bdate_range("2021-01-04", periods=20)))
    print("RUN-1-COMMITTED", flush=True)

    execute = db.Connection.execute

    def stall(self, sql, params=()):
        rows = execute(self, sql, params)
        if sql.startswith("INSERT INTO ledger_signals"):
            print("RUN-2-ROWS-WRITTEN", flush=True)  # rows are in the open transaction, not committed
            time.sleep(120)
        return rows

    db.Connection.execute = stall
    ledger.append({{"run_id": "killed", "kind": "inference"}},
                  make_rows(pd.bdate_range("2021-06-01", periods=30)))
""")


def _wait_for(proc: subprocess.Popen, line: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = proc.stdout.readline()
        if got.strip() == line:
            return
        if not got and proc.poll() is not None:
            raise AssertionError(
                f"child exited {proc.returncode} before {line}: {proc.stderr.read()[-2000:]}"
            )
    raise AssertionError(f"no {line} within {timeout}s")


def test_sigkill_mid_write_leaves_only_completed_runs(ledger_url):
    tests = os.path.dirname(os.path.dirname(__file__))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(tests=tests, url=ledger_url)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(proc, "RUN-1-COMMITTED")
        _wait_for(proc, "RUN-2-ROWS-WRITTEN")
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    ledger = SignalLedger(ledger_url)  # the ledger opens (DuckDB replays its WAL, PostgreSQL rolls back)
    assert ledger.count() == 20
    assert list(ledger.read_table("ledger_runs")["run_id"]) == ["done"]
    assert ledger.read_signals()["as_of_date"].max() == pd.Timestamp("2021-01-29")
    after = ledger.append(
        {"run_id": "after", "kind": "inference"}, make_rows(pd.bdate_range("2021-06-01", periods=30))
    )
    assert after["inserted"] == 30  # and it takes the next run normally
    ledger.close()
