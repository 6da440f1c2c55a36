"""Observed index sessions override the calendar library for the past; the override table covers the known
exchange changes (issue 26, defect 7)."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from aegismatrix.market import observed
from aegismatrix.market.calendar import forget_observed_sessions, nse_trading_days, observe_sessions
from aegismatrix.market.events import load_events
from aegismatrix.market.expiries import expiry_dates, next_expiries
from aegismatrix.market.observed import ObservedSessionsHooks


@pytest.fixture(autouse=True)
def _calendar_alone():
    forget_observed_sessions()
    yield
    forget_observed_sessions()


def test_2023_bakri_id_moved_from_28_to_29_june():
    days = nse_trading_days("2023-06-26", "2023-06-30")
    assert pd.Timestamp("2023-06-28") in days and pd.Timestamp("2023-06-29") not in days
    assert list(expiry_dates("2023-06-26", "2023-06-30")) == [pd.Timestamp("2023-06-28")]
    assert list(expiry_dates("2023-06-01", "2023-06-30", kind="monthly")) == [pd.Timestamp("2023-06-28")]
    signals = pd.bdate_range("2023-06-15", "2023-06-27").difference([pd.Timestamp("2023-06-29")])
    assert (next_expiries(signals, 1)["weekly_1"] != pd.Timestamp("2023-06-29")).all()


def _history(start: str, end: str, drop=(), add=()) -> pd.Series:
    days = nse_trading_days(start, end).difference(pd.DatetimeIndex(list(drop)))
    return pd.Series(days.union(pd.DatetimeIndex(list(add))))


def test_observed_sessions_win_over_the_calendar_and_the_disagreement_is_logged(caplog):
    history = _history("2022-11-01", "2023-01-31", drop=["2022-12-29"], add=["2022-12-24"])
    assert list(expiry_dates("2022-12-26", "2022-12-30")) == [pd.Timestamp("2022-12-29")]
    with caplog.at_level(logging.WARNING, logger="aegismatrix.market.calendar"):
        found = observe_sessions(history, "nifty50 index history (csv)")
    assert found["date"].dt.strftime("%Y-%m-%d").tolist() == ["2022-12-24", "2022-12-29"]
    assert found["observed"].tolist() == [True, False]
    assert "disagrees with the holidays XNSE calendar" in caplog.text and "2022-12-29" in caplog.text
    days = nse_trading_days("2022-12-19", "2022-12-31")
    assert pd.Timestamp("2022-12-24") in days and pd.Timestamp("2022-12-29") not in days
    assert list(expiry_dates("2022-12-26", "2022-12-30")) == [pd.Timestamp("2022-12-28")]
    # the same history again: nothing new to say
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="aegismatrix.market.calendar"):
        observe_sessions(history, "nifty50 index history (csv)")
    assert caplog.text == ""


def test_the_future_stays_with_the_library_and_the_table():
    observe_sessions(_history("2023-01-02", "2023-03-31", drop=["2023-03-15"]))
    after = nse_trading_days("2023-04-01", "2023-07-31")
    assert pd.Timestamp("2023-06-29") not in after and pd.Timestamp("2023-04-07") not in after
    span = nse_trading_days("2023-03-01", "2023-04-10")
    assert pd.Timestamp("2023-03-15") not in span and pd.Timestamp("2023-04-06") in span


def test_event_sessions_follow_the_observed_calendar():
    # RBI review on 2012-04-17: pretend the index has no row that day; its effective session moves on
    def session() -> pd.Timestamp:
        events = load_events()
        return events.loc[events["date"] == pd.Timestamp("2012-04-17"), "effective_session"].iloc[0]

    assert session() == pd.Timestamp("2012-04-17")
    observe_sessions(_history("2012-03-01", "2012-05-31", drop=["2012-04-17"]))
    assert session() == pd.Timestamp("2012-04-18")


def _run_hooks(source: str, dates: pd.Series) -> None:
    hooks = ObservedSessionsHooks()
    hooks.before_pipeline_run(run_params={}, pipeline=None, catalog=None)
    hooks.after_dataset_saved("data_ingestion_fetch_log", {"symbols": {"nifty50": {"source": source}}})
    hooks.after_dataset_saved("market_daily", pd.DataFrame({"date": dates}))


def test_hooks_observe_a_real_index_but_not_a_synthetic_one():
    history = _history("2022-11-01", "2023-01-31", drop=["2022-12-29"])
    _run_hooks("synthetic", history)  # weekdays only: its dates say nothing about the exchange
    assert pd.Timestamp("2022-12-29") in nse_trading_days("2022-12-26", "2022-12-30")
    _run_hooks("csv", history)
    assert pd.Timestamp("2022-12-29") not in nse_trading_days("2022-12-26", "2022-12-30")
    ObservedSessionsHooks().after_pipeline_run(run_params={}, run_result={}, pipeline=None, catalog=None)
    assert pd.Timestamp("2022-12-29") in nse_trading_days("2022-12-26", "2022-12-30")


@pytest.mark.real_data
def test_the_real_history_is_the_calendar_before_2001_too(real_data_dir, caplog):
    real = pd.DatetimeIndex(pd.read_csv(real_data_dir / "nifty50.csv", usecols=["date"])["date"])
    with caplog.at_level(logging.WARNING, logger="aegismatrix.market.calendar"):
        found = observe_sessions(pd.Series(real), "nifty50 index history (csv)")
    assert (found["date"] < "2001-01-01").all() and len(found) > 0  # 2001-2022: the table agrees
    assert nse_trading_days(real[0], real[-1]).equals(real)


@pytest.mark.real_data
def test_a_kedro_run_on_a_real_index_logs_the_disagreement(real_data_dir, tmp_path, copy_project_to,
                                                           monkeypatch):
    """The hook is wired (settings.HOOKS): a csv index missing one session makes that day a holiday."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    for name in ("nifty50", "indiavix"):
        frame = pd.read_csv(real_data_dir / f"{name}.csv")
        frame = frame[(frame["date"] >= "2022-01-03") & (frame["date"] != "2022-06-15")]
        frame.to_csv(csv_dir / f"{name}.csv", index=False)
    project = copy_project_to(tmp_path / "project")
    runtime = {"data_ingestion": {"source": "csv", "csv_dir": str(csv_dir), "start": "2022-01-03",
                                  "end": "2022-12-30", "overnight": {}, "universe": None,
                                  "intraday": {"enabled": False}}}
    seen = []
    monkeypatch.setattr(observed, "observe_sessions",
                        lambda dates, source: seen.append((source, observe_sessions(dates, source))))
    bootstrap_project(project)
    with KedroSession.create(project_path=project, runtime_params=runtime) as session:
        session.run(pipeline_names=["data_ingestion"])
    assert seen and seen[-1][0] == "nifty50 index history (csv)"
    assert seen[-1][1]["date"].dt.strftime("%Y-%m-%d").tolist() == ["2022-06-15"]
    assert pd.Timestamp("2022-06-15") in nse_trading_days("2022-06-13", "2022-06-17")  # forgotten at the end
