"""Scores for classifiers and forecasters,
skill versus a baseline, and block-bootstrap intervals."""

from __future__ import annotations

import numpy as np

EPS = 1e-12


def row_log_loss(y: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Per-row negative log-likelihood of the true class."""
    p = np.clip(proba[np.arange(len(y)), y.astype(int)], EPS, 1.0)
    return -np.log(p)


def row_brier(y: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Per-row multiclass Brier score (sum over classes of squared error)."""
    onehot = np.eye(proba.shape[1])[y.astype(int)]
    return ((proba - onehot) ** 2).sum(axis=1)


def row_squared_error(y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    return (y - pred) ** 2


def row_qlike(y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """QLIKE on variances (robust to noise in the realised proxy): ratio - log(ratio) - 1."""
    ratio = np.maximum(y, EPS) ** 2 / np.maximum(pred, EPS) ** 2
    return ratio - np.log(ratio) - 1.0


ROW_LOSSES = {"log_loss": row_log_loss, "brier": row_brier, "rmse": row_squared_error,
              "mse": row_squared_error, "qlike": row_qlike}


def macro_recall(y: np.ndarray, pred: np.ndarray) -> float:
    """Mean per-class recall over the classes in y: the same float as sklearn's
    recall_score(y, pred, labels=np.unique(y), average="macro"), without its input checks
    (~4 ms a call, thousands of calls a run)."""
    labels = np.unique(y)
    true = (y[:, None] == labels).sum(axis=0)
    hits = ((y == pred)[:, None] & (y[:, None] == labels)).sum(axis=0)
    return float(np.mean(hits / true))


def classification_metrics(y: np.ndarray, proba: np.ndarray, class_names: list[str]) -> dict:
    """Log-loss, Brier, accuracy, balanced accuracy, ROC-AUC/PR-AUC (binary) or macro ROC-AUC."""
    y = y.astype(int)
    pred = proba.argmax(axis=1)
    out = {
        "n": int(len(y)),
        "log_loss": float(row_log_loss(y, proba).mean()),
        "brier": float(row_brier(y, proba).mean()),
        "accuracy": float((pred == y).mean()),
        # balanced accuracy = macro recall over the classes present in y (sklearn's definition,
        # recall_score(labels=np.unique(y), average="macro")): a class the model predicts but the
        # test window lacks stays out of it
        "balanced_accuracy": macro_recall(y, pred) if len(np.unique(y)) > 1 else None,
        "base_rates": {name: float((y == k).mean()) for k, name in enumerate(class_names)},
    }
    if len(np.unique(y)) > 1:
        if proba.shape[1] == 2:
            out["roc_auc"] = binary_roc_auc(y == 1, proba[:, 1])
            out["pr_auc"] = average_precision(y == 1, proba[:, 1])
        else:
            present = np.unique(y)
            if len(present) == proba.shape[1]:
                out["roc_auc"] = ovr_roc_auc(y, proba)
    return out


# sklearn's roc_auc_score and average_precision_score (no sample weights), step for step, without
# their input checks (~5 ms a call); tests/modelling/test_metrics.py pins them to sklearn's floats.
def _ranking_counts(target: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False and true positives at each distinct score, highest first (confusion_matrix_at_
    thresholds)."""
    if not np.isfinite(score).all():
        raise ValueError("Input contains NaN or infinity.")
    order = np.argsort(score, kind="stable")[::-1]  # tie order never changes a group's end count
    score = score[order]
    ends = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]
    tps = np.cumsum(target[order], dtype=np.float64)[ends]
    return 1 + ends.astype(np.float64) - tps, tps


def binary_roc_auc(target: np.ndarray, score: np.ndarray) -> float:
    """roc_auc_score of a binary target (both classes present): trapezoids under roc_curve's
    points (collinear points dropped)."""
    from scipy.integrate import trapezoid

    fps, tps = _ranking_counts(target, score)
    if len(fps) > 2:
        keep = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps = fps[keep], tps[keep]
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    return float(trapezoid(tps / tps[-1], fps / fps[-1]))


def ovr_roc_auc(y: np.ndarray, proba: np.ndarray) -> float:
    """roc_auc_score(y, proba, multi_class="ovr") with every class present: macro mean of the
    one-vs-rest AUCs."""
    if not np.allclose(1, proba.sum(axis=1)):
        raise ValueError("Target scores need to be probabilities for multiclass roc_auc")
    return float(np.average([binary_roc_auc(y == k, proba[:, k]) for k in range(proba.shape[1])]))


def average_precision(target: np.ndarray, score: np.ndarray) -> float:
    """average_precision_score of a binary target: -sum(diff(recall) * precision) over the
    precision-recall curve."""
    fps, tps = _ranking_counts(target, score)
    precision = np.r_[(tps / (tps + fps))[::-1], 1.0]
    recall = np.r_[(tps / tps[-1])[::-1], 0.0]
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict:
    """RMSE, MAE, QLIKE (meaningful for volatility forecasts) and bias."""
    return {
        "n": int(len(y)),
        "rmse": float(np.sqrt(np.mean((y - pred) ** 2))),
        "mae": float(np.mean(np.abs(y - pred))),
        "qlike": float(np.mean(row_qlike(y, pred))) if np.all(pred > 0) and np.all(y >= 0) else None,
        "bias": float(np.mean(pred - y)),
    }


def directional_accuracy(y: np.ndarray, proba: np.ndarray) -> float | None:
    """Classes ordered down/neutral/up: share of non-NEUTRAL rows (label 0 or 2) whose sign matches
    p_up > p_down."""
    keep = np.isfinite(y) & (y != 1)
    if not keep.any():
        return None
    return float(((proba[keep, 2] > proba[keep, 0]) == (y[keep] == 2)).mean())


def skill_score(model_loss: np.ndarray, baseline_loss: np.ndarray) -> float:
    """1 - model loss / baseline loss: above 0 the model beats the baseline on the same rows."""
    return float(1.0 - model_loss.sum() / max(baseline_loss.sum(), EPS))


def moving_block_indices(n: int, block: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n) row indices of a moving-block bootstrap: the draws of arch's
    MovingBlockBootstrap(block, seed=default_rng(seed)).bootstrap(n_boot), without its per-draw
    Python overhead. One integers() call for all draws: numpy's bounded int64 draws take the same
    generator stream whether drawn at once or one draw at a time (tests/modelling/test_metrics.py).
    """
    num_blocks = -(-n // block)
    starts = np.random.default_rng(seed).integers(n - block + 1, size=(n_boot, num_blocks),
                                                  dtype=np.int64)
    return (starts[:, :, None] + np.arange(block)).reshape(n_boot, -1)[:, :n]


def block_bootstrap_skill(model_loss: np.ndarray, baseline_loss: np.ndarray, block: int = 21,
                          n_boot: int = 500, level: float = 0.90, seed: int = 7) -> tuple[float, float]:
    """Moving-block bootstrap interval of the skill score (blocks keep the serial dependence;
    the indices arch.bootstrap.MovingBlockBootstrap draws)."""
    n = len(model_loss)
    idx = moving_block_indices(n, max(1, min(block, n)), n_boot, seed)
    skills = 1.0 - model_loss[idx].sum(axis=1) / np.maximum(baseline_loss[idx].sum(axis=1), EPS)
    alpha = (1.0 - level) / 2.0
    return float(np.quantile(skills, alpha)), float(np.quantile(skills, 1.0 - alpha))
