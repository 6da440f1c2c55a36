"""Which jobs are due at an instant,
from the NSE session clock and the slots each job last completed.

A job's `when` kind names its slot, the unit it runs once per:
- `close`: the last completed session (its closing price is out): runs once per session, catching up
  a missed evening on the next call (a server down at 15:45 still records that close, dated so);
- `preopen`: the session date, from `at` (IST) until the continuous session opens;
- `intraday`: the `every_minutes` slot of the running session (pre-open excluded, until the close is
  final);
- `weekly` (`weekday`, 0 = Monday, and `at`) and `monthly` (`day`, `at`): once per ISO week / month,
  from that instant in IST until `catch_up_hours` later (scheduled retraining).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from aegismatrix.market.session import IST, SessionState
from aegismatrix.releases.manifest import write_text_atomic

KINDS = ("close", "preopen", "intraday", "weekly", "monthly")


@dataclass(frozen=True)
class DueJob:
    """A job due now and the slot it will complete."""

    name: str
    slot: str
    args: tuple[str, ...]
    kind: str


def _after(local: pd.Timestamp, at: str | None) -> bool:
    """True once the IST wall time of `local` reached `at` ("HH:MM")."""
    return at is None or local.strftime("%H:%M") >= at


def job_slot(job: dict, state: SessionState) -> str | None:
    """The slot a job would complete now, or None when it is not due at this state."""
    kind, local = job["when"], state.instant.tz_convert(IST)
    if kind == "close":
        return str(state.last_completed.date())
    if kind == "preopen":
        ready = state.state in ("closed_before", "pre_open") and _after(local, job.get("at"))
        return str(state.session_date.date()) if ready else None
    if kind == "intraday":
        if state.state not in ("open", "closing"):
            return None
        slot = int((state.instant - state.opens_at) / pd.Timedelta(minutes=int(job["every_minutes"])))
        return f"{state.session_date.date()}#{slot}"
    if kind in ("weekly", "monthly"):
        return _calendar_slot(job, local)
    raise ValueError(f"job {job.get('name')!r}: when must be one of {KINDS}, got {kind!r}")


def _calendar_slot(job: dict, local: pd.Timestamp) -> str | None:
    """The week / month slot once its scheduled instant passed, within `catch_up_hours` (default 48:
    a server down on the day still retrains; a first install does not retrain everything at
    once)."""
    midnight, at = local.tz_localize(None).normalize(), pd.Timedelta(f"{job.get('at', '00:00')}:00")
    weekly = job["when"] == "weekly"
    day = (midnight - pd.Timedelta(days=local.dayofweek - int(job["weekday"])) if weekly
           else midnight.replace(day=int(job["day"])))
    # not yet this week / month: the previous one may still catch up
    if (day + at).tz_localize(IST) > local:
        day = day - pd.Timedelta(days=7) if weekly else day - pd.DateOffset(months=1)
    scheduled = (day + at).tz_localize(IST)
    window = pd.Timedelta(hours=float(job.get("catch_up_hours", 48)))
    slot = day.strftime("%G-W%V") if weekly else day.strftime("%Y-%m")
    return slot if scheduled <= local < scheduled + window else None


def due_jobs(jobs: dict[str, dict], state: SessionState, done: dict[str, dict]) -> list[DueJob]:
    """Enabled jobs whose current slot they have not completed, in the configured order."""
    out = []
    for name, job in jobs.items():
        if not job.get("enabled", True):
            continue
        slot = job_slot({**job, "name": name}, state)
        if slot is not None and (done.get(name) or {}).get("slot") != slot:
            out.append(DueJob(name, slot, tuple(str(a) for a in job.get("args") or ()),
                              job["when"]))
    return out


def read_state(path: Path) -> dict:
    """The state file ({} when absent; a corrupt file is refused, never silently reset)."""
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}); fix or remove it") from exc


def write_state(path: Path, state: dict) -> None:
    """Write the state atomically (releases.manifest.write_text_atomic:
    temp file, fsync, replace)."""
    write_text_atomic(path, json.dumps(state, indent=1, sort_keys=True, default=str))
