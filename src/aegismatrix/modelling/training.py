"""Fit one model on one training fold:
scaler -> Optuna on an inner purged split -> fit -> calibrate.

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
from aegismatrix.modelling.parallel import one_blas_thread
from aegismatrix.modelling.pooling import eligible_pool, pool_summary
from aegismatrix.modelling.preprocessing import Scaler
from aegismatrix.modelling.splits import inner_split
from aegismatrix.modelling.tuning import make_storage, tune
from aegismatrix.models.base import Estimator, get_estimator


@dataclass
class FittedModel:
    """A model fitted on one training fold,
    with everything needed to predict and to serve its baseline."""

    estimator: Estimator
    scaler: Scaler | None
    calibrator: Calibrator | None
    baseline_states: dict[str, dict]
    label_thresholds: list[float] | None
    best_params: dict
    train_dates: tuple[str, str]
    train_rows: int
    tuning: dict = field(default_factory=dict)
    # the columns the estimator sees (None: every column it was given)
    features: list[str] | None = None
    # what the in-fold selection kept and dropped
    feature_selection: dict = field(default_factory=dict)
    target_scale: str | None = None  # regressors fitted on label / this column predict x it
    # pooled training rows of other symbols (modelling/pooling.py)
    pool: dict = field(default_factory=dict)


def encode_label(label: pd.Series, thresholds: list[float] | None) -> np.ndarray:
    """Bin a continuous label with thresholds fitted on
    training rows (e.g. the NEXT 21 days' vol regime)."""
    values = label.to_numpy(dtype=float)
    if thresholds is None:
        return values
    return np.where(np.isnan(values), np.nan, np.digitize(values, thresholds))


def sample_weights(y: np.ndarray, cfg: ModelConfig) -> np.ndarray | None:
    """Inverse class frequency when `class_weight:
    balanced` (rare breakouts, unbalanced classes)."""
    if cfg.class_weight != "balanced":
        return None
    counts = np.bincount(y.astype(int), minlength=cfg.n_classes).astype(float)
    weights = len(y) / (cfg.n_classes * np.maximum(counts, 1.0))
    return weights[y.astype(int)]


def model_inputs(frame: pd.DataFrame, feature_cols: list[str], scaler: Scaler | None,
                 end: int) -> pd.DataFrame:
    """Feature rows 0 .. end-1 (history first), scaled with the training-fold scaler where the model
    wants it."""
    X = frame[feature_cols].iloc[:end]
    return scaler.transform(X) if scaler is not None else X


@dataclass
class TrainingSet:
    """Design matrix, target and per-row weights of one fit: index rows, then any pooled rows of
    other symbols."""

    X: pd.DataFrame
    y: np.ndarray
    row_weight: np.ndarray | None = None
    pooled: pd.DataFrame | None = None  # the pooled rows it holds (None: the index's rows only)


def _scale(frame: pd.DataFrame, rows: np.ndarray, target_scale: str | None) -> np.ndarray | float:
    return frame[target_scale].to_numpy(dtype=float)[rows] if target_scale else 1.0


def training_set(frame: pd.DataFrame, feature_cols: list[str], scaler: Scaler | None,
                 pos: np.ndarray,
                 y_all: np.ndarray, cfg: ModelConfig, thresholds: list[float] | None,
                 pool: pd.DataFrame | None = None) -> TrainingSet:
    """Rows `pos` (history first, for sequence models)
    plus the pooled rows whose labels closed by then."""
    X = model_inputs(frame, feature_cols, scaler, pos[-1] + 1).iloc[pos]
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero scale is reported just below
        y = y_all[pos] / _scale(frame, pos, cfg.target_scale)
    if cfg.target_scale and not np.isfinite(y).all():
        bad = frame["date"].iloc[pos[~np.isfinite(y)][:3]].dt.date.astype(str).tolist()
        raise ValueError(f"target_scale {cfg.target_scale!r} is zero or missing on training rows "
                         f"(e.g. {bad})")
    extra = eligible_pool(pool, frame, pos, cfg.horizon)
    if extra is None:
        return TrainingSet(X, y)
    X_pool = scaler.transform(extra[feature_cols]) if scaler is not None else extra[feature_cols]
    y_pool = encode_label(extra["label"], thresholds) / _scale(extra, np.arange(len(extra)),
                                                               cfg.target_scale)
    weight = np.r_[np.ones(len(X)), np.full(len(extra), float(cfg.pool["weight"]))]
    return TrainingSet(pd.concat([X, X_pool], ignore_index=True), np.r_[y, y_pool], weight, extra)


def _fit_estimator(cfg: ModelConfig, params: dict, data: TrainingSet, on_epoch=None) -> Estimator:
    cls = get_estimator(cfg.estimator["kind"])
    est = cls({**cfg.estimator.get("params", {}), **params}, seed=cfg.seed, n_classes=cfg.n_classes)
    weight = sample_weights(data.y, cfg)
    if data.row_weight is not None:
        weight = data.row_weight if weight is None else weight * data.row_weight
    return est.fit(data.X, data.y, sample_weight=weight, on_epoch=on_epoch)


def _slice_predictions(est: Estimator, X_context: pd.DataFrame, rows: np.ndarray,
                       frame: pd.DataFrame | None = None, target_scale: str | None = None) -> np.ndarray:
    """Predictions for `rows`; a model fitted on label /
    target_scale is multiplied back into label units."""
    pred = est.predict(X_context)[rows]
    return pred * _scale(frame, rows, target_scale) if target_scale else pred


def _loss(cfg: ModelConfig, y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean(ROW_LOSSES[cfg.metric](y, pred)))


def _tune(cfg, frame, feature_cols, scaler, fit_set: TrainingSet, val_pos, y_all,
          study_name) -> tuple[dict, dict]:
    """Optuna on the inner split; returns (best params, a short study summary)."""
    cls = get_estimator(cfg.estimator["kind"])
    if cfg.tuning["n_trials"] <= 0 or cls.search_space is Estimator.search_space:
        return {}, {}
    X_ctx = model_inputs(frame, feature_cols, scaler, val_pos[-1] + 1)

    def objective(trial):
        params = cls.search_space(trial)

        def report(step: int, value: float) -> None:
            trial.report(value, step)
            if trial.should_prune():
                import optuna

                raise optuna.TrialPruned()

        est = _fit_estimator(cfg, params, fit_set, on_epoch=report)
        return _loss(cfg, y_all[val_pos],
                     _slice_predictions(est, X_ctx, val_pos, frame, cfg.target_scale))

    storage = make_storage(cfg.tuning["storage"], cfg.tuning["storage_dir"])
    study = tune(objective, study_name, cfg.tuning["n_trials"], cfg.seed, storage)
    best = study.best_trial.params if study.best_trial.value is not None else {}
    return best, {"study_name": study_name, "n_trials": len(study.trials),
                  "best_value": study.best_value}


def train_fold(frame: pd.DataFrame, feature_cols: list[str], train_pos: np.ndarray,
               cfg: ModelConfig, study_name: str, pool: pd.DataFrame | None = None) -> FittedModel:
    """Fit scaler, tuning, model, calibrator and baselines on `train_pos` rows only (plus eligible
    pooled rows)."""
    # epoch/trial log lines name the model and fold
    with fitting("/".join(study_name.split("/")[:2])):
        return _train_fold(frame, feature_cols, train_pos, cfg, study_name, pool)


def _train_fold(frame: pd.DataFrame, feature_cols: list[str], train_pos: np.ndarray,
                cfg: ModelConfig, study_name: str, pool: pd.DataFrame | None) -> FittedModel:
    train = frame.iloc[train_pos]
    thresholds = (np.quantile(train["label"], cfg.label_bins).tolist() if cfg.label_bins else None)
    y_all = encode_label(frame["label"], thresholds)
    feature_cols, selection = select_features(train, feature_cols, y_all[train_pos],
                                              cfg.feature_selection, cfg.seed, cfg.is_classifier)
    cls = get_estimator(cfg.estimator["kind"])
    scaler = Scaler.fit(train[feature_cols]) if cls.scale_inputs else None
    fit_pos, val_pos = inner_split(train_pos, cfg.horizon, cfg.splits["embargo"],
                                   cfg.splits["validation_fraction"])
    fit_set = training_set(frame, feature_cols, scaler, fit_pos, y_all, cfg, thresholds, pool)
    best, summary = _tune(cfg, frame, feature_cols, scaler, fit_set, val_pos, y_all, study_name)
    calibrator = None
    if cfg.is_classifier and cfg.calibration != "none":
        inner = _fit_estimator(cfg, best, fit_set)
        X_val_ctx = model_inputs(frame, feature_cols, scaler, val_pos[-1] + 1)
        calibrator = Calibrator(cfg.calibration).fit(_slice_predictions(inner, X_val_ctx, val_pos),
                                                     y_all[val_pos])
    train_set = training_set(frame, feature_cols, scaler, train_pos, y_all, cfg, thresholds, pool)
    estimator = _fit_estimator(cfg, best, train_set)
    baseline_frame = train.assign(label=y_all[train_pos])
    states = {b["name"]: fit_baseline(b, baseline_frame, cfg.n_classes) for b in cfg.baselines}
    dates = (str(train["date"].iloc[0].date()), str(train["date"].iloc[-1].date()))
    return FittedModel(estimator, scaler, calibrator, states, thresholds, best, dates,
                       len(train_pos), summary, feature_cols, selection, cfg.target_scale,
                       pool_summary(train_set.pooled) if cfg.pool else {})


def predict_rows(fitted: FittedModel, frame: pd.DataFrame, feature_cols: list[str],
                 rows: np.ndarray) -> np.ndarray:
    """Calibrated model predictions for `rows` (positions in `frame`), using history before them,
    on one BLAS thread as in the fit (serving gives the numbers a fold worker would)."""
    X_ctx = model_inputs(frame, fitted.features or feature_cols, fitted.scaler, rows[-1] + 1)
    with one_blas_thread():
        pred = _slice_predictions(fitted.estimator, X_ctx, rows, frame, fitted.target_scale)
    return fitted.calibrator.transform(pred) if fitted.calibrator is not None else pred


def predict_baselines(fitted: FittedModel, frame: pd.DataFrame, cfg: ModelConfig,
                      rows: np.ndarray) -> dict[str, np.ndarray]:
    """Every baseline's predictions for `rows`, from its state fitted on the same training fold."""
    history = pd.Series(encode_label(frame["label"], fitted.label_thresholds), index=frame.index)
    return {b["name"]: predict_baseline(b, fitted.baseline_states[b["name"]], frame, cfg.n_classes,
                                        history)[rows]
            for b in cfg.baselines}


def data_hash(frame: pd.DataFrame, feature_cols: list[str], cfg: ModelConfig | None = None,
              pool: pd.DataFrame | None = None) -> str:
    """Short hash of the rows and model settings a study was tuned on: a rerun on the same data and
    settings resumes the same study, a changed config starts a new one."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame[["date", *feature_cols, "label"]],
                                                       index=False).values)
    if cfg is not None:
        settings = {k: getattr(cfg, k) for k in ("label", "estimator", "label_bins", "calibration",
                                                   "class_weight", "splits", "seed", "horizon")}
        # only when set: existing studies keep their names
        for key in ("feature_selection", "pool", "target_scale"):
            if getattr(cfg, key):
                settings[key] = getattr(cfg, key)
        digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    if pool is not None and len(pool):
        digest.update(pd.util.hash_pandas_object(pool, index=False).values)
    return digest.hexdigest()[:12]
