"""Fit one model on one training fold: scaler -> Optuna on an inner purged split -> fit -> calibrate.

Everything here sees training rows only; prediction takes the rows up to the end of the block to
predict (consecutive days, history first) so that sequence and recursive models have their context.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from aegismatrix.logs import fitting
from aegismatrix.modelling.baselines import fit_baseline, predict_baseline
from aegismatrix.modelling.calibration import Calibrator
from aegismatrix.modelling.config import ModelConfig
from aegismatrix.modelling.feature_selection import select_features
from aegismatrix.modelling.metrics import ROW_LOSSES
from aegismatrix.modelling.preprocessing import Scaler
from aegismatrix.modelling.splits import inner_split
from aegismatrix.modelling.tuning import make_storage, tune
from aegismatrix.models.base import Estimator, get_estimator


@dataclass
class FittedModel:
    """A model fitted on one training fold, with everything needed to predict and to serve its baseline."""

    estimator: Estimator
    scaler: Scaler | None
    calibrator: Calibrator | None
    baseline_states: dict[str, dict]
    label_thresholds: list[float] | None
    best_params: dict
    train_dates: tuple[str, str]
    train_rows: int
    tuning: dict = field(default_factory=dict)
    features: list[str] | None = None  # the columns the estimator sees (None: every column it was given)
    feature_selection: dict = field(default_factory=dict)  # what the in-fold selection kept and dropped


def encode_label(label: pd.Series, thresholds: list[float] | None) -> np.ndarray:
    """Bin a continuous label with thresholds fitted on training rows (e.g. the NEXT 21 days' vol regime)."""
    values = label.to_numpy(dtype=float)
    if thresholds is None:
        return values
    return np.where(np.isnan(values), np.nan, np.digitize(values, thresholds))


def sample_weights(y: np.ndarray, cfg: ModelConfig) -> np.ndarray | None:
    """Inverse class frequency when `class_weight: balanced` (rare breakouts, unbalanced classes)."""
    if cfg.class_weight != "balanced":
        return None
    counts = np.bincount(y.astype(int), minlength=cfg.n_classes).astype(float)
    weights = len(y) / (cfg.n_classes * np.maximum(counts, 1.0))
    return weights[y.astype(int)]


def model_inputs(frame: pd.DataFrame, feature_cols: list[str], scaler: Scaler | None, end: int) -> pd.DataFrame:
    """Feature rows 0 .. end-1 (history first), scaled with the training-fold scaler where the model wants it."""
    X = frame[feature_cols].iloc[:end]
    return scaler.transform(X) if scaler is not None else X


def _fit_estimator(cfg: ModelConfig, params: dict, X: pd.DataFrame, y: np.ndarray, on_epoch=None) -> Estimator:
    cls = get_estimator(cfg.estimator["kind"])
    est = cls({**cfg.estimator.get("params", {}), **params}, seed=cfg.seed, n_classes=cfg.n_classes)
    return est.fit(X, y, sample_weight=sample_weights(y, cfg), on_epoch=on_epoch)


def _slice_predictions(est: Estimator, X_context: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    return est.predict(X_context)[rows]


def _loss(cfg: ModelConfig, y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean(ROW_LOSSES[cfg.metric](y, pred)))


def _tune(cfg, frame, feature_cols, scaler, fit_pos, val_pos, y_all, study_name) -> tuple[dict, dict]:
    """Optuna on the inner split; returns (best params, a short study summary)."""
    cls = get_estimator(cfg.estimator["kind"])
    if cfg.tuning["n_trials"] <= 0 or cls.search_space is Estimator.search_space:
        return {}, {}
    X_ctx = model_inputs(frame, feature_cols, scaler, val_pos[-1] + 1)
    X_fit = X_ctx.iloc[fit_pos]

    def objective(trial):
        params = cls.search_space(trial)

        def report(step: int, value: float) -> None:
            trial.report(value, step)
            if trial.should_prune():
                import optuna

                raise optuna.TrialPruned()

        est = _fit_estimator(cfg, params, X_fit, y_all[fit_pos], on_epoch=report)
        return _loss(cfg, y_all[val_pos], _slice_predictions(est, X_ctx, val_pos))

    storage = make_storage(cfg.tuning["storage"], cfg.tuning["storage_dir"])
    study = tune(objective, study_name, cfg.tuning["n_trials"], cfg.seed, storage)
    best = study.best_trial.params if study.best_trial.value is not None else {}
    return best, {"study_name": study_name, "n_trials": len(study.trials), "best_value": study.best_value}


def train_fold(frame: pd.DataFrame, feature_cols: list[str], train_pos: np.ndarray, cfg: ModelConfig,
               study_name: str) -> FittedModel:
    """Fit scaler, tuning, model, calibrator and baselines on `train_pos` rows only."""
    with fitting("/".join(study_name.split("/")[:2])):  # epoch/trial log lines name the model and fold
        return _train_fold(frame, feature_cols, train_pos, cfg, study_name)


def _train_fold(frame: pd.DataFrame, feature_cols: list[str], train_pos: np.ndarray, cfg: ModelConfig,
                study_name: str) -> FittedModel:
    train = frame.iloc[train_pos]
    thresholds = (np.quantile(train["label"], cfg.label_bins).tolist() if cfg.label_bins else None)
    y_all = encode_label(frame["label"], thresholds)
    feature_cols, selection = select_features(train, feature_cols, y_all[train_pos], cfg.feature_selection, cfg.seed,
                                              cfg.is_classifier)
    cls = get_estimator(cfg.estimator["kind"])
    scaler = Scaler.fit(train[feature_cols]) if cls.scale_inputs else None
    fit_pos, val_pos = inner_split(train_pos, cfg.horizon, cfg.splits["embargo"], cfg.splits["validation_fraction"])
    best, summary = _tune(cfg, frame, feature_cols, scaler, fit_pos, val_pos, y_all, study_name)
    calibrator = None
    if cfg.is_classifier and cfg.calibration != "none":
        inner = _fit_estimator(cfg, best, model_inputs(frame, feature_cols, scaler, fit_pos[-1] + 1).iloc[fit_pos], y_all[fit_pos])
        X_val_ctx = model_inputs(frame, feature_cols, scaler, val_pos[-1] + 1)
        calibrator = Calibrator(cfg.calibration).fit(_slice_predictions(inner, X_val_ctx, val_pos), y_all[val_pos])
    X_train = model_inputs(frame, feature_cols, scaler, train_pos[-1] + 1).iloc[train_pos]
    estimator = _fit_estimator(cfg, best, X_train, y_all[train_pos])
    baseline_frame = train.assign(label=y_all[train_pos])
    states = {b["name"]: fit_baseline(b, baseline_frame, cfg.n_classes) for b in cfg.baselines}
    dates = (str(train["date"].iloc[0].date()), str(train["date"].iloc[-1].date()))
    return FittedModel(estimator, scaler, calibrator, states, thresholds, best, dates, len(train_pos), summary,
                       feature_cols, selection)


def predict_rows(fitted: FittedModel, frame: pd.DataFrame, feature_cols: list[str], rows: np.ndarray) -> np.ndarray:
    """Calibrated model predictions for `rows` (positions in `frame`), using history before them."""
    X_ctx = model_inputs(frame, fitted.features or feature_cols, fitted.scaler, rows[-1] + 1)
    pred = _slice_predictions(fitted.estimator, X_ctx, rows)
    return fitted.calibrator.transform(pred) if fitted.calibrator is not None else pred


def predict_baselines(fitted: FittedModel, frame: pd.DataFrame, cfg: ModelConfig, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Every baseline's predictions for `rows`, from its state fitted on the same training fold."""
    history = pd.Series(encode_label(frame["label"], fitted.label_thresholds), index=frame.index)
    return {b["name"]: predict_baseline(b, fitted.baseline_states[b["name"]], frame, cfg.n_classes, history)[rows]
            for b in cfg.baselines}


def data_hash(frame: pd.DataFrame, feature_cols: list[str], cfg: ModelConfig | None = None) -> str:
    """Short hash of the rows and model settings a study was tuned on: a rerun on the same data and
    settings resumes the same study, a changed config starts a new one."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame[["date", *feature_cols, "label"]], index=False).values)
    if cfg is not None:
        settings = {k: getattr(cfg, k) for k in ("label", "estimator", "label_bins", "calibration", "class_weight",
                                                   "splits", "seed", "horizon")}
        if cfg.feature_selection:  # only when set, so existing studies keep their names
            settings["feature_selection"] = cfg.feature_selection
        digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:12]
