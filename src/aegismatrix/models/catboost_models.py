"""CatBoost classifiers and regressors, saved in CatBoost's own JSON model format (never pickle).
CatBoost fits; prediction and TreeSHAP run in NumPy from the JSON model (`models/trees.py`), so
serving never imports it (it pulls in IPython). A bundle saved before in the binary `.cbm` format
still loads, through CatBoost.

Deterministic with a seed and one thread by default (`thread_count` in a model's params changes it);
CatBoost writes no training files (`allow_writing_files=False`), so parallel runs never collide on
`catboost_info/`.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from aegismatrix.models.base import Estimator, register
from aegismatrix.models.defaults import CATBOOST_DEFAULTS as DEFAULTS
from aegismatrix.models.defaults import CATBOOST_PARAM_NAMES as PARAM_NAMES
from aegismatrix.models.tree_formats import from_catboost
from aegismatrix.models.trees import TreeEnsemble

MODEL_FILE = "model.json"
BINARY_MODEL_FILE = "model.cbm"  # the format bundles were saved in before


def _catboost_space(trial) -> dict:
    return {
        "iterations": trial.suggest_int("iterations", 50, 400, step=50),
        "depth": trial.suggest_int("depth", 2, 6),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
        "l2_leaf_reg": trial.suggest_float("l2_leaf_reg", 1.0, 50.0, log=True),
        "rsm": trial.suggest_float("rsm", 0.4, 1.0),
    }


class _CatBoostModel(TreeEnsemble, Estimator):
    wrapper: str  # the catboost class, imported when fitting

    search_space = staticmethod(_catboost_space)

    @classmethod
    def param_names(cls) -> frozenset[str]:
        return PARAM_NAMES

    def _make(self):
        import catboost  # fitting only: with it comes IPython (~0.5 s)

        params = {**DEFAULTS, "thread_count": 1, "verbose": False, "allow_writing_files": False,
                  **self.params}
        return getattr(catboost, self.wrapper)(**params, random_seed=self.seed)

    def _fit_booster(self, X: pd.DataFrame, y: np.ndarray, sample_weight) -> None:
        self._library_model = self._make().fit(X.to_numpy(dtype=np.float32), y,
                                               sample_weight=sample_weight)
        self._saved = _saved_json(self._library_model)
        self.forest = from_catboost(json.loads(self._saved))

    def _load_library_model(self):
        import catboost

        with tempfile.TemporaryDirectory() as tmp:  # CatBoost reads a JSON model from a file
            path = Path(tmp) / MODEL_FILE
            path.write_bytes(self._saved)
            model = catboost.CatBoost()
            model.load_model(str(path), format="json")
        return model

    def state(self):
        if self.forest is None:
            return {}, {}
        state, blobs = self.forest_state()
        return state, {MODEL_FILE: self._saved, **blobs}

    @classmethod
    def from_state(cls, params, seed, n_classes, state, blobs):
        est = cls(params, seed, n_classes)
        if BINARY_MODEL_FILE in blobs and MODEL_FILE not in blobs:
            import catboost

            old = catboost.CatBoost()
            old.load_model(blob=blobs[BINARY_MODEL_FILE])
            blobs = {MODEL_FILE: _saved_json(old)}
        if MODEL_FILE in blobs:
            est._saved = blobs[MODEL_FILE]
            est.forest = cls.restore_forest(state, blobs,
                                            lambda: from_catboost(json.loads(est._saved)))
        return est


def _saved_json(model) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:  # CatBoost's public save writes a file
        path = Path(tmp) / MODEL_FILE
        model.save_model(str(path), format="json")
        return path.read_bytes()


@register
class CatBoostClassifierModel(_CatBoostModel):
    """Fits on the classes present in the fold (re-indexed) and pads the absent ones back, like
    XGBoost."""

    kind = "catboost_classifier"
    task = "classification"
    wrapper = "CatBoostClassifier"

    def fit(self, X, y, sample_weight=None, on_epoch=None):
        y = np.asarray(y).astype(int)
        self.present_ = np.unique(y).tolist()
        self.forest = None  # one class seen: nothing to learn, predict it with certainty
        if len(self.present_) > 1:
            self._fit_booster(X, np.searchsorted(self.present_, y), sample_weight)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.class_probabilities(X)

    def state(self):
        state, blobs = super().state()
        return {**state, "present": self.present_}, blobs

    @classmethod
    def from_state(cls, params, seed, n_classes, state, blobs):
        est = super().from_state(params, seed, n_classes, state, blobs)
        est.present_ = list(state.get("present", range(n_classes)))
        return est


@register
class CatBoostRegressorModel(_CatBoostModel):
    kind = "catboost_regressor"
    task = "regression"
    wrapper = "CatBoostRegressor"

    def fit(self, X, y, sample_weight=None, on_epoch=None):
        self._fit_booster(X, np.asarray(y, dtype=float), sample_weight)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.forest_predict(X), dtype=float)
