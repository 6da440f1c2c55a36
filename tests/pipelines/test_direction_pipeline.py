"""The direction pipeline end to end on synthetic data in a temporary copy of the project (the session's
training run of every engine, tests/pipelines/conftest.py), then the direction inference pipeline on the
frozen models and ensemble it saved."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from aegismatrix.pipelines.direction import MODEL_NAMESPACES, create_inference_pipeline
from aegismatrix.pipelines.direction.nodes import SIGNAL_COLUMNS


@pytest.fixture(scope="module")
def trained_project(trained_copy, trained_engines):
    """A copy of the session's trained project (direction trained with small models on synthetic data)."""
    return trained_copy("direction_project"), trained_engines["runtime"]


def _latest(tmp, pattern: str):
    return sorted(tmp.glob(pattern))[-1]


def test_direction_run_writes_signals_with_the_contract_columns(trained_project):
    tmp, _ = trained_project
    signals = pd.read_parquet(_latest(tmp, "data/07_model_output/direction_signals.parquet/*/"
                                           "direction_signals.parquet"))
    assert list(signals.columns[: len(SIGNAL_COLUMNS)]) == SIGNAL_COLUMNS
    assert sorted(signals["horizon_days"].unique()) == [1, 2, 3, 5, 10, 20]
    assert not signals.duplicated(["date", "horizon_days"]).any()
    probs = signals[["p_down", "p_neutral", "p_up"]]
    assert probs.notna().all().all() and ((probs.sum(axis=1) - 1).abs() < 1e-6).all()
    assert set(signals["predicted_direction"]) <= {"UP", "NEUTRAL", "DOWN"}
    assert set(signals["model_source"]) <= {"model", "baseline"}
    assert (signals["conviction"].between(0, 1)).all()
    bands = signals.groupby("horizon_days")["neutral_band"].first()
    assert bands[1] == pytest.approx(0.0025) and bands[20] == pytest.approx(0.0025 * 20 ** 0.5, rel=1e-3)
    late = signals.dropna(subset=["move_lower_points"])
    assert len(late) > 0 and (late["move_lower_points"] <= late["move_upper_points"]).all()
    assert (late["move_lower_points"] >= 0).all() and (late["expected_abs_move_points"] > 0).all()


def test_direction_run_reports_every_model_next_to_its_baseline(trained_project):
    tmp, _ = trained_project
    summary = json.loads(_latest(tmp, "data/08_reporting/direction_metrics_summary.json/*/*.json")
                         .read_text())
    names = {row["name"] for row in summary}
    assert {ns.split(".")[1] for ns in MODEL_NAMESPACES} | {"stack_h1", "stack_h20"} <= names
    for row in summary:
        assert row["status"] in ("edge", "no_edge")
    xgb = next(r for r in summary if r["name"] == "xgb_h1")
    assert {"class_prior", "always_up", "yesterday_sign"} == set(xgb["baseline_directional_accuracy"])
    assert 0 <= xgb["directional_accuracy"] <= 1
    bundle = tmp / "data/06_models/direction/bilstm_h5"
    assert list(bundle.rglob("model.safetensors")) and not list(bundle.rglob("*.pkl"))
    universe = json.loads(_latest(tmp, "data/08_reporting/direction_universe_metrics.json/*/*.json")
                          .read_text())
    assert universe["enabled"] is False


def test_inference_serves_signals_from_the_frozen_models(trained_project, run_engine_inference):
    tmp, runtime = trained_project
    pipe = run_engine_inference(tmp, runtime, create_inference_pipeline())
    assert "direction_signals" in pipe.all_outputs() and not any("walk_forward" in n.name for n in pipe.nodes)
    files = sorted(tmp.glob("data/07_model_output/direction_signals.parquet/*/direction_signals.parquet"))
    assert len(files) == 2
    trained, served = pd.read_parquet(files[0]), pd.read_parquet(files[1])
    assert list(served.columns[: len(SIGNAL_COLUMNS)]) == SIGNAL_COLUMNS and len(served) == len(trained)
