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
NaN or infinite loss stops training with a clear error. The state is saved as safetensors bytes,
never pickle.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch
from torch import nn

from aegismatrix.logs import fit_label
from aegismatrix.models.base import register
from aegismatrix.models.defaults import BILSTM_DEFAULTS, LSTM_VOL_DEFAULTS
from aegismatrix.models.torch_base import EarlyStopping, TorchEstimator

logger = logging.getLogger(__name__)

DEFAULTS = BILSTM_DEFAULTS


class NonFiniteLossError(RuntimeError):
    """Raised when a training loss turns NaN or infinite (diverged training is never saved)."""


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


class BiLSTMAttention(nn.Module):
    """Bidirectional LSTM, additive attention pooling over time steps, linear head to class
    logits."""

    def __init__(self, n_features: int, n_classes: int, hidden: int, layers: int, dropout: float):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden, num_layers=layers, batch_first=True,
                            bidirectional=True,
                            dropout=dropout if layers > 1 else 0.0)
        self.attention = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.Tanh(),
                                       nn.Linear(hidden, 1))
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.lstm(x)
        weights = torch.softmax(self.attention(states).squeeze(-1), dim=1)
        pooled = (weights.unsqueeze(-1) * states).sum(dim=1)
        return self.head(pooled)


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

    def _network(self, n_features: int) -> BiLSTMAttention:
        p = self.p
        torch.manual_seed(self.seed)
        return BiLSTMAttention(n_features, self.n_classes, int(p["hidden"]), int(p["layers"]),
                               float(p["dropout"]))

    def fit(self, X: pd.DataFrame, y: np.ndarray, sample_weight: np.ndarray | None = None,
            on_epoch=None):
        p = self.p
        torch.set_num_threads(int(p["threads"]))
        torch.manual_seed(self.seed)
        values = X.to_numpy(dtype=np.float32)
        if not np.isfinite(values).all():
            raise ValueError(f"{self.kind}: inputs contain NaN/inf; the feature frame must be "
                             "complete")
        window, n = int(p["window"]), len(values)
        val_start = int(round(n * (1.0 - float(p["validation_fraction"]))))
        # label windows of fit rows end before the validation block
        fit_end = val_start - int(p["purge"])
        if fit_end < 20 or n - val_start < 10:
            raise ValueError(f"{self.kind}: {n} training rows are too few for a purged "
                             "validation split")
        fit_rows, val_rows = np.arange(fit_end), np.arange(val_start, n)
        windows = torch.from_numpy(make_windows(values, window))
        targets = self._targets(y)
        weights = (sample_weight if sample_weight is not None
                   else self._row_weights(np.asarray(y), fit_rows))
        weights = torch.as_tensor(np.asarray(weights, dtype=np.float32))
        self.n_features_ = values.shape[1]
        net = self._network(self.n_features_)
        opt = torch.optim.AdamW(net.parameters(), lr=float(p["lr"]),
                                weight_decay=float(p["weight_decay"]))
        epochs = int(p["epochs"])
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs))
        gen = torch.Generator().manual_seed(self.seed)
        stopper = EarlyStopping(p["patience"], min_delta=1e-4)
        for epoch in range(epochs):
            net.train()
            order = fit_rows[torch.randperm(len(fit_rows), generator=gen).numpy()]
            total = 0.0
            for start in range(0, len(order), int(p["batch_size"])):
                batch = order[start:start + int(p["batch_size"])]
                opt.zero_grad()
                rows = self._row_loss(net(windows[batch]), targets[batch])
                loss = (rows * weights[batch]).sum() / weights[batch].sum()
                if not torch.isfinite(loss):
                    raise NonFiniteLossError(
                        f"{self.kind}: training loss became {loss.item()} at epoch {epoch + 1}; "
                        "check the input scaling and lower `lr` (the model was not saved)")
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), float(p["clip"]))
                opt.step()
                total += loss.item() * len(batch)
            schedule.step()
            val_loss = self._loss(net, windows[val_rows], targets[val_rows])
            logger.info("%s %s epoch %d/%d: train loss %.4f, validation loss %.4f",
                        fit_label() or "(no fold)", self.kind, epoch + 1, epochs,
                        total / len(order),
                        val_loss)
            if on_epoch is not None:
                on_epoch(epoch, val_loss)
            if stopper.should_stop(net, val_loss):
                break
        self.net = stopper.restore_best(net)
        self.best_validation_loss_ = float(stopper.best)
        return self

    # What a classifier and a regressor do differently: targets, per-row loss, weights and outputs.
    def _targets(self, y) -> torch.Tensor:
        return torch.from_numpy(np.asarray(y).astype(np.int64))

    def _row_loss(self, out: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(out, targets, reduction="none")

    def _row_weights(self, y: np.ndarray, fit_rows: np.ndarray) -> np.ndarray:
        y = y.astype(np.int64)
        return _class_weights(y[fit_rows], self.n_classes)[y]

    def _outputs(self, out: torch.Tensor) -> torch.Tensor:
        return torch.softmax(out, dim=1)

    def _loss(self, net: nn.Module, windows: torch.Tensor, targets: torch.Tensor) -> float:
        net.eval()
        with torch.no_grad():
            loss = self._row_loss(net(windows), targets).mean().item()
        if not np.isfinite(loss):
            raise NonFiniteLossError(f"{self.kind}: validation loss became {loss}; lower `lr`")
        return loss

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        values = X.to_numpy(dtype=np.float32)
        windows = torch.from_numpy(make_windows(values, int(self.p["window"])))
        self.net.eval()
        with torch.no_grad():
            out = [self._outputs(self.net(windows[i:i + 512])) for i in range(0, len(windows), 512)]
        return torch.cat(out).numpy().astype(float)

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

    def _network(self, n_features: int) -> BiLSTMAttention:
        p = self.p
        torch.manual_seed(self.seed)
        return BiLSTMAttention(n_features, 1, int(p["hidden"]), int(p["layers"]),
                               float(p["dropout"]))

    def _targets(self, y) -> torch.Tensor:
        """Standardised log vol (the network learns deviations from the training rows' mean
        level)."""
        return torch.from_numpy(((np.log(y) - self.log_mu_) / self.log_sd_).astype(np.float32))

    def _row_loss(self, out: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return (out.squeeze(-1) - targets) ** 2

    def _row_weights(self, y: np.ndarray, fit_rows: np.ndarray) -> np.ndarray:
        return np.ones(len(y))

    def _outputs(self, out: torch.Tensor) -> torch.Tensor:
        return out.squeeze(-1) * self.log_sd_ + self.log_mu_  # back to log vol

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
