"""The estimator contract for the gradient-boosting kinds: fit, prediction shape, bundle save -> load gives
identical predictions through the real ModelBundleDataset (no pickle on disk), same seed -> same output,
absent classes padded, SHAP contributions for every kind."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from aegismatrix.datasets.model_bundle import ModelBundleDataset
from aegismatrix.modelling.bundle import from_bundle, to_bundle
from aegismatrix.modelling.config import ModelConfig
from aegismatrix.modelling.explain import contributions
from aegismatrix.modelling.training import predict_rows, train_fold
from aegismatrix.models.base import get_estimator

CLASSIFIERS = ["lgbm_classifier", "catboost_classifier", "xgb_classifier"]
REGRESSORS = ["lgbm_regressor", "catboost_regressor", "xgb_regressor"]
SMALL = {"lgbm_classifier": {"n_estimators": 30}, "lgbm_regressor": {"n_estimators": 30},
         "catboost_classifier": {"iterations": 30}, "catboost_regressor": {"iterations": 30},
         "xgb_classifier": {"n_estimators": 30}, "xgb_regressor": {"n_estimators": 30}}
# Each kind's own file format: LightGBM's text model, CatBoost's JSON, XGBoost's UBJ.
MAGIC = {"model.txt": b"tree\nversion=", "model.json": b"{", "model.ubj": b"{L"}


def _frame(n: int = 600, seed: int = 5) -> pd.DataFrame:
    """Three features; the first drives a three-class label and a continuous one."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    frame = pd.DataFrame(X, columns=["signal", "noise_a", "noise_b"])
    frame["date"] = pd.bdate_range("2016-01-01", periods=n)
    frame["label_class"] = np.digitize(X[:, 0] + rng.normal(scale=0.5, size=n), [-0.5, 0.5]).astype(float)
    frame["label_value"] = np.abs(X[:, 0]) + rng.normal(scale=0.1, size=n)
    return frame


def _fit(kind: str, frame: pd.DataFrame, seed: int = 7):
    cls = get_estimator(kind)
    y = frame["label_class" if cls.task == "classification" else "label_value"].to_numpy()
    est = cls(SMALL[kind], seed=seed, n_classes=3 if cls.task == "classification" else None)
    return est.fit(frame[["signal", "noise_a", "noise_b"]], y)


@pytest.mark.parametrize("kind", CLASSIFIERS + REGRESSORS)
def test_fit_predict_shape_and_seed_determinism(kind):
    frame = _frame()
    X = frame[["signal", "noise_a", "noise_b"]]
    first, again = _fit(kind, frame).predict(X), _fit(kind, frame).predict(X)
    if kind in CLASSIFIERS:
        assert first.shape == (len(frame), 3)
        np.testing.assert_allclose(first.sum(axis=1), 1.0, atol=1e-6)  # XGBoost is float32
        assert (first.argmax(axis=1) == frame["label_class"]).mean() > 0.6  # it learned the planted signal
    else:
        assert first.shape == (len(frame),)
        assert np.corrcoef(first, frame["label_value"])[0, 1] > 0.8
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize("kind", ["lgbm_classifier", "catboost_classifier"])
def test_class_absent_from_the_fold_is_padded(kind):
    frame = _frame()
    frame = frame[frame["label_class"] != 1].reset_index(drop=True)  # no NEUTRAL in this fold
    proba = _fit(kind, frame).predict(frame[["signal", "noise_a", "noise_b"]])
    assert proba.shape == (len(frame), 3) and (proba[:, 1] < 1e-3).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    single = frame[frame["label_class"] == 2]
    est = _fit(kind, single)
    np.testing.assert_allclose(est.predict(single[["signal"]].assign(noise_a=0.0, noise_b=0.0))[:, 2], 1.0,
                               atol=1e-3)
    _, blobs = est.state()
    assert blobs == {}  # nothing learned, nothing saved


def _bundle_params(kind: str, tmp_path) -> dict:
    classification = get_estimator(kind).task == "classification"
    return {"feature_set": "toy", "label": {"name": "toy", "horizon": 1}, "horizon": 1,
            "class_names": ["down", "neutral", "up"] if classification else None,
            "estimator": {"kind": kind, "params": SMALL[kind]}, "calibration": "sigmoid",
            "baselines": [{"name": "prior", "kind": "class_prior"}], "primary_baseline": "prior",
            "metric": "log_loss" if classification else "rmse",
            "tuning": {"n_trials": 2, "storage_dir": str(tmp_path / "optuna")}}


@pytest.mark.parametrize("kind", ["lgbm_classifier", "catboost_classifier", "lgbm_regressor",
                                  "catboost_regressor", "xgb_classifier", "xgb_regressor"])
def test_bundle_round_trip_is_identical_and_never_pickle(kind, tmp_path):
    frame = _frame()
    classification = get_estimator(kind).task == "classification"
    frame["label"] = frame["label_class" if classification else "label_value"]
    cfg = ModelConfig.from_params(_bundle_params(kind, tmp_path))
    cols = ["signal", "noise_a", "noise_b"]
    fitted = train_fold(frame, cols, np.arange(450), cfg, f"contract/{kind}")
    assert fitted.tuning["n_trials"] == 2  # the search space was tuned by Optuna
    dataset = ModelBundleDataset(filepath=str(tmp_path / "bundle"))
    dataset.save(to_bundle(fitted, cfg, cols, "fp", {"name": kind}))
    files = {p.name: p.read_bytes() for p in (tmp_path / "bundle").iterdir()}
    blob_name = next(name for name in files if name in MAGIC)
    assert files[blob_name].startswith(MAGIC[blob_name])
    assert set(files) == {"meta.json", blob_name, "forest.safetensors"}  # + the NumPy tables
    json.loads(files["meta.json"])
    assert all(not payload.startswith(b"\x80") for payload in files.values())  # no pickle protocol header
    rows = np.arange(450, 600)
    restored = from_bundle(dataset.load(), expected_fingerprint="fp")
    np.testing.assert_array_equal(predict_rows(fitted, frame, cols, rows),
                                  predict_rows(restored, frame, cols, rows))
    shap = contributions(fitted, frame, cols, rows)  # shap.TreeExplainer on the fitted booster
    assert shap.shape == (len(rows), 3)
    assert shap.abs().mean().idxmax() == "signal"  # TreeSHAP puts the planted driver first
    # the payload's path: the restored model's NumPy TreeSHAP (no shap, no boosting library)
    native = contributions(restored, frame, cols, rows, native=True)
    np.testing.assert_allclose(native.to_numpy(), shap.to_numpy(), rtol=1e-4, atol=1e-6)
    # training's explanation of a frozen model: shap on the library model read back from the file
    again = contributions(restored, frame, cols, rows)
    np.testing.assert_allclose(again.to_numpy(), shap.to_numpy(), rtol=1e-12, atol=1e-12)


def test_torch_estimators_predict_a_float32_frame_without_warnings():
    """Issue 26 (9): predict on a float32 frame warned (a read-only view handed to torch); prediction
    now runs in NumPy (models/forward.py) and must stay silent."""
    pytest.importorskip("torch")
    frame = _frame(n=200)
    X = frame[["signal", "noise_a", "noise_b"]].astype("float32")
    est = get_estimator("mlp_regressor")({"epochs": 2, "hidden": [4]}, seed=1).fit(X, frame["label_value"]
                                                                                    .to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(est.predict(X)).all()
