"""Small causal building blocks shared by the indicator families (trailing windows only)."""

from __future__ import annotations

import numpy as np
import pandas as pd

ANNUAL = 252.0


def col(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A column as a float64 array (NaN where absent)."""
    if name not in frame:
        return np.full(len(frame), np.nan)
    return frame[name].to_numpy(dtype="float64", na_value=np.nan)


def div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise a / b with NaN instead of inf (a
    zero range or zero volume means 'undefined')."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(a, dtype="float64") / np.asarray(b, dtype="float64")
    out[~np.isfinite(out)] = np.nan
    return out


def shift(x: np.ndarray, n: int) -> np.ndarray:
    """Value n rows earlier (NaN for the first n rows); n > 0 only, so never the future."""
    out = np.full(len(x), np.nan)
    out[n:] = x[: len(x) - n]
    return out


def log_ret(x: np.ndarray, n: int = 1) -> np.ndarray:
    """Log change over the last n rows."""
    return np.log(div(x, shift(x, n)))


def _roll(x: np.ndarray, w: int) -> pd.core.window.Rolling:
    return pd.Series(x, copy=False).rolling(w, min_periods=w)


def rolling_mean(x: np.ndarray, w: int) -> np.ndarray:
    """Trailing mean over w rows."""
    return _roll(x, w).mean().to_numpy()


def rolling_sum(x: np.ndarray, w: int) -> np.ndarray:
    """Trailing sum over w rows."""
    return _roll(x, w).sum().to_numpy()


def rolling_std(x: np.ndarray, w: int) -> np.ndarray:
    """Trailing sample standard deviation (ddof=1) over w rows."""
    return _roll(x, w).std().to_numpy()


def rolling_max(x: np.ndarray, w: int) -> np.ndarray:
    """Trailing maximum over w rows, today included."""
    return _roll(x, w).max().to_numpy()


def rolling_min(x: np.ndarray, w: int) -> np.ndarray:
    """Trailing minimum over w rows, today included."""
    return _roll(x, w).min().to_numpy()


def rolling_corr(x: np.ndarray, y: np.ndarray, w: int) -> np.ndarray:
    """Trailing Pearson correlation over w rows."""
    return _roll(x, w).corr(pd.Series(y, copy=False)).to_numpy()


def rolling_skew(x: np.ndarray, w: int) -> np.ndarray:
    """Trailing sample skewness over w rows."""
    return _roll(x, w).skew().to_numpy()


def rolling_kurt(x: np.ndarray, w: int) -> np.ndarray:
    """Trailing excess kurtosis over w rows."""
    return _roll(x, w).kurt().to_numpy()


def rolling_pct_rank(x: np.ndarray, w: int) -> np.ndarray:
    """Percentile (0-1] of today's value within the
    trailing w rows (no whole-history normalisation)."""
    return _roll(x, w).rank(pct=True).to_numpy()


def rolling_zscore(x: np.ndarray, w: int) -> np.ndarray:
    """(x - trailing mean) / trailing std over w rows."""
    return div(x - rolling_mean(x, w), rolling_std(x, w))


def flag(cond: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """A 0/1 float flag, NaN where its inputs are undefined (so warm-up never reads as 'False')."""
    return np.where(valid, cond.astype("float64"), np.nan)


def signed_run_length(cond: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Consecutive rows the condition held (+n) or failed (-n) up to today; NaN where invalid."""
    state = np.where(valid, cond.astype("int8"), 2)
    starts = np.r_[True, state[1:] != state[:-1]]
    counts = pd.Series(np.ones(len(state))).groupby(np.cumsum(starts)).cumsum().to_numpy()
    return np.where(state == 2, np.nan, np.where(state == 1, counts, -counts))


def true_range(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """Wilder's true range: the day's range widened to include yesterday's close."""
    prev = shift(close, 1)
    tr = np.fmax(high, prev) - np.fmin(low, prev)
    tr[0] = np.nan  # TA-Lib leaves the first bar undefined as well
    return tr
