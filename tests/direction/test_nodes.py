"""Direction nodes: the stacked meta-learner only learns from base OOS rows whose labels closed before
its block, a base model with edge is stacked, none with edge leaves the baseline, and the assembly keeps
the contract."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegismatrix.pipelines.direction import nodes

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
    frame[nodes.PROBA] = p / p.sum(axis=1, keepdims=True)
    frame[[f"baseline_class_prior__{c}" for c in nodes.PROBA]] = 1 / 3
    return frame


def _metrics(edge: bool) -> dict:
    return {"edge": edge, "primary_baseline": "class_prior"}


def test_meta_learner_trains_only_on_rows_whose_labels_closed(monkeypatch):
    horizon, fitted_on = 5, []
    original = nodes._meta_fit

    def spy(X, y, C):
        fitted_on.append(len(y))
        return original(X, y, C)

    monkeypatch.setattr(nodes, "_meta_fit", spy)
    frames = {"xgb_h5__oos": _oos(), "xgb_h5__metrics": _metrics(True)}
    out = nodes._stack_horizon(horizon, ["xgb_h5"], frames, CFG)
    starts = list(range(CFG["min_train"], 600, CFG["refit_every"]))
    assert fitted_on[: len(starts)] == [s - horizon for s in starts]  # rows 0 .. s-h-1 before block s
    assert out["status"] == "edge" and out["skill"]["value"] > 0.1
    assert len(out["history"]["date"]) == 600 - CFG["min_train"]


def test_no_base_with_edge_serves_the_baseline():
    frames = {"xgb_h1__oos": _oos(informative=False), "xgb_h1__metrics": _metrics(False)}
    out = nodes._stack_horizon(1, ["xgb_h1"], frames, CFG)
    assert out["status"] == "no_edge" and out["fallback"] == "xgb_h1" and out["history"] is None
    assert out["skill"]["value"] <= 0.01  # still evaluated and reported


def test_conformal_table_uses_past_residuals_only():
    n = 300
    oos = pd.DataFrame({"date": pd.bdate_range("2021-01-01", periods=n), "label": np.r_[np.full(200, 100.0), np.full(100, 1000.0)],
                        "prediction": 100.0})
    table = nodes._conformal_table(oos, {"edge": True, "primary_baseline": "x"}, horizon=5, coverage=0.8, min_residuals=30)
    dates = pd.to_datetime(table["date"])
    # the jump at row 200 enters the quantiles only once its labels are known (row 206 onwards)
    before = np.asarray(table["q_high"])[dates <= oos["date"][205]]
    assert np.allclose(before, 0.0) and table["q_high"][-1] > 0


def test_directional_accuracy_ignores_neutral_days():
    y = np.array([0, 1, 2, 2, np.nan])
    proba = np.array([[0.5, 0.2, 0.3], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6], [0.6, 0.2, 0.2], [0.3, 0.3, 0.4]])
    assert nodes.directional_accuracy(y, proba) == 2 / 3


def test_universe_mode_pools_symbols_and_reports_against_the_prior():
    rng = np.random.default_rng(5)
    dates = pd.bdate_range("2015-01-01", periods=500)
    panel = pd.concat([pd.DataFrame({"date": dates, "symbol": sym, "ret_1d": rng.normal(scale=0.01, size=500),
                                     "rsi_14": rng.uniform(20, 80, size=500)}) for sym in ("^NSEI", "^GSPC")],
                      ignore_index=True)
    params = {"universe": {"enabled": True, "horizon": 5, "neutral_band": 0.0056, "report_symbol": "NSEI",
                           "estimator": {"kind": "xgb_classifier", "params": {"n_estimators": 10, "n_jobs": 1}},
                           "splits": {"n_folds": 2, "min_train": 150, "embargo": 5}}}
    out = nodes.train_universe_direction(panel, params)
    assert out["symbols"] == ["^GSPC", "^NSEI"] and out["features"] == ["ret_1d", "rsi_14"]
    assert out["pooled"]["n"] > out["report_symbol"]["n"] > 0
    assert abs(out["pooled"]["skill"]) < 0.2  # noise: no edge to find
    assert nodes.train_universe_direction(panel, {"universe": {"enabled": False}})["enabled"] is False
