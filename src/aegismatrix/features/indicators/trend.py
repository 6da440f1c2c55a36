"""Trend family: moving-average distances, MACD, ADX/DI,
CCI, regression slope, Aroon, trend duration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib

from ..spec import FeatureSpec
from ._common import col, div, shift, signed_run_length

MA_WINDOWS = (5, 10, 20, 50, 100, 200)
FAMILY = "trend"


def _specs() -> tuple[FeatureSpec, ...]:
    out = [FeatureSpec(f"dist_sma_{w}", FAMILY, w, f"close / SMA({w}) of close - 1") for w in MA_WINDOWS]
    out += [FeatureSpec(f"dist_ema_{w}", FAMILY, w, f"close / EMA({w}) of close - 1") for w in MA_WINDOWS]
    return tuple(out) + (
        FeatureSpec("sma_20_50_spread", FAMILY, 50, "SMA(20) / SMA(50) - 1: medium-term trend"),
        FeatureSpec("sma_50_200_spread", FAMILY, 200,
                    "SMA(50) / SMA(200) - 1: golden/death-cross distance"),
        FeatureSpec("ema_20_slope_5d", FAMILY, 25, "EMA(20) today / EMA(20) five rows ago - 1"),
        FeatureSpec("macd_line_pct", FAMILY, 34, "MACD(12,26) line divided by close"),
        FeatureSpec("macd_signal_pct", FAMILY, 34,
                    "MACD signal line (EMA 9 of MACD) divided by close"),
        FeatureSpec("macd_hist_pct", FAMILY, 34, "MACD histogram (line - signal) divided by close"),
        FeatureSpec("adx_14", FAMILY, 28, "Wilder's ADX(14): trend strength 0-100"),
        FeatureSpec("plus_di_14", FAMILY, 15, "Wilder's +DI(14): upward directional movement"),
        FeatureSpec("minus_di_14", FAMILY, 15, "Wilder's -DI(14): downward directional movement"),
        FeatureSpec("di_spread_14", FAMILY, 15, "+DI(14) - -DI(14): trend direction"),
        FeatureSpec("cci_20", FAMILY, 20, "Commodity Channel Index(20) of the typical price"),
        FeatureSpec("linreg_slope_20", FAMILY, 20,
                    "Least-squares slope of close over 20 rows, divided by close"),
        FeatureSpec("linreg_slope_50", FAMILY, 50,
                    "Least-squares slope of close over 50 rows, divided by close"),
        FeatureSpec("linreg_r2_20", FAMILY, 20,
                    "R^2 of close on time over 20 rows: how straight the trend is"),
        FeatureSpec("aroon_osc_25", FAMILY, 26,
                    "Aroon oscillator(25): recency of the high minus recency of the low"),
        FeatureSpec("trend_run_sma_20", FAMILY, 20,
                    "Rows in a row the close sat above (+n) or below (-n) SMA(20)"),
    )


SPECS = _specs()


def compute(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every trend feature from an OHLC frame."""
    high, low, close = col(frame, "high"), col(frame, "low"), col(frame, "close")
    out: dict[str, np.ndarray] = {}
    sma = {w: talib.SMA(close, w) for w in MA_WINDOWS}
    ema = {w: talib.EMA(close, w) for w in MA_WINDOWS}
    for w in MA_WINDOWS:
        out[f"dist_sma_{w}"] = div(close, sma[w]) - 1
        out[f"dist_ema_{w}"] = div(close, ema[w]) - 1
    out["sma_20_50_spread"] = div(sma[20], sma[50]) - 1
    out["sma_50_200_spread"] = div(sma[50], sma[200]) - 1
    out["ema_20_slope_5d"] = div(ema[20], shift(ema[20], 5)) - 1
    macd, signal, hist = talib.MACD(close, 12, 26, 9)
    out["macd_line_pct"], out["macd_signal_pct"], out["macd_hist_pct"] = (
        div(macd, close), div(signal, close), div(hist, close))
    out["adx_14"] = talib.ADX(high, low, close, 14)
    out["plus_di_14"] = talib.PLUS_DI(high, low, close, 14)
    out["minus_di_14"] = talib.MINUS_DI(high, low, close, 14)
    out["di_spread_14"] = out["plus_di_14"] - out["minus_di_14"]
    out["cci_20"] = talib.CCI(high, low, close, 20)
    out["linreg_slope_20"] = div(talib.LINEARREG_SLOPE(close, 20), close)
    out["linreg_slope_50"] = div(talib.LINEARREG_SLOPE(close, 50), close)
    out["linreg_r2_20"] = talib.CORREL(close, np.arange(len(close), dtype="float64"), 20) ** 2
    out["aroon_osc_25"] = talib.AROONOSC(high, low, 25)
    out["trend_run_sma_20"] = signed_run_length(close > sma[20],
                                                np.isfinite(sma[20]) & np.isfinite(close))
    return out
