"""XGBoost classifiers and regressors, saved in XGBoost's own UBJ format. XGBoost fits; prediction
and TreeSHAP run in NumPy from the saved model (`models/trees.py`), so serving never imports it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegismatrix.models.base import Estimator, register
from aegismatrix.models.defaults import XGB_PARAM_NAMES
from aegismatrix.models.tree_formats import from_xgboost
from aegismatrix.models.trees import TreeEnsemble

DEFAULTS = {"n_estimators": 150, "max_depth": 3, "learning_rate": 0.05, "subsample": 0.8,
            "colsample_bytree": 0.8, "min_child_weight": 5.0, "reg_lambda": 5.0}
MODEL_FILE = "model.ubj"


def _xgb_space(trial) -> dict:
    return {
        "n_estimators": trial.suggest_int("n_estimators", 50, 300, step=50),
        "max_depth": trial.suggest_int("max_depth", 2, 5),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
        "min_child_weight": trial.suggest_float("min_child_weight", 1.0, 50.0, log=True),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.4, 1.0),
        "reg_lambda": trial.suggest_float("reg_lambda", 0.1, 50.0, log=True),
    }


class _XGBModel(TreeEnsemble, Estimator):
    # n_jobs defaults to 1: small daily frames gain nothing from threads, and on 2 shared cores
    # OpenMP oversubscription made fits up to 40x slower (measured); set `n_jobs` in a model's
    # params to change it
    wrapper: str  # the xgboost class, imported when fitting

    search_space = staticmethod(_xgb_space)

    @classmethod
    def param_names(cls) -> frozenset[str]:
        return XGB_PARAM_NAMES

    def _make(self):
        import xgboost as xgb  # fitting only: with it comes scikit-learn (~2 s)

        params = {**DEFAULTS, "n_jobs": 1, "tree_method": "hist", "verbosity": 0, **self.params}
        return getattr(xgb, self.wrapper)(**params, random_state=self.seed)

    def _fit_model(self, X: pd.DataFrame, y: np.ndarray, sample_weight) -> None:
        model = self._make().fit(X.to_numpy(dtype=np.float32), y, sample_weight=sample_weight)
        booster = self._library_model = model.get_booster()
        self._saved = bytes(booster.save_raw("ubj"))
        self.forest = from_xgboost(bytes(booster.save_raw("json")))  # json.loads: faster here

    def fit(self, X, y, sample_weight=None, on_epoch=None):
        self._fit_model(X, y, sample_weight)
        return self

    def state(self):
        state, blobs = self.forest_state()
        return state, {MODEL_FILE: self._saved, **blobs}

    @classmethod
    def from_state(cls, params, seed, n_classes, state, blobs):
        est = cls(params, seed, n_classes)
        est._saved = blobs[MODEL_FILE]
        est.forest = cls.restore_forest(state, blobs, lambda: from_xgboost(est._saved))
        return est

    def _load_library_model(self):
        import xgboost as xgb

        booster = xgb.Booster()
        booster.load_model(bytearray(self._saved))
        return booster


class _XGBClassifier(_XGBModel):
    """XGBoost needs contiguous classes, but a class can be absent from an early training fold (e.g.
    no high-vol month): fit on the present classes re-indexed, then pad probabilities back to all
    classes."""

    task = "classification"

    def fit(self, X, y, sample_weight=None, on_epoch=None):
        y = np.asarray(y).astype(int)
        self.present_ = np.unique(y).tolist()
        self._fit_model(X, np.searchsorted(self.present_, y), sample_weight)
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
class XGBClassifierModel(_XGBClassifier):
    kind = "xgb_classifier"
    wrapper = "XGBClassifier"


@register
class XGBRegressorModel(_XGBModel):
    kind = "xgb_regressor"
    task = "regression"
    wrapper = "XGBRegressor"

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.forest_predict(X).astype(float)


@register
class XGBRandomForestClassifierModel(_XGBClassifier):
    """A random forest (XGBoost's RF mode: bagged trees, one boosting round) saved as UBJ."""

    kind = "xgb_random_forest"
    wrapper = "XGBRFClassifier"

    @staticmethod
    def search_space(trial) -> dict:
        return {"max_depth": trial.suggest_int("max_depth", 3, 8),
                "min_child_weight": trial.suggest_float("min_child_weight", 1.0, 50.0, log=True)}

    def _make(self):
        import xgboost as xgb

        params = {"n_estimators": 200, "max_depth": 5, "min_child_weight": 5.0, "subsample": 0.7,
                  "colsample_bynode": 0.6, "n_jobs": 1, "tree_method": "hist", "verbosity": 0,
                  **self.params}
        return xgb.XGBRFClassifier(**params, random_state=self.seed)
