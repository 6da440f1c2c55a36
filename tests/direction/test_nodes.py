"""Direction nodes: pooled universe training wired to the direction layout (the stacking and conformal
mechanisms are tested in tests/modelling/test_stacking_conformal.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegismatrix.pipelines.direction import nodes


def test_universe_mode_pools_symbols_and_reports_against_the_prior():
    rng = np.random.default_rng(5)
    dates = pd.bdate_range("2015-01-01", periods=500)
    panel = pd.concat([pd.DataFrame({"date": dates, "symbol": sym, "ret_1d": rng.normal(scale=0.01, size=500),
                                     "rsi_14": rng.uniform(20, 80, size=500)}) for sym in ("^NSEI", "^GSPC")],
                      ignore_index=True)
    params = {"universe": {"enabled": True, "horizon": 5, "neutral_band": 0.0056, "report_symbol": "NSEI",
                           "estimator": {"kind": "xgb_classifier",
                                         "params": {"n_estimators": 10, "n_jobs": 1}},
                           "splits": {"n_folds": 2, "min_train": 150, "embargo": 5}}}
    out = nodes.train_universe_direction(panel, params)
    assert out["symbols"] == ["^GSPC", "^NSEI"] and out["features"] == ["ret_1d", "rsi_14"]
    assert out["pooled"]["n"] > out["report_symbol"]["n"] > 0
    assert abs(out["pooled"]["skill"]) < 0.2  # noise: no edge to find
    assert nodes.train_universe_direction(panel, {"universe": {"enabled": False}})["enabled"] is False
