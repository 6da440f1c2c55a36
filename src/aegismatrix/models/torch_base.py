"""What the torch models (BiLSTM, MLP) share: tunable parameters and their weights as safetensors.

Nothing here imports torch: training does (models/torch_training.py, from `fit`), while prediction
runs the networks forward in NumPy (models/forward.py), so serving a restored model never loads
torch.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays

from aegismatrix.models.base import Estimator


class NonFiniteLossError(RuntimeError):
    """Raised when a training loss turns NaN or infinite (diverged training is never saved)."""


class TorchEstimator(Estimator):
    """Subclasses set `defaults`; `fit` sets `weights_` (NumPy arrays named as the torch module's
    `state_dict()`), which `predict` runs forward."""

    scale_inputs = True
    defaults: ClassVar[dict] = {}
    weights_: dict[str, np.ndarray]

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

    def _weights(self) -> dict[str, bytes]:
        """The network's weights as safetensors bytes (non-executable, never pickle)."""
        arrays = {k: np.ascontiguousarray(v) for k, v in self.weights_.items()}
        return {"model.safetensors": save_arrays(arrays)}

    @classmethod
    def _restore(cls, params, seed, n_classes, state, blobs) -> TorchEstimator:
        est = cls(params, seed, n_classes)
        est.n_features_ = int(state["n_features"])
        est.weights_ = load_arrays(blobs["model.safetensors"])
        return est
