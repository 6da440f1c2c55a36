"""backfill with decision_time=intraday: intraday_signals at backfill.times for every session with bars."""

from __future__ import annotations

import pytest

from aegismatrix.pipelines.seller.intraday_ranges import backfill_intraday_signals, clock_times


def test_clock_times_from_yaml_and_the_command_line():
    assert clock_times(["11:00", "13:00"]) == ["11:00", "13:00"]
    assert clock_times(["11:00;13:00"]) == ["11:00", "13:00"]  # kedro --params splits on commas
    assert clock_times(660) == ["11:00"]  # YAML 1.1 reads an unquoted 11:00 as 660 minutes
    assert clock_times(None) == []
    with pytest.raises(ValueError, match="HH:MM"):
        clock_times(["25:00"])


def test_every_session_with_bars_at_every_time(bars, daily, seller_params):
    backfill = {"start": "2022-03-01", "times": ["11:00", "13:00"]}  # start bounds the ledger rows only
    signals, calibration = backfill_intraday_signals(daily, bars, seller_params, backfill, "intraday")
    sessions = bars.loc[bars["date"] > bars["date"].min(), "date"].unique()  # the first has no last close
    per_instant = signals.groupby(["date", "time"]).size()
    assert len(per_instant) == 2 * len(sessions) and (per_instant == 3).all()  # two weeklies + the monthly
    wanted = ["date", "time", "spot", "expiry", "lower", "upper", "strike_lower", "strike_upper", "p_touch",
              "p_expire_beyond", "target_breach_probability", "touched", "expired_beyond"]
    assert set(wanted) <= set(signals.columns)
    assert signals.loc[signals["expiry"] <= bars["date"].max(), "touched"].notna().all()
    assert signals.loc[signals["expiry"] > bars["date"].max(), "touched"].isna().all()
    assert calibration["target_breach_probability"] == 0.10
    assert set(calibration["times"]) <= {"11:00", "13:00"}


def test_other_decision_times_and_missing_times(bars, daily, seller_params):
    signals, calibration = backfill_intraday_signals(daily, bars, seller_params, {"times": ["11:00"]},
                                                     "close")
    assert signals.empty and calibration == {"reason": "decision_time is close"}
    with pytest.raises(ValueError, match="backfill.times"):
        backfill_intraday_signals(daily, bars, seller_params, {"times": []}, "intraday")
