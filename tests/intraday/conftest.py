"""Small synthetic sessions for the intraday tests: 15-minute bars that aggregate to their daily rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.market.calendar import nse_trading_days

BAR_STARTS = pd.timedelta_range("09:15:00", "15:15:00", freq="15min")  # 25 bars, the last ends 15:30


def make_bars(sessions: pd.DatetimeIndex, seed: int = 3, start_level: float = 17000.0) -> pd.DataFrame:
    """A random walk of 15-minute bars (IST, stamped at their start) over `sessions`."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.002, (len(sessions), len(BAR_STARTS)))
    closes = start_level * np.exp(np.cumsum(steps.ravel())).reshape(steps.shape)
    opens = np.concatenate([[start_level], closes.ravel()[:-1]]).reshape(closes.shape)
    wiggle = np.abs(rng.normal(0.0, 0.0008, closes.shape))
    stamps = (sessions.values[:, None] + BAR_STARTS.values[None, :]).ravel()
    return pd.DataFrame({
        "timestamp": stamps, "date": np.repeat(sessions.values, len(BAR_STARTS)),
        "open": opens.ravel(), "high": (np.maximum(opens, closes) * (1 + wiggle)).ravel(),
        "low": (np.minimum(opens, closes) * (1 - wiggle)).ravel(), "close": closes.ravel(),
        "volume": np.nan, "interval": "15m"})


def daily_from(bars: pd.DataFrame, vix: float = 15.0) -> pd.DataFrame:
    daily = bars.groupby("date").agg(open=("open", "first"), high=("high", "max"), low=("low", "min"),
                                     close=("close", "last")).reset_index()
    daily["vix_close"] = vix
    return daily


@pytest.fixture(scope="session")
def sessions() -> pd.DatetimeIndex:
    return nse_trading_days("2022-01-03", "2022-06-30", include_special_sessions=False)


@pytest.fixture(scope="session")
def bars(sessions) -> pd.DataFrame:
    return make_bars(sessions)


@pytest.fixture(scope="session")
def daily(bars) -> pd.DataFrame:
    return daily_from(bars)


@pytest.fixture
def seller_params() -> dict:
    return {"safe_range": {"target_breach_probability": 0.10},
            "expiry_ranges": {"underlying": "NIFTY", "n_weekly": 2, "include_monthly": True,
                              "strike_step": 50,
                              "dte_buckets": [1, 2, 3, 4, 5, 6, 8, 11, 16, 21], "min_history": 5,
                              "prior_multiplier": 1.5, "ladder_strikes": 4}}


@pytest.fixture(scope="session")
def ranges_11_13(bars, daily) -> tuple[pd.DataFrame, pd.DataFrame]:
    """intraday_ranges at 11:00 and 13:00 on the synthetic sessions (computed once for the tests)."""
    from aegismatrix.pipelines.seller.intraday_ranges import intraday_ranges

    params = {"safe_range": {"target_breach_probability": 0.10},
              "expiry_ranges": {"underlying": "NIFTY", "n_weekly": 2, "include_monthly": True,
                                "strike_step": 50, "dte_buckets": [1, 2, 3, 4, 5, 6, 8, 11, 16, 21],
                                "min_history": 5, "prior_multiplier": 1.5, "ladder_strikes": 4}}
    return intraday_ranges(daily, bars, params, ["11:00", "13:00"])
