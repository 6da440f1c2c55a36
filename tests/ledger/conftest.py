"""Ledger fixtures: every store test runs on an embedded DuckDB file and on the session's real PostgreSQL."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(params=["duckdb", "postgresql"])
def ledger_url(request, tmp_path):
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'ledger.duckdb'}"
    return request.getfixturevalue("postgres_database")


def make_rows(
    dates,
    signal: str = "seller.safe_range",
    horizon_days: int = 5,
    lower: float = 90.0,
    upper: float = 110.0,
    probability: float = 0.1,
) -> pd.DataFrame:
    """Ledger rows in the store's contract, one per date."""
    dates = pd.to_datetime(pd.Series(list(dates)))
    return pd.DataFrame(
        {
            "as_of_date": dates,
            "decision_time": "close",
            "signal": signal,
            "horizon": f"{horizon_days}d",
            "horizon_days": horizon_days,
            "expiry": pd.NaT,
            "value": np.nan,
            "lower": lower,
            "upper": upper,
            "probability": probability,
            "label": None,
            "extra": '{"target_breach_probability": 0.1}',
            "model_source": "model",
            "model": "seller.breach_5d",
            "model_version": "2021-01-01T00.00.00.000Z",
            "mlflow_run_id": "abc",
        }
    )
