"""Every label in AegisMatrix: the ONLY module that looks into the future.

A signal is issued after the close of day t. Each label below describes an outcome over t+1 .. t+h
and states that window in its docstring. The value is NaN where the window is incomplete (the last h
rows), so those rows are predicted but never trained or scored on. Labels take the `market_daily`
frame (columns `date, open, high, low, close, vix_close, ...`, sorted by date) and return a float
Series aligned with it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from aegismatrix.market.implied import CALENDAR_DAYS_PER_YEAR, TRADING_DAYS_PER_YEAR, implied_move_fraction


def _forward_window_max(values: pd.Series, h: int) -> pd.Series:
    """max(values[t+1 .. t+h]) at row t; NaN where fewer than h future rows exist."""
    return values[::-1].rolling(h, min_periods=h).max()[::-1].shift(-1)


def _forward_window_min(values: pd.Series, h: int) -> pd.Series:
    """min(values[t+1 .. t+h]) at row t; NaN where fewer than h future rows exist."""
    return values[::-1].rolling(h, min_periods=h).min()[::-1].shift(-1)


def forward_return(market: pd.DataFrame, horizon: int) -> pd.Series:
    """close(t+h) / close(t) - 1. Window: t+1 .. t+h."""
    return market["close"].shift(-horizon) / market["close"] - 1.0


def direction_class(market: pd.DataFrame, horizon: int, neutral_band: float) -> pd.Series:
    """0 = DOWN, 1 = NEUTRAL, 2 = UP by forward_return(h)
    against +-neutral_band. Window: t+1 .. t+h."""
    ret = forward_return(market, horizon)
    label = pd.Series(1.0, index=market.index)
    label[ret > neutral_band] = 2.0
    label[ret < -neutral_band] = 0.0
    return label.where(ret.notna())


def forward_abs_move_points(market: pd.DataFrame, horizon: int) -> pd.Series:
    """|close(t+h) - close(t)| in index points. Window: t+1 .. t+h."""
    return (market["close"].shift(-horizon) - market["close"]).abs()


def forward_realised_vol(market: pd.DataFrame, horizon: int = 21) -> pd.Series:
    """Annualised close-to-close realised vol of log returns r(t+1)
    .. r(t+h). Window: t+1 .. t+h."""
    log_ret = np.log(market["close"]).diff()
    fwd_var = (log_ret**2)[::-1].rolling(horizon, min_periods=horizon).mean()[::-1].shift(-1)
    return np.sqrt(fwd_var * TRADING_DAYS_PER_YEAR)


def implied_move_touch(market: pd.DataFrame, horizon: int = 5, sigmas: float = 1.0) -> pd.Series:
    """1 if any high/low in t+1 .. t+h goes beyond close(t)
    -+ sigmas x the VIX-implied move for h days.

    This is the seller's trap: premium looked rich at t, yet the index moved further. Window: t+1 ..
    t+h.
    """
    move = sigmas * implied_move_fraction(market["vix_close"], horizon) * market["close"]
    hi = _forward_window_max(market["high"], horizon)
    lo = _forward_window_min(market["low"], horizon)
    touched = ((hi > market["close"] + move) | (lo < market["close"] - move)).astype(float)
    return touched.where(hi.notna() & lo.notna())


def range_breach(market: pd.DataFrame, lower: pd.Series, upper: pd.Series, horizon: int) -> pd.Series:
    """1 if any low in t+1 .. t+h is below lower(t)
    or any high above upper(t). Window: t+1 .. t+h."""
    hi = _forward_window_max(market["high"], horizon)
    lo = _forward_window_min(market["low"], horizon)
    return ((hi > upper) | (lo < lower)).astype(float).where(hi.notna() & lo.notna())


def forward_max_excursion(market: pd.DataFrame, horizon: int) -> pd.Series:
    """max(high(t+1..t+h)/close(t) - 1, 1 - low(t+1..t+h)/close(t)):
    the largest touch. Window: t+1 .. t+h."""
    up = _forward_window_max(market["high"], horizon) / market["close"] - 1.0
    down = 1.0 - _forward_window_min(market["low"], horizon) / market["close"]
    return np.maximum(up, down)


def forward_excursion_to_expiry(market: pd.DataFrame, expiry: pd.Series) -> pd.DataFrame:
    """Per row t and its expiry E(t): the moves from close(t) over the rows dated t+1 .. E(t), as
    fractions of close(t).

    Columns `up` = max(high)/close(t) - 1, `down` = 1 - min(low)/close(t) (touches, from highs and
    lows) and `terminal` = close(last row dated <= E)/close(t) - 1 (where it expires). NaN where the
    data end before E(t) or E(t) is missing. Window: t+1 .. E(t).
    """
    dates = pd.DatetimeIndex(market["date"]).values
    close = market["close"].to_numpy(dtype=float)
    high, low = market["high"].to_numpy(dtype=float), market["low"].to_numpy(dtype=float)
    ends = pd.DatetimeIndex(expiry).values
    last = np.searchsorted(dates, ends, side="right") - 1  # last row dated on or before the expiry
    span = last - np.arange(len(dates))
    complete = ~pd.isna(ends) & (ends <= dates[-1]) & (span >= 1) if len(dates) else np.zeros(0, bool)
    up, down = np.full(len(dates), -np.inf), np.full(len(dates), np.inf)
    for offset in range(1, int(span[complete].max()) + 1 if complete.any() else 1):
        rows = np.flatnonzero(complete & (span >= offset))
        up[rows] = np.maximum(up[rows], high[rows + offset])
        down[rows] = np.minimum(down[rows], low[rows + offset])
    terminal = np.where(complete, close[np.clip(last, 0, None)], np.nan)
    frame = pd.DataFrame({"up": up / close - 1.0, "down": 1.0 - down / close,
                          "terminal": terminal / close - 1.0},
                         index=market.index)
    return frame.where(pd.Series(complete, index=market.index), axis=0)


def atr(market: pd.DataFrame, window: int = 14) -> pd.Series:
    """Wilder's average true range up to and including t (causal;
    used to define the breakout label)."""
    prev_close = market["close"].shift(1)
    true_range = pd.concat(
        [market["high"] - market["low"], (market["high"] - prev_close).abs(),
         (market["low"] - prev_close).abs()],
        axis=1,
    ).max(axis=1)
    return true_range.ewm(alpha=1.0 / window, adjust=False, min_periods=window).mean()


def next_day_breakout(market: pd.DataFrame, atr_window: int = 14, multiplier: float = 1.5) -> pd.Series:
    """1 if the range high(t+1) - low(t+1)
    exceeds multiplier x ATR(atr_window) of day t. Window: t+1."""
    next_range = (market["high"] - market["low"]).shift(-1)
    threshold = multiplier * atr(market, atr_window)
    return (next_range > threshold).astype(float).where(next_range.notna() & threshold.notna())


def next_day_spike_up(market: pd.DataFrame, atr_window: int = 14, multiplier: float = 1.5) -> pd.Series:
    """On breakout days only: 1 if close(t+1) > close(t),
    else 0; NaN on non-breakout days. Window: t+1."""
    breakout = next_day_breakout(market, atr_window, multiplier)
    up = (market["close"].shift(-1) > market["close"]).astype(float)
    return up.where(breakout == 1.0)


def theta_ratio(market: pd.DataFrame, move: str = "range") -> pd.Series:
    """Next day's realised move over the VIX-implied one-day move (365-day count, 1 calendar day).

    move="range": (high(t+1) - low(t+1)) / close(t); move="close": |close(t+1)/close(t) - 1|.
    Above 1 the buyer was paid for theta; below 1 the seller kept it. Window: t+1.
    """
    if move == "range":
        realised = (market["high"] - market["low"]).shift(-1) / market["close"]
    elif move == "close":
        realised = (market["close"].shift(-1) / market["close"] - 1.0).abs()
    else:
        raise ValueError(f"theta_ratio: move must be 'range' or 'close', got {move!r}")
    implied_one_day = market["vix_close"] / 100.0 / np.sqrt(CALENDAR_DAYS_PER_YEAR)
    return realised / implied_one_day


def forward_market_regime(market: pd.DataFrame, horizon: int = 21, trend_band: float = 0.02,
                          high_vol: float = 0.25) -> pd.Series:
    """0 bear, 1 sideways, 2 bull,
    3 high-vol over t+1 .. t+h (high-vol wins when forward vol > high_vol)."""
    ret = forward_return(market, horizon)
    vol = forward_realised_vol(market, horizon)
    label = pd.Series(1.0, index=market.index)
    label[ret > trend_band] = 2.0
    label[ret < -trend_band] = 0.0
    label[vol > high_vol] = 3.0
    return label.where(ret.notna() & vol.notna())


def forward_excursion_ratio(market: pd.DataFrame, horizon: int = 5) -> pd.Series:
    """forward_max_excursion(h)
    over the VIX-implied one-sigma move for h trading days, both known at t.

    Above k the index touched outside close(t) -+ k x the implied move: the seller's safe range of
    multiplier k (binned at a training-fold quantile it is a range-breach label). Window: t+1 ..
    t+h.
    """
    return forward_max_excursion(market, horizon) / implied_move_fraction(market["vix_close"], horizon)


def forward_abs_return(market: pd.DataFrame, horizon: int) -> pd.Series:
    """|close(t+h) / close(t) - 1|:
    the size of the move as a fraction of spot. Window: t+1 .. t+h."""
    return forward_return(market, horizon).abs()


def opening_gap(market: pd.DataFrame) -> pd.Series:
    """log(open(t+1) / close(t)): the gap NSE opens with after row t. Window: the open of t+1.

    With decision_time=preopen the signal is issued at 09:00 IST, before this open, so the gap is
    still unknown.
    """
    return np.log(market["open"].shift(-1) / market["close"])


def open_to_close_direction(market: pd.DataFrame, neutral_band: float = 0.0025) -> pd.Series:
    """0 DOWN, 1 NEUTRAL, 2 UP by close(t+1) / open(t+1) - 1 against +-neutral_band. Window: the
    session of t+1.

    What a trader acting at the open of t+1 can still earn: the opening gap is already priced in.
    """
    ret = market["close"].shift(-1) / market["open"].shift(-1) - 1.0
    label = pd.Series(1.0, index=market.index)
    label[ret > neutral_band] = 2.0
    label[ret < -neutral_band] = 0.0
    return label.where(ret.notna())


def panel_direction_class(panel: pd.DataFrame, horizon: int, neutral_band: float,
                          return_column: str = "ret_1d") -> pd.Series:
    """Universe panel: direction_class per symbol from its 1-day log returns r(t+1) .. r(t+h).

    0 = DOWN, 1 = NEUTRAL, 2 = UP by exp(sum r(t+1..t+h)) - 1 against +-neutral_band, within each
    `symbol` (rows sorted by date per symbol). Window: t+1 .. t+h.
    """
    forward = (panel.groupby("symbol", sort=False)[return_column]
               .transform(lambda r: r[::-1].rolling(horizon, min_periods=horizon).sum()[::-1].shift(-1)))
    ret = np.exp(forward) - 1.0
    label = pd.Series(1.0, index=panel.index)
    label[ret > neutral_band] = 2.0
    label[ret < -neutral_band] = 0.0
    return label.where(ret.notna())


LABELS: dict[str, Callable[..., pd.Series]] = {
    "forward_return": forward_return,
    "direction_class": direction_class,
    "forward_abs_move_points": forward_abs_move_points,
    "forward_realised_vol": forward_realised_vol,
    "implied_move_touch": implied_move_touch,
    "forward_max_excursion": forward_max_excursion,
    "next_day_breakout": next_day_breakout,
    "next_day_spike_up": next_day_spike_up,
    "theta_ratio": theta_ratio,
    "forward_market_regime": forward_market_regime,
    "forward_excursion_ratio": forward_excursion_ratio,
    "panel_direction_class": panel_direction_class,
    "forward_abs_return": forward_abs_return,
    "opening_gap": opening_gap,
    "open_to_close_direction": open_to_close_direction,
}


def build_label(market: pd.DataFrame, name: str, **kwargs) -> pd.Series:
    """Compute the named label on `market`; the registry above is the full list."""
    if name not in LABELS:
        raise KeyError(f"unknown label {name!r}; known labels: {sorted(LABELS)}")
    return LABELS[name](market, **kwargs).astype(float)
