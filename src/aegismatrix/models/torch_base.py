"""What the torch models (BiLSTM, MLP) share: tunable parameters, safetensors weights and early
stopping."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from torch import nn

from aegismatrix.models.base import Estimator


class TorchEstimator(Estimator):
    """Subclasses set `defaults` and build a seeded network in `_network(n_features)`."""

    scale_inputs = True
    defaults: ClassVar[dict] = {}

    @classmethod
    def param_names(cls) -> frozenset[str]:
        return frozenset(cls.defaults)

    @staticmethod
    def search_space(trial) -> dict:
        return {"lr": trial.suggest_float("lr", 3e-4, 3e-3, log=True),
                "dropout": trial.suggest_float("dropout", 0.0, 0.4)}

    @property
    def p(self) -> dict:
        return {**self.defaults, **self.params}

    def _network(self, n_features: int) -> nn.Module:
        raise NotImplementedError

    def _weights(self) -> dict[str, bytes]:
        """The network's weights as safetensors bytes (non-executable, never pickle)."""
        return {"model.safetensors": save_tensors({k: v.contiguous()
                                                   for k, v in self.net.state_dict().items()})}

    @classmethod
    def _restore(cls, params, seed, n_classes, state, blobs) -> TorchEstimator:
        est = cls(params, seed, n_classes)
        est.n_features_ = int(state["n_features"])
        net = est._network(est.n_features_)
        net.load_state_dict(load_tensors(blobs["model.safetensors"]))
        est.net = net.eval()
        return est


class EarlyStopping:
    """Keep the best weights on the validation rows; stop after `patience` epochs without
    improvement."""

    def __init__(self, patience: int, min_delta: float):
        self.patience, self.min_delta = int(patience), min_delta
        self.best, self.best_state, self.stale = np.inf, None, 0

    def should_stop(self, net: nn.Module, validation_loss: float) -> bool:
        """Record the weights when the loss improves; True once it has not improved for `patience`
        epochs."""
        if validation_loss < self.best - self.min_delta:
            self.best, self.stale = validation_loss, 0
            self.best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            return False
        self.stale += 1
        return self.stale >= self.patience

    def restore_best(self, net: nn.Module) -> nn.Module:
        if self.best_state is not None:
            net.load_state_dict(self.best_state)
        return net.eval()
