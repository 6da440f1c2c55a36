"""Default hyperparameters and parameter names of every estimator kind, importable without its
library.

The parameter validator checks every model block at session start; keeping the names here lets it
know them without importing torch, arch, XGBoost, LightGBM or CatBoost (a run imports a model's
library only when it builds that model: training it, or serving it with edge).
tests/models/test_param_names.py checks the declared names against each library's own
`get_params()`.
"""

from __future__ import annotations

BILSTM_DEFAULTS = {"window": 60, "hidden": 128, "layers": 2, "dropout": 0.1, "epochs": 30,
                   "batch_size": 64, "lr": 1e-3, "weight_decay": 1e-4, "clip": 1.0, "patience": 5,
                   "validation_fraction": 0.2, "purge": 1, "threads": 1}
# The seller's LSTM vol forecaster: small by default (CPU budget), full size in conf/research.
LSTM_VOL_DEFAULTS = {**BILSTM_DEFAULTS, "window": 20, "hidden": 16, "layers": 1, "epochs": 15,
                     "patience": 4, "purge": 21, "floor": 0.02}
MLP_DEFAULTS = {"hidden": [64, 32], "dropout": 0.2, "epochs": 60, "batch_size": 128, "lr": 1e-3,
                "weight_decay": 1e-4, "clip": 1.0, "patience": 8, "validation_fraction": 0.2,
                "purge": 1, "threads": 1, "floor": None}

CATBOOST_DEFAULTS = {"iterations": 100, "depth": 4, "learning_rate": 0.05, "l2_leaf_reg": 5.0,
                     "rsm": 0.8}
# CatBoost's get_params() lists only the values set, so the names a block may use are declared
# (importing catboost costs ~0.45 s, IPython included, on every run's parameter check).
CATBOOST_PARAM_NAMES = frozenset({*CATBOOST_DEFAULTS, "thread_count", "verbose",
                                  "allow_writing_files", "loss_function", "random_strength",
                                  "bagging_temperature", "border_count", "min_data_in_leaf",
                                  "bootstrap_type", "subsample", "grow_policy",
                                  "auto_class_weights", "one_hot_max_size"})

# The scikit-learn API parameters of XGBoost 3.2 (XGBClassifier, XGBRegressor and XGBRFClassifier
# agree).
XGB_PARAM_NAMES = frozenset({
    "base_score", "booster", "callbacks", "colsample_bylevel", "colsample_bynode",
    "colsample_bytree", "device", "early_stopping_rounds", "enable_categorical", "eval_metric",
    "feature_types", "feature_weights", "gamma", "grow_policy", "importance_type",
    "interaction_constraints", "learning_rate", "max_bin", "max_cat_threshold", "max_cat_to_onehot",
    "max_delta_step", "max_depth", "max_leaves", "min_child_weight", "missing",
    "monotone_constraints", "multi_strategy", "n_estimators", "n_jobs", "num_parallel_tree",
    "objective", "random_state", "reg_alpha", "reg_lambda", "sampling_method", "scale_pos_weight",
    "subsample", "tree_method", "validate_parameters", "verbosity"})
# LightGBM 4.7's scikit-learn API parameters, plus the two booster parameters the project passes
# through.
LGBM_PARAM_NAMES = frozenset({
    "boosting_type", "class_weight", "colsample_bytree", "importance_type", "learning_rate",
    "max_depth", "min_child_samples", "min_child_weight", "min_split_gain", "n_estimators",
    "n_jobs", "num_leaves", "objective", "random_state", "reg_alpha", "reg_lambda", "subsample",
    "subsample_for_bin", "subsample_freq", "deterministic", "force_row_wise"})

# Kinds whose modules import a heavy library (torch, arch, CatBoost, XGBoost, LightGBM): their
# parameter names, known without that import (base.param_names reads this first; NumPy-only kinds
# answer themselves).
PARAM_NAMES: dict[str, frozenset[str]] = {
    "bilstm_attention": frozenset(BILSTM_DEFAULTS),
    "lstm_vol_regressor": frozenset(LSTM_VOL_DEFAULTS),
    "mlp_regressor": frozenset(MLP_DEFAULTS),
    "garch": frozenset({"return_column", "horizon", "dist"}),
    "catboost_classifier": CATBOOST_PARAM_NAMES, "catboost_regressor": CATBOOST_PARAM_NAMES,
    "xgb_classifier": XGB_PARAM_NAMES, "xgb_regressor": XGB_PARAM_NAMES,
    "xgb_random_forest": XGB_PARAM_NAMES, "lgbm_classifier": LGBM_PARAM_NAMES,
    "lgbm_regressor": LGBM_PARAM_NAMES,
}

# The estimator parameter that must equal the label horizon (an inner early-stopping purge, a
# forecast horizon); aegismatrix/parameters/derive.py fills it from the model block's horizon.
HORIZON_PARAMS: dict[str, str] = {"bilstm_attention": "purge", "lstm_vol_regressor": "purge",
                                  "mlp_regressor": "purge", "garch": "horizon"}
