"""The engine sets' indicators computed with TA-Lib primitives and NumPy arithmetic alone: the speed
floor.

No pandas, no registry, no warm-up dropping, no frame assembly. Features without a TA-Lib primitive
(rolling percentiles, skew, run lengths) are left out and counted, so the comparison states its
coverage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib

from aegismatrix.features import feature_set

NO_TALIB_PRIMITIVE = ("vix_percentile_252d", "rv_percentile_252d", "ret_skew_63",
                      "trend_run_sma_20")


def _shift(x: np.ndarray, k: int = 1) -> np.ndarray:
    out = np.full_like(x, np.nan)
    out[k:] = x[:-k]
    return out


def talib_features(daily: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every engine-set feature TA-Lib can express, as raw arrays (one pass, no frames)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return _talib_features(daily)


def _talib_features(daily: pd.DataFrame) -> dict[str, np.ndarray]:
    o, h, l, c = (daily[k].to_numpy(dtype="float64") for k in ("open", "high", "low", "close"))
    vix = daily["vix_close"].to_numpy(dtype="float64")
    lr = np.r_[np.nan, np.diff(talib.LN(c))]
    ann = np.sqrt(252.0)
    sd = {w: talib.STDDEV(lr, w, 1.0) * np.sqrt(w / (w - 1)) * ann for w in (5, 20, 21, 63)}
    atr = {w: talib.ATR(h, l, c, w) for w in (5, 14, 20, 21, 50)}
    tr = talib.TRANGE(h, l, c)
    upper, middle, lower = talib.BBANDS(c, 20, 2.0, 2.0, 0)
    hh20, ll20 = talib.MAX(h, 20), talib.MIN(l, 20)
    ret = talib.ROCP(c, 1)
    vix_chg = talib.ROCP(vix, 1)
    hl2 = np.log(h / l) ** 2
    gk = 0.5 * hl2 - (2 * np.log(2) - 1) * np.log(c / o) ** 2
    neg2 = np.where(lr < 0, lr**2, 0.0)
    abs_r = np.abs(lr)
    same_sign = (np.sign(ret) == np.sign(vix_chg)).astype(float)
    return {
        "ret_1d": ret, "ret_5d": talib.ROCP(c, 5), "ret_20d": talib.ROCP(c, 20),
        "dist_sma_20": c / talib.SMA(c, 20) - 1, "dist_sma_50": c / talib.SMA(c, 50) - 1,
        "dist_sma_200": c / talib.SMA(c, 200) - 1,
        "macd_hist_pct": talib.MACD(c, 12, 26, 9)[2] / c, "adx_14": talib.ADX(h, l, c, 14),
        "di_spread_14": talib.PLUS_DI(h, l, c, 14) - talib.MINUS_DI(h, l, c, 14),
        "linreg_slope_20": talib.LINEARREG_SLOPE(c, 20) / c,
        "rsi_7": talib.RSI(c, 7), "rsi_14": talib.RSI(c, 14),
        "stoch_k_14": talib.STOCH(h, l, c, 14, 3, 0, 3, 0)[0],
        "williams_r_14": talib.WILLR(h, l, c, 14), "roc_5": talib.ROC(c, 5), "roc_10": talib.ROC(c, 10),
        "atr_5_pct": talib.NATR(h, l, c, 5), "atr_14_pct": talib.NATR(h, l, c, 14),
        "bb_pctb_20": (c - lower) / (upper - lower), "bb_width_20": (upper - lower) / middle,
        "rv_cc_5": sd[5], "rv_cc_21": sd[21], "rv_cc_63": sd[63],
        "rv_ratio_5_21": sd[5] / sd[21], "rv_ratio_21_63": sd[21] / sd[63],
        "rv_parkinson_21": np.sqrt(talib.SMA(hl2, 21) / (4 * np.log(2))) * ann,
        "rv_garman_klass_21": np.sqrt(talib.SMA(gk, 21)) * ann,
        "abs_return_autocorr_63": talib.CORREL(abs_r, _shift(abs_r), 63),
        "vix_index_corr_63d": talib.CORREL(vix_chg, ret, 63),
        "vix_index_beta_63d": talib.BETA(ret, vix_chg, 63),
        "vix_change_1d": vix_chg, "vix_level": vix,
        "vix_zscore_252d": (vix - talib.SMA(vix, 252)) / talib.STDDEV(vix, 252, 1.0),
        "vrp_21d": vix - sd[21] * 100, "vrp_log_ratio_21d": np.log(vix / (sd[21] * 100)),
        "drawdown_252": c / talib.MAX(c, 252) - 1,
        "range_compression_10_63": talib.SMA(tr, 10) / talib.SMA(tr, 63),
        "ret_zscore_20": (ret - talib.SMA(ret, 20)) / talib.STDDEV(ret, 20, 1.0),
        "close_location_value": ((c - l) - (h - c)) / (h - l),
        "atr_ratio_5_21": atr[5] / atr[21], "atr_ratio_14_50": atr[14] / atr[50],
        "range_expansion_1d": tr / _shift(atr[14]),
        "implied_move_1d": vix / 100 * np.sqrt(1 / 252), "implied_move_5d": vix / 100 * np.sqrt(5 / 252),
        "implied_move_21d": vix / 100 * np.sqrt(21 / 252),
        "vix_residual_1d": vix_chg - talib.BETA(ret, vix_chg, 63) * ret,
        "vix_index_same_direction_21d": talib.SUM(same_sign, 21) / 21,
        "downside_variance_share_21": talib.SUM(neg2, 21) / talib.SUM(lr**2, 21),
        "nr7": (tr <= talib.MIN(tr, 7)).astype(float),
        "inside_bar": ((h < _shift(h)) & (l > _shift(l))).astype(float),
        "bb_keltner_squeeze_20": (upper - lower) / (4 * atr[20]),
        "donchian_width_20": (hh20 - ll20) / c, "donchian_pos_20": (c - ll20) / (hh20 - ll20),
        "daily_range_pct": (h - l) / c, "true_range_pct": tr / c,
        "gap_pct": o / _shift(c) - 1, "open_to_close_return": c / o - 1,
        "ema_20_slope_5d": talib.ROCP(talib.EMA(c, 20), 5),
        "breakout_up_20": (c > _shift(hh20)).astype(float),
        "breakout_down_20": (c < _shift(ll20)).astype(float),
    }


def engine_feature_union() -> list[str]:
    """The distinct features of the direction, seller and buyer sets."""
    return list(dict.fromkeys(n for e in ("direction", "seller", "buyer") for n in feature_set(e)))


def coverage() -> tuple[int, int, list[str]]:
    """(features TA-Lib computes here, engine-set features in all, the ones it cannot)."""
    union = engine_feature_union()
    demo = talib_features(pd.DataFrame({k: np.linspace(100, 110, 300)
                                        for k in ("open", "high", "low", "close")})
                          .assign(high=lambda f: f["close"] * 1.01, low=lambda f: f["close"] * 0.99,
                                  vix_close=15.0))
    covered = [n for n in union if n in demo]
    return len(covered), len(union), [n for n in union if n not in demo]
