"""Naive baselines, fitted on the same training rows as the model and scored on the same test rows.

Each spec is `{name, kind, ...}`. Kinds:
- class_prior: training class frequencies (classification) or training mean (regression)
- constant_class: a fixed class with probability `confidence` (e.g. always-UP); the rest spread
  evenly
- conditional_prior: class frequencies conditional on the sign of `column` at t (e.g. yesterday's
  sign)
- column: the value of `column` x `scale` (e.g. trailing realised vol, raw VIX / 100)
- scaled_column: `column` x the median ratio label / column on the training rows (e.g. VIX scaled to
  realised)
- trailing_label_median: median of the labels already known at t (label windows closed by t) over
  `window` rows
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def fit_baseline(spec: dict, train: pd.DataFrame, n_classes: int | None) -> dict:
    """Return the baseline's fitted state (plain JSON) from training rows with a `label` column."""
    kind, y = spec["kind"], train["label"].to_numpy(dtype=float)
    if kind == "class_prior":
        if n_classes:
            return {"proba": _frequencies(y, n_classes)}
        return {"mean": float(np.mean(y))}
    if kind == "conditional_prior":
        up = train[spec["column"]].to_numpy() > 0
        return {"proba_up": _frequencies(y[up], n_classes),
                "proba_down": _frequencies(y[~up], n_classes)}
    if kind == "scaled_column":
        ratio = y / train[spec["column"]].to_numpy(dtype=float)
        return {"ratio": float(np.nanmedian(ratio[np.isfinite(ratio)]))}
    if kind in ("constant_class", "column", "trailing_label_median"):
        return {}
    raise ValueError(f"unknown baseline kind {kind!r} in {spec}")


def predict_baseline(spec: dict, state: dict, frame: pd.DataFrame, n_classes: int | None,
                     label_history: pd.Series | None = None) -> np.ndarray:
    """Baseline predictions for every row of `frame` ((n, K) probabilities or (n,) values)."""
    kind, n = spec["kind"], len(frame)
    if kind == "class_prior":
        return np.tile(state["proba"], (n, 1)) if n_classes else np.full(n, state["mean"])
    if kind == "constant_class":
        rest = (1.0 - spec.get("confidence", 0.5)) / (n_classes - 1)
        proba = np.full((n, n_classes), rest)
        proba[:, int(spec["class"])] = spec.get("confidence", 0.5)
        return proba
    if kind == "conditional_prior":
        up = frame[spec["column"]].to_numpy() > 0
        return np.where(up[:, None], state["proba_up"], state["proba_down"])
    if kind == "column":
        return frame[spec["column"]].to_numpy(dtype=float) * spec.get("scale", 1.0)
    if kind == "scaled_column":
        return frame[spec["column"]].to_numpy(dtype=float) * state["ratio"]
    if kind == "trailing_label_median":
        return _trailing_label_median(frame, label_history, spec)
    raise ValueError(f"unknown baseline kind {kind!r} in {spec}")


def _trailing_label_median(frame: pd.DataFrame, label_history: pd.Series, spec: dict) -> np.ndarray:
    """Label at s is known after s + horizon, so row t uses labels up to t - horizon only."""
    known = label_history.shift(int(spec.get("horizon", 1)))
    median = known.rolling(int(spec.get("window", 63)), min_periods=10).median()
    fallback = known.expanding(min_periods=1).median()
    return median.fillna(fallback).reindex(frame.index).to_numpy(dtype=float)


def _frequencies(y: np.ndarray, n_classes: int) -> list[float]:
    # +1: no zero probability
    counts = np.bincount(y.astype(int), minlength=n_classes).astype(float) + 1.0
    return (counts / counts.sum()).tolist()
