"""Property test (hypothesis): every horizon label at row t reads exactly rows t .. t+h, never beyond."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from aegismatrix.labels import build_label
from aegismatrix.market.synthetic import synthetic_market_daily

MARKET = synthetic_market_daily(years=1, seed=11).iloc[:120].reset_index(drop=True)
LABELS = [("direction_class", {"neutral_band": 0.003}), ("forward_realised_vol", {}),
          ("implied_move_touch", {"sigmas": 1.0}), ("forward_excursion_ratio", {}),
          ("forward_abs_return", {})]


@settings(max_examples=40, deadline=None)
@given(which=st.sampled_from(LABELS), horizon=st.integers(1, 21), row=st.integers(0, 90),
       shock=st.floats(0.5, 2.0))
def test_label_window_is_t_plus_1_to_t_plus_h(which, horizon, row, shock):
    name, kwargs = which
    base = build_label(MARKET, name, horizon=horizon, **kwargs)
    assert base.iloc[len(MARKET) - horizon:].isna().all()  # incomplete windows are never labelled
    later = MARKET.copy()
    cols = ["open", "high", "low", "close", "vix_high", "vix_low", "vix_close"]
    later.loc[row + horizon + 1:, cols] *= shock  # change everything after the window
    changed = build_label(later, name, horizon=horizon, **kwargs)
    # rolling sums are computed online, so unrelated rows move the last bits only
    np.testing.assert_allclose(base.iloc[: row + 1].to_numpy(), changed.iloc[: row + 1].to_numpy(), rtol=1e-9)
    assert isinstance(base, pd.Series)
