"""Optional feature selection inside a training fold (a model block's `feature_selection`).

It sees the fold's training rows only, so the walk-forward scores include the selection's own luck,
and the frozen model records what it kept in its bundle (`meta.feature_selection`). Methods:
- `correlation`: walk the features in feature-set order; drop one whose |Pearson correlation| with a
  feature already kept exceeds `max_correlation` (label-free, so it cannot overfit the label);
- `tree_importance`: keep the `max_features` with the largest total gain of a small seeded LightGBM
  fitted on the training rows;
- `correlation_then_importance`: the first, then the second on what is left.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METHODS = ("none", "correlation", "tree_importance", "correlation_then_importance")
DEFAULTS = {"method": "none", "max_correlation": 0.9, "max_features": 20}


def correlation_filter(X: pd.DataFrame, max_correlation: float) -> list[str]:
    """Features in order, skipping any too correlated with one already kept."""
    corr = X.corr().abs().fillna(0.0).to_numpy()
    kept: list[int] = []
    for i in range(X.shape[1]):
        if all(corr[i, j] <= max_correlation for j in kept):
            kept.append(i)
    return [X.columns[i] for i in kept]


def importance_top_k(X: pd.DataFrame, y: np.ndarray, max_features: int, seed: int,
                     classification: bool) -> list[str]:
    """The `max_features` columns with the largest LightGBM gain (ties and order:
    feature-set order)."""
    import lightgbm as lgb  # only where selection by importance is asked for

    if X.shape[1] <= max_features:
        return list(X.columns)
    params = {"n_estimators": 50, "num_leaves": 7, "learning_rate": 0.1, "min_child_samples": 50,
              "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8, "random_state": seed,
              "n_jobs": 1, "deterministic": True, "force_row_wise": True, "verbosity": -1,
              "importance_type": "gain"}
    model = (lgb.LGBMClassifier if classification else lgb.LGBMRegressor)(**params)
    target = np.searchsorted(np.unique(y), y) if classification else y
    gain = model.fit(X.to_numpy(dtype=np.float32), target).feature_importances_
    order = np.argsort(-gain, kind="stable")[:max_features]
    return [X.columns[i] for i in sorted(order)]


def select_features(train: pd.DataFrame, feature_cols: list[str], y: np.ndarray, spec: dict | None,
                    seed: int, classification: bool) -> tuple[list[str], dict]:
    """(kept columns, a JSON record of the step)
    from the training rows only; no spec keeps every column."""
    spec = {**DEFAULTS, **(spec or {})}
    method = spec["method"]
    if method not in METHODS:
        raise ValueError(f"feature_selection.method {method!r} is not one of {METHODS}")
    if method == "none":
        return list(feature_cols), {}
    kept = list(feature_cols)
    if method in ("correlation", "correlation_then_importance"):
        kept = correlation_filter(train[kept], float(spec["max_correlation"]))
    if method in ("tree_importance", "correlation_then_importance"):
        kept = importance_top_k(train[kept], y, int(spec["max_features"]), seed, classification)
    record = {**spec, "candidates": len(feature_cols), "selected": kept,
              "dropped": [c for c in feature_cols if c not in kept]}
    return kept, record
