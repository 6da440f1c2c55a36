"""Linear models (logistic regression, ridge / HAR-RV) with coefficients stored as JSON."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegismatrix.models.base import Estimator, register


class _Linear(Estimator):
    explainer = "linear"

    def _columns(self, X: pd.DataFrame) -> list[str]:
        """Optional `columns` parameter restricts the model to named features (e.g. the HAR
        regressors)."""
        return list(self.params.get("columns") or X.columns)

    def state(self):
        return {"columns": self.columns_, "coef": np.atleast_2d(self.coef_).tolist(),
                "intercept": np.atleast_1d(self.intercept_).tolist()}, {}

    @classmethod
    def from_state(cls, params, seed, n_classes, state, blobs):
        est = cls(params, seed, n_classes)
        est.columns_ = list(state["columns"])
        est.coef_ = np.asarray(state["coef"])
        est.intercept_ = np.asarray(state["intercept"])
        return est

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per-row additive contributions (coefficient x input) for the explainer."""
        coef = np.atleast_2d(self.coef_)[-1]
        return X[self.columns_] * coef


@register
class LogisticModel(_Linear):
    kind = "logistic"
    task = "classification"

    @classmethod
    def param_names(cls) -> frozenset[str]:
        return frozenset({"columns", "C"})

    @staticmethod
    def search_space(trial) -> dict:
        return {"C": trial.suggest_float("C", 1e-3, 10.0, log=True)}

    def fit(self, X, y, sample_weight=None, on_epoch=None):
        # lazy: sklearn costs ~1.5 s; predict needs numpy only
        from sklearn.linear_model import LogisticRegression

        self.columns_ = self._columns(X)
        model = LogisticRegression(C=self.params.get("C", 0.1), max_iter=500)
        model.fit(X[self.columns_].to_numpy(), y.astype(int), sample_weight=sample_weight)
        self.classes_ = model.classes_
        coef, intercept = model.coef_, model.intercept_
        # sklearn keeps one row for two classes; store both for a uniform softmax
        if coef.shape[0] == 1:
            coef, intercept = (np.vstack([-coef / 2, coef / 2]),
                               np.array([-intercept[0] / 2, intercept[0] / 2]))
        self.coef_, self.intercept_ = coef, intercept
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        logits = X[self.columns_].to_numpy() @ self.coef_.T + self.intercept_
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        return proba / proba.sum(axis=1, keepdims=True)


@register
class RidgeModel(_Linear):
    """Ridge regression; with `columns` set to daily/weekly/monthly realised vol (+ VIX) it is
    HAR-RV."""

    kind = "ridge"
    task = "regression"

    @classmethod
    def param_names(cls) -> frozenset[str]:
        return frozenset({"columns", "alpha", "floor"})

    @staticmethod
    def search_space(trial) -> dict:
        return {"alpha": trial.suggest_float("alpha", 1e-3, 100.0, log=True)}

    def fit(self, X, y, sample_weight=None, on_epoch=None):
        # lazy: sklearn costs ~1.5 s; predict needs numpy only
        from sklearn.linear_model import Ridge

        self.columns_ = self._columns(X)
        model = Ridge(alpha=self.params.get("alpha", 1.0)).fit(X[self.columns_].to_numpy(), y,
                                                               sample_weight=sample_weight)
        self.coef_, self.intercept_ = model.coef_, np.atleast_1d(model.intercept_)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        pred = X[self.columns_].to_numpy() @ np.atleast_2d(self.coef_)[-1] + self.intercept_[-1]
        floor = self.params.get("floor")
        return np.maximum(pred, floor) if floor is not None else pred
