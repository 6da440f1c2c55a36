"""Shared fixtures: offline by default, real data when ../shared/data/real exists."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "1")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REAL_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The real market history; tests that need it are skipped cleanly when it is absent."""
    if not (REAL_DATA_DIR / "nifty50.csv").exists():
        pytest.skip(f"real data not found at {REAL_DATA_DIR}")
    return REAL_DATA_DIR
