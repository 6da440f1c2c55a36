"""MLP regressor (batch norm, dropout, early stopping on a purged validation block), saved as
safetensors.

The target is standardised inside `fit` (mean and scale kept in the JSON state) so that index points
of any size train at the same learning rate; predictions are floored at 0 when `floor` is set.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch
from torch import nn

from aegismatrix.logs import fit_label
from aegismatrix.models.base import register
from aegismatrix.models.defaults import MLP_DEFAULTS
from aegismatrix.models.sequence import NonFiniteLossError
from aegismatrix.models.torch_base import EarlyStopping, TorchEstimator

logger = logging.getLogger(__name__)

DEFAULTS = MLP_DEFAULTS


def _mlp(n_features: int, hidden: list[int], dropout: float) -> nn.Sequential:
    layers, width = [], n_features
    for size in hidden:
        layers += [nn.Linear(width, size), nn.BatchNorm1d(size), nn.ReLU(), nn.Dropout(dropout)]
        width = size
    return nn.Sequential(*layers, nn.Linear(width, 1))


@register
class MLPRegressorModel(TorchEstimator):
    kind = "mlp_regressor"
    task = "regression"
    defaults = DEFAULTS

    def _network(self, n_features: int) -> nn.Sequential:
        torch.manual_seed(self.seed)
        return _mlp(n_features, [int(h) for h in self.p["hidden"]], float(self.p["dropout"]))

    def fit(self, X: pd.DataFrame, y: np.ndarray, sample_weight=None, on_epoch=None):
        p = self.p
        torch.set_num_threads(int(p["threads"]))
        values = torch.from_numpy(X.to_numpy(dtype=np.float32, copy=True))
        y = np.asarray(y, dtype=np.float32)
        n = len(y)
        val_start = int(round(n * (1.0 - float(p["validation_fraction"]))))
        fit_end = val_start - int(p["purge"])
        if fit_end < 20 or n - val_start < 10:
            raise ValueError(f"mlp_regressor: {n} training rows are too few for a purged "
                             "validation split")
        self.y_mean_, self.y_scale_ = float(y[:fit_end].mean()), float(y[:fit_end].std() or 1.0)
        target = torch.from_numpy((y - self.y_mean_) / self.y_scale_)
        self.n_features_ = values.shape[1]
        net = self._network(self.n_features_)
        opt = torch.optim.AdamW(net.parameters(), lr=float(p["lr"]),
                                weight_decay=float(p["weight_decay"]))
        gen = torch.Generator().manual_seed(self.seed)
        stopper = EarlyStopping(p["patience"], min_delta=1e-5)
        for epoch in range(int(p["epochs"])):
            net.train()
            order = torch.randperm(fit_end, generator=gen)
            for start in range(0, fit_end, int(p["batch_size"])):
                batch = order[start:start + int(p["batch_size"])]
                if len(batch) < 2:  # batch norm needs two rows
                    continue
                opt.zero_grad()
                loss = nn.functional.mse_loss(net(values[batch]).squeeze(-1), target[batch])
                if not torch.isfinite(loss):
                    raise NonFiniteLossError(f"mlp_regressor: training loss became {loss.item()} "
                                             f"at epoch {epoch + 1}")
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), float(p["clip"]))
                opt.step()
            net.eval()
            with torch.no_grad():
                val = nn.functional.mse_loss(net(values[val_start:]).squeeze(-1),
                                             target[val_start:]).item()
            logger.debug("%s mlp_regressor epoch %d: validation mse %.4f",
                         fit_label() or "(no fold)", epoch + 1, val)
            if on_epoch is not None:
                on_epoch(epoch, val)
            if stopper.should_stop(net, val):
                break
        self.net = stopper.restore_best(net)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        with torch.no_grad():
            # a float32 frame hands out a read-only view (copy-on-write); torch warns on
            # non-writable arrays
            values = np.require(X.to_numpy(dtype=np.float32), requirements="W")
            out = self.net(torch.from_numpy(values)).squeeze(-1).numpy().astype(float)
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
