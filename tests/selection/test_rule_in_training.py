"""`selection.rule` decides edge in training, and a `shrink` rule's blend is what signal history and inference
serve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.modelling.config import ModelConfig
from aegismatrix.modelling.selection import choose_candidate, configured_rule, served_weight
from aegismatrix.modelling.template import (
    _baseline_values,
    build_model_input,
    evaluate_walk_forward,
    fit_frozen_model,
    predict_frozen,
    signal_history,
)

RULES = {"ci": {"kind": "ci"}, "dm": {"kind": "dm", "alpha": 0.05},
         "shrink": {"kind": "shrink", "penalty": 0.01}, "baseline": {"kind": "baseline"}}


def _toy(tmp_path, n: int = 700, seed: int = 3):
    """A vol-like forecaster whose feature carries half the truth: a blend with the mean baseline helps."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2015-01-01", periods=n)
    signal = rng.normal(size=n)
    ret = 0.01 * np.r_[0.0, signal[:-1]] + rng.normal(scale=0.01, size=n)
    close = 10000 * np.exp(np.cumsum(ret))
    market = pd.DataFrame({"date": dates, "open": close, "high": close * 1.003, "low": close * 0.997,
                           "close": close, "volume": np.nan, "vix_high": 15.0, "vix_low": 15.0,
                           "vix_close": 15.0, "vix_filled": False})
    features = pd.DataFrame({"date": dates, "planted_signal": signal, "noise": rng.normal(size=n)})
    params = {"feature_set": "toy", "label": {"name": "forward_return", "horizon": 1}, "horizon": 1,
              "estimator": {"kind": "ridge", "params": {"alpha": 1.0}},
              "baselines": [{"name": "mean", "kind": "class_prior"}], "primary_baseline": "mean",
              "metric": "rmse", "splits": {"n_folds": 3, "min_train": 200},
              "tuning": {"n_trials": 0, "storage_dir": str(tmp_path)}, "bootstrap": {"n_boot": 50}}
    manifest = {"toy": {"fingerprint": "f1", "features": ["planted_signal", "noise"]}}
    return build_model_input(features, market, params), manifest, params


@pytest.mark.parametrize("rule", ["dm", "shrink", "baseline"])
def test_the_configured_rule_decides_edge_and_is_recorded(tmp_path, rule):
    frame, manifest, params = _toy(tmp_path)
    _, metrics = evaluate_walk_forward(frame, manifest, params, namespace="toy.x",
                                       selection={"rule": rule, "rules": RULES})
    assert metrics["selection_rule"]["rule"] == rule
    assert metrics["edge"] is (rule != "baseline")
    if rule == "shrink":
        assert 0 < metrics["selection_rule"]["weight"] <= 1


def test_shrink_blend_is_served_in_history_and_inference(tmp_path):
    frame, manifest, params = _toy(tmp_path)
    oos, metrics = evaluate_walk_forward(frame, manifest, params, namespace="toy.x",
                                         selection={"rule": "shrink", "rules": RULES})
    metrics["selection_rule"]["weight"] = 0.5  # a known blend to check against
    model = fit_frozen_model(frame, manifest, metrics, {"source": "synthetic"}, params, namespace="toy.x")
    assert model["meta"]["blend_weight"] == 0.5 and served_weight(model["meta"]) == 0.5
    history = signal_history(frame, oos, model, params).set_index("date")
    row = oos.iloc[10]
    expected = 0.5 * row["prediction"] + 0.5 * row["baseline_mean__prediction"]
    assert history.loc[row["date"], "prediction"] == pytest.approx(expected)
    served = predict_frozen(frame, model, manifest, params)
    model["meta"]["blend_weight"] = 1.0
    pure = predict_frozen(frame, model, manifest, params)
    base = _baseline_values(model, frame, ModelConfig.from_params(params), np.arange(len(frame)))
    np.testing.assert_allclose(served["prediction"], 0.5 * pure["prediction"] + 0.5 * base)


def test_unknown_rule_is_an_error_and_candidates_rank_by_blend_skill():
    with pytest.raises(ValueError, match="not one of selection.rules"):
        configured_rule({"rule": "nope", "rules": RULES})
    assert configured_rule(None) == ("ci", {"kind": "ci"})
    block = {"metric": "qlike", "walk_forward": {"model": {"qlike": 0.3}}}
    metrics = {"a": {**block, "edge": True, "selection_rule": {"kind": "shrink", "penalised_skill": 0.02}},
               "b": {**block, "edge": True, "selection_rule": {"kind": "shrink", "penalised_skill": 0.05}},
               "c": {**block, "edge": False}}
    assert choose_candidate(["c", "a", "b"], metrics) == "b"
    assert choose_candidate(["c"], metrics) == "c" and served_weight(metrics["c"]) == 0.0


def test_inference_demotes_a_frozen_model_after_a_planted_regime_change(tmp_path):
    frame, manifest, params = _toy(tmp_path)
    train = frame.iloc[:450].reset_index(drop=True)
    selection = {"rule": "dm", "rules": RULES, "guard": {"window": 30, "margin": 0.10, "restore_margin": 0.0}}
    _, metrics = evaluate_walk_forward(train, manifest, params, namespace="toy.x", selection=selection)
    assert metrics["edge"] and metrics["selection_rule"]["guard"]["window"] == 30
    model = fit_frozen_model(train, manifest, metrics, {"source": "synthetic"}, params, namespace="toy.x")
    shifted = frame.copy()
    shifted.loc[500:, "planted_signal"] *= -1.0  # from row 500 the feature points the wrong way
    served = predict_frozen(shifted, model, manifest, params)
    demoted = served["demoted"].to_numpy()
    first = int(np.flatnonzero(demoted)[0])
    assert not demoted[:500].any() and 500 < first <= 500 + 1 + 30  # within the stated window of rows
    assert (served.loc[demoted, "model_source"] == "baseline").all()
    assert served["guard_ratio"].iloc[first] > 1.10
    calm = predict_frozen(frame, model, manifest, params)
    assert not calm["demoted"].any() and (calm["model_source"] == "model").all()
