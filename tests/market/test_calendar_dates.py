"""Dates in the committed calendar tables are ISO; anything else is an error naming the file, the entry and
the value (issue 26, defect 6)."""

from __future__ import annotations

import pandas as pd
import pytest

from aegismatrix.market.calendar import load_calendar_overrides
from aegismatrix.market.events import coverage_from, load_events
from aegismatrix.market.expiries import load_expiry_rules

EVENT = ('  - {{date: {date}, kind: rbi_policy, name: "RBI review", scheduled: true, after_nse_close: false, '
         'source: "rbi.org.in"}}\n')


def _events_file(tmp_path, *dates: str, coverage: str = "2010-01-01"):
    path = tmp_path / "events.yml"
    path.write_text(f"coverage_from: {coverage}\nevents:\n" + "".join(EVENT.format(date=d) for d in dates))
    return str(path)


def test_iso_and_quoted_iso_dates_are_read_as_written(tmp_path):
    events = load_events(_events_file(tmp_path, "2023-02-01", '"2023-02-08"'))
    assert events["date"].tolist() == [pd.Timestamp("2023-02-01"), pd.Timestamp("2023-02-08")]


@pytest.mark.parametrize("written", ["01-02-2023", "2023/02/01", "1 Feb 2023", "20230201"])
def test_a_loose_date_is_refused_with_file_entry_and_value(tmp_path, written):
    path = _events_file(tmp_path, "2023-01-05", written)
    with pytest.raises(ValueError) as err:  # a ConfDateError; the old reader took 01-02-2023 as 2 January
        load_events(path)
    message = str(err.value)
    assert path in message and "events[1] (RBI review) date" in message and written in message
    assert "YYYY-MM-DD" in message


@pytest.mark.parametrize("written", ["2023-02-30", '"2023-02-30"'])
def test_an_impossible_date_names_the_file_and_the_value(tmp_path, written):
    path = _events_file(tmp_path, written)
    with pytest.raises(ValueError) as err:  # ConfDateError is a ValueError with the context
        load_events(path)
    assert type(err.value).__name__ == "ConfDateError"
    assert path in str(err.value) and "2023-02-30" in str(err.value)


def test_coverage_from_must_be_iso(tmp_path):
    path = _events_file(tmp_path, "2023-01-05", coverage="01-01-2010")
    with pytest.raises(ValueError, match="coverage_from: '01-01-2010'"):
        coverage_from(path)


def test_override_and_expiry_rule_dates_are_checked_too(tmp_path):
    overrides = tmp_path / "overrides.yml"
    overrides.write_text("overrides:\n  - {date: 28-06-2023, action: open, kind: holiday_date, reason: x, "
                         "source: y}\n")
    with pytest.raises(ValueError, match=r"overrides\[0\] date: '28-06-2023'"):
        load_calendar_overrides(str(overrides))
    rules = tmp_path / "rules.yml"
    rules.write_text("rules:\n  - {underlying: NIFTY, kind: weekly, weekday: THU, expiries_from: 01-01-1990, "
                     "expiries_to: null, source: s}\n")
    with pytest.raises(ValueError, match=r"rules\[0\] expiries_from: '01-01-1990'"):
        load_expiry_rules(str(rules))


def test_the_committed_tables_are_iso():
    assert len(load_events()) > 200 and coverage_from() == pd.Timestamp("2010-01-01")
    assert load_calendar_overrides()["date"].notna().all()
    assert load_expiry_rules()["expiries_from"].notna().all()
