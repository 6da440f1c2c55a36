"""Fixtures of the live-day tests: a ledger on DuckDB and on the session's PostgreSQL, ledger rows."""

from __future__ import annotations

import pytest

from tests.ledger.conftest import make_rows  # noqa: F401 - the ledger tests' row builder, shared


@pytest.fixture(params=["duckdb", "postgresql"])
def ledger_url(request, tmp_path):
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'ledger.duckdb'}"
    return request.getfixturevalue("postgres_database")
