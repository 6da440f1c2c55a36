"""Intraday expiry ranges: centred on the live spot, fractional time to expiry, causal calibration,
outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.market.implied import implied_move_fraction
from aegismatrix.pipelines.seller.intraday_ranges import (
    _session_fraction_left,
    instants,
    intraday_range_calibration,
    intraday_ranges,
)


def test_session_fraction_left():
    times = pd.to_timedelta(["09:00:00", "09:15:00", "11:00:00", "15:30:00", "16:00:00"])
    got = _session_fraction_left(times)
    assert got == pytest.approx([1.0, 1.0, 270 / 375, 0.0, 0.0])


def test_spot_is_the_last_completed_bar_and_daily_inputs_the_last_completed_session(bars, daily):
    points = instants(bars, daily, ["11:00", "11:07"])
    day = pd.Timestamp("2022-03-15")
    one = points[(points["date"] == day) & (points["time"] == "11:00")].iloc[0]
    today = bars[bars["date"] == day]
    assert one["spot"] == today.loc[today["timestamp"] == day + pd.Timedelta("10:45:00"), "close"].item()
    assert one["day_high"] == today.loc[today["timestamp"] < day + pd.Timedelta("11:00:00"), "high"].max()
    assert one["rest_high"] == today.loc[today["timestamp"] >= day + pd.Timedelta("11:00:00"), "high"].max()
    assert one["last_completed_session"] == pd.Timestamp("2022-03-14")
    assert one["prev_close"] == daily.loc[daily["date"] == "2022-03-14", "close"].item()
    # 11:07 is inside the 11:00 bar: the same spot as 11:00, the unfinished bar counts to the rest of the day
    later = points[(points["date"] == day) & (points["time"] == "11:07")].iloc[0]
    assert later["spot"] == one["spot"] and later["rest_high"] == one["rest_high"]


def test_ranges_are_centred_on_the_live_spot_with_fractional_time(ranges_11_13):
    signals, ladder = ranges_11_13
    row = signals[(signals["date"] == "2022-03-15") & (signals["time"] == "11:00")
                  & (signals["expiry_kind"] == "weekly") & (signals["expiry_rank"] == 1)].iloc[0]
    assert row["expiry"] == pd.Timestamp("2022-03-17") and row["trading_days"] == 3
    assert row["remaining_sessions"] == pytest.approx(2 + 270 / 375)
    assert row["effective_calendar_days"] == pytest.approx(2 + 270 / 375 * 1)  # Mon 14 -> Tue 15: one day
    move = implied_move_fraction(15.0, calendar_days=row["effective_calendar_days"])
    assert row["implied_move_points"] == pytest.approx(move * row["spot"])
    assert (row["lower"] + row["upper"]) / 2 == pytest.approx(row["spot"])
    assert row["upper"] - row["spot"] == pytest.approx(row["range_multiplier"] * move * row["spot"])
    assert row["move_since_close"] == pytest.approx(row["spot"] - row["prev_close"])
    assert "IST windows" in row["calibration"] and row["model_source"] in ("calibrated", "prior")
    # the latest instant's ladder: strikes around its spot, probabilities shrinking away from it
    assert ladder["date"].nunique() == 1 and ladder["date"].iloc[0] == signals["date"].max()
    calls = ladder[(ladder["side"] == "call") & (ladder["expiry_rank"] == 1)
                   & (ladder["expiry_kind"] == "weekly")]
    assert calls["p_touch"].is_monotonic_decreasing


def test_expiry_day_outcomes_come_from_the_rest_of_the_day(bars, daily, ranges_11_13):
    signals, _ = ranges_11_13
    day = pd.Timestamp("2022-03-17")  # a Thursday weekly expiry
    at_13 = signals[signals["time"] == "13:00"]
    row = at_13[(at_13["date"] == day) & (at_13["expiry"] == day)].iloc[0]
    assert row["remaining_sessions"] == pytest.approx(150 / 375) and row["trading_days"] == 1
    rest = bars[(bars["date"] == day) & (bars["timestamp"] >= day + pd.Timedelta("13:00:00"))]
    touched = rest["high"].max() > row["upper"] or rest["low"].min() < row["lower"]
    assert row["touched"] == float(touched)
    close = daily.loc[daily["date"] == day, "close"].item()
    assert row["expired_beyond"] == float(close > row["strike_upper"] or close < row["strike_lower"])


def test_calibration_is_causal(bars, daily, seller_params):
    """Rows decided before a cut are identical whether or not the later sessions exist."""
    full, _ = intraday_ranges(daily, bars, seller_params, ["11:00"])
    cut = pd.Timestamp("2022-04-20")
    short, _ = intraday_ranges(daily[daily["date"] <= cut], bars[bars["date"] <= cut], seller_params,
                               ["11:00"])
    columns = ["range_multiplier", "lower", "upper", "p_touch", "p_expire_beyond", "calibration_samples"]
    key = ["decision_at", "expiry", "expiry_kind", "expiry_rank"]
    merged = short.merge(full, on=key, suffixes=("_short", "_full"))
    assert len(merged) == len(short) and (merged["calibration_samples_short"] >= 5).any()
    for column in columns:
        np.testing.assert_allclose(merged[f"{column}_short"], merged[f"{column}_full"])
    # outcomes are unknown until the expiry has closed on file
    assert short.loc[short["expiry"] > cut, "touched"].isna().all()


def test_calibration_summary_per_time_and_expiry(ranges_11_13, seller_params):
    signals, _ = ranges_11_13
    summary = intraday_range_calibration(signals, seller_params)
    weekly = summary["times"]["11:00"]["weekly_1"]
    closed = signals[(signals["time"] == "11:00") & (signals["expiry_kind"] == "weekly")
                     & (signals["expiry_rank"] == 1) & (signals["model_source"] == "calibrated")
                     & signals["touched"].notna()]
    assert weekly["n"] == len(closed)
    assert weekly["realised_touch_rate_range"] == pytest.approx(closed["touched"].mean())
    assert sum(y["n"] for y in weekly["by_year"]) == len(closed)
