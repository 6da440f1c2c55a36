"""Volatility family: ATR, Bollinger, Keltner, Donchian,
close-to-close and range-based realised vol."""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib

from ..spec import FeatureSpec
from ._common import (
    ANNUAL,
    col,
    div,
    log_ret,
    rolling_corr,
    rolling_max,
    rolling_mean,
    rolling_min,
    rolling_std,
    shift,
    true_range,
)

FAMILY = "volatility"
ATR_WINDOWS = (5, 14, 21)
RV_WINDOWS = (5, 10, 21, 63)

SPECS = tuple(
    [FeatureSpec(f"atr_{w}_pct", FAMILY, w + 1, f"Wilder's ATR({w}) divided by close") for w in ATR_WINDOWS]
    + [FeatureSpec(f"rv_cc_{w}", FAMILY, w + 1,
                   f"Close-to-close realised vol over {w} rows, annualised") for w in RV_WINDOWS]
    + [
        FeatureSpec("atr_ratio_5_21", FAMILY, 22, "ATR(5) / ATR(21): short-term range expansion"),
        FeatureSpec("atr_ratio_14_50", FAMILY, 51,
                    "ATR(14) / ATR(50): medium-term range expansion"),
        FeatureSpec("bb_width_20", FAMILY, 20,
                    "Bollinger(20, 2 sd) band width divided by the middle band"),
        FeatureSpec("bb_pctb_20", FAMILY, 20,
                    "Bollinger %B(20): close within the bands, 0 = lower, 1 = upper"),
        FeatureSpec("keltner_pos_20", FAMILY, 21,
                    "(close - EMA(20)) / (2 x ATR(20)): Keltner channel position"),
        FeatureSpec("keltner_width_20", FAMILY, 21, "Keltner channel width 4 x ATR(20) / EMA(20)"),
        FeatureSpec("donchian_pos_20", FAMILY, 20,
                    "Close within the 20-row high-low (Donchian) channel, 0-1"),
        FeatureSpec("donchian_width_20", FAMILY, 20,
                    "20-row Donchian channel width divided by close"),
        FeatureSpec("donchian_pos_55", FAMILY, 55, "Close within the 55-row Donchian channel, 0-1"),
        FeatureSpec("rv_parkinson_21", FAMILY, 21,
                    "Parkinson high-low realised vol over 21 rows, annualised"),
        FeatureSpec("rv_garman_klass_21", FAMILY, 21,
                    "Garman-Klass OHLC realised vol over 21 rows, annualised"),
        FeatureSpec("rv_rogers_satchell_21", FAMILY, 21,
                    "Rogers-Satchell drift-free OHLC realised vol over 21 rows, annualised"),
        FeatureSpec("rv_ratio_5_21", FAMILY, 22,
                    "rv_cc_5 / rv_cc_21: volatility expansion or compression"),
        FeatureSpec("rv_ratio_21_63", FAMILY, 64, "rv_cc_21 / rv_cc_63: volatility regime shift"),
        FeatureSpec("abs_return_autocorr_63", FAMILY, 65,
                    "Lag-1 autocorrelation of |log return| over 63 rows: vol clustering"),
        FeatureSpec("true_range_pct", FAMILY, 2, "Today's true range divided by close"),
        FeatureSpec("daily_range_pct", FAMILY, 1, "(high - low) / close today"),
        FeatureSpec("range_expansion_1d", FAMILY, 15, "Today's true range / ATR(14)"),
    ]
)


def _range_vols(o: np.ndarray, h: np.ndarray, l: np.ndarray, c: np.ndarray, w: int) -> tuple[np.ndarray, ...]:
    """Parkinson, Garman-Klass and Rogers-Satchell vols: range estimators use the whole bar, not
    just the close."""
    hl, co = np.log(div(h, l)), np.log(div(c, o))
    park = rolling_mean(hl**2, w) / (4 * np.log(2))
    gk = rolling_mean(0.5 * hl**2 - (2 * np.log(2) - 1) * co**2, w)
    rs = rolling_mean(np.log(div(h, c)) * np.log(div(h, o)) + np.log(div(l, c)) * np.log(div(l, o)), w)
    return tuple(np.sqrt(np.clip(v, 0, None) * ANNUAL) for v in (park, gk, rs))


def _channel_pos(close: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    return div(close - lo, hi - lo)


def compute(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every volatility feature from an OHLC frame."""
    o, h, l, c = (col(frame, k) for k in ("open", "high", "low", "close"))
    atr = {w: talib.ATR(h, l, c, w) for w in (5, 14, 20, 21, 50)}
    out = {f"atr_{w}_pct": div(atr[w], c) for w in ATR_WINDOWS}
    r = log_ret(c)
    rv = {w: rolling_std(r, w) * np.sqrt(ANNUAL) for w in RV_WINDOWS}
    out |= {f"rv_cc_{w}": rv[w] for w in RV_WINDOWS}
    out["atr_ratio_5_21"], out["atr_ratio_14_50"] = div(atr[5], atr[21]), div(atr[14], atr[50])
    upper, middle, lower = talib.BBANDS(c, 20, 2.0, 2.0, 0)
    out["bb_width_20"], out["bb_pctb_20"] = div(upper - lower, middle), _channel_pos(c, upper, lower)
    ema20 = talib.EMA(c, 20)
    out["keltner_pos_20"], out["keltner_width_20"] = div(c - ema20, 2 * atr[20]), div(4 * atr[20], ema20)
    hi20, lo20 = rolling_max(h, 20), rolling_min(l, 20)
    out["donchian_pos_20"], out["donchian_width_20"] = _channel_pos(c, hi20, lo20), div(hi20 - lo20, c)
    out["donchian_pos_55"] = _channel_pos(c, rolling_max(h, 55), rolling_min(l, 55))
    out["rv_parkinson_21"], out["rv_garman_klass_21"], out["rv_rogers_satchell_21"] = _range_vols(
        o, h, l, c, 21)
    out["rv_ratio_5_21"], out["rv_ratio_21_63"] = div(rv[5], rv[21]), div(rv[21], rv[63])
    absr = np.abs(r)
    out["abs_return_autocorr_63"] = rolling_corr(absr, shift(absr, 1), 63)
    tr = true_range(h, l, c)
    out["true_range_pct"], out["daily_range_pct"] = div(tr, c), div(h - l, c)
    out["range_expansion_1d"] = div(tr, atr[14])
    return out
