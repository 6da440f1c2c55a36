"""Statistical family: multi-horizon returns, z-scores,
autocorrelation, entropy, skew/kurtosis, drawdown."""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib

from ..spec import FeatureSpec
from ._common import (
    col,
    div,
    log_ret,
    rolling_corr,
    rolling_kurt,
    rolling_max,
    rolling_mean,
    rolling_skew,
    rolling_std,
    rolling_sum,
    rolling_zscore,
    shift,
)

FAMILY = "statistical"

SPECS = (
    FeatureSpec("ret_1d", FAMILY, 2, "Log return of close over 1 row"),
    FeatureSpec("ret_5d", FAMILY, 6, "Log return of close over 5 rows"),
    FeatureSpec("ret_20d", FAMILY, 21, "Log return of close over 20 rows"),
    FeatureSpec("ret_zscore_20", FAMILY, 21, "Today's log return / std of the last 20 log returns"),
    FeatureSpec("close_zscore_20", FAMILY, 20, "(close - 20-row mean) / 20-row std of close"),
    FeatureSpec("close_zscore_63", FAMILY, 63, "(close - 63-row mean) / 63-row std of close"),
    FeatureSpec("ret_autocorr_63", FAMILY, 65, "Lag-1 autocorrelation of log returns over 63 rows"),
    FeatureSpec("sign_entropy_20", FAMILY, 21,
                "Binary entropy (bits) of up/down days over 20 rows: 1 = coin flip"),
    FeatureSpec("ret_skew_63", FAMILY, 64, "Skewness of log returns over 63 rows"),
    FeatureSpec("ret_kurt_63", FAMILY, 64, "Excess kurtosis of log returns over 63 rows"),
    FeatureSpec("drawdown_252", FAMILY, 252, "close / highest close of the last 252 rows - 1"),
    FeatureSpec("days_since_high_252", FAMILY, 252,
                "Rows since the highest close of the last 252 rows"),
    FeatureSpec("downside_variance_share_21", FAMILY, 22,
                "Share of 21-row squared returns from down days: downside pressure"),
)


def _binary_entropy(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    return np.where((p == 0) | (p == 1), 0.0, h)


def compute(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every statistical feature from a close series."""
    c = col(frame, "close")
    r = log_ret(c)
    up = np.where(np.isfinite(r), (r > 0).astype("float64"), np.nan)
    idx = np.arange(len(c), dtype="float64")
    r2 = r**2
    return {
        "ret_1d": r,
        "ret_5d": log_ret(c, 5),
        "ret_20d": log_ret(c, 20),
        "ret_zscore_20": div(r, rolling_std(r, 20)),
        "close_zscore_20": rolling_zscore(c, 20),
        "close_zscore_63": rolling_zscore(c, 63),
        "ret_autocorr_63": rolling_corr(r, shift(r, 1), 63),
        "sign_entropy_20": _binary_entropy(rolling_mean(up, 20)),
        "ret_skew_63": rolling_skew(r, 63),
        "ret_kurt_63": rolling_kurt(r, 63),
        "drawdown_252": div(c, rolling_max(c, 252)) - 1,
        # MAXINDEX pads warm-up with 0
        "days_since_high_252": np.where(idx < 251, np.nan, idx - talib.MAXINDEX(c, 252)),
        # r2*0 keeps NaN
        "downside_variance_share_21": div(rolling_sum(np.where(r < 0, r2, r2 * 0.0), 21),
                                          rolling_sum(r2, 21)),
    }
