"""Issue 12 findings 8 and 9 with real `kedro run` subprocesses: a run started from src/ writes under the
project root, never src/data; a run that fails validation leaves no version behind for a later run to read."""

from __future__ import annotations

import json
import subprocess

import pandas as pd
import pytest

from aegismatrix.releases.manifest import VERSION

from .test_overlapping_runs import ENV, KEDRO, _csv_dir, _inference

pytestmark = pytest.mark.e2e


def test_run_from_src_writes_under_the_project_root(tmp_path, copy_project_to):
    project = copy_project_to(tmp_path / "project")
    csv = _csv_dir(tmp_path / "csv", 1.0, "2022-12-30")
    run = subprocess.run([KEDRO, "run", *_inference(csv)], cwd=project / "src", env=ENV, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert not (project / "src" / "data").exists()
    payload = json.loads((project / "data" / "07_model_output" / "aegismatrix.json").read_text())
    assert payload["data_as_of"] == "2022-12-30"
    assert payload["data"]["provenance"]["nifty50"]["origin"] == "csv:nifty50.csv"  # no absolute local path
    assert str(tmp_path) not in json.dumps(payload)


def test_failed_validation_leaves_no_version_behind(tmp_path, copy_project_to):
    project = copy_project_to(tmp_path / "project")
    csv = _csv_dir(tmp_path / "csv", 1.0, "2022-12-30")
    index = pd.read_csv(csv / "nifty50.csv")
    index.loc[index.index[-5:], ["open", "high", "low", "close"]] /= 10  # a 1:10 split on the latest rows
    index.to_csv(csv / "nifty50.csv", index=False)
    params = f"data_ingestion.source=csv,data_ingestion.csv_dir={csv},data_ingestion.lookback_years=2"
    run = subprocess.run([KEDRO, "run", "--pipelines=data_ingestion", "--params", params], cwd=project,
                         env=ENV, capture_output=True, text=True, timeout=600)
    assert run.returncode != 0
    assert "check 'price_jump' failed" in run.stdout + run.stderr
    left = [p for p in (project / "data").rglob("*") if p.is_dir() and VERSION.match(p.name)]
    assert left == []  # raw_market_daily was saved before validation failed; the failed run removed it
