"""The seller pipeline end to end on synthetic data in a temporary copy of the project (the session's
training run of every engine, tests/pipelines/conftest.py), then the seller inference pipeline on the frozen
models it saved."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from aegismatrix.options.backtest import TRADE_COLUMNS
from aegismatrix.options.market_view import NO_CHAINS
from aegismatrix.pipelines.seller import MODEL_NAMESPACES, create_inference_pipeline
from aegismatrix.pipelines.seller.nodes import SIGNAL_COLUMNS


@pytest.fixture(scope="module")
def trained_project(trained_copy, trained_engines):
    """A copy of the session's trained project (the seller trained with small models on synthetic data)."""
    return trained_copy("seller_project"), trained_engines["runtime"]


def _latest(tmp, pattern: str) -> str:
    return sorted(tmp.glob(pattern))[-1]


def test_seller_run_writes_signals_with_the_contract_columns(trained_project):
    tmp, _ = trained_project
    signals = pd.read_parquet(_latest(tmp, "data/07_model_output/seller_signals.parquet/*/"
                                           "seller_signals.parquet"))
    assert list(signals.columns[: len(SIGNAL_COLUMNS)]) == SIGNAL_COLUMNS and len(signals) > 500
    assert signals["date"].is_monotonic_increasing and signals["date"].is_unique
    assert signals[SIGNAL_COLUMNS].notna().all().all()
    assert set(signals["model_source"]) <= {"model", "baseline"}
    assert signals["vol_forecast_21d"].between(0.01, 1.0).all()  # a decimal, not percent
    assert (signals["safe_lower_5d"] < signals["safe_upper_5d"]).all()
    assert (signals["safe_lower_21d"] <= signals["safe_lower_5d"]).mean() > 0.9  # the longer tenor is wider
    probabilities = signals[["p_vol_low", "p_vol_medium", "p_vol_high"]].sum(axis=1)
    assert ((probabilities - 1).abs() < 1e-6).all()
    summary = pd.read_json(_latest(tmp, "data/08_reporting/seller_metrics_summary.json/*/*.json"))
    assert set(MODEL_NAMESPACES) <= set(summary["name"])
    assert {"metric", "model_score", "baseline_score", "skill", "ci_low", "ci_high",
            "status"} <= set(summary.columns)
    for ns in MODEL_NAMESPACES:
        engine, model = ns.split(".")
        assert list(tmp.glob(f"data/06_models/{engine}/{model}/*/*"))


def test_seller_run_writes_the_strategy_backtest_and_a_null_chain_block(trained_project):
    tmp, _ = trained_project
    trades = pd.read_parquet(_latest(tmp,
                                     "data/07_model_output/seller_strategy_backtest.parquet/*/*.parquet"))
    assert list(trades.columns) == TRADE_COLUMNS and len(trades) > 100
    assert (trades.groupby("expiry").size() == 4).all() and (trades["decision_date"] < trades["expiry"]).all()
    assert (trades["put_strike"] < trades["spot"]).all() and (trades["call_strike"] > trades["spot"]).all()
    report = json.loads(Path(_latest(tmp, "data/08_reporting/seller_strategy_backtest_summary.json/*/*.json"))
                        .read_text())
    assert "model premiums" in report["note"].lower() and len(report["summary"]) >= 4
    chain = json.loads(Path(_latest(tmp, "data/07_model_output/seller_chain_analytics.json/*/*.json"))
                       .read_text())
    assert (chain["max_pain"] is None and chain["expiries"] == []
            and "option_chain_snapshots" in chain["reason"])


def test_inference_serves_signals_from_the_frozen_models(trained_project, run_engine_inference):
    tmp, runtime = trained_project
    pipe = run_engine_inference(tmp, runtime, create_inference_pipeline())
    assert "seller_signals" in pipe.all_outputs() and not any("walk_forward" in n.name for n in pipe.nodes)
    files = sorted(tmp.glob("data/07_model_output/seller_signals.parquet/*/seller_signals.parquet"))
    assert len(files) == 2
    trained, served = pd.read_parquet(files[0]), pd.read_parquet(files[1])
    assert list(served.columns[: len(SIGNAL_COLUMNS)]) == SIGNAL_COLUMNS and len(served) == len(trained)


def test_expiry_ranges_cover_every_date_in_training_and_inference(trained_project, run_engine_inference):
    tmp, runtime = trained_project
    pattern = "data/07_model_output/seller_expiry_ranges.parquet/*/*.parquet"
    if len(list(tmp.glob(pattern))) < 2:  # the inference test above may already have run it
        run_engine_inference(tmp, runtime, create_inference_pipeline())
    files = sorted(tmp.glob(pattern))
    trained, served = pd.read_parquet(files[0]), pd.read_parquet(files[-1])
    market = pd.read_parquet(_latest(tmp, "data/03_primary/market_daily.parquet/*/*.parquet"))
    for frame in (trained, served):
        # every date of the loaded window, three expiries each
        assert set(frame["date"]) == set(market["date"])
        assert (frame.groupby("date").size() == 3).all() and frame["p_touch"].between(0, 1).all()
        assert (frame["market_reason"] == NO_CHAINS).all() and frame["p_touch_market"].isna().all()
    ladder = pd.read_parquet(_latest(tmp, "data/07_model_output/seller_strike_ladder.parquet/*/*.parquet"))
    assert set(ladder["date"]) == {market["date"].max()} and len(ladder) == 3 * 21
    report = json.loads(Path(_latest(tmp, "data/08_reporting/seller_expiry_range_calibration.json/*/*.json"))
                        .read_text())
    assert report["expiries"]["weekly_1"]["n"] > 300
