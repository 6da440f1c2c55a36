"""Stacking and conformal intervals (aegismatrix.modelling): the meta-learner only learns from base OOS rows
whose labels closed before its block, a base model with edge is stacked, none with edge leaves the baseline,
and the conformal quantiles use past residuals only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegismatrix.modelling import stacking
from aegismatrix.modelling.calibration import expected_calibration_error
from aegismatrix.modelling.conformal import conformal_table
from aegismatrix.modelling.metrics import directional_accuracy

CLASSES = ["down", "neutral", "up"]
PROBA = [f"p_{c}" for c in CLASSES]

CFG = {"min_train": 100, "refit_every": 50, "C": 1.0, "test_fraction": 0.2, "bootstrap": {"n_boot": 100},
       "coverage": 0.8, "min_residuals": 30}


def _oos(n: int = 600, informative: bool = True, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n).astype(float)
    p = np.full((n, 3), 0.2)
    if informative:
        p[np.arange(n), y.astype(int)] = 0.6
    else:
        p[:] = 1 / 3
    frame = pd.DataFrame({"date": pd.bdate_range("2020-01-01", periods=n), "fold": "fold_1", "label": y})
    frame.loc[frame.index[-120:], "fold"] = "test"
    frame[PROBA] = p / p.sum(axis=1, keepdims=True)
    frame[[f"baseline_class_prior__{c}" for c in PROBA]] = 1 / 3
    return frame


def _metrics(edge: bool) -> dict:
    return {"edge": edge, "primary_baseline": "class_prior"}


def test_meta_learner_trains_only_on_rows_whose_labels_closed(monkeypatch):
    horizon, fitted_on = 5, []
    original = stacking.fit_meta

    def spy(X, y, C, n_classes=3):
        fitted_on.append(len(y))
        return original(X, y, C, n_classes)

    monkeypatch.setattr(stacking, "fit_meta", spy)
    out = stacking.stack_walk_forward(horizon, {"xgb_h5": (_oos(), _metrics(True))}, CFG, CLASSES)
    starts = list(range(CFG["min_train"], 600, CFG["refit_every"]))
    assert fitted_on[: len(starts)] == [s - horizon for s in starts]  # rows 0 .. s-h-1 before block s
    assert out["status"] == "edge" and out["skill"]["value"] > 0.1
    assert len(out["history"]["date"]) == 600 - CFG["min_train"]


def test_no_base_with_edge_serves_the_baseline():
    out = stacking.stack_walk_forward(1, {"xgb_h1": (_oos(informative=False), _metrics(False))}, CFG, CLASSES)
    assert out["status"] == "no_edge" and out["fallback"] == "xgb_h1" and out["history"] is None
    assert out["skill"]["value"] <= 0.01  # still evaluated and reported


def test_only_bases_with_edge_are_stacked_and_a_single_one_is_recalibrated():
    bases = {"xgb_h1": (_oos(), _metrics(True)),
             "lgbm_h1": (_oos(informative=False, seed=1), _metrics(False))}
    out = stacking.stack_walk_forward(1, bases, CFG, CLASSES)
    assert out["bases"] == ["xgb_h1"] and out["candidates"] == ["xgb_h1", "lgbm_h1"]
    assert (out["status"] == "edge" and out["meta"] is not None
            and len(out["meta"]["coef"][0]) == 3)  # one base
    raw = _oos()  # the truth always gets 0.6: observed 100%, a miscalibrated base the stack must recalibrate
    raw_ece = expected_calibration_error(raw["label"].to_numpy(), raw[PROBA].to_numpy())
    assert out["ece"] < raw_ece / 2


def test_conformal_table_uses_past_residuals_only():
    n = 300
    oos = pd.DataFrame({"date": pd.bdate_range("2021-01-01", periods=n),
                        "label": np.r_[np.full(200, 100.0), np.full(100, 1000.0)],
                        "prediction": 100.0})
    table = conformal_table(oos, {"edge": True, "primary_baseline": "x"}, horizon=5, coverage=0.8,
                            min_residuals=30)
    dates = pd.to_datetime(table["date"])
    # the jump at row 200 enters the quantiles only once its labels are known (row 206 onwards)
    before = np.asarray(table["q_high"])[dates <= oos["date"][205]]
    assert np.allclose(before, 0.0) and table["q_high"][-1] > 0


def test_directional_accuracy_ignores_neutral_days():
    y = np.array([0, 1, 2, 2, np.nan])
    proba = np.array([[0.5, 0.2, 0.3], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6], [0.6, 0.2, 0.2], [0.3, 0.3, 0.4]])
    assert directional_accuracy(y, proba) == 2 / 3


def test_a_class_absent_from_training_keeps_near_zero_probability():
    X = np.random.default_rng(1).normal(size=(80, 2))
    y = (X[:, 0] > 0).astype(float) * 2  # only DOWN (0) and UP (2): NEUTRAL never seen
    proba = stacking.predict_meta(stacking.fit_meta(X, y, 1.0), X)
    assert proba.shape == (80, 3) and np.allclose(proba.sum(axis=1), 1) and proba[:, 1].max() < 1e-3
    assert ((proba[:, 2] > proba[:, 0]) == (y == 2)).mean() > 0.9
