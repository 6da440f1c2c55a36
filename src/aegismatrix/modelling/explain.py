"""Explanations: SHAP (TreeExplainer) for tree models (XGBoost, LightGBM, CatBoost), coefficient x input for
linear ones."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegismatrix.modelling.training import FittedModel, model_inputs


def contributions(fitted: FittedModel, frame: pd.DataFrame, feature_cols: list[str],
                  rows: np.ndarray) -> pd.DataFrame | None:
    """Per-row feature contributions for the predicted class (or the forecast); None when the model has no
    explainer."""
    kind = type(fitted.estimator).explainer
    feature_cols = fitted.features or feature_cols  # after an in-fold selection: the columns it kept
    X = model_inputs(frame, feature_cols, fitted.scaler, rows[-1] + 1).iloc[rows]
    if kind == "tree" and fitted.estimator.booster is not None:  # XGBoost, LightGBM, CatBoost boosters
        import shap  # heavy import, only where an explanation is asked for

        values = shap.TreeExplainer(fitted.estimator.booster).shap_values(X.to_numpy(dtype=np.float32))
        values = np.asarray(values)
        # (rows, features, classes seen in training): explain the class each row predicts
        if values.ndim == 3:
            present = getattr(fitted.estimator, "present_", None) or list(range(values.shape[2]))
            predicted = fitted.estimator.predict(X)[:, present].argmax(axis=1)
            values = values[np.arange(len(rows)), :, predicted]
        return pd.DataFrame(values, index=X.index, columns=feature_cols)
    if kind == "linear":
        return fitted.estimator.contributions(X).reindex(columns=feature_cols, fill_value=0.0)
    return None


def global_importance(contrib: pd.DataFrame | None) -> pd.DataFrame:
    """Mean absolute contribution per feature, ranked (the SHAP summary table)."""
    if contrib is None:
        return pd.DataFrame({"feature": pd.Series(dtype=str), "mean_abs_contribution": pd.Series(dtype=float),
                             "rank": pd.Series(dtype=int)})
    table = contrib.abs().mean().sort_values(ascending=False).rename("mean_abs_contribution").reset_index()
    table = table.rename(columns={"index": "feature"})
    table["rank"] = np.arange(1, len(table) + 1)
    return table

