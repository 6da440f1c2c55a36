"""Momentum family: RSI, stochastics, Williams %R, ROC, CMO, ultimate oscillator, PPO, MFI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib

from ..spec import FeatureSpec
from ._common import col

FAMILY = "momentum"
RSI_WINDOWS = (7, 14, 21)
ROC_WINDOWS = (5, 10, 20)

SPECS = tuple(
    [FeatureSpec(f"rsi_{w}", FAMILY, w + 1, f"Wilder's RSI({w}) of close, 0-100") for w in RSI_WINDOWS]
    + [FeatureSpec(f"roc_{w}", FAMILY, w,
                   f"Rate of change of close over {w} rows, percent") for w in ROC_WINDOWS]
    + [
        FeatureSpec("stoch_k_14", FAMILY, 18,
                    "Slow stochastic %K(14,3): close within the 14-row range, 0-100"),
        FeatureSpec("stoch_d_14", FAMILY, 20, "Slow stochastic %D: 3-row average of %K"),
        FeatureSpec("williams_r_14", FAMILY, 14,
                    "Williams %R(14): -100 (at the low) to 0 (at the high)"),
        FeatureSpec("stoch_rsi_14", FAMILY, 30,
                    "Stochastic of RSI(14) over 14 rows (fast %K), 0-100"),
        FeatureSpec("cmo_14", FAMILY, 15, "Chande momentum oscillator(14), -100 to 100"),
        FeatureSpec("ultosc_7_14_28", FAMILY, 29, "Ultimate oscillator over 7/14/28 rows, 0-100"),
        FeatureSpec("ppo_12_26", FAMILY, 26,
                    "Percentage price oscillator: EMA(12) vs EMA(26) in percent"),
        FeatureSpec("mfi_14", FAMILY, 15, "Money flow index(14): volume-weighted RSI, 0-100",
                    needs="volume"),
    ]
)


def compute(frame: pd.DataFrame, volume_ok: bool = True) -> dict[str, np.ndarray]:
    """Every momentum feature; MFI is NaN when the frame has no usable volume."""
    high, low, close, volume = (col(frame, c) for c in ("high", "low", "close", "volume"))
    out = {f"rsi_{w}": talib.RSI(close, w) for w in RSI_WINDOWS}
    out |= {f"roc_{w}": talib.ROC(close, w) for w in ROC_WINDOWS}
    out["stoch_k_14"], out["stoch_d_14"] = talib.STOCH(high, low, close, 14, 3, 0, 3, 0)
    out["williams_r_14"] = talib.WILLR(high, low, close, 14)
    out["stoch_rsi_14"] = talib.STOCHRSI(close, 14, 14, 3, 0)[0]
    out["cmo_14"] = talib.CMO(close, 14)
    out["ultosc_7_14_28"] = talib.ULTOSC(high, low, close, 7, 14, 28)
    out["ppo_12_26"] = talib.PPO(close, 12, 26, 1)
    out["mfi_14"] = talib.MFI(high, low, close, volume, 14) if volume_ok else np.full(len(close), np.nan)
    return out
