"""The NumPy tree ensembles (models/trees.py, models/tree_formats.py) against the libraries that
fitted them: the same margins, probabilities and TreeSHAP values, with missing values, zeros,
several classes, two classes and regression; and a restored model that predicts and explains
without importing any of the libraries."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from aegismatrix.models.tree_formats import from_catboost, from_lightgbm, from_xgboost, read_ubjson

TASKS = ("multiclass", "binary", "regression")


def _data(task: str, n: int = 400, features: int = 4):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n, features)).astype(np.float32)
    X[rng.random((n, features)) < 0.05] = np.nan  # missing values take the default branch
    X[:, 2] = np.where(rng.random(n) < 0.2, 0.0, X[:, 2])  # exact zeros (LightGBM's zero rule)
    signal = np.nan_to_num(X[:, 0]) + 0.5 * rng.normal(size=n)
    y = {"multiclass": np.digitize(signal, [-0.4, 0.4]), "binary": (signal > 0).astype(int),
         "regression": 2 * signal}[task]
    return X, y


def _as_rows(values: np.ndarray, n_features: int) -> np.ndarray:
    """Library contributions (rows, [classes,] features + bias) -> (rows, outputs, features)."""
    values = np.asarray(values, dtype=float)
    values = values.reshape(len(values), -1, n_features + 1)
    return values[:, :, :-1]


def _check(forest, X, margin, proba, shap, shap_rtol):
    np.testing.assert_array_equal(forest.margin(X).reshape(np.shape(margin)), margin)
    got = forest.predict(X)
    if got.ndim == 1 and np.ndim(proba) == 2:
        got = np.column_stack([1 - got, got])
    np.testing.assert_allclose(got, proba, rtol=2e-7, atol=2e-7)
    np.testing.assert_allclose(forest.contributions(X), _as_rows(shap, X.shape[1]),
                               rtol=shap_rtol, atol=1e-6)


@pytest.mark.parametrize("task", TASKS)
def test_xgboost(task):
    xgb = pytest.importorskip("xgboost")
    X, y = _data(task)
    cls = xgb.XGBRegressor if task == "regression" else xgb.XGBClassifier
    model = cls(n_estimators=25, max_depth=4, n_jobs=1).fit(X, y)
    booster, matrix = model.get_booster(), xgb.DMatrix(X)
    forest = from_xgboost(bytes(booster.save_raw("ubj")))
    proba = model.predict(X) if task == "regression" else model.predict_proba(X)
    # XGBoost sums in float32 (bit for bit here) and computes its TreeSHAP in float32
    _check(forest, X, booster.predict(matrix, output_margin=True), proba,
           booster.predict(matrix, pred_contribs=True), shap_rtol=1e-5)


def test_xgboost_random_forest_and_json_match_ubj():
    xgb = pytest.importorskip("xgboost")
    X, y = _data("multiclass")
    model = xgb.XGBRFClassifier(n_estimators=10, max_depth=4, n_jobs=1).fit(X, y)
    booster = model.get_booster()
    ubj, text = bytes(booster.save_raw("ubj")), bytes(booster.save_raw("json"))
    assert read_ubjson(ubj)["learner"]["objective"] == json.loads(text)["learner"]["objective"]
    np.testing.assert_array_equal(from_xgboost(ubj).margin(X), from_xgboost(text).margin(X))
    np.testing.assert_allclose(from_xgboost(ubj).predict(X), model.predict_proba(X), atol=2e-7)


@pytest.mark.parametrize("task", TASKS)
def test_lightgbm(task):
    lgb = pytest.importorskip("lightgbm")
    X, y = _data(task)
    cls = lgb.LGBMRegressor if task == "regression" else lgb.LGBMClassifier
    booster = cls(n_estimators=25, num_leaves=9, min_child_samples=10, verbosity=-1,
                  n_jobs=1).fit(X, y).booster_
    forest = from_lightgbm(booster.model_to_string())
    proba = booster.predict(X)
    np.testing.assert_array_equal(forest.predict(X), proba)  # bit for bit
    _check(forest, X, booster.predict(X, raw_score=True), proba,
           booster.predict(X, pred_contrib=True), shap_rtol=1e-9)


@pytest.mark.parametrize("task", TASKS)
def test_catboost_with_empty_leaves(task):
    catboost = pytest.importorskip("catboost")
    X, y = _data(task)
    cls = catboost.CatBoostRegressor if task == "regression" else catboost.CatBoostClassifier
    model = cls(iterations=25, depth=5, verbose=False, thread_count=1, random_seed=0,
                allow_writing_files=False).fit(X, y)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_model(f"{tmp}/m.json", format="json")
        saved = json.loads(Path(f"{tmp}/m.json").read_text())
    assert any(0 in t["leaf_weights"] for t in saved["oblivious_trees"])  # zero-cover leaves
    forest = from_catboost(saved)
    proba = model.predict(X) if task == "regression" else model.predict(
        X, prediction_type="Probability")
    margin = model.predict(X, prediction_type="RawFormulaVal")
    np.testing.assert_allclose(forest.margin(X).reshape(margin.shape), margin, rtol=1e-12)
    np.testing.assert_allclose(forest.predict(X).reshape(-1), np.ravel(
        proba if task != "binary" else proba[:, 1]), rtol=1e-12)
    shap = model.get_feature_importance(catboost.Pool(X), type="ShapValues")
    np.testing.assert_allclose(forest.contributions(X), _as_rows(shap, X.shape[1]), rtol=1e-9,
                               atol=1e-12)


def test_what_is_not_evaluated_is_refused_by_name():
    lgb = pytest.importorskip("lightgbm")
    X, y = _data("regression")
    text = lgb.LGBMRegressor(n_estimators=2, verbosity=-1).fit(X, y).booster_.model_to_string()
    with pytest.raises(ValueError, match="objective 'poisson'"):
        from_lightgbm(text.replace("objective=regression", "objective=poisson"))
    with pytest.raises(ValueError, match="UBJSON: unsupported marker"):
        read_ubjson(b"{L\x00\x00\x00\x00\x00\x00\x00\x01aX")


_SERVE = """
import json, sys, numpy as np, pandas as pd
from pathlib import Path
from aegismatrix.models.base import get_estimator
out = Path(sys.argv[1])
X = pd.DataFrame(np.random.default_rng(0).normal(size=(300, 3)), columns=list("abc"))
for folder in sorted(out.iterdir()):
    blobs = {p.name: p.read_bytes() for p in folder.iterdir() if p.name.startswith("model")}
    state = json.loads((folder / "state.json").read_text())
    est = get_estimator(folder.name).from_state({}, 1, 3, state, blobs)
    assert np.array_equal(est.predict(X), np.load(folder / "proba.npy")), folder.name
    assert np.allclose(est.tree_contributions(X), np.load(folder / "shap.npy")), folder.name
