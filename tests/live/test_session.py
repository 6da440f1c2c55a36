"""The NSE session clock: states over a day, holidays, weekends, special sessions; no server-local clock."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest
import time_machine

from aegismatrix.market.session import (
    NOW_ENV,
    auto_decision_time,
    completed_through,
    last_completed_session,
    now_utc,
    resolve_decision_time,
    resolve_window,
    session_state,
)
from aegismatrix.market.validation import today_ist


def ist(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="Asia/Kolkata")


@pytest.mark.parametrize(("when", "state", "last", "decision"), [
    ("2024-01-31 08:55", "closed_before", "2024-01-30", "preopen"),
    ("2024-01-31 09:00", "pre_open", "2024-01-30", "preopen"),
    ("2024-01-31 09:45", "open", "2024-01-30", "intraday"),
    ("2024-01-31 15:29", "open", "2024-01-30", "intraday"),
    ("2024-01-31 15:35", "closing", "2024-01-30", "intraday"),  # the closing price is not out yet
    ("2024-01-31 15:45", "closed_after", "2024-01-31", "close"),
    ("2024-02-01 09:00", "pre_open", "2024-01-31", "preopen"),
    ("2024-01-26 11:00", "holiday", "2024-01-25", "close"),  # Republic Day (a Friday)
    ("2024-01-27 11:00", "weekend", "2024-01-25", "close"),
    ("2024-01-22 10:00", "holiday", "2024-01-20", "close"),  # override closure after a Saturday session
])
def test_states_over_a_day(when, state, last, decision):
    got = session_state(ist(when))
    assert (got.state, str(got.last_completed.date()), auto_decision_time(got)) == (state, last, decision)
    assert last_completed_session(ist(when)) == pd.Timestamp(last)


def test_special_sessions_have_their_own_hours():
    saturday = session_state(ist("2024-01-20 11:00"))  # full Saturday session replacing 22 Jan
    assert saturday.state == "open" and saturday.special == "special_session"
    muhurat_noon = session_state(ist("2024-11-01 11:00"))
    assert muhurat_noon.state == "closed_before" and muhurat_noon.special == "muhurat"
    evening = session_state(ist("2024-11-01 18:30"))
    assert evening.state == "open" and evening.closes_at == ist("2024-11-01 19:00")
    assert session_state(ist("2024-11-01 19:20")).last_completed == pd.Timestamp("2024-11-01")


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        session_state(pd.Timestamp("2024-01-31 11:00"))


def test_other_exchanges_complete_after_their_own_close():
    # 11:00 IST is 00:30 in New York: the US session of the 30th closed at 16:00 ET, the 31st has not opened
    got = completed_through("America/New_York", ist("2024-01-31 11:00"), "16:00")
    assert got == pd.Timestamp("2024-01-30")
    assert completed_through("America/New_York", pd.Timestamp("2024-01-31 16:20", tz="America/New_York"),
                             "16:00") == pd.Timestamp("2024-01-31")


@pytest.mark.parametrize("server_tz", ["UTC", "America/New_York"])
def test_no_server_local_clock(server_tz, monkeypatch):
    # 00:30 UTC on 1 Feb is 06:00 IST on 1 Feb but still 31 Jan in New York
    monkeypatch.setenv("TZ", server_tz)
    time.tzset()
    try:
        with time_machine.travel(pd.Timestamp("2024-02-01 00:30", tz="UTC").to_pydatetime(), tick=False):
            assert now_utc() == pd.Timestamp("2024-02-01 00:30", tz="UTC")
            assert today_ist() == pd.Timestamp("2024-02-01")
            assert resolve_window(None, None, 1.0)[1] == pd.Timestamp("2024-02-01")
            assert session_state().state == "closed_before"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_environment_override_is_the_replay_clock(monkeypatch):
    monkeypatch.setenv(NOW_ENV, "2024-01-31T11:00+05:30")
    assert session_state().state == "open" and now_utc() == ist("2024-01-31 11:00")
    monkeypatch.setenv(NOW_ENV, "2024-01-31T11:00")
    with pytest.raises(ValueError, match="offset"):
        now_utc()
    assert os.environ[NOW_ENV]


@pytest.mark.parametrize(("when", "expected"), [
    ("2024-01-31 08:55", "preopen"), ("2024-01-31 15:45", "close"), ("2024-01-27 11:00", "close"),
])
def test_auto_decision_time_follows_the_clock(when, expected):
    assert resolve_decision_time("auto", ist(when)) == expected
    assert resolve_decision_time("preopen", ist(when)) == "preopen"  # explicit values are kept


def test_auto_in_session_is_intraday():
    assert resolve_decision_time("auto", ist("2024-01-31 11:00")) == "intraday"
