"""BiLSTM with attention pooling over fixed windows of consecutive days, as template Estimators: the
direction classifier (`bilstm_attention`) and the seller's volatility forecaster
(`lstm_vol_regressor`, one output on log vol).

`fit(X, y)` sees the training rows only (history first, consecutive days) and builds one window of
`window` rows ending at each training row, so every training sequence lies inside the training fold.
`predict(X)` gets the scaled rows up to the end of the block to predict and returns probabilities
for every row; a row with fewer than `window` rows of history gets its window padded at the front
with copies of the first row available (edge padding), so early rows are predicted, with less
context.

Training cannot silently diverge: inputs arrive scaled (template scaler), gradients are clipped, the
learning rate follows a cosine schedule, early stopping watches a validation block carved from the
end of the training rows and purged by `purge` rows (the label horizon), classes are weighted, and a
NaN or infinite loss stops training with a clear error (models/torch_training.py, the only torch
code). The weights are saved as safetensors bytes, never pickle, and every prediction runs the
network forward in NumPy (models/forward.py), so serving never imports torch.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegismatrix.models import forward
from aegismatrix.models.base import register
from aegismatrix.models.defaults import BILSTM_DEFAULTS, LSTM_VOL_DEFAULTS
from aegismatrix.models.torch_base import NonFiniteLossError, TorchEstimator

__all__ = ["BiLSTMAttentionClassifier", "LSTMVolatilityRegressor", "NonFiniteLossError",
           "make_windows"]

DEFAULTS = BILSTM_DEFAULTS
# windows predicted per forward pass (bounds the (batch, time, 4 x hidden) gate array)
PREDICT_BATCH = 512


def make_windows(X: np.ndarray, window: int, ends: np.ndarray | None = None) -> np.ndarray:
    """(len(ends), window, n_features) windows of rows ending at each position in `ends`
    (inclusive).

    Positions before the first row are filled with the first row (edge padding); nothing after an
    end position is ever used, and nothing outside `X` is ever read.
    """
    n = len(X)
    ends = np.arange(n) if ends is None else np.asarray(ends)
    idx = ends[:, None] - np.arange(window - 1, -1, -1)[None, :]
    return X[np.clip(idx, 0, n - 1)]


def _class_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    counts = np.bincount(y, minlength=n_classes).astype(float)
    return len(y) / (n_classes * np.maximum(counts, 1.0))


@register
class BiLSTMAttentionClassifier(TorchEstimator):
    """Sequence classifier; params in DEFAULTS (the issue's full size is 2 layers x 128 hidden)."""

    kind = "bilstm_attention"
    task = "classification"
    explainer = None
    defaults = DEFAULTS
    loss = "cross_entropy"

    def fit(self, X: pd.DataFrame, y: np.ndarray, sample_weight: np.ndarray | None = None,
            on_epoch=None):
        # training needs torch; prediction does not (models/forward.py)
        from aegismatrix.models.torch_training import fit_sequence

        p = self.p
        values = X.to_numpy(dtype=np.float32)
        if not np.isfinite(values).all():
            raise ValueError(f"{self.kind}: inputs contain NaN/inf; the feature frame must be "
                             "complete")
        n = len(values)
        val_start = int(round(n * (1.0 - float(p["validation_fraction"]))))
        # label windows of fit rows end before the validation block
        fit_end = val_start - int(p["purge"])
        if fit_end < 20 or n - val_start < 10:
            raise ValueError(f"{self.kind}: {n} training rows are too few for a purged "
                             "validation split")
        fit_rows, val_rows = np.arange(fit_end), np.arange(val_start, n)
        weights = (sample_weight if sample_weight is not None
                   else self._row_weights(np.asarray(y), fit_rows))
        self.n_features_ = values.shape[1]
        self.weights_, self.best_validation_loss_ = fit_sequence(
            make_windows(values, int(p["window"])), self._targets(y), weights,
            (fit_rows, val_rows), self._n_outputs(), p, self.seed, self.loss, self.kind, on_epoch)
        return self

    # What a classifier and a regressor do differently: outputs, targets, weights, predictions.
    def _n_outputs(self) -> int:
        return int(self.n_classes)

    def _targets(self, y) -> np.ndarray:
        return np.asarray(y).astype(np.int64)

    def _row_weights(self, y: np.ndarray, fit_rows: np.ndarray) -> np.ndarray:
        y = y.astype(np.int64)
        return _class_weights(y[fit_rows], self.n_classes)[y]

    def _outputs(self, logits: np.ndarray) -> np.ndarray:
        return forward.softmax(logits, axis=1)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        windows = make_windows(X.to_numpy(dtype=np.float32), int(self.p["window"]))
        layers = int(self.p["layers"])
        logits = [forward.bilstm_attention(self.weights_, windows[i:i + PREDICT_BATCH], layers)
                  for i in range(0, max(len(windows), 1), PREDICT_BATCH)]
        return self._outputs(np.concatenate(logits)).astype(float)

    def state(self):
        return ({"n_features": self.n_features_,
                 "best_validation_loss": self.best_validation_loss_},
                self._weights())

    @classmethod
    def from_state(cls, params, seed, n_classes, state, blobs):
        est = cls._restore(params, seed, n_classes, state, blobs)
        est.best_validation_loss_ = state.get("best_validation_loss")
        return est


@register
class LSTMVolatilityRegressor(BiLSTMAttentionClassifier):
    """Forward realised vol from windows of features: the same network with one output, fitted on
    log vol.

    Trained on log(y) with squared error (vol is right-skewed and QLIKE-scored; logs keep a spike
    from dominating), predicted as exp(mean + var / 2) with the training residual variance
    (log-normal mean), floored at `floor`.
    """

    kind = "lstm_vol_regressor"
    task = "regression"
    defaults = LSTM_VOL_DEFAULTS
    loss = "squared"

    def _n_outputs(self) -> int:
        return 1

    def _targets(self, y) -> np.ndarray:
        """Standardised log vol (the network learns deviations from the training rows' mean
        level)."""
        return ((np.log(y) - self.log_mu_) / self.log_sd_).astype(np.float32)

    def _row_weights(self, y: np.ndarray, fit_rows: np.ndarray) -> np.ndarray:
        return np.ones(len(y))

    def _outputs(self, logits: np.ndarray) -> np.ndarray:
        return logits[:, 0] * self.log_sd_ + self.log_mu_  # back to log vol

    def fit(self, X: pd.DataFrame, y: np.ndarray, sample_weight: np.ndarray | None = None,
            on_epoch=None):
        y = np.asarray(y, dtype=np.float64)
        if (y <= 0).any() or not np.isfinite(y).all():
            raise ValueError(f"{self.kind}: the label must be positive and finite (a realised vol)")
        self.log_mu_, self.log_sd_ = float(np.log(y).mean()), float(max(np.log(y).std(), 1e-6))
        super().fit(X, y, sample_weight, on_epoch)
        log_pred = super().predict(X)
        # in-sample residuals
        self.log_var_ = float(np.var(np.log(np.asarray(y, dtype=float)) - log_pred))
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        vol = np.exp(super().predict(X) + self.log_var_ / 2.0)
        return np.maximum(vol, float(self.p["floor"]))

    def state(self):
        meta, blobs = super().state()
        return {**meta, "log_var": self.log_var_, "log_mu": self.log_mu_,
                "log_sd": self.log_sd_}, blobs

    @classmethod
    def from_state(cls, params, seed, n_classes, state, blobs):
        est = super().from_state(params, seed, n_classes, state, blobs)
        est.log_var_, est.log_mu_, est.log_sd_ = (float(state["log_var"]), float(state["log_mu"]),
                                                  float(state["log_sd"]))
        return est
