"""Overnight family: the US session available to row t (S&P 500, Cboe VIX), per the decision time.

Inputs are the columns aegismatrix.market.overnight.with_us_sessions attaches: `us_close` and
`us_vix_close` of the latest US session row t may use, and `us_sessions_new` (0 on a US holiday: no
fresh input). With decision_time=close that is the US session of t-1 (15:30 IST is before the US
open); with preopen the one of t.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..spec import FeatureSpec
from ._common import col, log_ret, rolling_std

FAMILY = "overnight"


def _spec(name: str, lookback: int, text: str) -> FeatureSpec:
    return FeatureSpec(name, FAMILY, lookback, text, needs="us")


SPECS = (
    _spec("us_overnight_ret", 2,
          "S&P 500 log return over the US sessions that became available since the "
                                 "previous row (0 when none did: see us_session_fresh)"),
    _spec("us_session_fresh", 2,
          "1 if at least one new US session closed since the previous row's decision, "
                                 "0 on a US holiday"),
    _spec("us_overnight_ret_z", 64,
          "us_overnight_ret over its standard deviation on the last 63 rows"),
    _spec("us_vix_level", 1, "Cboe VIX close of the latest available US session (percent)"),
    _spec("us_vix_change", 2,
          "Log change of that Cboe VIX close since the previous row (0 on a US holiday)"),
    _spec("us_india_vix_log_ratio", 1,
          "log(Cboe VIX / India VIX): US fear relative to Indian fear"),
    _spec("index_minus_us_ret", 2,
          "Index log return of t minus us_overnight_ret: how much of the US move "
                                   "NSE has not followed yet (close "
                                   "mode) or is about to meet (preopen)"),
)


def compute(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every overnight feature from the attached US columns;
    NaN where no US session is known yet."""
    us, us_vix = col(frame, "us_close"), col(frame, "us_vix_close")
    fresh_count = col(frame, "us_sessions_new")
    ret = log_ret(us)
    return {
        "us_overnight_ret": ret,
        "us_session_fresh": np.where(np.isfinite(fresh_count), (fresh_count >= 1).astype("float64"),
                                     np.nan),
        "us_overnight_ret_z": ret / rolling_std(ret, 63),
        "us_vix_level": us_vix,
        "us_vix_change": log_ret(us_vix),
        "us_india_vix_log_ratio": np.log(us_vix / col(frame, "vix_close")),
        "index_minus_us_ret": log_ret(col(frame, "close")) - ret,
    }