print(sorted({m.split(".")[0] for m in sys.modules}
             & {"xgboost", "lightgbm", "catboost", "shap", "sklearn", "IPython"}))
"""


def test_a_restored_tree_model_predicts_and_explains_without_its_library(tmp_path):
    """Serving's path, in a fresh process: the fitted models' probabilities and TreeSHAP values,
    and no xgboost, lightgbm, catboost, shap or scikit-learn import."""
    import pandas as pd

    from aegismatrix.models.base import get_estimator

    X = pd.DataFrame(np.random.default_rng(0).normal(size=(300, 3)), columns=list("abc"))
    y = np.digitize(X["a"], [-0.4, 0.4])
    for kind in ("xgb_classifier", "lgbm_classifier", "catboost_classifier"):
        est = get_estimator(kind)({}, seed=1, n_classes=3).fit(X, y)
        state, blobs = est.state()
        (tmp_path / kind).mkdir()
        (tmp_path / kind / "state.json").write_text(json.dumps(state))
        for name, blob in blobs.items():
            (tmp_path / kind / name).write_bytes(blob)
        np.save(tmp_path / kind / "proba.npy", est.predict(X))
        np.save(tmp_path / kind / "shap.npy", est.tree_contributions(X))
    served = subprocess.run([sys.executable, "-c", _SERVE, str(tmp_path)], capture_output=True,
                            text=True, check=True)
    assert served.stdout.strip() == "[]"


def test_the_saved_tables_restore_the_same_forest():
    """A bundle keeps the forest's tables beside the library's file; both restore one model."""
    lgb = pytest.importorskip("lightgbm")
    from aegismatrix.models.trees import Forest

    X, y = _data("multiclass")
    booster = lgb.LGBMClassifier(n_estimators=10, num_leaves=7, verbosity=-1).fit(X, y).booster_
    forest = from_lightgbm(booster.model_to_string())
    restored = Forest.from_bytes(forest.to_bytes(), json.loads(json.dumps(forest.header())))
    np.testing.assert_array_equal(restored.predict(X), forest.predict(X))
    np.testing.assert_array_equal(restored.contributions(X[:5]), forest.contributions(X[:5]))


@pytest.mark.parametrize("kind", ["xgb_classifier", "lgbm_classifier", "catboost_classifier"])
def test_a_bundle_saved_before_the_tables_still_serves(kind, tmp_path):
    """Bundles saved before this change hold only the library's file (CatBoost's as `.cbm`):
    they restore through that file and predict what the fitted model predicted."""
    import pandas as pd

    from aegismatrix.models.base import get_estimator
    from aegismatrix.models.trees import FOREST_FILE

    X = pd.DataFrame(np.random.default_rng(0).normal(size=(300, 3)), columns=list("abc"))
    y = np.digitize(X["a"], [-0.4, 0.4])
    est = get_estimator(kind)({}, seed=1, n_classes=3).fit(X, y)
    state, blobs = est.state()
    state.pop("forest")
    blobs.pop(FOREST_FILE)
    if kind == "catboost_classifier":
        path = tmp_path / "model.cbm"
        est.booster.save_model(str(path), format="cbm")
        blobs = {"model.cbm": path.read_bytes()}
    old = get_estimator(kind).from_state({}, 1, 3, state, blobs)
    np.testing.assert_allclose(old.predict(X), est.predict(X), rtol=1e-12, atol=1e-15)
