"""Estimators that wrap others for the direction engine.

`xgb_random_forest_padded`: XGBoost's random-forest mode for multi-class labels whose classes may be
absent from a training fold (e.g. no high-vol month in an early fold). XGBoost needs contiguous classes,
so the present classes are re-indexed for fitting and the probabilities are padded back to all
`n_classes` columns (absent classes get 1e-4 before renormalising). It also runs single-threaded by
default (`n_jobs`), which on a shared 2-core machine is many times faster than two threads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xgboost as xgb

from aegismatrix.models.base import Estimator, register

ABSENT = 1e-4


@register
class PaddedRandomForestModel(Estimator):
    kind = "xgb_random_forest_padded"
    task = "classification"
    scale_inputs = False
    explainer = "tree"

    @staticmethod
    def search_space(trial) -> dict:
        return {"max_depth": trial.suggest_int("max_depth", 3, 8),
                "min_child_weight": trial.suggest_float("min_child_weight", 1.0, 50.0, log=True)}

    def _make(self) -> xgb.XGBRFClassifier:
        p = self.params
        return xgb.XGBRFClassifier(n_estimators=p.get("n_estimators", 200), max_depth=p.get("max_depth", 5),
                                   min_child_weight=p.get("min_child_weight", 5.0), subsample=0.7,
                                   colsample_bynode=0.6, random_state=self.seed, n_jobs=p.get("n_jobs", 1),
                                   tree_method="hist", verbosity=0)

    def fit(self, X, y, sample_weight=None, on_epoch=None):
        y = np.asarray(y).astype(int)
        self.present_ = np.unique(y).tolist()
        self.model = self._make()
        self.model.fit(X.to_numpy(dtype=np.float32), np.searchsorted(self.present_, y), sample_weight=sample_weight)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        raw = self.model.predict_proba(X.to_numpy(dtype=np.float32))
        if raw.ndim == 1 or raw.shape[1] == 1:  # one class seen: certain of it
            raw = np.ones((len(X), 1))
        proba = np.full((len(X), self.n_classes), ABSENT)
        proba[:, self.present_] = raw
        return proba / proba.sum(axis=1, keepdims=True)

    def state(self):
        return {"present": self.present_}, {"model.ubj": bytes(self.model.get_booster().save_raw("ubj"))}

    @classmethod
    def from_state(cls, params, seed, n_classes, state, blobs):
        est = cls(params, seed, n_classes)
        est.present_ = list(state["present"])
        est.model = xgb.XGBRFClassifier()
        est.model.load_model(bytearray(blobs["model.ubj"]))
        return est

    @property
    def booster(self) -> xgb.Booster:
        return self.model.get_booster()
