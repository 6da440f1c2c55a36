"""Issue 26 defect 2: DuckDB did not wait for its lock; another process holding the ledger failed the run at
once. Now a connection retries with backoff up to `lock_timeout_s`, then names the file and the holder."""

from __future__ import annotations

import subprocess
import sys
import time

import pandas as pd
import pytest

from aegismatrix.datasets.ledger import SignalLedgerDataset
from aegismatrix.ledger.db import LedgerLockTimeout

from .conftest import make_rows

HOLDER = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('HOLDING', flush=True); " \
         "time.sleep(float(sys.argv[2]))"


def _hold(path, seconds: float) -> subprocess.Popen:
    """Another process that holds the DuckDB file's lock for `seconds`."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "HOLDING"
    return proc


def _append(path, timeout: float) -> None:
    run = {"run_id": f"r{time.monotonic_ns()}", "kind": "inference"}
    SignalLedgerDataset(filepath=str(path), lock_timeout_s=timeout).save(
        {"run": run, "rows": make_rows(pd.bdate_range("2021-01-04", periods=3))})


def test_a_held_ledger_is_waited_for_then_written(tmp_path):
    path = tmp_path / "ledger.duckdb"
    holder = _hold(path, 1.5)
    try:
        started = time.monotonic()
        _append(path, timeout=30)
        assert time.monotonic() - started >= 0.5  # it waited for the holder instead of failing
    finally:
        holder.kill()
        holder.wait()
    assert SignalLedgerDataset(filepath=str(path)).load()["as_of_date"].nunique() == 3


def test_a_ledger_held_past_the_timeout_fails_naming_the_file_and_the_timeout(tmp_path):
    path = tmp_path / "ledger.duckdb"
    holder = _hold(path, 30)
    try:
        started = time.monotonic()
        with pytest.raises(Exception) as failed:
            _append(path, timeout=0.6)
        assert time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()
    error = failed.value.__cause__ or failed.value
    assert isinstance(error, LedgerLockTimeout)
    assert str(path) in str(error) and "0.6 s" in str(error) and "lock_timeout_s" in str(error)
