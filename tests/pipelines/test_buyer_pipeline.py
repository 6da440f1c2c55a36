"""End to end: the buyer pipeline on synthetic data in a temporary copy of the project (the session's training
run of every engine, tests/pipelines/conftest.py), then the inference pipeline from the frozen models it
saved."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro.runner import SequentialRunner

from aegismatrix.pipelines.buyer import MODEL_NAMESPACES, create_inference_pipeline, create_pipeline
from aegismatrix.pipelines.buyer.nodes import SIGNAL_COLUMNS


def test_pipelines_follow_the_engine_conventions():
    assert MODEL_NAMESPACES == ["buyer.breakout", "buyer.spike", "buyer.theta", "buyer.breakout_pooled"]
    train, infer = create_pipeline(), create_inference_pipeline()
    assert {"buyer_signals", "gamma_windows", "buyer_metrics_summary"} <= train.all_outputs()
    assert {"buyer_signals", "gamma_windows"} <= infer.all_outputs()
    assert {f"{ns}.model" for ns in MODEL_NAMESPACES} <= infer.inputs()


@pytest.fixture(scope="module")
def trained_project(trained_copy, trained_engines):
    """A copy of the session's trained project (the buyer trained on synthetic data with the global26 panel
    for the pooled breakout), then the buyer inference pipeline on the frozen models."""
    tmp = trained_copy("buyer_project")
    bootstrap_project(tmp)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)  # relative dataset paths and the Optuna journal land in the copy
        with KedroSession.create(project_path=tmp, runtime_params=trained_engines["runtime"]) as session:
            catalog = session.load_context().catalog
            SequentialRunner().run(create_inference_pipeline(), catalog)
            yield tmp, catalog


def _latest(tmp, pattern):
    return sorted(tmp.glob(pattern))[-1]


def test_training_run_writes_signals_windows_and_summary(trained_project):
    tmp, _ = trained_project
    signals = pd.read_parquet(_latest(tmp, "data/07_model_output/buyer_signals.parquet/*/*"))
    features = pd.read_parquet(_latest(tmp, "data/04_feature/buyer_features.parquet/*/*"))
    assert list(signals.columns[: len(SIGNAL_COLUMNS)]) == SIGNAL_COLUMNS
    assert len(signals) == len(features) and signals["date"].is_unique
    tail = signals.iloc[1:]  # the first day has no earlier theta label for the trailing-median baseline
    assert tail[SIGNAL_COLUMNS[1:-1]].notna().all().all()
    assert ((tail["breakout_probability"] > 0) & (tail["breakout_probability"] < 1)).all()
    pd.testing.assert_series_equal(tail["p_breakout_up"] + tail["p_breakout_down"],
                                   tail["breakout_probability"], check_names=False)
    assert set(signals["model_source"]) <= {"model", "baseline", "mixed"}
    windows = json.loads(_latest(tmp, "data/07_model_output/gamma_windows.json/*/*").read_text())
    assert windows["windows"] and windows["windows"][0]["typical_abs_move_points"] > 0
    summary = json.loads(_latest(tmp, "data/08_reporting/buyer_metrics_summary.json/*/*").read_text())
    assert [row["name"] for row in summary] == MODEL_NAMESPACES
    assert all(row["status"] in ("edge", "no_edge") for row in summary)
    assert summary[0]["metric"] == "log_loss" and "pr_auc" in summary[0] and "roc_auc" in summary[0]


def test_pooled_breakout_trains_on_other_symbols_and_competes_with_the_index_only_one(trained_project):
    tmp, _ = trained_project
    metrics = {ns: json.loads(_latest(tmp, f"data/08_reporting/metrics/buyer/{ns}.json/*/*").read_text())
               for ns in ("breakout", "breakout_pooled")}
    pool = metrics["breakout_pooled"]["pool"]
    assert "nifty50" not in pool["symbols"] and "vix" not in pool["symbols"] and len(pool["symbols"]) == 24
    assert pool["rows"] > 10 * metrics["breakout_pooled"]["overall"]["n"]
    # Scored on the same NIFTY rows as its index-only twin, so the two losses compare.
    assert metrics["breakout_pooled"]["overall"]["n"] == metrics["breakout"]["overall"]["n"]
    signals = pd.read_parquet(_latest(tmp, "data/07_model_output/buyer_signals.parquet/*/*"))
    edge = {ns: m["edge"] for ns, m in metrics.items()}
    served = signals["breakout_model"].iloc[-1]
    assert served in ({ns for ns, e in edge.items() if e} or {"baseline:base_rate"})


def test_inference_rebuilds_signals_from_frozen_models(trained_project):
    _, catalog = trained_project
    signals = catalog.load("buyer_signals")
    assert list(signals.columns[: len(SIGNAL_COLUMNS)]) == SIGNAL_COLUMNS
    assert signals.iloc[-1][SIGNAL_COLUMNS[1:-1]].notna().all()
