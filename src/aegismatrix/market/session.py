"""The NSE session clock: for any instant, the state of the NSE cash session in Asia/Kolkata.

Every market decision (the ingestion window's end, whether a Yahoo daily bar is a completed close,
whether a cache holds the session a decision needs, which decision time is due) asks this module,
never the server's local clock. `now_utc()` is the one clock read of the market code: the
`AEGISMATRIX_NOW` environment variable (an ISO instant with an offset, e.g.
`2024-01-31T11:00+05:30`) overrides it for replays, and tests move it with time-machine.

States (`SessionState.state`), for the calendar day in Asia/Kolkata that contains the instant:
- `weekend` / `holiday`: no session that day (Saturday/Sunday, or a weekday the NSE calendar
  closes);
- `closed_before`: a session day before the pre-open call auction (09:00 IST);
- `pre_open`: the call auction, 09:00 until the continuous session opens (09:15);
- `open`: the continuous session, 09:15-15:30 IST;
- `closing`: after 15:30 until the closing price is published (`CLOSE_SETTLE`, 10 minutes after the
  close): today's bar is still not a daily close;
- `closed_after`: the session is complete; its daily bar is a close.
A special session (a Saturday budget or DR-site session, the Diwali Muhurat hour) has the same
states with its own hours and `special` set to its kind from the calendar's override table.

The calendar is `market.calendar.nse_trading_days` (the `holidays` XNSE calendar plus the dated
override table, special sessions included).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from aegismatrix.market.calendar import load_calendar_overrides, nse_trading_days

IST = "Asia/Kolkata"
NOW_ENV = "AEGISMATRIX_NOW"
PRE_OPEN, OPEN = pd.Timedelta(hours=9), pd.Timedelta(hours=9, minutes=15)
CLOSE = pd.Timedelta(hours=15, minutes=30)
# the closing price (last-30-minute weighted average) is out by then
CLOSE_SETTLE = pd.Timedelta(minutes=10)
STATES = ("weekend", "holiday", "closed_before", "pre_open", "open", "closing", "closed_after")
# Hours of special sessions that differ from 09:15-15:30 (IST, open-close; pre-open 15 minutes
# before). Muhurat hours change every year (NSE announcements); an unlisted Muhurat date gets
# MUHURAT_DEFAULT.
SPECIAL_HOURS = {
    "2023-11-12": ("18:15", "19:15"),  # NSE circular: Muhurat trading 12 Nov 2023
    # NSE: live session from the DR site, two segments ending 12:30
    "2024-03-02": ("09:15", "12:30"),
    "2024-05-18": ("09:15", "12:30"),  # idem, 18 May 2024
    "2024-11-01": ("18:00", "19:00"),  # NSE circular: Muhurat trading 1 Nov 2024
    "2025-10-21": ("13:45", "14:45"),  # NSE circular: Muhurat trading 21 Oct 2025
}
MUHURAT_DEFAULT = ("18:15", "19:15")


def now_utc() -> pd.Timestamp:
    """The current instant in UTC:
    the single clock read of market decisions (`AEGISMATRIX_NOW` overrides)."""
    override = os.environ.get(NOW_ENV)
    if override:
        stamp = pd.Timestamp(override)
        if stamp.tzinfo is None:
            raise ValueError(f"{NOW_ENV}={override!r} needs a UTC offset, e.g. "
                             "2024-01-31T11:00+05:30")
        return stamp.tz_convert("UTC")
    return pd.Timestamp(datetime.now(UTC))


def _instant(instant) -> pd.Timestamp:
    """An aware UTC timestamp (naive input is refused: it would mean the server's zone)."""
    stamp = pd.Timestamp(instant) if instant is not None else now_utc()
    if stamp.tzinfo is None:
        raise ValueError(f"instant {stamp} has no time zone; pass an aware timestamp (e.g. UTC)")
    return stamp.tz_convert("UTC")


def replay_instant(inference_params: dict | None) -> pd.Timestamp | None:
    """`inference.decision_at` (ISO with a zone) as an aware UTC instant, or None: a replay's
    decision instant, the one place a run's "now" comes from a parameter instead of the clock."""
    text = (inference_params or {}).get("decision_at")
    if not text:
        return None
    stamp = pd.Timestamp(str(text))
    if stamp.tzinfo is None:
        raise ValueError(f"inference.decision_at {text!r} needs a zone, e.g. "
                         "2022-12-30T11:00:00+05:30")
    return stamp.tz_convert("UTC")


@dataclass(frozen=True)
class SessionState:
    """The NSE session at one instant (times are aware,
    Asia/Kolkata; dates are naive calendar dates)."""

    instant: pd.Timestamp
    state: str
    day: pd.Timestamp  # the IST calendar day of the instant
    session_date: pd.Timestamp | None  # that day when it has a session, else None
    opens_at: pd.Timestamp | None
    closes_at: pd.Timestamp | None
    # when the session's closing price is final (closes_at + CLOSE_SETTLE)
    final_at: pd.Timestamp | None
    # override kind of a special session (muhurat, special_session, budget_session)
    special: str | None
    last_completed: pd.Timestamp  # the latest session whose close is final at this instant
    # the next session that has not yet opened (today's, before its open)
    next_session: pd.Timestamp

    @property
    def in_session(self) -> bool:
        """True from the pre-open auction until the closing price is final:
        today's bar is developing."""
        return self.state in ("pre_open", "open", "closing")

    def as_dict(self) -> dict:
        """JSON-safe description (the payload's `data.session`)."""
        stamp = lambda t: t.isoformat() if t is not None else None  # noqa: E731
        day = lambda d: str(d.date()) if d is not None else None  # noqa: E731
        return {"state": self.state, "instant": self.instant.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ist_time": self.instant.tz_convert(IST).strftime("%Y-%m-%d %H:%M"),
                "session_date": day(self.session_date), "opens_at": stamp(self.opens_at),
                "closes_at": stamp(self.closes_at), "special": self.special,
                "last_completed_session": day(self.last_completed), "next_session": day(self.next_session)}


def session_hours(date: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp, str | None]:
    """(open, close) instants in IST of a session date and
    its special kind (None for a regular session)."""
    date = pd.Timestamp(date).normalize()
    special = _special_kind(date)
    hours = SPECIAL_HOURS.get(str(date.date()))
    if hours is None and special == "muhurat":
        hours = MUHURAT_DEFAULT
    opens, closes = (pd.Timedelta(f"{h}:00") for h in hours) if hours else (OPEN, CLOSE)
    return (date + opens).tz_localize(IST), (date + closes).tz_localize(IST), special


def _special_kind(date: pd.Timestamp) -> str | None:
    table = load_calendar_overrides()
    row = table.loc[(table["date"] == date) & (table["action"] == "open")]
    if row.empty or (row["kind"].iloc[0] == "holiday_date" and date.dayofweek < 5):
        return None  # a library holiday the exchange traded is a regular session
    return str(row["kind"].iloc[0])


def _sessions_around(day: pd.Timestamp) -> pd.DatetimeIndex:
    return nse_trading_days(day - pd.Timedelta(days=21), day + pd.Timedelta(days=21))


def session_state(instant=None) -> SessionState:
    """The NSE session state at `instant` (an aware timestamp; default `now_utc()`)."""
    instant = _instant(instant)
    local = instant.tz_convert(IST)
    day = local.tz_localize(None).normalize()
    sessions = _sessions_around(day)
    earlier, later = sessions[sessions < day], sessions[sessions > day]
    if day not in sessions:
        state = "weekend" if day.dayofweek >= 5 else "holiday"
        return SessionState(instant, state, day, None, None, None, None, None, earlier[-1],
                            later[0])
    opens, closes, special = session_hours(day)
    final = closes + CLOSE_SETTLE
    pre_open = opens - (OPEN - PRE_OPEN)
    state = ("closed_before" if local < pre_open else "pre_open" if local < opens
             else "open" if local < closes else "closing" if local < final else "closed_after")
    last = day if state == "closed_after" else earlier[-1]
    following = later[0] if state in ("open", "closing", "closed_after") else day
    return SessionState(instant, state, day, day, opens, closes, final, special, last, following)


def last_completed_session(instant=None) -> pd.Timestamp:
    """The latest NSE session whose closing price is final at `instant` (naive date)."""
    return session_state(instant).last_completed


def today_ist(instant=None) -> pd.Timestamp:
    """The calendar date in Asia/Kolkata at `instant` (naive, midnight)."""
    return _instant(instant).tz_convert(IST).tz_localize(None).normalize()


def resolve_window(start: str | None, end: str | None, lookback_years: float,
                   last_available: pd.Timestamp | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return (start, end): `end` defaults to the last available date (csv) or today in Asia/Kolkata
    by the session clock (never the server's zone; a developing bar of today is separated by the
    source); start to end - lookback."""
    end_ts = pd.Timestamp(end) if end else (last_available if last_available is not None else today_ist())
    end_ts = end_ts.normalize()
    start_ts = (pd.Timestamp(start).normalize() if start
                else end_ts - pd.DateOffset(days=int(round(365.25 * lookback_years))))
    if start_ts > end_ts:
        raise ValueError(f"data_ingestion window is empty: start {start_ts.date()} is after end "
                         f"{end_ts.date()}")
    return start_ts, end_ts


def auto_decision_time(state: SessionState) -> str:
    """The decision time due at a state: preopen before the open, intraday while the session runs,
    close after (and on days without a session: the last completed session's close)."""
    if state.state in ("closed_before", "pre_open"):
        return "preopen"
    if state.state in ("open", "closing"):
        return "intraday"
    return "close"


def completed_through(exchange_tz: str | None, instant=None, close_time: str | None = None) -> pd.Timestamp:
    """The last calendar date whose daily bar is complete at `instant` on an exchange.

    NSE (Asia/Kolkata): the session clock's last completed session. Another exchange: local today
    when its close (`close_time`, e.g. "16:00" for New York; unknown closes count as end of day)
    plus CLOSE_SETTLE has passed, else local yesterday (a bar dated local today is then still
    developing)."""
    instant = _instant(instant)
    if exchange_tz in (None, IST):
        return last_completed_session(instant)
    local = instant.tz_convert(exchange_tz)
    today = local.tz_localize(None).normalize()
    closes = today + (pd.Timedelta(f"{close_time}:00") if close_time else pd.Timedelta(days=1))
    return today if local.tz_localize(None) >= closes + CLOSE_SETTLE else today - pd.Timedelta(days=1)


def resolve_decision_time(value: str, instant=None) -> str:
    """`auto` -> the decision time due now (auto_decision_time);
    any other value is returned unchanged."""
    return auto_decision_time(session_state(instant)) if value == "auto" else value
