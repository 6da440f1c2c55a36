"""Volume family: OBV, volume ratio, rolling VWAP, accumulation/distribution, CMF (NaN without
usable volume)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib

from ..spec import FeatureSpec
from ._common import col, div, rolling_sum, rolling_zscore, shift

FAMILY = "volume"

SPECS = (
    FeatureSpec("obv_slope_20", FAMILY, 21,
                "Change of on-balance volume over 20 rows / volume traded in them", "volume"),
    FeatureSpec("volume_ratio_20", FAMILY, 20, "Today's volume / its 20-row average", "volume"),
    FeatureSpec("vwap_dist_20", FAMILY, 20,
                "close / 20-row volume-weighted average typical price - 1", "volume"),
    FeatureSpec("ad_slope_20", FAMILY, 21,
                "Change of the accumulation/distribution line over 20 rows / volume in them", "volume"),
    FeatureSpec("cmf_20", FAMILY, 20,
                "Chaikin money flow(20): volume-weighted close location, -1 to 1", "volume"),
    FeatureSpec("volume_zscore_63", FAMILY, 63, "z-score of log(1 + volume) over 63 rows",
                "volume"),
)
NAMES = tuple(s.name for s in SPECS)


def volume_usable(frame: pd.DataFrame, min_coverage: float = 0.95, recent_rows: int = 21) -> bool:
    """True when volume is positive on the last `recent_rows`
    rows and on `min_coverage` of all rows."""
    vol = col(frame, "volume")
    good = np.isfinite(vol) & (vol > 0)
    if len(vol) == 0:
        return False
    return bool(good[-recent_rows:].all() and good.mean() >= min_coverage)


def compute(frame: pd.DataFrame, volume_ok: bool = True) -> dict[str, np.ndarray]:
    """Every volume feature, or all-NaN columns when volume is not usable."""
    h, l, c, v = (col(frame, k) for k in ("high", "low", "close", "volume"))
    if not volume_ok:
        return {n: np.full(len(c), np.nan) for n in NAMES}
    v20 = rolling_sum(v, 20)
    obv, ad = talib.OBV(c, v), talib.AD(h, l, c, v)
    # a flat bar carries no buying or selling pressure
    mfm = np.nan_to_num(div((c - l) - (h - c), h - l))
    return {
        "obv_slope_20": div(obv - shift(obv, 20), v20),
        "volume_ratio_20": div(v, v20 / 20),
        "vwap_dist_20": div(c, div(rolling_sum((h + l + c) / 3 * v, 20), v20)) - 1,
        "ad_slope_20": div(ad - shift(ad, 20), v20),
        "cmf_20": div(rolling_sum(mfm * v, 20), v20),
        "volume_zscore_63": rolling_zscore(np.log1p(v), 63),
    }
