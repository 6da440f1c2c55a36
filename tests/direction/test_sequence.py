"""BiLSTM-attention estimator: windows stay inside what it is given, the template gives it training rows
only, a NaN loss stops training, it learns a planted pattern, and it is deterministic on CPU."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.modelling.config import ModelConfig
from aegismatrix.modelling.splits import walk_forward_folds
from aegismatrix.modelling.training import train_fold
from aegismatrix.models import get_estimator
from aegismatrix.models.sequence import BiLSTMAttentionClassifier, NonFiniteLossError, make_windows

SMALL = {"window": 10, "hidden": 8, "layers": 1, "epochs": 12, "batch_size": 64, "lr": 3e-3, "patience": 4}


def _planted(n: int = 700, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Class = sign of the mean of feature 0 over the last 5 rows: needs the sequence, learnable."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    y = (X["a"].rolling(5, min_periods=1).mean() > 0).astype(int).to_numpy()
    return X, y


def test_windows_end_at_their_row_and_pad_only_with_the_first_row():
    X = np.arange(12, dtype=float)[:, None]
    windows = make_windows(X, 4)
    assert windows.shape == (12, 4, 1)
    np.testing.assert_array_equal(windows[5, :, 0], [2, 3, 4, 5])
    np.testing.assert_array_equal(windows[1, :, 0], [0, 0, 0, 1])  # edge padding, nothing from the future
    assert all(windows[t].max() == t for t in range(12))


def test_template_fits_the_sequence_model_on_training_rows_only(tmp_path, monkeypatch):
    n = 500
    rng = np.random.default_rng(1)
    close = 10000 * np.exp(np.cumsum(rng.normal(scale=0.01, size=n)))
    dates = pd.bdate_range("2018-01-01", periods=n)
    frame = pd.DataFrame({"date": dates, "f": rng.normal(size=n), "close": close})
    frame["label"] = ((pd.Series(close).shift(-5) / close > 1).astype(float)
                      .where(pd.Series(close).shift(-5).notna()))
    params = {"feature_set": "direction", "label": {"name": "forward_return", "horizon": 5}, "horizon": 5,
              "class_names": ["down", "up"],
              "estimator": {"kind": "bilstm_attention", "params": {**SMALL, "epochs": 1, "purge": 5}},
              "baselines": [{"name": "prior", "kind": "class_prior"}], "primary_baseline": "prior",
              "metric": "log_loss", "tuning": {"n_trials": 0, "storage_dir": str(tmp_path)}}
    seen: list[pd.Index] = []
    original = BiLSTMAttentionClassifier.fit

    def spy(self, X, y, **kwargs):
        seen.append(X.index)
        return original(self, X, y, **kwargs)

    monkeypatch.setattr(BiLSTMAttentionClassifier, "fit", spy)
    labelled = np.flatnonzero(frame["label"].notna().to_numpy())
    fold = walk_forward_folds(labelled, n_folds=2, min_train=200, horizon=5)[1]
    train_fold(frame, ["f"], fold.train, ModelConfig.from_params(params), "spy")
    assert len(seen) == 2  # inner fit (for calibration) and the fold's fit
    for index in seen:
        assert index.max() <= fold.train.max() < fold.test.min() - 5  # windows are built from these rows only
        assert (np.diff(index) == 1).all()  # consecutive days, so a window never skips over a gap


def test_nan_loss_guard_stops_training():
    X, y = _planted(200)
    est = get_estimator("bilstm_attention")(SMALL, seed=1, n_classes=2)
    with pytest.raises(NonFiniteLossError, match="loss became nan"):
        est.fit(X, y, sample_weight=np.full(len(y), np.nan))


def test_learns_a_planted_pattern_and_round_trips_through_safetensors():
    X, y = _planted()
    est = get_estimator("bilstm_attention")(SMALL, seed=3, n_classes=2).fit(X, y)
    proba = est.predict(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert (proba.argmax(axis=1)[560:] == y[560:]).mean() > 0.75  # chance is ~0.5
    state, blobs = est.state()
    assert blobs["model.safetensors"][:8] != b"\x80\x04\x95"  # not a pickle
    again = BiLSTMAttentionClassifier.from_state(SMALL, 3, 2, state, blobs)
    np.testing.assert_allclose(again.predict(X), proba, atol=1e-6)


def test_deterministic_on_cpu():
    X, y = _planted(300)
    params = {**SMALL, "epochs": 3}
    first = get_estimator("bilstm_attention")(params, seed=5, n_classes=2).fit(X, y).predict(X)
    second = get_estimator("bilstm_attention")(params, seed=5, n_classes=2).fit(X, y).predict(X)
    np.testing.assert_array_equal(first, second)


def test_mlp_regressor_learns_and_round_trips():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(400, 4)), columns=list("abcd"))
    y = 50 + 20 * X["a"].to_numpy() + rng.normal(scale=2, size=400)
    est = get_estimator("mlp_regressor")({"epochs": 40, "floor": 0.0}, seed=1).fit(X, y)
    assert np.corrcoef(est.predict(X), y)[0, 1] > 0.9
    state, blobs = est.state()
    again = get_estimator("mlp_regressor").from_state({"floor": 0.0}, 1, None, state, blobs)
    np.testing.assert_allclose(again.predict(X), est.predict(X), atol=1e-5)


def test_lstm_vol_regressor_tracks_a_planted_vol_and_round_trips():
    """Forward vol follows the last 10 rows of feature a: the LSTM must beat a constant and stay positive."""
    rng = np.random.default_rng(6)
    X = pd.DataFrame(rng.normal(size=(600, 3)), columns=list("abc"))
    y = 0.15 * np.exp(0.3 * X["a"].rolling(10, min_periods=1).mean().to_numpy()) * rng.lognormal(0, 0.05, 600)
    params = {**SMALL, "epochs": 20, "purge": 21, "floor": 0.02}
    est = get_estimator("lstm_vol_regressor")(params, seed=2).fit(X.iloc[:500], y[:500])
    pred = est.predict(X)
    assert (pred >= 0.02).all() and np.corrcoef(pred[500:], y[500:])[0, 1] > 0.6
    state, blobs = est.state()
    again = get_estimator("lstm_vol_regressor").from_state(params, 2, None, state, blobs)
    np.testing.assert_allclose(again.predict(X), pred, rtol=1e-5)
    with pytest.raises(ValueError, match="positive"):
        get_estimator("lstm_vol_regressor")(params, seed=2).fit(X, np.r_[y[:-1], 0.0])


def test_padded_random_forest_keeps_every_class_column():
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=list("abc"))
    y = np.where(X["a"] > 0, 2, 0)  # classes 1 and 3 absent from this fold
    est = get_estimator("xgb_random_forest")({"n_estimators": 10}, seed=1, n_classes=4).fit(X, y)
    proba = est.predict(X)
    assert proba.shape == (200, 4) and (proba[:, [1, 3]] < 1e-3).all() and (proba.argmax(1) == y).mean() > 0.9
