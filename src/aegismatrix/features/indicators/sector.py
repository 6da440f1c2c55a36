"""Sector family: the NSE sector index of the same session (NIFTY BANK) against the traded index.

Input: `sector_close` that aegismatrix.market.sector.join_sector attaches to market_daily (the close
of day t, published at the same 15:30 IST close as the index, so known at either decision time).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..spec import FeatureSpec
from ._common import ANNUAL, col, log_ret, rolling_corr, rolling_std

FAMILY = "sector"


def _spec(name: str, lookback: int, text: str) -> FeatureSpec:
    return FeatureSpec(name, FAMILY, lookback, text, needs="sector")


SPECS = (
    _spec("sector_ret_1d", 2, "Log return of the sector index (NIFTY BANK) over the day"),
    _spec("sector_rel_ret_5d", 6, "Sector minus index log return over 5 rows: sector leadership"),
    _spec("sector_rel_ret_21d", 22, "Sector minus index log return over 21 rows"),
    _spec("sector_rv_ratio_21d", 22, "log(sector 21-row realised vol / index 21-row realised vol)"),
    _spec("sector_corr_63d", 64, "Correlation of sector and index daily log returns over 63 rows"),
)


def compute(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every sector feature from `sector_close` and the index close;
    NaN where the sector close is missing."""
    sector, index = col(frame, "sector_close"), col(frame, "close")
    s_ret, i_ret = log_ret(sector), log_ret(index)
    return {
        "sector_ret_1d": s_ret,
        "sector_rel_ret_5d": log_ret(sector, 5) - log_ret(index, 5),
        "sector_rel_ret_21d": log_ret(sector, 21) - log_ret(index, 21),
        "sector_rv_ratio_21d": np.log(rolling_std(s_ret, 21) * np.sqrt(ANNUAL)
                                      / (rolling_std(i_ret, 21) * np.sqrt(ANNUAL))),
        "sector_corr_63d": rolling_corr(s_ret, i_ret, 63),
    }
