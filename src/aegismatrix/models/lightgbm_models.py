"""LightGBM classifiers and regressors, saved as LightGBM's own text model (never pickle). LightGBM
fits; prediction and TreeSHAP run in NumPy from the text model (`models/trees.py`).

Deterministic with a seed (`deterministic`, row-wise histograms, one thread) and single-threaded by
default: on 2 shared cores OpenMP threads only oversubscribe (set `n_jobs` in a model's params to
change it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegismatrix.models.base import Estimator, register
from aegismatrix.models.defaults import LGBM_PARAM_NAMES
from aegismatrix.models.tree_formats import from_lightgbm
from aegismatrix.models.trees import TreeEnsemble

DEFAULTS = {"n_estimators": 100, "num_leaves": 7, "max_depth": 3, "learning_rate": 0.05,
            "min_child_samples": 50, "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8,
            "reg_lambda": 5.0}
MODEL_FILE = "model.txt"


def _lgbm_space(trial) -> dict:
    return {
        "n_estimators": trial.suggest_int("n_estimators", 50, 400, step=50),
        "num_leaves": trial.suggest_int("num_leaves", 3, 31),
        "max_depth": trial.suggest_int("max_depth", 2, 6),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 10, 200, log=True),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.4, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 0.1, 50.0, log=True),
    }


class _LGBMModel(TreeEnsemble, Estimator):
    wrapper: str  # the lightgbm class, imported when fitting

    search_space = staticmethod(_lgbm_space)

    @classmethod
    def param_names(cls) -> frozenset[str]:
        return LGBM_PARAM_NAMES

    def _make(self):
        import lightgbm as lgb  # fitting only: with it comes scikit-learn (~1.2 s)

        params = {**DEFAULTS, "n_jobs": 1, "deterministic": True, "force_row_wise": True,
                  "verbosity": -1,
                  **self.params}
        return getattr(lgb, self.wrapper)(**params, random_state=self.seed)

    def _fit_booster(self, X: pd.DataFrame, y: np.ndarray, sample_weight) -> None:
        model = self._make().fit(X.to_numpy(dtype=np.float32), y, sample_weight=sample_weight)
        self._library_model = model.booster_
        self._saved = model.booster_.model_to_string()
        self.forest = from_lightgbm(self._saved)

    def _load_library_model(self):
        import lightgbm as lgb

        return lgb.Booster(model_str=self._saved)

    def state(self):
        if self.forest is None:
            return {}, {}
        state, blobs = self.forest_state()
        return state, {MODEL_FILE: self._saved.encode(), **blobs}

    @classmethod
    def from_state(cls, params, seed, n_classes, state, blobs):
        est = cls(params, seed, n_classes)
        if MODEL_FILE in blobs:
            est._saved = blobs[MODEL_FILE].decode()
            est.forest = cls.restore_forest(state, blobs, lambda: from_lightgbm(est._saved))
        return est


@register
class LGBMClassifierModel(_LGBMModel):
    """Fits on the classes present in the fold (re-indexed) and pads the absent ones back, like
    XGBoost."""

    kind = "lgbm_classifier"
    task = "classification"
    wrapper = "LGBMClassifier"

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
class LGBMRegressorModel(_LGBMModel):
    kind = "lgbm_regressor"
    task = "regression"
    wrapper = "LGBMRegressor"

    def fit(self, X, y, sample_weight=None, on_epoch=None):
        self._fit_booster(X, np.asarray(y, dtype=float), sample_weight)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.forest_predict(X), dtype=float)
