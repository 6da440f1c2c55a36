"""decision_time=intraday at the payload: the instant from a parameter or the last bar, nothing after it used,
ranges around the live spot, the live context, gamma windows still ahead; the payload validates."""

from __future__ import annotations

import pandas as pd
import pytest

from aegismatrix.market.intraday_bars import daily_decision_time
from aegismatrix.payload.publish import validate_payload
from aegismatrix.payload.sections.buyer import mark_windows_ahead
from aegismatrix.pipelines.inference.nodes import assemble_inference_payload
from aegismatrix.pipelines.seller.intraday_ranges import decision_instant, intraday_snapshot

INFERENCE = {"payload_path": "unused", "dashboard_dir": None, "n_drivers": 3, "stale_after_hours": 24,
             "regime_lookback": 60, "regime_quantiles": [0.3333, 0.6667], "signal_models": {},
             "heuristic": {"direction_horizons": [1, 5], "neutral_band_1d": 0.0025, "vix_to_realised": 1.3,
                           "regime_confidence": 0.6, "range_sigmas": {5: 1.5, 21: 2.0},
                           "target_breach_probability": 0.1},
             "decision_at": "2022-06-15T05:30:00Z"}  # 11:00 IST
WINDOWS = {"windows": [{"start": "09:15", "end": "09:45", "typical_abs_move_points": 20.0},
                       {"start": "10:45", "end": "11:15", "typical_abs_move_points": 12.0},
                       {"start": "15:00", "end": "15:30", "typical_abs_move_points": 15.0}], "reason": None}


@pytest.fixture(scope="module")
def snapshot(bars, daily):
    params = {"safe_range": {"target_breach_probability": 0.10},
              "expiry_ranges": {"underlying": "NIFTY", "n_weekly": 2, "include_monthly": True,
                                "strike_step": 50,
                                "dte_buckets": [1, 2, 3, 4, 5, 6, 8, 11, 16, 21], "min_history": 5,
                                "prior_multiplier": 1.5, "ladder_strikes": 4}}
    return params, intraday_snapshot(daily, bars, params, INFERENCE, "intraday")


def test_the_instant_comes_from_the_parameter_or_the_last_bar_never_the_clock(bars):
    assert decision_instant(bars, INFERENCE) == pd.Timestamp("2022-06-15 11:00")
    assert decision_instant(bars, {}) == pd.Timestamp("2022-06-30 15:30")  # the last bar's end
    with pytest.raises(ValueError, match="needs a zone"):
        decision_instant(bars, {"decision_at": "2022-06-15T11:00:00"})


def test_nothing_after_the_instant_is_used(bars, daily, snapshot):
    params, (ranges, ladder, context) = snapshot
    day, instant = pd.Timestamp("2022-06-15"), pd.Timestamp("2022-06-15 11:00")
    before = bars[bars["timestamp"] + pd.Timedelta("15min") <= instant]
    again = intraday_snapshot(daily[daily["date"] < day], before, params, INFERENCE, "intraday")
    pd.testing.assert_frame_equal(ranges, again[0])
    assert context == again[2]
    today = before[before["date"] == day]
    assert context["spot"] == today["close"].iloc[-1] and context["day_high"] == today["high"].max()
    assert context["last_completed_session"] == "2022-06-14"
    assert context["decision_at"] == "2022-06-15T05:30:00Z"
    assert ranges["touched"].isna().all() and set(ranges["date"]) == {day}


def test_not_a_session_or_not_intraday(bars, daily, snapshot):
    params, _ = snapshot
    with pytest.raises(ValueError, match="not open yet, or is not a session"):
        saturday = {"decision_at": "2022-06-18T11:00:00+05:30"}
        intraday_snapshot(daily, bars, params, saturday, "intraday")
    ranges, ladder, context = intraday_snapshot(daily, bars, params, INFERENCE, "close")
    assert ranges.empty and context == {}
    assert daily_decision_time("intraday") == "close" and daily_decision_time("preopen") == "preopen"


def test_payload_is_valid_with_ranges_around_the_live_spot(daily, snapshot):
    _, (ranges, ladder, context) = snapshot
    payload = assemble_inference_payload(
        daily, {"source": "csv"}, {}, INFERENCE, gamma_windows=WINDOWS, decision_time="intraday",
        seller_intraday_ranges=ranges, seller_intraday_ladder=ladder, intraday_context=context)
    validate_payload(payload)
    assert payload["data_as_of"] == "2022-06-14"  # daily signals of the last completed session
    market = payload["market"]
    assert market["decision_time"] == "intraday" and market["intraday"]["spot"] == context["spot"]
    assert market["spot"] == daily.loc[daily["date"] == "2022-06-14", "close"].item()
    expiries = payload["seller"]["expiries"]
    assert len(expiries) == 3 and all(e["spot"] == context["spot"] for e in expiries)
    nearest = next(e for e in expiries if e["expiry"] == "2022-06-16")
    assert nearest["remaining_sessions"] == pytest.approx(1 + 270 / 375) and nearest["trading_days"] == 2
    assert (nearest["lower"] + nearest["upper"]) / 2 == pytest.approx(context["spot"])
    assert nearest["strike_ladder"] and "IST windows" in nearest["calibration"]
    ahead = [(w["start"], w["ahead"], w["in_progress"]) for w in payload["buyer"]["gamma_windows"]]
    assert ahead == [("09:15", False, False), ("10:45", True, True), ("15:00", True, False)]


def test_no_windows_stay_none():
    assert mark_windows_ahead(None, "11:00") is None
