"""The one VIX-implied move: trading days convert at 365/252 calendar days a session, and every user of it
(labels, features, pricing, payload) gets the same number."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegismatrix.market.implied import implied_move_fraction
from aegismatrix.options.pricing import touch_z, vix_implied_range


def test_trading_and_calendar_day_conventions_agree():
    vix = pd.Series([10.0, 20.0, 40.0])
    assert np.allclose(implied_move_fraction(vix, trading_days=5), vix / 100 * np.sqrt(5 / 252))
    assert np.allclose(implied_move_fraction(vix, calendar_days=7), vix / 100 * np.sqrt(7 / 365))
    per_row = implied_move_fraction(vix, calendar_days=np.array([1, 7, 28]))
    assert np.allclose(per_row, vix / 100 * np.sqrt(np.array([1, 7, 28]) / 365))
    assert isinstance(implied_move_fraction(15.0, trading_days=21), float)


def test_option_pricing_range_uses_the_same_move():
    lower, upper = vix_implied_range(20000.0, 14.6, 7, 0.10)
    half = touch_z(0.10) * implied_move_fraction(14.6, calendar_days=7) * 20000.0
    assert np.isclose(upper - 20000.0, half) and np.isclose(20000.0 - lower, half)
