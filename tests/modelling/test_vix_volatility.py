"""VIX-backbone vol estimators (issue 14): log regression recovers elasticities, combination weights on the
simplex."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.models.base import get_estimator
from aegismatrix.models.vix_volatility import convex_weights


def _vol_frame(n: int = 900, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    log_vix = np.log(0.16) + 0.3 * np.cumsum(rng.normal(0, 0.05, n)) / np.sqrt(np.arange(1, n + 1))
    rv = np.exp(log_vix + rng.normal(-0.2, 0.15, (3, n)))
    y = np.exp(-0.1 + 0.8 * log_vix + 0.1 * np.log(rv[1]) + rng.normal(0, 0.1, n))
    X = pd.DataFrame({"vix_level": 100 * np.exp(log_vix), "rv_cc_5": rv[0], "rv_cc_21": rv[1],
                      "rv_cc_63": rv[2]})
    return X, y


def test_log_regression_recovers_the_vix_elasticity_and_round_trips() -> None:
    X, y = _vol_frame()
    cls = get_estimator("vix_log_regression")
    est = cls({"alpha": 1e-6}).fit(X, y)
    assert est.coef_[0] == pytest.approx(0.8, abs=0.1)
    state, blobs = est.state()
    again = cls.from_state({"alpha": 1e-6}, 7, None, state, blobs)
    np.testing.assert_allclose(again.predict(X), est.predict(X))
    assert (est.predict(X) > 0).all()


def test_combination_weights_are_convex_and_pick_the_better_candidate() -> None:
    rng = np.random.default_rng(2)
    y = np.exp(rng.normal(np.log(0.15), 0.3, 400))
    good, bad = y * np.exp(rng.normal(0, 0.05, 400)), np.full(400, y.mean() * 2)
    w = convex_weights(np.column_stack([bad, good]), y)
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all() and w[1] > 0.9


def test_combination_fits_in_fold_and_refuses_too_few_rows() -> None:
    X, y = _vol_frame()
    params = {"validation_fraction": 0.3, "purge": 21, "candidates": [
        {"kind": "scaled_column", "column": "vix_level", "scale": 0.01},
        {"kind": "column", "column": "rv_cc_21"},
        {"kind": "ridge", "columns": ["rv_cc_5", "rv_cc_21", "rv_cc_63", "vix_level"]},
        {"kind": "vix_log_regression",
         "params": {"columns": ["vix_level", "rv_cc_5", "rv_cc_21", "rv_cc_63"]}}]}
    cls = get_estimator("vol_combination")
    est = cls(params).fit(X, y)
    assert sum(est.weights_) == pytest.approx(1.0)
    again = cls.from_state(params, 7, None, *est.state())
    np.testing.assert_allclose(again.predict(X), est.predict(X))
    with pytest.raises(ValueError, match="before the validation block"):
        cls(params).fit(X.iloc[:80], y[:80])
