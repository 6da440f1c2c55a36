"""In-fold feature selection: correlation filter, tree importance, training rows only, recorded in the
bundle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.modelling.bundle import from_bundle, to_bundle
from aegismatrix.modelling.config import ModelConfig
from aegismatrix.modelling.feature_selection import correlation_filter, select_features
from aegismatrix.modelling.training import predict_rows, train_fold

COLS = ["signal", "signal_copy", *[f"noise_{i}" for i in range(6)]]


def _frame(n: int = 700, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, len(COLS))), columns=COLS)
    frame["signal_copy"] = frame["signal"] + rng.normal(scale=0.05, size=n)  # a near-duplicate column
    frame["date"] = pd.bdate_range("2016-01-01", periods=n)
    frame["label"] = (frame["signal"] + rng.normal(scale=0.7, size=n) > 0).astype(float)
    return frame


def _params(tmp_path, selection: dict | None) -> dict:
    return {"feature_set": "toy", "label": {"name": "toy", "horizon": 1}, "horizon": 1,
            "class_names": ["down", "up"],
            "estimator": {"kind": "lgbm_classifier", "params": {"n_estimators": 30}},
            "calibration": "none", "baselines": [{"name": "prior", "kind": "class_prior"}],
            "primary_baseline": "prior", "metric": "log_loss", "feature_selection": selection,
            "tuning": {"n_trials": 0, "storage_dir": str(tmp_path)}}


def test_correlation_filter_drops_the_near_duplicate():
    kept = correlation_filter(_frame()[COLS], max_correlation=0.9)
    assert "signal" in kept and "signal_copy" not in kept and len(kept) == len(COLS) - 1


def test_importance_keeps_the_planted_signal_and_refuses_unknown_methods():
    frame = _frame()
    kept, record = select_features(frame, COLS, frame["label"].to_numpy(),
                                   {"method": "correlation_then_importance", "max_features": 2}, 7, True)
    assert "signal" in kept and len(kept) == 2
    assert record["dropped"] and record["candidates"] == len(COLS)
    with pytest.raises(ValueError, match="feature_selection.method"):
        select_features(frame, COLS, frame["label"].to_numpy(), {"method": "lasso"}, 7, True)


def test_selection_sees_training_rows_only_and_is_recorded_in_the_bundle(tmp_path):
    frame = _frame()
    cfg = ModelConfig.from_params(_params(tmp_path, {"method": "tree_importance", "max_features": 3}))
    train = np.arange(500)
    fitted = train_fold(frame, COLS, train, cfg, "fs")
    leaky = frame.copy()
    leaky.loc[500:, "noise_5"] = leaky.loc[500:, "label"] * 10  # a perfect predictor after the training rows
    assert train_fold(leaky, COLS, train, cfg, "fs").features == fitted.features
    assert "noise_5" not in fitted.features and "signal" in fitted.features
    bundle = to_bundle(fitted, cfg, COLS, "fp", {"name": "fs"})
    assert bundle["meta"]["features"] == fitted.features
    assert bundle["meta"]["feature_selection"]["selected"] == fitted.features
    restored = from_bundle(bundle)
    rows = np.arange(500, 700)
    only_kept = frame[["date", "label", *fitted.features]]  # dropped columns are never read again
    np.testing.assert_array_equal(predict_rows(restored, only_kept, COLS, rows),
                                  predict_rows(fitted, frame, COLS, rows))


def test_no_selection_keeps_every_column(tmp_path):
    fitted = train_fold(_frame(), COLS, np.arange(500), ModelConfig.from_params(_params(tmp_path, None)),
                        "all")
    assert fitted.features == COLS and fitted.feature_selection == {}
