"""The estimator interface every model implements, and the registry the modelling template reads.

An estimator sees a feature frame whose rows are consecutive trading days in time order (history
first), so sequence and recursive models (BiLSTM, GARCH) can use earlier rows; tabular models ignore
the order. It persists as (JSON-able state, named byte blobs in non-executable formats): never
pickle.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from typing import ClassVar

import numpy as np
import pandas as pd

EpochCallback = Callable[[int, float], None]


class Estimator:
    """Base class: subclasses set the class attributes and implement fit/predict/state."""

    kind: ClassVar[str]
    task: ClassVar[str]  # "classification" | "regression"
    scale_inputs: ClassVar[bool] = True
    # "tree" for SHAP TreeExplainer, "linear" for coefficients
    explainer: ClassVar[str | None] = None

    def __init__(self, params: dict | None = None, seed: int = 7, n_classes: int | None = None):
        self.params = dict(params or {})
        self.seed = seed
        self.n_classes = n_classes

    @classmethod
    def param_names(cls) -> frozenset[str] | None:
        """Every parameter this kind understands (None: not declared, so not checked)."""
        return None

    @staticmethod
    def search_space(trial) -> dict:
        """Hyperparameters Optuna may tune (empty: nothing to tune)."""
        return {}

    def fit(self, X: pd.DataFrame, y: np.ndarray, sample_weight: np.ndarray | None = None,
            on_epoch: EpochCallback | None = None) -> Estimator:
        raise NotImplementedError

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """(n,) forecasts for regression, (n, n_classes) probabilities for classification."""
        raise NotImplementedError

    def state(self) -> tuple[dict, dict[str, bytes]]:
        raise NotImplementedError

    @classmethod
    def from_state(cls, params: dict, seed: int, n_classes: int | None, state: dict,
                   blobs: dict[str, bytes]) -> Estimator:
        raise NotImplementedError


# a class never seen in training: small, never zero (log-loss stays finite)
ABSENT_CLASS_PROBABILITY = 1e-4


def pad_absent_classes(raw: np.ndarray, present: list[int], n_classes: int) -> np.ndarray:
    """Probabilities over the classes seen in training -> all `n_classes` (a fold can miss a rare
    class)."""
    if raw.ndim == 1 or raw.shape[1] == 1:  # one class seen: certain of it
        raw = np.ones((len(raw), 1))
    if len(present) == n_classes:
        return raw
    proba = np.full((len(raw), n_classes), ABSENT_CLASS_PROBABILITY)
    proba[:, present] = raw
    return proba / proba.sum(axis=1, keepdims=True)


ESTIMATORS: dict[str, type[Estimator]] = {}

# Where each kind is defined: imported on first use, so a run without neural models never imports
# torch.
ESTIMATOR_MODULES: dict[str, str] = {
    "xgb_classifier": "gradient_boosting", "xgb_regressor": "gradient_boosting",
    "xgb_random_forest": "gradient_boosting",
    "logistic": "linear", "ridge": "linear", "garch": "volatility",
    "bilstm_attention": "sequence", "lstm_vol_regressor": "sequence", "mlp_regressor": "neural",
    "lgbm_classifier": "lightgbm_models", "lgbm_regressor": "lightgbm_models",
    "catboost_classifier": "catboost_models", "catboost_regressor": "catboost_models",
    "vix_log_regression": "vix_volatility", "vol_combination": "vix_volatility",
}

# Kinds that treat rows as independent examples, so another symbol's rows can join a fold's training
# set (sequence networks, GARCH and the in-fold vol combination read rows in date order).
POOLABLE_KINDS = frozenset({"xgb_classifier", "xgb_regressor", "xgb_random_forest", "logistic",
                            "ridge", "lgbm_classifier", "lgbm_regressor", "catboost_classifier",
                            "catboost_regressor"})


def register(cls: type[Estimator]) -> type[Estimator]:
    """Class decorator: make an estimator available to the template by its `kind`."""
    ESTIMATORS[cls.kind] = cls
    return cls


def param_names(kind: str) -> frozenset[str] | None:
    """A kind's parameter names; kinds built on a heavy library answer from models/defaults.py
    without importing it (a parameter check must not import XGBoost, LightGBM, CatBoost, arch or
    torch)."""
    from aegismatrix.models.defaults import PARAM_NAMES

    return PARAM_NAMES[kind] if kind in PARAM_NAMES else get_estimator(kind).param_names()


def check_params(kind: str, params: dict) -> None:
    """Refuse parameters the estimator (or its library) does not know, instead of silently dropping
    them."""
    known = param_names(kind)
    unknown = sorted(set(params) - known) if known is not None else []
    if unknown:
        hints = {k: difflib.get_close_matches(k, sorted(known), n=1) for k in unknown}
        said = "; ".join(f"estimator.params.{k}: not a parameter of {kind!r}"
                         + (f" (did you mean {h[0]!r}?)" if h else "")
                         for k, h in hints.items())
        raise ValueError(said)


def get_estimator(kind: str) -> type[Estimator]:
    if kind not in ESTIMATORS and kind in ESTIMATOR_MODULES:
        importlib.import_module(f"aegismatrix.models.{ESTIMATOR_MODULES[kind]}")
    if kind not in ESTIMATORS:
        raise KeyError(f"unknown model kind {kind!r}; known: {sorted(ESTIMATORS)}")
    return ESTIMATORS[kind]
