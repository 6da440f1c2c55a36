"""Events family: scheduled events and NIFTY expiries known at t (issue 13's calendar), as distances
and flags.

Distances come from aegismatrix.market.events.days_to_next_event, which uses an event only when it
was known at t (`known_from <= t`) and counts to its effective NSE session. "Tomorrow" flags compare
that distance with the calendar days to the next NSE session (the trading calendar), so Friday ->
Monday counts. No kind known at t (e.g. no announced election) reads as the cap, CAP_DAYS; dates
before the table's coverage stay undefined.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..spec import FeatureSpec

FAMILY = "events"
CAP_DAYS = 90.0  # beyond a quarter the distance carries no information a daily model can use
KINDS = {"rbi_policy": "RBI policy decision", "fomc": "FOMC decision",
         "union_budget": "Union Budget",
         "election_result": "Lok Sabha result", "nifty_weekly_expiry": "NIFTY weekly expiry",
         "nifty_monthly_expiry": "NIFTY monthly expiry"}


def _spec(name: str, text: str) -> FeatureSpec:
    return FeatureSpec(name, FAMILY, 1, text, needs="calendar")


SPECS = tuple(
    [_spec(f"days_to_{k}", f"Calendar days to the next {v} known at t (capped at {CAP_DAYS:.0f})")
     for k, v in KINDS.items()]
    + [_spec(f"{k}_next_session", f"1 if the next NSE session is a {KINDS[k]} (known at t)") for k in
       ("rbi_policy", "fomc", "union_budget", "nifty_weekly_expiry", "nifty_monthly_expiry")]
)


def _days_to_next_session(dates: pd.DatetimeIndex) -> np.ndarray:
    """Calendar days from each date to the next NSE session on the trading calendar."""
    from aegismatrix.market.calendar import nse_trading_days

    sessions = nse_trading_days(dates.min(),
                                dates.max() + pd.Timedelta(days=20)).values.astype("datetime64[ns]")
    nxt = sessions[np.minimum(np.searchsorted(sessions, dates.values.astype("datetime64[ns]"),
                                              side="right"),
                              len(sessions) - 1)]
    return (nxt - dates.values.astype("datetime64[ns]")) / np.timedelta64(1, "D")


def compute(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every events feature from the row dates alone."""
    from aegismatrix.market.events import coverage_from, days_to_next_event

    dates = pd.DatetimeIndex(pd.to_datetime(frame["date"])).normalize()
    if len(dates) == 0:
        return {s.name: np.array([], dtype="float64") for s in SPECS}
    raw = days_to_next_event(dates)
    covered = np.asarray(dates >= coverage_from())
    step = _days_to_next_session(dates)
    out = {}
    for kind in KINDS:
        days = raw[f"days_to_next_{kind}"].to_numpy(dtype="float64")
        capped = np.where(np.isnan(days), CAP_DAYS, np.minimum(days, CAP_DAYS))
        out[f"days_to_{kind}"] = np.where(covered, capped, np.nan)
        if f"{kind}_next_session" in {s.name for s in SPECS}:
            out[f"{kind}_next_session"] = np.where(covered, (capped <= step).astype("float64"),
                                                   np.nan)
    return out
