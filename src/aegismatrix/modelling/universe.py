"""Pooled training across a symbol panel: one classifier, walk-forward over DATES (every symbol's
rows of a date fall in the same fold, so no symbol's future leaks into another's training), scored
against the class prior."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegismatrix.modelling.baselines import fit_baseline, predict_baseline
from aegismatrix.modelling.metrics import directional_accuracy, row_log_loss, skill_score
from aegismatrix.modelling.splits import walk_forward_folds
from aegismatrix.models.base import get_estimator


def _fold_block(panel: pd.DataFrame, cols: list[str], train: np.ndarray, test: np.ndarray,
                estimator: dict, proba: list[str]) -> pd.DataFrame:
    """One fold: the estimator and the class prior fitted on the training dates, predicted on the
    test dates."""
    n_classes = len(proba)
    est = get_estimator(estimator["kind"])(estimator.get("params", {}), n_classes=n_classes)
    est.fit(panel.loc[train, cols], panel.loc[train, "label"].to_numpy())
    prior = np.asarray(fit_baseline({"kind": "class_prior"}, panel.loc[train, ["label"]], n_classes)["proba"])
    block = panel.loc[test, ["date", "symbol", "label"]]
    block[proba] = est.predict(panel.loc[test, cols])
    block[[f"prior__{c}" for c in proba]] = predict_baseline({"kind": "class_prior"},
                                                               {"proba": prior.tolist()}, block, n_classes)
    return block


def pooled_walk_forward(panel: pd.DataFrame, cols: list[str], horizon: int, splits: dict,
                        estimator: dict, class_names: list[str]) -> pd.DataFrame:
    """OOS class probabilities (and the prior's) for every labelled panel row in a test block of the
    date folds."""
    proba = [f"p_{c}" for c in class_names]
    dates = np.sort(panel["date"].unique())
    date_pos = np.searchsorted(dates, panel["date"].to_numpy())
    labelled = panel["label"].notna().to_numpy()
    blocks = [_fold_block(panel, cols, np.isin(date_pos, fold.train) & labelled,
                          np.isin(date_pos, fold.test) & labelled, estimator, proba).assign(fold=fold.name)
              for fold in walk_forward_folds(np.arange(len(dates)), horizon=horizon, **splits)]
    return pd.concat(blocks, ignore_index=True)


def score_pooled(frame: pd.DataFrame, class_names: list[str]) -> dict:
    """Log-loss, skill vs the class prior,
    accuracy and directional accuracy over a block of OOS rows."""
    proba = [f"p_{c}" for c in class_names]
    y = frame["label"].to_numpy(dtype=float)
    model, prior = (frame[proba].to_numpy(dtype=float),
                    frame[[f"prior__{c}" for c in proba]].to_numpy(dtype=float))
    return {"n": int(len(frame)), "log_loss": float(row_log_loss(y, model).mean()),
            "prior_log_loss": float(row_log_loss(y, prior).mean()),
            "skill": skill_score(row_log_loss(y, model), row_log_loss(y, prior)),
            "accuracy": float((model.argmax(1) == y).mean()),
            "directional_accuracy": directional_accuracy(y, model)}
