"""MLP regressor (batch norm, dropout, early stopping on a purged validation block), saved as
safetensors.

The target is standardised inside `fit` (mean and scale kept in the JSON state) so that index points
of any size train at the same learning rate; predictions are floored at 0 when `floor` is set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegismatrix.models import forward
from aegismatrix.models.base import register
from aegismatrix.models.defaults import MLP_DEFAULTS
from aegismatrix.models.torch_base import TorchEstimator

DEFAULTS = MLP_DEFAULTS


@register
class MLPRegressorModel(TorchEstimator):
    kind = "mlp_regressor"
    task = "regression"
    defaults = DEFAULTS

    def fit(self, X: pd.DataFrame, y: np.ndarray, sample_weight=None, on_epoch=None):
        # training needs torch; prediction does not (models/forward.py)
        from aegismatrix.models.torch_training import fit_mlp

        p = self.p
        values = X.to_numpy(dtype=np.float32, copy=True)
        y = np.asarray(y, dtype=np.float32)
        n = len(y)
        val_start = int(round(n * (1.0 - float(p["validation_fraction"]))))
        fit_end = val_start - int(p["purge"])
        if fit_end < 20 or n - val_start < 10:
            raise ValueError(f"mlp_regressor: {n} training rows are too few for a purged "
                             "validation split")
        self.y_mean_, self.y_scale_ = float(y[:fit_end].mean()), float(y[:fit_end].std() or 1.0)
        target = (y - self.y_mean_) / self.y_scale_
        self.n_features_ = values.shape[1]
        self.weights_ = fit_mlp(values, target, fit_end, val_start, p, self.seed, on_epoch)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        values = X.to_numpy(dtype=np.float32)
        out = forward.mlp(self.weights_, values, len(self.p["hidden"])).astype(float)
        pred = out * self.y_scale_ + self.y_mean_
        floor = self.p["floor"]
        return np.maximum(pred, float(floor)) if floor is not None else pred

    def state(self):
        return ({"n_features": self.n_features_, "y_mean": self.y_mean_, "y_scale": self.y_scale_},
                self._weights())

    @classmethod
    def from_state(cls, params, seed, n_classes, state, blobs):
        est = cls._restore(params, seed, n_classes, state, blobs)
        est.y_mean_, est.y_scale_ = state["y_mean"], state["y_scale"]
        return est
