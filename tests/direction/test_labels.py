"""Direction labels on hand-computed cases: windows t+1 .. t+h, the band per horizon, the panel variant."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from aegismatrix.labels import build_label

CLOSE = [100.0, 101.0, 100.5, 103.0, 103.0]


def _market() -> pd.DataFrame:
    return pd.DataFrame({"date": pd.bdate_range("2024-01-01", periods=5), "close": CLOSE})


def test_direction_class_one_day_by_hand():
    label = build_label(_market(), "direction_class", horizon=1, neutral_band=0.005)
    # +1.0% UP, -0.495% NEUTRAL, +2.49% UP, 0% NEUTRAL, last row has no t+1
    np.testing.assert_array_equal(label.to_numpy()[:4], [2.0, 1.0, 2.0, 1.0])
    assert np.isnan(label.iloc[4])


def test_direction_class_two_days_uses_close_t_plus_2():
    label = build_label(_market(), "direction_class", horizon=2, neutral_band=0.005)
    # 100 -> 100.5 is exactly +0.5% (not above the band): NEUTRAL; 101 -> 103 UP; 100.5 -> 103 UP
    np.testing.assert_array_equal(label.to_numpy()[:3], [1.0, 2.0, 2.0])
    assert label.iloc[3:].isna().all()
    falling = pd.DataFrame({"close": [100.0, 99.0, 98.0]})
    assert build_label(falling, "direction_class", horizon=2, neutral_band=0.005).iloc[0] == 0.0


def test_magnitude_label_in_points():
    label = build_label(_market(), "forward_abs_move_points", horizon=3)
    np.testing.assert_allclose(label.to_numpy()[:2], [3.0, 2.0])
    assert label.iloc[2:].isna().all()


def test_panel_label_matches_the_single_series_label_per_symbol():
    closes = {"A": CLOSE, "B": [50.0, 49.0, 49.5, 48.0, 48.0]}
    rows = []
    for sym, c in closes.items():
        c = np.asarray(c)
        rows.append(pd.DataFrame({"symbol": sym, "ret_1d": np.r_[np.nan, np.diff(np.log(c))]}))
    panel = pd.concat(rows, ignore_index=True)
    label = build_label(panel, "panel_direction_class", horizon=2, neutral_band=0.004)
    for sym, c in closes.items():
        expected = build_label(pd.DataFrame({"close": c}), "direction_class", horizon=2, neutral_band=0.004)
        np.testing.assert_array_equal(label[panel["symbol"] == sym].to_numpy(), expected.to_numpy())


def test_parameter_bands_scale_with_sqrt_horizon(project_root):
    from aegismatrix.parameters import load_project_parameters

    params = load_project_parameters(project_root)["direction"]
    for h in (1, 2, 3, 5, 10, 20):
        block = params[f"xgb_h{h}"]
        assert block["horizon"] == block["label"]["horizon"] == h  # purge length = label horizon
        assert math.isclose(block["label"]["neutral_band"], params["base_band"] * math.sqrt(h), rel_tol=1e-9)
