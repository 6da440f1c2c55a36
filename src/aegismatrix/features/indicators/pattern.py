"""Pattern family: support/resistance distance, breakouts, divergences, higher highs/lower lows,
compression, gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib

from ..spec import FeatureSpec
from ._common import col, div, flag, rolling_max, rolling_mean, rolling_min, rolling_sum, shift, true_range

FAMILY = "pattern"

SPECS = (
    FeatureSpec("dist_resistance_20", FAMILY, 21,
                "close / highest high of the previous 20 rows - 1"),
    FeatureSpec("dist_support_20", FAMILY, 21, "close / lowest low of the previous 20 rows - 1"),
    FeatureSpec("dist_resistance_63", FAMILY, 64,
                "close / highest high of the previous 63 rows - 1"),
    FeatureSpec("dist_support_63", FAMILY, 64, "close / lowest low of the previous 63 rows - 1"),
    FeatureSpec("breakout_up_20", FAMILY, 21,
                "1 when the close is above the previous 20 rows' highest high"),
    FeatureSpec("breakout_down_20", FAMILY, 21,
                "1 when the close is below the previous 20 rows' lowest low"),
    FeatureSpec("higher_highs_10", FAMILY, 11,
                "Share of the last 10 rows whose high beat the previous high"),
    FeatureSpec("lower_lows_10", FAMILY, 11,
                "Share of the last 10 rows whose low undercut the previous low"),
    FeatureSpec("price_rsi_divergence_14", FAMILY, 29,
                "sign(14-row close change) - sign(14-row RSI(14) change): -2..2"),
    FeatureSpec("range_compression_10_63", FAMILY, 63,
                "Mean true range of 10 rows / of 63 rows: < 1 is a coiled market"),
    FeatureSpec("nr7", FAMILY, 8, "1 when today's true range is the narrowest of the last 7 rows"),
    FeatureSpec("inside_bar", FAMILY, 2, "1 when today's high-low sits inside yesterday's"),
    FeatureSpec("gap_pct", FAMILY, 2, "open / previous close - 1: the overnight move"),
    FeatureSpec("open_to_close_return", FAMILY, 1, "close / open - 1: the move during the session"),
    FeatureSpec("close_location_value", FAMILY, 1,
                "Where the close sits in the day's range, -1 (low) to 1 (high)"),
    FeatureSpec("bb_keltner_squeeze_20", FAMILY, 21,
                "Bollinger(20) width / Keltner(20) width: < 1 is a squeeze"),
)


def _sign_change(x: np.ndarray, n: int) -> np.ndarray:
    return np.sign(x - shift(x, n))


def compute(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every pattern feature from an OHLC frame."""
    o, h, l, c = (col(frame, k) for k in ("open", "high", "low", "close"))
    out: dict[str, np.ndarray] = {}
    for w in (20, 63):
        # the previous w rows' extremes: today's bar cannot be its own resistance
        res, sup = shift(rolling_max(h, w), 1), shift(rolling_min(l, w), 1)
        out[f"dist_resistance_{w}"], out[f"dist_support_{w}"] = div(c, res) - 1, div(c, sup) - 1
        if w == 20:
            out["breakout_up_20"] = flag(c > res, np.isfinite(res))
            out["breakout_down_20"] = flag(c < sup, np.isfinite(sup))
    ph, pl = shift(h, 1), shift(l, 1)
    out["higher_highs_10"] = rolling_mean(flag(h > ph, np.isfinite(ph)), 10)
    out["lower_lows_10"] = rolling_mean(flag(l < pl, np.isfinite(pl)), 10)
    out["price_rsi_divergence_14"] = _sign_change(c, 14) - _sign_change(talib.RSI(c, 14), 14)
    tr = true_range(h, l, c)
    out["range_compression_10_63"] = div(rolling_mean(tr, 10), rolling_mean(tr, 63))
    out["nr7"] = flag(tr <= rolling_min(tr, 7), np.isfinite(rolling_sum(tr, 7)))
    out["inside_bar"] = flag((h <= ph) & (l >= pl), np.isfinite(ph))
    out["gap_pct"] = div(o, shift(c, 1)) - 1
    out["open_to_close_return"] = div(c, o) - 1
    out["close_location_value"] = np.nan_to_num(div((c - l) - (h - c), h - l))  # flat bar: neutral
    upper, _, lower = talib.BBANDS(c, 20, 2.0, 2.0, 0)
    out["bb_keltner_squeeze_20"] = div(upper - lower, 4 * talib.ATR(h, l, c, 20))
    return out
