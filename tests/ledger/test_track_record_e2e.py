"""Done-when of issue 15 on real NIFTY/VIX: train the seller to 2020-12-31, infer to 2022-12-30, backfill
from 2021-01-01, score; the scorecard's breach rates equal a direct computation from the served ranges and the
realised highs and lows; reruns add no rows; the ledger names the MLflow run that trained the served
models. With December 2021's NSE option files in options_dir, the backfilled expiry ranges of those days keep
the market's probabilities beside the model's and the scorecard scores both on the same strikes (issue 22)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from aegismatrix.ledger import SignalLedger

pytestmark = [pytest.mark.e2e, pytest.mark.real_data]
FAST = {"splits": {"n_folds": 2}, "tuning": {"n_trials": 0}, "bootstrap": {"n_boot": 50}}


def _run(project: Path, pipeline: str, params: dict) -> None:
    with KedroSession.create(project_path=project, runtime_params=params) as session:
        session.run(pipeline_names=[pipeline])


def _versions(path: Path) -> list[Path]:
    return sorted(p / path.name for p in path.iterdir() if not p.name.startswith("."))


@pytest.fixture(scope="module")
def record(tmp_path_factory, copy_project_to, small_models, real_data_dir):
    from aegismatrix.pipelines.inference import pipeline as inference_pipeline

    patch = pytest.MonkeyPatch()
    patch.setattr(inference_pipeline, "ENGINES", ("seller",))  # the seller serves the ranges scored here
    project = copy_project_to(tmp_path_factory.mktemp("track_record"))
    bootstrap_project(project)
    # three training years, no universe panel (pooled models train on NIFTY rows): ranges are scored here
    ingestion = {"source": "csv", "csv_dir": str(real_data_dir), "start": "2018-01-01", "end": "2020-12-31",
                 "universe": None}
    _run(project, "seller", {"data_ingestion": ingestion, "seller": small_models("seller", FAST)})
    options = project / "options"  # one month of chains keeps ingestion to seconds
    options.mkdir()
    for path in (real_data_dir / "options" / "nse_contract_wise").glob("*02-Dec-2021_TO_31-Dec-2021*"):
        shutil.copy(path, options / path.name)
    later = {
        "data_ingestion": {**ingestion, "end": "2022-12-30", "options_dir": str(options)},
        "inference": {
            "payload_path": str(project / "data/07_model_output/aegismatrix.json"),
            "dashboard_dir": None,
        },
    }
    _run(project, "inference", later)
    served = pd.read_parquet(
        _versions(project / "data/07_model_output/seller_signals.parquet")[-1]
    )  # inference's
    _run(project, "backfill", {**later, "backfill": {"start": "2021-01-01"}})
    _run(project, "scorecard", later)
    ledger = SignalLedger(f"duckdb:///{project / 'data/09_ledger/ledger.duckdb'}")
    counts = {"after_backfill": ledger.count()}
    _run(project, "backfill", {**later, "backfill": {"start": "2021-01-01"}})
    _run(project, "inference", later)
    counts["after_reruns"] = ledger.count()
    patch.undo()
    yield {
        "project": project,
        "served": served,
        "ledger": ledger,
        "counts": counts,
        "scorecard": json.loads((project / "data/08_reporting/scorecard.json").read_text()),
        "market": pd.read_parquet(_versions(project / "data/03_primary/market_daily.parquet")[-1]),
    }
    ledger.close()


def _direct_breach_rate(market: pd.DataFrame, served: pd.DataFrame, h: int) -> tuple[float, int]:
    """Loop over the served ranges from 2021-01-01: matured when the data hold t+h; breach = any high above
    the upper or low below the lower level in sessions t+1..t+h."""
    market = market.sort_values("date").reset_index(drop=True)
    index = {d: i for i, d in enumerate(pd.to_datetime(market["date"]))}
    high, low, hits, n = market["high"].to_numpy(), market["low"].to_numpy(), 0, 0
    for row in served[served["date"] >= "2021-01-01"].itertuples(index=False):
        i = index[pd.Timestamp(row.date)]
        if i + h < len(market):
            n += 1
            hits += bool(
                high[i + 1 : i + h + 1].max() > getattr(row, f"safe_upper_{h}d")
                or low[i + 1 : i + h + 1].min() < getattr(row, f"safe_lower_{h}d")
            )
    return hits / n, n


def test_scorecard_breach_rates_equal_the_direct_computation(record):
    card = record["scorecard"]
    assert card["market_last_date"] == "2022-12-30" and card["first_as_of"] >= "2021-01-01"
    for h in (5, 21):
        rate, n = _direct_breach_rate(record["market"], record["served"], h)
        assert n > 400 and card[f"n_matured_{h}d"] == n and card[f"n_pending_{h}d"] == h
        assert card[f"breach_rate_{h}d"] == pytest.approx(rate, abs=1e-12)
    assert np.isfinite(card["vol_rmse_ratio_to_naive"]) and card["volatility"]["n_matured"] > 400


def test_reruns_add_no_rows_and_backfill_rows_are_marked(record):
    assert record["counts"]["after_backfill"] == record["counts"]["after_reruns"] > 1000
    rows = record["ledger"].read_signals()
    assert set(rows["kind"]) == {"inference", "backfill"}
    assert (rows.loc[rows["kind"] == "inference", "as_of_date"] == pd.Timestamp("2022-12-30")).all()
    assert not rows.duplicated(["as_of_date", "decision_time", "signal", "horizon"]).any()
    runs = record["ledger"].read_table("ledger_runs")
    assert sorted(runs["kind"]) == ["backfill", "inference"]  # the reruns wrote nothing at all


def test_ledger_records_the_mlflow_run_of_the_served_models(record):
    project = record["project"]
    releases = json.loads((project / "data/10_tracking/releases.json").read_text())
    (entry,) = releases.values()
    rows = record["ledger"].read_signals("seller.safe_range")
    assert set(rows["mlflow_run_id"]) == {entry["run_id"]}
    assert list((project / "data/10_tracking/mlruns").glob(f"*/{entry['run_id']}/meta.yaml"))
    payload = json.loads((project / "data/07_model_output/aegismatrix.json").read_text())
    assert payload["track_record"]["available"] is True
    assert payload["track_record"]["breach_rate_21d"] == record["scorecard"]["breach_rate_21d"]


def test_backfilled_expiry_ranges_keep_the_market_beside_the_model(record):
    rows = record["ledger"].read_signals("seller.expiry_range")
    priced = rows[rows["market"].notna()]
    assert len(priced) > 20 and set(priced["as_of_date"].dt.strftime("%Y-%m")) == {"2021-12"}
    known = [v for v in (json.loads(m)["p_expire_beyond_market"] for m in priced["market"]) if v is not None]
    assert len(known) > 20 and all(0 < v < 1 for v in known)  # null where a strike has a price but no IV
    block = record["scorecard"]["market_vs_model"]["seller.expiry_range"]
    assert block["n_matured_with_market"] == len(priced) and block["n_pending_with_market"] == 0
    for event in ("touch", "expire_beyond"):
        scored = block["events"][event]
        assert scored["n"] > 20 and scored["n_expiries"] >= 4
        assert 0 <= scored["model"]["brier"] <= 1 and 0 <= scored["market"]["brier"] <= 1
