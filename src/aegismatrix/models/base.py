"""The estimator interface every model implements, and the registry the modelling template reads.

An estimator sees a feature frame whose rows are consecutive trading days in time order (history first),
so sequence and recursive models (BiLSTM, GARCH) can use earlier rows; tabular models ignore the order.
It persists as (JSON-able state, named byte blobs in non-executable formats): never pickle.
"""

from __future__ import annotations

import importlib
from typing import Callable, ClassVar

import numpy as np
import pandas as pd

EpochCallback = Callable[[int, float], None]


class Estimator:
    """Base class: subclasses set the class attributes and implement fit/predict/state."""

    kind: ClassVar[str]
    task: ClassVar[str]  # "classification" | "regression"
    scale_inputs: ClassVar[bool] = True
    explainer: ClassVar[str | None] = None  # "tree" for SHAP TreeExplainer, "linear" for coefficients

    def __init__(self, params: dict | None = None, seed: int = 7, n_classes: int | None = None):
        self.params = dict(params or {})
        self.seed = seed
        self.n_classes = n_classes

    @staticmethod
    def search_space(trial) -> dict:
        """Hyperparameters Optuna may tune (empty: nothing to tune)."""
        return {}

    def fit(self, X: pd.DataFrame, y: np.ndarray, sample_weight: np.ndarray | None = None,
            on_epoch: EpochCallback | None = None) -> "Estimator":
        raise NotImplementedError

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """(n,) forecasts for regression, (n, n_classes) probabilities for classification."""
        raise NotImplementedError

    def state(self) -> tuple[dict, dict[str, bytes]]:
        raise NotImplementedError

    @classmethod
    def from_state(cls, params: dict, seed: int, n_classes: int | None, state: dict,
                   blobs: dict[str, bytes]) -> "Estimator":
        raise NotImplementedError


ESTIMATORS: dict[str, type[Estimator]] = {}

# Where each kind is defined: imported on first use, so a run without neural models never imports torch.
ESTIMATOR_MODULES: dict[str, str] = {
    "xgb_classifier": "gradient_boosting", "xgb_regressor": "gradient_boosting",
    "xgb_random_forest": "gradient_boosting",
    "logistic": "linear", "ridge": "linear", "garch": "volatility",
    "bilstm_attention": "sequence", "mlp_regressor": "neural",
}


def register(cls: type[Estimator]) -> type[Estimator]:
    """Class decorator: make an estimator available to the template by its `kind`."""
    ESTIMATORS[cls.kind] = cls
    return cls


def get_estimator(kind: str) -> type[Estimator]:
    if kind not in ESTIMATORS and kind in ESTIMATOR_MODULES:
        importlib.import_module(f"aegismatrix.models.{ESTIMATOR_MODULES[kind]}")
    if kind not in ESTIMATORS:
        raise KeyError(f"unknown model kind {kind!r}; known: {sorted(ESTIMATORS)}")
    return ESTIMATORS[kind]
