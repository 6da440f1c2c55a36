"""Fixtures for the feature tests: real NIFTY 50 + India VIX (2010+) and the seeded synthetic market."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aegismatrix.market.overnight import synthetic_us_session, with_us_sessions
from aegismatrix.market.sector import synthetic_sector
from aegismatrix.market.synthetic import synthetic_intraday, synthetic_market_daily, synthetic_universe


def real_market_daily(real_dir: Path, start: str = "2010-01-01") -> pd.DataFrame:
    """NIFTY 50 OHLCV inner-joined with India VIX high/low/close on date, in the market_daily contract."""
    nifty = pd.read_csv(real_dir / "nifty50.csv", parse_dates=["date"])
    vix = pd.read_csv(real_dir / "indiavix.csv", parse_dates=["date"])[["date", "high", "low", "close"]]
    vix = vix.rename(columns={"high": "vix_high", "low": "vix_low", "close": "vix_close"})
    daily = nifty.merge(vix, on="date", how="inner")
    daily = daily[daily["date"] >= start].reset_index(drop=True)
    return daily.assign(vix_filled=False)[["date", "open", "high", "low", "close", "volume",
                                           "vix_high", "vix_low", "vix_close", "vix_filled"]]


@pytest.fixture(scope="session")
def real_daily(real_data_dir: Path) -> pd.DataFrame:
    return real_market_daily(real_data_dir)


def synthetic_us_daily(daily: pd.DataFrame) -> pd.DataFrame:
    """The synthetic US session of a synthetic index, in the us_daily contract (S&P bars + vix_close)."""
    us = synthetic_us_session(daily, {"sp500": "^GSPC", "vix": "^VIX"}, seed=7)
    return us["sp500"].frame.assign(vix_close=us["vix"].frame["close"].to_numpy())


@pytest.fixture(scope="session")
def synthetic_us(synthetic_daily_plain: pd.DataFrame) -> pd.DataFrame:
    return synthetic_us_daily(synthetic_daily_plain)


@pytest.fixture(scope="session")
def synthetic_daily_plain() -> pd.DataFrame:
    return synthetic_market_daily(years=5, seed=7)


@pytest.fixture(scope="session")
def synthetic_daily(synthetic_daily_plain: pd.DataFrame, synthetic_us: pd.DataFrame) -> pd.DataFrame:
    """The synthetic market with the US session a preopen decision may see and its sector index (NIFTY BANK),
    so overnight and sector features are defined."""
    sector = synthetic_sector(synthetic_daily_plain, {"niftybank": "^NSEBANK"}, seed=7)["niftybank"].frame
    daily = with_us_sessions(synthetic_daily_plain, synthetic_us, "preopen")
    return daily.merge(sector[["date", "close"]].rename(columns={"close": "sector_close"}), on="date",
                       how="left")


@pytest.fixture(scope="session")
def synthetic_bars(synthetic_daily: pd.DataFrame) -> pd.DataFrame:
    return synthetic_intraday(synthetic_daily, sessions=8, seed=7)


@pytest.fixture(scope="session")
def synthetic_panel_input() -> dict[str, pd.DataFrame]:
    return synthetic_universe(26, years=5, seed=7)
