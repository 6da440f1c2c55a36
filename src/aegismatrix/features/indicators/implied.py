"""Implied family (India VIX based): implied moves,
VIX percentile/z-score, VRP, VIX versus index."""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib

from aegismatrix.market.implied import implied_move_fraction

from ..spec import FeatureSpec
from ._common import (
    ANNUAL,
    col,
    div,
    log_ret,
    rolling_corr,
    rolling_mean,
    rolling_pct_rank,
    rolling_std,
    rolling_zscore,
)

FAMILY = "implied"
HORIZONS = (1, 5, 21)
YEAR = 252


def _spec(name: str, lookback: int, text: str) -> FeatureSpec:
    return FeatureSpec(name, FAMILY, lookback, text, needs="vix")


SPECS = tuple(
    [_spec("vix_level", 1, "India VIX close (annualised implied vol, percent)")]
    + [_spec(f"implied_move_{h}d", 1,
             f"VIX-implied one-sigma move over {h} trading days: VIX/100 x sqrt({h}/252)") for h in HORIZONS]
    + [
        _spec("vix_percentile_252d", YEAR,
              "Percentile of today's VIX within the last 252 rows, 0-1"),
        _spec("vix_zscore_252d", YEAR, "z-score of today's VIX over the last 252 rows"),
        _spec("rv_percentile_252d", YEAR + 21,
              "Percentile of 21-row realised vol within the last 252 rows, 0-1"),
        _spec("vrp_21d", 22,
              "Variance risk premium: VIX/100 - 21-row realised vol (both annualised)"),
        _spec("vrp_log_ratio_21d", 22,
              "log(VIX/100 / 21-row realised vol): implied rich (> 0) or cheap"),
        _spec("vix_change_1d", 2, "Log change of the VIX close over 1 row"),
        _spec("vix_change_5d", 6, "Log change of the VIX close over 5 rows"),
        _spec("vix_index_corr_63d", 64,
              "Correlation of VIX log changes with index log returns over 63 rows"),
        _spec("vix_index_beta_63d", 64,
              "Beta of VIX log changes on index log returns over 63 rows"),
        _spec("vix_residual_1d", 64,
              "Today's VIX change minus beta x index return: fear beyond what the move explains"),
        _spec("vix_index_same_direction_21d", 22,
              "Share of the last 21 rows where VIX and index both rose: call-skew pressure"),
        _spec("vix_range_pct", 1,
              "(VIX high - VIX low) / VIX close today (the VIX open is never used)"),
        _spec("vix_dist_sma_21", 21, "VIX close / its 21-row SMA - 1"),
    ]
)


def compute(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every implied feature; uses vix_close/high/low only, never the VIX open."""
    c, vix = col(frame, "close"), col(frame, "vix_close")
    iv = vix / 100.0
    r, dv = log_ret(c), log_ret(vix)
    rv21 = rolling_std(r, 21) * np.sqrt(ANNUAL)
    corr = rolling_corr(dv, r, 63)
    beta = corr * div(rolling_std(dv, 63), rolling_std(r, 63))
    both_up = np.where(np.isfinite(r) & np.isfinite(dv), ((r > 0) & (dv > 0)).astype("float64"),
                       np.nan)
    out = {"vix_level": vix}
    out |= {f"implied_move_{h}d": implied_move_fraction(vix, trading_days=h) for h in HORIZONS}
    out |= {
        "vix_percentile_252d": rolling_pct_rank(vix, YEAR),
        "vix_zscore_252d": rolling_zscore(vix, YEAR),
        "rv_percentile_252d": rolling_pct_rank(rv21, YEAR),
        "vrp_21d": iv - rv21,
        "vrp_log_ratio_21d": np.log(div(iv, rv21)),
        "vix_change_1d": dv,
        "vix_change_5d": log_ret(vix, 5),
        "vix_index_corr_63d": corr,
        "vix_index_beta_63d": beta,
        "vix_residual_1d": dv - beta * r,
        "vix_index_same_direction_21d": rolling_mean(both_up, 21),
        "vix_range_pct": div(col(frame, "vix_high") - col(frame, "vix_low"), vix),
        "vix_dist_sma_21": div(vix, talib.SMA(vix, 21)) - 1,
    }
    return out
