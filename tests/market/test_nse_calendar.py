"""NSE trading calendar (holidays XNSE + committed overrides), expiry rules and the event table on known
dates."""

from __future__ import annotations

import pandas as pd
import pytest

from aegismatrix.market.calendar import count_sessions_between, load_calendar_overrides, nse_trading_days
from aegismatrix.market.events import days_to_next_event, events_between, load_events
from aegismatrix.market.expiries import expiry_dates, next_expiries


def _days(values: list[str]) -> list[pd.Timestamp]:
    return [pd.Timestamp(v) for v in values]


def test_library_holiday_and_override_closure_and_special_sessions():
    days = nse_trading_days("2024-01-15", "2024-01-26")
    assert pd.Timestamp("2024-01-22") not in days  # override: Ram Mandir closure
    assert pd.Timestamp("2024-01-20") in days  # override: Saturday session
    assert pd.Timestamp("2024-01-26") not in days  # library: Republic Day
    muhurat = pd.Timestamp("2024-11-01")
    assert muhurat in nse_trading_days("2024-10-28", "2024-11-04")
    assert muhurat not in nse_trading_days("2024-10-28", "2024-11-04", include_special_sessions=False)


def test_every_override_row_has_a_source_and_action():
    table = load_calendar_overrides()
    assert table["source"].str.len().gt(0).all() and set(table["action"]) <= {"open", "closed"}
    assert table["date"].is_monotonic_increasing


def test_count_sessions_skips_holidays():
    sessions = nse_trading_days("2023-03-01", "2023-04-30")
    # 2023-03-27 (Mon) -> 2023-04-06 (Thu): 28, 29, 31 Mar, 3, 5, 6 Apr (30 Mar and 4 Apr closed)
    assert count_sessions_between(["2023-03-27"], ["2023-04-06"], sessions).tolist() == [6]


@pytest.mark.parametrize("start, end, kind, expected", [
    ("2023-03-27", "2023-04-02", "weekly", ["2023-03-29"]),  # Thursday 30 March 2023 was Ram Navami
    ("2025-08-25", "2025-09-10", "weekly", ["2025-08-28", "2025-09-02", "2025-09-09"]),  # Thursday -> Tuesday
    ("2025-10-13", "2025-10-24", "weekly", ["2025-10-14", "2025-10-20"]),  # Tue 21 Oct: Diwali (Muhurat only)
    ("2025-04-01", "2025-04-30", "monthly", ["2025-04-24"]),  # 1 May holiday moves that weekly, not April's
    ("2025-08-01", "2025-09-30", "monthly", ["2025-08-28", "2025-09-30"]),
    ("2019-10-01", "2019-10-31", "monthly", ["2019-10-31"]),
])
def test_expiry_dates_on_known_dates(start, end, kind, expected):
    assert list(expiry_dates(start, end, kind=kind)) == _days(expected)


def test_next_expiries_are_strictly_after_the_decision_close():
    frame = next_expiries(["2023-03-28", "2023-03-29"], 2)
    assert list(frame.loc["2023-03-29"]) == _days(["2023-04-06", "2023-04-13"])
    assert list(frame.loc["2023-03-28"]) == _days(["2023-03-29", "2023-04-06"])


def test_unknown_underlying_is_a_clear_error():
    with pytest.raises(KeyError, match="SENSEX"):
        expiry_dates("2024-01-01", "2024-02-01", underlying="SENSEX")


def test_events_have_sources_and_fomc_lands_on_the_next_session():
    table = load_events()
    assert table["source"].str.len().gt(0).all()
    fomc = table[(table["kind"] == "fomc") & (table["date"] == "2024-09-18")]
    assert fomc["effective_session"].item() == pd.Timestamp("2024-09-19")
    window = events_between("2024-07-22", "2024-07-26")
    assert {"union_budget", "nifty_weekly_expiry"} <= set(window["kind"])


def test_days_to_next_event_uses_only_events_known_at_t():
    frame = days_to_next_event(["2024-03-15", "2024-03-18", "2024-07-22"])
    # poll schedule announced 16 March
    assert pd.isna(frame.loc["2024-03-15", "days_to_next_election_result"])
    assert frame.loc["2024-03-18", "days_to_next_election_result"] == 78
    assert frame.loc["2024-07-22", "days_to_next_union_budget"] == 1
    assert frame.loc["2024-07-22", "days_to_next_nifty_weekly_expiry"] == 3
    off_cycle = days_to_next_event(["2020-03-26"])["days_to_next_rbi_policy"].item()
    assert off_cycle > 1  # the 27 March 2020 off-cycle cut was not known the day before


@pytest.mark.real_data
def test_calendar_matches_the_real_nifty_sessions_2001_2022(real_data_dir):
    real = pd.DatetimeIndex(pd.read_csv(real_data_dir / "nifty50.csv", usecols=["date"])["date"])
    real = real[real >= "2001-01-01"]
    calendar = nse_trading_days("2001-01-01", "2022-12-30")
    assert calendar.difference(real).empty and real.difference(calendar).empty


def test_buyer_theta_days_count_nse_holidays():
    from aegismatrix.pipelines.buyer.nodes import calendar_days_to_next_session

    days = calendar_days_to_next_session(pd.Series(pd.to_datetime(["2024-03-27", "2024-03-28",
                                                                   "2024-03-22"])))
    assert days.tolist() == [1.0, 4.0, 4.0]  # Good Friday 29 Mar; Holi Monday 25 Mar


def test_gamma_windows_skip_muhurat_evening_sessions():
    from aegismatrix.pipelines.buyer.nodes import evening_sessions, find_gamma_windows

    assert list(evening_sessions("2024-10-28", "2024-11-08")) == [pd.Timestamp("2024-11-01")]
    bars = []
    for day in ["2024-10-29", "2024-10-30", "2024-10-31", "2024-11-01"]:
        start = pd.Timestamp(day) + pd.Timedelta(hours=18 if day == "2024-11-01" else 9, minutes=15)
        stamps = pd.date_range(start, periods=12, freq="5min")
        bars.append(pd.DataFrame({"timestamp": stamps, "interval": "5m", "open": 100.0, "high": 101.0,
                                  "low": 99.0, "close": 100.5, "volume": 1.0}))
    windows = find_gamma_windows(pd.concat(bars, ignore_index=True), {"intervals": ["5m"], "min_sessions": 3})
    assert windows["n_sessions"] == 3 and windows["last_session"] == "2024-10-31"
    assert all(b["start"] < "12:00" for b in windows["profile"])  # no 18:15 bucket from the Muhurat hour

