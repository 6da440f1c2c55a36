"""Buyer engine: label timing on hand-computed cases, spike labels on breakout days only, the theta
fair ratio and signal assembly, and gamma windows on intraday bars with a planted volatile window."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from aegismatrix.labels import atr, next_day_breakout, next_day_spike_up, theta_ratio
from aegismatrix.market.synthetic import synthetic_market_daily
from aegismatrix.modelling.template import EngineRecords, ModelRecord
from aegismatrix.pipelines.buyer.nodes import (
    SIGNAL_COLUMNS,
    assemble_buyer_signals,
    fair_theta_ratio,
    find_gamma_windows,
)


def _bars(highs, lows, closes) -> pd.DataFrame:
    n = len(closes)
    return pd.DataFrame({"date": pd.bdate_range("2024-01-01", periods=n), "open": closes, "high": highs,
                         "low": lows, "close": closes, "vix_close": 14.6})


def test_breakout_compares_tomorrows_range_with_todays_atr():
    # Ranges 10,10,10,10,20,10 around a flat close: ATR(3) is 10 up to day 3, then 13.33 on day 4.
    closes = [100.0] * 6
    ranges = [10, 10, 10, 10, 20, 10]
    market = _bars([c + r / 2 for c, r in zip(closes, ranges)], [c - r / 2 for c, r in zip(closes, ranges)],
                   closes)
    assert atr(market, 3).iloc[3] == pytest.approx(10.0)
    label = next_day_breakout(market, atr_window=3, multiplier=1.5)
    # Day 3: tomorrow's range 20 > 1.5 x today's ATR 10 -> 1.
    # (With tomorrow's ATR, 13.33 x 1.5 = 20, not > 20.)
    assert label.iloc[3] == 1.0
    assert label.iloc[2] == 0.0 and label.iloc[4] == 0.0
    assert np.isnan(label.iloc[1])  # ATR not warmed up yet
    assert np.isnan(label.iloc[5])  # no tomorrow
    assert next_day_breakout(market, atr_window=3, multiplier=2.5).iloc[3] == 0.0


def test_spike_labels_exist_only_on_breakout_days_and_give_tomorrows_sign():
    market = synthetic_market_daily(years=2, seed=11)
    breakout, spike = next_day_breakout(market), next_day_spike_up(market)
    assert spike.notna().sum() == (breakout == 1.0).sum() > 20
    assert (spike.notna() == (breakout == 1.0)).all()
    up = (market["close"].shift(-1) > market["close"]).astype(float)
    assert (spike.dropna() == up[spike.notna()]).all()


def test_theta_ratio_hand_case():
    market = _bars([101.0, 102.0], [99.0, 98.0], [100.0, 100.0])
    implied = 14.6 / 100.0 / math.sqrt(365)
    assert theta_ratio(market, move="range").iloc[0] == pytest.approx(0.04 / implied)
    assert np.isnan(theta_ratio(market).iloc[1])


def test_fair_ratio_is_the_brownian_break_even_with_weekend_theta():
    dates = pd.Series(pd.to_datetime(["2024-01-04", "2024-01-05"]))  # Thursday, Friday
    fair = fair_theta_ratio(dates, "range", calendar_day_theta=True)
    assert fair[0] == pytest.approx(math.sqrt(8 / math.pi))
    assert fair[1] == pytest.approx(math.sqrt(8 / math.pi) * math.sqrt(3))
    assert (fair_theta_ratio(dates, "close", calendar_day_theta=False)[1]
            == pytest.approx(math.sqrt(2 / math.pi)))


def test_signals_have_the_contract_columns_and_consistent_probabilities():
    dates = pd.bdate_range("2024-01-01", periods=4)
    breakout = pd.DataFrame({"date": dates, "p_no_breakout": 0.9, "p_breakout": [0.1, 0.2, 0.3, 0.05],
                             "model_source": "model"})
    spike = pd.DataFrame({"date": dates, "p_down": 0.4, "p_up": 0.6, "model_source": "baseline"})
    theta = pd.DataFrame({"date": dates, "prediction": [0.5, 1.0, 3.0, 1.2], "model_source": "model"})
    out = assemble_buyer_signals(_records(breakout=(breakout, _metrics(True, 0.25)),
                                          spike=(spike, {}), theta=(theta, {})),
                                 {"theta_move": "range", "calendar_day_theta": False})
    assert list(out.columns[: len(SIGNAL_COLUMNS)]) == SIGNAL_COLUMNS
    assert set(out["breakout_model"]) == {"breakout"}
    np.testing.assert_allclose(out["p_breakout_up"] + out["p_breakout_down"], out["breakout_probability"])
    np.testing.assert_allclose(out["p_breakout_up"], out["breakout_probability"] * 0.6)
    # Forecast below the break-even ratio: premium rich, the seller's edge (> 0); above it, the buyer's.
    assert out["theta_edge"].iloc[0] > 0 and out["theta_edge"].iloc[2] < 0
    assert set(out["model_source"]) == {"mixed"} and set(out["breakout_model_source"]) == {"model"}


def _records(**models: tuple) -> EngineRecords:
    """`name=(predictions, metrics)` -> the buyer's records."""
    return EngineRecords(tuple(ModelRecord(f"buyer.{name}", metrics, frame)
                               for name, (frame, metrics) in models.items()))


