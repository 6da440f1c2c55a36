"""Payload assembly: contract-valid payloads from engine signals, sources per signal, heuristics,
TreeSHAP drivers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.modelling.bundle import to_bundle
from aegismatrix.modelling.config import ModelConfig
from aegismatrix.modelling.explain import latest_contributions
from aegismatrix.modelling.training import train_fold
from aegismatrix.payload.assemble import assemble_payload, describe_served_model
from aegismatrix.payload.publish import validate_payload

from .conftest import INFERENCE_PARAMS


def _entry(ns: str, edge: bool, drivers=None, horizon=None) -> dict:
    return {"name": ns, "trained_at": "2026-01-01T00:00:00Z",
            "status": "edge" if edge else "no_edge",
            "model_source": "model" if edge else "baseline", "missing": False, "horizon": horizon,
            "class_names": ["down", "neutral", "up"] if horizon else None, "label": {},
            "oos": {"metric": "log_loss", "score": None, "baseline": "class_prior",
                    "baseline_score": None, "skill": 0.01},
            "drivers": drivers or []}


def test_payload_from_signals_is_valid_and_says_where_each_signal_comes_from(market, signals,
                                                                              provenance):
    drivers = [{"feature": "rsi_14", "value": 41.0, "contribution": 0.02}]
    entries = {"seller.trap": _entry("seller.trap", True, drivers),
               "buyer.breakout": _entry("buyer.breakout", False, drivers),
               "direction.xgb_h5": _entry("direction.xgb_h5", True, drivers, horizon=5)}
    payload = assemble_payload(market, provenance, signals, entries,
                               {"seller.trap": "2026-01-01T00.00.00.000Z"}, INFERENCE_PARAMS,
                               gamma_windows={"windows": None, "reason": "no intraday bars"},
                               max_pain={"max_pain": None, "reason": "no option chain"})
    validate_payload(payload)
    assert payload["data_as_of"] == str(market["date"].iloc[-1].date())
    assert payload["models"]["seller.trap"]["version"] == "2026-01-01T00.00.00.000Z"
    assert payload["models"]["buyer.breakout"]["version"] is None
    assert [h["horizon_days"] for h in payload["direction"]["horizons"]] == [1, 5]
    assert [h["model_source"] for h in payload["direction"]["horizons"]] == ["baseline", "model"]
    assert payload["direction"]["horizons"][1]["top_drivers"] == drivers  # edge model: its drivers
    seller, buyer = payload["seller"], payload["buyer"]
    assert (seller["model_source"]["vol_forecast_21d"] == "model"
            and seller["model_source"]["trap_probability"] == "baseline")
    assert seller["top_drivers"] == {"trap_probability": drivers}
    # no edge: none
    assert buyer["model_source"]["breakout_probability"] == "model" and buyer["top_drivers"] == {}
    assert buyer["spike_bias"] == "call" and buyer["gamma_windows"] is None
    assert payload["market"]["spot"] == pytest.approx(market["close"].iloc[-1])
    # signals without direction_model: not invented
    assert "served_by" not in payload["direction"]["horizons"][0]
    assert payload["direction"]["horizons"][1]["drivers_from"] == "direction.xgb_h5"


def test_direction_horizon_says_which_model_served_it(market, signals, provenance):
    signals["direction"]["direction_model"] = np.where(signals["direction"]["horizon_days"] == 1,
                                                       "stack_h1", "baseline")
    entries = {"direction.xgb_h1": _entry("direction.xgb_h1", True, horizon=1)}
    payload = assemble_payload(market, provenance, signals, entries, {}, INFERENCE_PARAMS)
    validate_payload(payload)
    first, second = payload["direction"]["horizons"]
    assert first["served_by"] == "stack_h1" and first["drivers_from"] == "direction.xgb_h1"
    assert second["served_by"] == "baseline" and "drivers_from" not in second


def test_engines_without_signals_are_served_by_documented_heuristics(market, provenance):
    payload = assemble_payload(market, provenance, {}, {}, {}, INFERENCE_PARAMS)
    validate_payload(payload)
    assert {h["model_source"] for h in payload["direction"]["horizons"]} == {"heuristic"}
    assert set(payload["seller"]["model_source"].values()) == {"heuristic"}
    assert payload["buyer"]["model_source"]["breakout_probability"] == "heuristic"
    ranges = {r["tenor_days"]: r for r in payload["seller"]["safe_ranges"]}
    spot = payload["market"]["spot"]
    assert ranges[5]["lower"] < spot < ranges[5]["upper"]
    assert ranges[21]["upper"] > ranges[5]["upper"]
    assert 0.0 < payload["buyer"]["breakout_probability"] < 0.5


def test_stale_signal_row_is_served_with_a_warning(market, signals, provenance):
    signals["buyer"] = signals["buyer"].iloc[:-3]
    payload = assemble_payload(market, provenance, signals, {}, {}, INFERENCE_PARAMS)
    validate_payload(payload)
    assert any("buyer_signals last available" in w for w in payload["data"]["warnings"])


def _toy_model(kind: str, tmp_path) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({"date": pd.bdate_range("2020-01-01", periods=n), "a": rng.normal(size=n),
                          "b": rng.normal(size=n), "c": rng.normal(size=n)})
    frame["label"] = (frame["a"] + 0.3 * rng.normal(size=n) > 0).astype(float)
    size = {"n_estimators": 20, "max_depth": 2} if kind.startswith("xgb") else {}
    params = {"feature_set": "toy", "label": {"name": "forward_return", "horizon": 1},
              "class_names": ["down", "up"], "estimator": {"kind": kind, "params": size},
              "baselines": [{"name": "prior", "kind": "class_prior"}], "primary_baseline": "prior",
              "metric": "log_loss", "tuning": {"n_trials": 0, "storage_dir": str(tmp_path)}}
    cfg = ModelConfig.from_params(params)
    fitted = train_fold(frame, ["a", "b", "c"], np.arange(n), cfg, "toy")
    meta = {"name": "toy.m", "edge": True, "status": "edge",
            "trained_at": "2026-01-01T00:00:00+00:00",
            "oos_skill": {"metric": "log_loss", "vs": "prior", "value": 0.2, "ci_low": 0.1,
                          "ci_high": 0.3, "level": 0.9},
            "headline": {"model_score": 0.55, "baseline_score": 0.69}}
    return frame, to_bundle(fitted, cfg, ["a", "b", "c"], "fp", meta), params


def test_tree_drivers_match_shap_treeexplainer(tmp_path):
    from aegismatrix.modelling.bundle import from_bundle
    from aegismatrix.modelling.explain import contributions

    frame, bundle, _ = _toy_model("xgb_classifier", tmp_path)
    row = len(frame) - 1
    ours = latest_contributions(frame, bundle, row)
    theirs = contributions(from_bundle(bundle), frame, ["a", "b", "c"], np.array([row])).iloc[0]
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-4, atol=1e-5)
    assert ours.abs().idxmax() == "a"  # the planted feature drives the prediction


def test_describe_served_model_edge_missing_and_linear(tmp_path):
    frame, bundle, params = _toy_model("logistic", tmp_path)
    entry = describe_served_model(frame, bundle, params, "toy.m", n_drivers=2)
    assert (entry["status"] == "edge" and entry["model_source"] == "model"
            and entry["trained_at"] == "2026-01-01T00:00:00Z")
    assert [d["feature"] for d in entry["drivers"]][0] == "a" and len(entry["drivers"]) == 2
    # the dashboard's score columns
    assert entry["oos"]["score"] == 0.55 and entry["oos"]["baseline_score"] == 0.69
    missing = describe_served_model(frame, None, params, "toy.m")
    assert missing["missing"] and missing["status"] == "no_edge"
    assert missing["model_source"] == "baseline"
    assert missing["drivers"] == [] and missing["oos"]["metric"] == "log_loss"
