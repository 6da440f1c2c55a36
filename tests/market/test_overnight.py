"""The overnight US session: close instants with daylight saving, availability per decision time, holiday
flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.features import build_engine_features
from aegismatrix.market.overnight import (
    align_us_daily,
    available_us_session,
    decision_instants,
    synthetic_us_session,
    us_close_instants,
    with_us_sessions,
)
from aegismatrix.market.synthetic import synthetic_market_daily
from aegismatrix.pipelines.data_ingestion import nodes


def _ist(instants: np.ndarray) -> list[str]:
    return [str(t) for t in
            pd.DatetimeIndex(instants, tz="UTC").tz_convert("Asia/Kolkata").strftime("%Y-%m-%d %H:%M")]


def test_us_close_is_0130_ist_in_us_summer_and_0230_in_winter() -> None:
    dates = pd.Series(pd.to_datetime(["2022-07-01", "2022-01-03", "2022-03-11", "2022-03-14"]))
    assert _ist(us_close_instants(dates)) == ["2022-07-02 01:30", "2022-01-04 02:30", "2022-03-12 02:30",
                                              "2022-03-15 01:30"]


def test_decision_instants() -> None:
    nse = pd.Series(pd.to_datetime(["2022-07-01", "2022-07-04"]))  # Friday, Monday
    assert _ist(decision_instants(nse, "close")) == ["2022-07-01 15:30", "2022-07-04 15:30"]
    assert _ist(decision_instants(nse, "preopen")) == ["2022-07-04 09:00", "2022-07-05 09:00"]
    with pytest.raises(ValueError, match="decision_time must be one of"):
        decision_instants(nse, "noon")


def test_availability_close_is_the_previous_us_date_preopen_the_same_date() -> None:
    nse = pd.Series(pd.to_datetime(["2022-07-01", "2022-07-04", "2022-07-05", "2022-07-06"]))
    # 07-04: US holiday
    us = pd.Series(pd.to_datetime(["2022-06-30", "2022-07-01", "2022-07-05", "2022-07-06"]))
    assert available_us_session(nse, us, "close").tolist() == [0, 1, 1, 2]
    assert available_us_session(nse, us, "preopen").tolist() == [1, 1, 2, 3]


def test_us_holiday_is_flagged_not_forward_filled() -> None:
    market = pd.DataFrame({"date": pd.to_datetime(["2022-07-01", "2022-07-04", "2022-07-05"]),
                           "close": [1.0, 1.0, 1.0]})
    us = pd.DataFrame({"date": pd.to_datetime(["2022-06-30", "2022-07-01", "2022-07-05"]),
                       "close": [3785.38, 3825.33, 3831.39], "vix_close": [28.7, 26.7, 27.5]})
    out = with_us_sessions(market, us, "preopen")
    assert out["us_sessions_new"].tolist()[1:] == [0.0, 1.0]  # Monday 07-04: Independence Day, no new session
    assert out["us_date"].tolist() == list(pd.to_datetime(["2022-07-01", "2022-07-01", "2022-07-05"]))


def test_synthetic_us_session_is_coherent_with_the_index() -> None:
    daily = synthetic_market_daily(years=4, seed=3)
    us = synthetic_us_session(daily, {"sp500": "^GSPC", "vix": "^VIX"}, seed=3)
    sp, vix = us["sp500"].frame, us["vix"].frame
    assert (sp["date"] == vix["date"]).all() and len(sp) < len(daily)  # some US holidays
    attached = with_us_sessions(daily, sp.assign(vix_close=vix["close"].to_numpy()), "preopen")
    gap = np.log(attached["open"].shift(-1) / attached["close"])
    ret = np.log(attached["us_close"]).diff()
    assert 0.35 < gap.corr(ret) < 0.65
    assert np.corrcoef(np.diff(np.log(sp["close"])), np.diff(np.log(vix["close"])))[0, 1] < -0.3


def test_missing_us_session_is_refused_clearly() -> None:
    daily = with_us_sessions(synthetic_market_daily(years=2, seed=3), None, "preopen")
    with pytest.raises(ValueError, match="need the overnight US session"):
        build_engine_features(daily, "direction", {"sources": {"overnight": ["direction"]}})


@pytest.mark.real_data
def test_real_us_files_load_validate_and_join_on_the_sp500_calendar(real_data_dir) -> None:
    params = {"source": "csv", "csv_dir": str(real_data_dir), "start": "2010-01-01",
              "symbols": {"nifty50": "^NSEI", "indiavix": "^INDIAVIX"},
              "overnight": {"sp500": "^GSPC", "vix": "^VIX"}}
    raw, _, log = nodes.fetch_market_data(params)
    validated, _ = nodes.validate_market_data(raw, log, params)
    us, findings = align_us_daily(validated, params)
    assert (log["symbols"]["sp500"]["origin"].endswith("us/sp500.csv")
            and log["symbols"]["vix"]["source"] == "csv")
    assert pd.Timestamp("2022-07-04") not in set(us["date"]) and us["vix_close"].notna().all()
    dropped = next(f for f in findings if f["check"] == "alignment")
    assert "2022-07-04" in str(dropped["example_dates"]) or "2022-05-30" in str(dropped["example_dates"])
    assert us.loc[us["date"] == "2020-03-16", "vix_close"].item() == pytest.approx(82.69)


def test_a_us_feed_that_ends_early_is_warned_about_not_read_as_holidays(caplog) -> None:
    """Issue 26 (8): two weeks without US rows are a stopped feed, not ten US holidays."""
    nse = pd.bdate_range("2022-06-01", "2022-06-30")
    market = pd.DataFrame({"date": nse, "close": 1.0})
    us = pd.DataFrame({"date": nse[nse <= "2022-06-15"], "close": 4000.0, "vix_close": 25.0})
    with caplog.at_level("WARNING", logger="aegismatrix.market.overnight"):
        out = with_us_sessions(market, us, "close")
    assert "the US feed (S&P 500 / Cboe VIX) ends on 2022-06-15, 11 NIFTY sessions before" in caplog.text
    after = out["date"] > "2022-06-16"
    assert out.loc[after, "us_sessions_new"].isna().all() and out.loc[after, "us_close"].isna().all()
    assert out.loc[out["date"] == "2022-06-16", "us_sessions_new"].tolist() == [1.0]  # saw the 15th's close
    assert out.loc[~after, "us_close"].iloc[1:].notna().all()  # 1 June: no US session before it
    from aegismatrix.payload.overnight import us_inputs

    assert us_inputs(market, us, "close") is None  # no stale US block served as "holiday"
    from aegismatrix.payload.overnight import us_feed_warning

    assert us_feed_warning(market, us).startswith("us_feed_ended: the US session feed ends on 2022-06-15")
    assert us_feed_warning(market, pd.DataFrame({"date": nse, "close": 1.0})) is None  # a live feed


def test_a_short_gap_at_the_end_is_still_a_holiday(caplog) -> None:
    nse = pd.bdate_range("2022-06-01", "2022-06-21")
    us = pd.DataFrame({"date": nse[nse <= "2022-06-17"], "close": 4000.0, "vix_close": 25.0})  # Juneteenth
    with caplog.at_level("WARNING", logger="aegismatrix.market.overnight"):
        out = with_us_sessions(pd.DataFrame({"date": nse, "close": 1.0}), us, "close")
    assert caplog.text == "" and out["us_close"].iloc[1:].notna().all()
    assert out["us_sessions_new"].tolist()[-2:] == [1.0, 0.0]
