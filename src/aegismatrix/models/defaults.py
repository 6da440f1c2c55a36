"""Default hyperparameters of the torch estimators and GARCH, importable without torch or arch.

The parameter validator checks every model block at session start; keeping these here lets it know the
BiLSTM's, MLP's and GARCH's parameter names without importing torch or arch (inference imports a model's
library only when that model has edge).
"""

from __future__ import annotations

BILSTM_DEFAULTS = {"window": 60, "hidden": 128, "layers": 2, "dropout": 0.1, "epochs": 30, "batch_size": 64,
                   "lr": 1e-3, "weight_decay": 1e-4, "clip": 1.0, "patience": 5, "validation_fraction": 0.2,
                   "purge": 1, "threads": 1}
# The seller's LSTM vol forecaster: small by default (CPU budget), full size in conf/research.
LSTM_VOL_DEFAULTS = {**BILSTM_DEFAULTS, "window": 20, "hidden": 16, "layers": 1, "epochs": 15, "patience": 4,
                     "purge": 21, "floor": 0.02}
MLP_DEFAULTS = {"hidden": [64, 32], "dropout": 0.2, "epochs": 60, "batch_size": 128, "lr": 1e-3,
                "weight_decay": 1e-4, "clip": 1.0, "patience": 8, "validation_fraction": 0.2, "purge": 1,
                "threads": 1, "floor": None}

CATBOOST_DEFAULTS = {"iterations": 100, "depth": 4, "learning_rate": 0.05, "l2_leaf_reg": 5.0, "rsm": 0.8}
# CatBoost's get_params() lists only the values set, so the names a block may use are declared (importing
# catboost costs ~0.45 s, IPython included, on every run's parameter check).
CATBOOST_PARAM_NAMES = frozenset({*CATBOOST_DEFAULTS, "thread_count", "verbose", "allow_writing_files",
                                  "loss_function", "random_strength", "bagging_temperature", "border_count",
                                  "min_data_in_leaf", "bootstrap_type", "subsample", "grow_policy",
                                  "auto_class_weights", "one_hot_max_size"})

# Kinds whose parameter names are known without importing their module (torch, arch, catboost).
PARAM_NAMES: dict[str, frozenset[str]] = {
    "bilstm_attention": frozenset(BILSTM_DEFAULTS),
    "lstm_vol_regressor": frozenset(LSTM_VOL_DEFAULTS),
    "mlp_regressor": frozenset(MLP_DEFAULTS),
    "garch": frozenset({"return_column", "horizon", "dist"}),
    "catboost_classifier": CATBOOST_PARAM_NAMES, "catboost_regressor": CATBOOST_PARAM_NAMES,
}

# The estimator parameter that must equal the label horizon (an inner early-stopping purge, a forecast
# horizon); aegismatrix/parameters/derive.py fills it from the model block's horizon.
HORIZON_PARAMS: dict[str, str] = {"bilstm_attention": "purge", "lstm_vol_regressor": "purge",
                                  "mlp_regressor": "purge", "garch": "horizon"}
