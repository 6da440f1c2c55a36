"""CatBoost classifiers and regressors, saved in CatBoost's own binary `.cbm` model format (never
pickle).

Deterministic with a seed and one thread by default (`thread_count` in a model's params changes it);
CatBoost writes no training files (`allow_writing_files=False`), so parallel runs never collide on
`catboost_info/`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import catboost
import numpy as np
import pandas as pd

from aegismatrix.models.base import Estimator, pad_absent_classes, register
from aegismatrix.models.defaults import CATBOOST_DEFAULTS as DEFAULTS
from aegismatrix.models.defaults import CATBOOST_PARAM_NAMES as PARAM_NAMES

MODEL_FILE = "model.cbm"


def _catboost_space(trial) -> dict:
    return {
        "iterations": trial.suggest_int("iterations", 50, 400, step=50),
        "depth": trial.suggest_int("depth", 2, 6),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
        "l2_leaf_reg": trial.suggest_float("l2_leaf_reg", 1.0, 50.0, log=True),
        "rsm": trial.suggest_float("rsm", 0.4, 1.0),
    }


class _CatBoostModel(Estimator):
    explainer = "tree"
    # trees are invariant to monotone scaling; keeps SHAP values in feature units
    scale_inputs = False
    wrapper: type

    search_space = staticmethod(_catboost_space)

    @classmethod
    def param_names(cls) -> frozenset[str]:
        return PARAM_NAMES

    def _make(self):
        params = {**DEFAULTS, "thread_count": 1, "verbose": False, "allow_writing_files": False,
                  **self.params}
        return self.wrapper(**params, random_seed=self.seed)

    def _fit_booster(self, X: pd.DataFrame, y: np.ndarray, sample_weight) -> None:
        self.booster = self._make().fit(X.to_numpy(dtype=np.float32), y,
                                        sample_weight=sample_weight)

    def tree_contributions(self, X: pd.DataFrame) -> np.ndarray:
        """(rows, features) TreeSHAP values from CatBoost itself, for the class each row
        predicts."""
        pool = catboost.Pool(X.to_numpy(dtype=np.float32))
        raw = np.asarray(self.booster.get_feature_importance(pool, type="ShapValues"))
        if raw.ndim == 2:  # regression or binary: one set of values
            return raw[:, :-1]
        predicted = self.predict(X)[:, self.present_].argmax(axis=1)
        return raw[np.arange(len(X)), predicted, :-1]

    def state(self):
        if self.booster is None:
            return {}, {}
        with tempfile.TemporaryDirectory() as tmp:  # CatBoost's public save writes a file
            path = Path(tmp) / MODEL_FILE
            self.booster.save_model(str(path), format="cbm")
            return {}, {MODEL_FILE: path.read_bytes()}

    @classmethod
    def from_state(cls, params, seed, n_classes, state, blobs):
        est = cls(params, seed, n_classes)
        est.booster = None
        if MODEL_FILE in blobs:
            est.booster = catboost.CatBoost()
            est.booster.load_model(blob=blobs[MODEL_FILE])
        return est


@register
class CatBoostClassifierModel(_CatBoostModel):
    """Fits on the classes present in the fold (re-indexed) and pads the absent ones back, like
    XGBoost."""

    kind = "catboost_classifier"
    task = "classification"
    wrapper = catboost.CatBoostClassifier

    def fit(self, X, y, sample_weight=None, on_epoch=None):
        y = np.asarray(y).astype(int)
        self.present_ = np.unique(y).tolist()
        self.booster = None  # one class seen: nothing to learn, predict it with certainty
        if len(self.present_) > 1:
            self._fit_booster(X, np.searchsorted(self.present_, y), sample_weight)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        if self.booster is None:
            return pad_absent_classes(np.ones((len(X), 1)), self.present_, self.n_classes)
        raw = self.booster.predict(X.to_numpy(dtype=np.float32), prediction_type="Probability")
        return pad_absent_classes(np.asarray(raw, dtype=float), self.present_, self.n_classes)

    def state(self):
        _, blobs = super().state()
        return {"present": self.present_}, blobs

    @classmethod
    def from_state(cls, params, seed, n_classes, state, blobs):
        est = super().from_state(params, seed, n_classes, state, blobs)
        est.present_ = list(state.get("present", range(n_classes)))
        return est


@register
class CatBoostRegressorModel(_CatBoostModel):
    kind = "catboost_regressor"
    task = "regression"
    wrapper = catboost.CatBoostRegressor

    def fit(self, X, y, sample_weight=None, on_epoch=None):
        self._fit_booster(X, np.asarray(y, dtype=float), sample_weight)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.booster.predict(X.to_numpy(dtype=np.float32)), dtype=float)
