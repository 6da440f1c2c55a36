"""Issue 12 finding 1, with real `kedro run` subprocesses in a project copy: overlapping runs each publish a
self-consistent payload (spot, ranges, provenance from ONE input), and a training run killed midway leaves the
previous release served."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from aegismatrix.ledger.store import SignalLedger
from aegismatrix.market.synthetic import synthetic_market_daily

pytestmark = pytest.mark.e2e
KEDRO = str(Path(sys.executable).with_name("kedro"))
ENV = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
# The training runs' data, by engine-agnostic switches: offline synthetic bars without the universe panel
# (the pooled model trains on NIFTY's rows) or intraday bars; releases are under test, not the models.
SMALL_DATA = ["--params", "data_ingestion.source=synthetic,data_ingestion.universe=null,"
              "data_ingestion.intraday.enabled=false"]


def _csv_dir(folder: Path, scale: float, end: str) -> Path:
    """nifty50/indiavix CSVs from one simulation, prices scaled so each input is recognisable in a payload."""
    sim = synthetic_market_daily(years=3, seed=5, end=end)
    folder.mkdir(parents=True)
    prices = ["open", "high", "low", "close"]
    sim.assign(**{c: sim[c] * scale for c in prices})[["date", *prices, "volume"]].to_csv(
        folder / "nifty50.csv", index=False)
    vix = pd.DataFrame({"date": sim["date"], "open": sim["vix_close"], "high": sim["vix_high"],
                        "low": sim["vix_low"], "close": sim["vix_close"]})
    vix.to_csv(folder / "indiavix.csv", index=False)
    (folder / "us").mkdir()  # the overnight US session the default feature sets use
    sim[["date", *prices, "volume"]].assign(**{c: sim[c] / 5 for c in prices}).to_csv(
        folder / "us" / "sp500.csv", index=False)
    vix.to_csv(folder / "us" / "vix.csv", index=False)
    return folder


def _start(project: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([KEDRO, "run", *args], cwd=project, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _inference(csv_dir: Path) -> list[str]:
    params = (f"data_ingestion.source=csv,data_ingestion.csv_dir={csv_dir},data_ingestion.lookback_years=2,"
              "data_ingestion.intraday.enabled=false")
    return ["--pipelines=inference", "--params", params]


def _payloads(project: Path) -> list[dict]:
    folder = project / "data" / "07_model_output" / "aegismatrix_payload.json"
    return [json.loads((v / "aegismatrix_payload.json").read_text()) for v in sorted(folder.iterdir())]


def _close_on(csv_dir: Path, day: str) -> float:
    frame = pd.read_csv(csv_dir / "nifty50.csv", parse_dates=["date"])
    return float(frame.loc[frame["date"] == day, "close"].iloc[0])


def test_overlapping_inference_runs_publish_self_consistent_payloads(tmp_path, copy_project_to):
    project = copy_project_to(tmp_path / "project")
    inputs = {"A": _csv_dir(tmp_path / "A", 1.0, "2022-12-30"),
              "B": _csv_dir(tmp_path / "B", 2.0, "2022-12-23")}
    first = _start(project, *_inference(inputs["A"]))
    time.sleep(1.0)
    second = _start(project, *_inference(inputs["B"]))
    for proc in (first, second):
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out[-3000:]
    payloads = _payloads(project)
    assert {p["data_as_of"] for p in payloads} == {"2022-12-30", "2022-12-23"}
    for payload in payloads:
        source = inputs["A"] if payload["data_as_of"] == "2022-12-30" else inputs["B"]
        spot = payload["market"]["spot"]
        assert spot == pytest.approx(_close_on(source, payload["data_as_of"]))
        # ranges from the same input as the spot (1747 vs 1810 in #1)
        for rng in payload["seller"]["safe_ranges"]:
            assert 0.7 * spot < rng["lower"] < spot < rng["upper"] < 1.3 * spot
        assert payload["data"]["provenance"]["nifty50"]["last_date"] == payload["data_as_of"]
        assert payload["data"]["provenance"]["nifty50"]["origin"] == "csv:nifty50.csv"
    # issue 26: whichever run finishes last, the newer data stays published and both runs are recorded
    published = json.loads((project / "data" / "07_model_output" / "aegismatrix.json").read_text())
    assert published["data_as_of"] == "2022-12-30"
    ledger = SignalLedger(f"duckdb:///{project / 'data' / '09_ledger' / 'ledger.duckdb'}")
    try:
        recorded = set(ledger.read_table("ledger_runs")["data_as_of"].astype(str))
    finally:
        ledger.close()
    assert recorded == {"2022-12-30", "2022-12-23"}


def _model_versions(project: Path, engine: str) -> set[str]:
    root = project / "data" / "06_models" / engine
    return {v.name for model in root.iterdir() for v in model.iterdir()} if root.exists() else set()


def test_killed_training_run_leaves_the_previous_release_served(tmp_path, copy_project_to):
    project = copy_project_to(tmp_path / "project")
    trained = subprocess.run([KEDRO, "run", "--pipelines=buyer", *SMALL_DATA], cwd=project, env=ENV,
                             capture_output=True, text=True, timeout=900)
    assert trained.returncode == 0, trained.stdout[-3000:] + trained.stderr[-3000:]
    releases = project / "data" / "06_models" / "releases"
    latest = json.loads((releases / "latest.json").read_text())["release_id"]
    release = json.loads((releases / f"{latest}.json").read_text())
    assert set(release["models"]) == {"buyer.breakout", "buyer.spike", "buyer.theta", "buyer.breakout_pooled"}
    before = _model_versions(project, "buyer")

    killed = _start(project, "--pipelines=buyer", *SMALL_DATA)
    deadline = time.time() + 600
    while time.time() < deadline and _model_versions(project, "buyer") == before:
        time.sleep(0.2)
    os.killpg(killed.pid, signal.SIGKILL)  # midway: at least one new bundle saved, the run never finished
    killed.communicate(timeout=60)
    assert _model_versions(project, "buyer") != before, (
        "the second training run saved no bundle before the deadline")
    assert json.loads((releases / "latest.json").read_text())["release_id"] == release["release_id"]
    assert len(list(releases.glob("2*.json"))) == 1

    served = subprocess.run([KEDRO, "run", "--pipelines=inference", *SMALL_DATA], cwd=project, env=ENV,
                            capture_output=True, text=True, timeout=900)
    assert served.returncode == 0, served.stdout[-3000:] + served.stderr[-3000:]
    payload = json.loads((project / "data" / "07_model_output" / "aegismatrix.json").read_text())
    for ns, version in release["models"].items():
        assert payload["models"][ns]["version"] == version  # never the killed run's newer bundle
