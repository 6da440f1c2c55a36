"""The synthetic market: contract, determinism, consistency and the stylised facts of real markets."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from aegismatrix.market.synthetic import (
    INTRADAY_COLUMNS,
    MARKET_DAILY_COLUMNS,
    synthetic_intraday,
    synthetic_market_daily,
    synthetic_universe,
)

SEEDS = [1, 2, 3, 4, 5, 6, 7, 8]


@pytest.fixture(scope="module")
def runs() -> dict[int, pd.DataFrame]:
    return {s: synthetic_market_daily(years=5, seed=s, end="2024-12-31") for s in SEEDS}


def _returns(frame: pd.DataFrame) -> pd.Series:
    return np.log(frame["close"]).diff().dropna()


def test_contract_and_calendar(runs):
    d = runs[7]
    assert list(d.columns) == MARKET_DAILY_COLUMNS and d["date"].dtype == "datetime64[ns]"
    assert d["date"].is_unique and d["date"].is_monotonic_increasing and (d["date"].dt.dayofweek < 5).all()
    assert d["date"].iloc[-1] == pd.Timestamp("2024-12-31") and len(d) == 1260
    assert ((d["high"] >= d[["open", "close"]].max(axis=1)).all()
            and (d["low"] <= d[["open", "close"]].min(axis=1)).all())
    assert ((d["vix_high"] >= d["vix_close"]).all() and (d["vix_low"] <= d["vix_close"]).all()
            and not d["vix_filled"].any())


def test_deterministic_and_fast():
    a = synthetic_market_daily(seed=11, end="2024-06-28")
    pd.testing.assert_frame_equal(a, synthetic_market_daily(seed=11, end="2024-06-28"))
    assert not a.equals(synthetic_market_daily(seed=12, end="2024-06-28"))
    t0 = time.perf_counter()
    synthetic_market_daily(years=5)
    assert time.perf_counter() - t0 < 0.2


def test_levels_look_like_nifty_and_india_vix(runs):
    for d in runs.values():
        assert 5_000 < d["close"].median() < 25_000
        assert 10 <= d["vix_close"].median() <= 25 and d["vix_close"].quantile(0.95) < 45


def test_fat_tails(runs):
    kurt = [_returns(d).kurt() for d in runs.values()]
    assert np.median(kurt) > 2.0  # a normal distribution has excess kurtosis 0


def test_volatility_clustering(runs):
    acf = [np.mean([(_returns(d) ** 2).autocorr(lag) for lag in range(1, 11)]) for d in runs.values()]
    raw = [np.mean([_returns(d).autocorr(lag) for lag in range(1, 11)]) for d in runs.values()]
    assert np.median(acf) > 0.05 and abs(np.median(raw)) < 0.05


def test_leverage_effect(runs):
    corr = [np.corrcoef(_returns(d), np.log(d["vix_close"]).diff().dropna())[0, 1] for d in runs.values()]
    assert max(corr) < -0.3  # falls raise implied vol


def test_vix_above_subsequent_realised_vol_about_80_percent(runs):
    shares = []
    for d in runs.values():
        r = _returns(d).reset_index(drop=True)
        fwd = r[::-1].rolling(21).std()[::-1].shift(-1) * np.sqrt(252) * 100  # realised vol over t+1..t+21
        vix = d["vix_close"].iloc[1:].reset_index(drop=True)
        ok = fwd.notna()
        shares.append((vix[ok] > fwd[ok]).mean())
    assert 0.7 <= np.mean(shares) <= 0.9


def test_vix_mean_reverts(runs):
    for d in runs.values():
        log_vix = np.log(d["vix_close"])
        slope = np.polyfit(log_vix.iloc[:-1], log_vix.diff().iloc[1:], 1)[0]
        assert slope < 0  # high VIX tends to fall, low VIX to rise


def test_crash_regimes_occur():
    worst = [_returns(synthetic_market_daily(years=10, seed=s, end="2024-12-31")).min() for s in SEEDS]
    assert np.median(worst) < -0.045


def test_intraday_aggregates_to_daily_with_u_shape(runs):
    daily = runs[7]
    bars = synthetic_intraday(daily, sessions=5, seed=7)
    assert list(bars.columns) == INTRADAY_COLUMNS and len(bars) == 5 * 375
    assert bars["timestamp"].dt.strftime("%H:%M").iloc[[0, 374]].tolist() == ["09:15", "15:29"]
    agg = bars.groupby("date").agg(open=("open", "first"), high=("high", "max"), low=("low", "min"),
                                   close=("close", "last"))
    expected = daily.tail(5).set_index("date")[["open", "high", "low", "close"]]
    pd.testing.assert_frame_equal(agg, expected, check_names=False, check_freq=False)
    assert ((bars["high"] >= bars[["open", "close"]].max(axis=1))
            & (bars["low"] <= bars[["open", "close"]].min(axis=1))).all()
    many = synthetic_intraday(synthetic_market_daily(seed=3), sessions=60, seed=3)
    minute = many["timestamp"].dt.hour * 60 + many["timestamp"].dt.minute - 555
    absret = np.log(many["close"] / many["open"]).abs().groupby(minute).mean()
    assert absret.iloc[:15].mean() > 1.5 * absret.iloc[150:225].mean() < absret.iloc[-15:].mean()


def test_universe_is_vectorised_correlated_and_consistent():
    t0 = time.perf_counter()
    uni = synthetic_universe(500, years=2, seed=1, end="2024-12-31")
    assert time.perf_counter() - t0 < 3 and len(uni) == 500
    small = synthetic_universe(["AAPL", "MSFT", "XOM"], seed=2, end="2024-12-31")
    assert list(small) == ["AAPL", "MSFT", "XOM"]
    rets = pd.DataFrame({k: np.log(f["close"]).diff() for k, f in small.items()}).dropna()
    assert rets.corr().values[np.triu_indices(3, 1)].min() > 0.1
    for f in small.values():
        assert ((f["high"] >= f[["open", "close"]].max(axis=1)).all()
                and (f["low"] <= f[["open", "close"]].min(axis=1)).all())
