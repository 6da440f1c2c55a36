"""Explanations, the one explainer of the project: TreeSHAP for tree models (XGBoost, LightGBM,
CatBoost), coefficient x input for linear ones.

Training explains many rows with `shap.TreeExplainer` on the library's own model (fast C++);
serving explains the latest row with the NumPy TreeSHAP of `models/trees.py`
(`tree_contributions`: the values shap.TreeExplainer gives, pinned in tests/models/test_trees.py),
so inference imports neither shap nor the boosting libraries.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegismatrix.modelling.training import FittedModel, model_inputs


def contributions(fitted: FittedModel, frame: pd.DataFrame, feature_cols: list[str],
                  rows: np.ndarray, native: bool = False) -> pd.DataFrame | None:
    """Per-row feature contributions for the predicted class (or the forecast); None when the model
    has no explainer. `native`: the booster's own TreeSHAP instead of shap (serving: no shap
    import)."""
    kind = type(fitted.estimator).explainer
    # after an in-fold selection: the columns it kept
    feature_cols = fitted.features or feature_cols
    X = model_inputs(frame, feature_cols, fitted.scaler, rows[-1] + 1).iloc[rows]
    if kind == "tree" and (native or fitted.estimator.forest is None):
        values = fitted.estimator.tree_contributions(X)
        return pd.DataFrame(values, index=X.index, columns=feature_cols)
    if kind == "tree":  # training: shap on the library's own model
        import shap  # heavy import, only where an explanation is asked for

        explainer = shap.TreeExplainer(fitted.estimator.booster)
        values = explainer.shap_values(X.to_numpy(dtype=np.float32))
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


def latest_contributions(model_input: pd.DataFrame, model: dict, row: int) -> pd.Series | None:
    """Contributions to the prediction of `row` of a frozen model bundle (None when it has no
    explainer)."""
    from aegismatrix.modelling.bundle import from_bundle

    fitted = from_bundle(model)
    features = model["meta"]["features"]
    contrib = contributions(fitted, model_input, features, np.array([row]), native=True)
    return None if contrib is None else contrib.iloc[0]


def global_importance(contrib: pd.DataFrame | None) -> pd.DataFrame:
    """Mean absolute contribution per feature, ranked (the SHAP summary table)."""
    if contrib is None:
        return pd.DataFrame({"feature": pd.Series(dtype=str),
                             "mean_abs_contribution": pd.Series(dtype=float),
                             "rank": pd.Series(dtype=int)})
    ranked = contrib.abs().mean().sort_values(ascending=False)
    table = ranked.rename("mean_abs_contribution").reset_index()
    table = table.rename(columns={"index": "feature"})
    table["rank"] = np.arange(1, len(table) + 1)
    return table