def _metrics(edge: bool, walk_forward_log_loss: float) -> dict:
    return {"edge": edge, "status": "edge" if edge else "no_edge", "metric": "log_loss",
            "primary_baseline": "base_rate",
            "walk_forward": {"model": {"log_loss": walk_forward_log_loss}}}


def test_pooled_breakout_is_served_only_when_it_beats_the_index_only_model():
    dates = pd.bdate_range("2024-01-01", periods=3)
    own = pd.DataFrame({"date": dates, "p_no_breakout": 0.9, "p_breakout": 0.1, "model_source": "model"})
    pooled = own.assign(p_no_breakout=0.8, p_breakout=0.2)
    spike = pd.DataFrame({"date": dates, "p_down": 0.5, "p_up": 0.5, "model_source": "baseline"})
    theta = pd.DataFrame({"date": dates, "prediction": 1.0, "model_source": "model"})
    params = {"calendar_day_theta": False, "breakout_candidates": ["breakout", "breakout_pooled"]}
    common = {"spike": (spike, {}), "theta": (theta, {})}
    better = assemble_buyer_signals(
        _records(breakout=(own, _metrics(True, 0.26)), breakout_pooled=(pooled, _metrics(True, 0.25)),
                 **common), params)
    assert set(better["breakout_model"]) == {"breakout_pooled"}
    np.testing.assert_allclose(better["breakout_probability"], 0.2)
    # A lower loss without edge never wins; with no edge anywhere the index-only model serves its baseline.
    no_edge = assemble_buyer_signals(
        _records(breakout=(own, _metrics(False, 0.26)), breakout_pooled=(pooled, _metrics(False, 0.20)),
                 **common), params)
    assert set(no_edge["breakout_model"]) == {"baseline:base_rate"}
    np.testing.assert_allclose(no_edge["breakout_probability"], 0.1)


def _intraday_with_planted_window(sessions: int = 8, seed: int = 5) -> pd.DataFrame:
    """Quiet 1-minute bars, except 13:15-13:44 where the index swings about 0.6% every session."""
    rng = np.random.default_rng(seed)
    frames = []
    for day in pd.bdate_range("2024-03-04", periods=sessions):
        stamps = pd.date_range(day + pd.Timedelta("09:15:00"), day + pd.Timedelta("15:29:00"), freq="1min")
        steps = rng.normal(0.0, 0.0002, len(stamps))
        minutes = stamps.hour * 60 + stamps.minute
        planted = (minutes >= 13 * 60 + 15) & (minutes < 13 * 60 + 45)
        steps[planted] += rng.choice([-1.0, 1.0]) * 0.0002  # a steady 30-minute drive of ~0.6%
        close = 22000.0 * np.exp(np.cumsum(steps))
        open_ = np.r_[close[0], close[:-1]]
        frames.append(pd.DataFrame({"timestamp": stamps, "date": day, "open": open_,
                                    "high": np.maximum(open_, close), "low": np.minimum(open_, close),
                                    "close": close, "volume": np.nan, "interval": "1m"}))
    return pd.concat(frames, ignore_index=True)


def test_gamma_windows_find_the_planted_window_in_points():
    bars = _intraday_with_planted_window()
    out = find_gamma_windows(bars, {"bucket_minutes": 30, "lookback_sessions": 20, "min_sessions": 3,
                                    "top_k": 3})
    top = out["windows"][0]
    assert (top["start"], top["end"], top["rank"]) == ("13:15", "13:45", 1)
    assert 100 < top["typical_abs_move_points"] < 180  # ~0.6% of ~22,000 points
    assert out["windows"][1]["typical_abs_move_points"] < top["typical_abs_move_points"] / 2
    assert out["reason"] is None and out["n_sessions"] == 8 and out["profile"][-1]["end"] == "15:30"


def test_gamma_windows_use_recent_sessions_and_say_why_when_absent():
    bars = _intraday_with_planted_window(sessions=8)
    recent = find_gamma_windows(bars, {"lookback_sessions": 2, "min_sessions": 3})
    assert recent["windows"] is None and "2 intraday session" in recent["reason"]
    empty = find_gamma_windows(bars.iloc[0:0], {})
    assert empty["windows"] is None and empty["reason"]
