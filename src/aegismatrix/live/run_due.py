"""`run-due`: run every job due now (schedule.py) one after another under a lock, record each
completed slot, and notify (notify.py).

Exit status: 0 when every due job succeeded (or none was due), 1 when one failed (the others still
ran; a failed job stays due and is retried by the next call), 75 when another run-due holds the
lock. A close job whose payload is not of its session yet (Yahoo lags) also stays due."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from aegismatrix.live.notify import Notifier, payload_events
from aegismatrix.live.schedule import DueJob, due_jobs, read_state, write_state
from aegismatrix.market.session import session_state

log = logging.getLogger(__name__)
DEFAULT_CONFIG = Path("conf/base/live/schedule.yml")
LOCKED = 75  # EX_TEMPFAIL: try again later
Runner = Callable[[DueJob, Path], int]


def kedro_runner(job: DueJob, root: Path) -> int:
    """Run `python -m kedro <args>` in the project root; its exit status."""
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    log.info("run-due: %s (%s): kedro %s", job.name, job.slot, " ".join(job.args))
    return subprocess.run([sys.executable, "-m", "kedro", *job.args], cwd=root, env=env).returncode


def load_config(path: Path) -> dict:
    """The schedule (conf/base/live/schedule.yml)."""
    config = yaml.safe_load(Path(path).read_text())
    if not isinstance(config.get("jobs"), dict) or not config["jobs"]:
        raise ValueError(f"{path}: needs a `jobs` mapping")
    return config


def run_due(root: Path, config: dict, runner: Runner = kedro_runner,
            notifier: Notifier | None = None, instant=None, dry_run: bool = False) -> int:
    """Run what is due at `instant` (default: the session clock's now); see the module docstring."""
    root = Path(root)
    lock_path = root / config.get("lock_file", "data/08_reporting/live/run-due.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("run-due: another run-due holds %s; nothing done", lock_path)
            return LOCKED
        return _run_locked(root, config, runner, notifier or Notifier(config.get("notifications")),
                           instant, dry_run)


def _run_locked(root: Path, config: dict, runner: Runner, notifier: Notifier, instant, dry_run: bool) -> int:
    state_path = root / config.get("state_file", "data/08_reporting/live/run-due-state.json")
    state, clock = read_state(state_path), session_state(instant)
    due = due_jobs(config["jobs"], clock, state.get("jobs", {}))
    log.info("run-due at %s IST: NSE %s, last completed session %s; due: %s",
             clock.instant.tz_convert("Asia/Kolkata").strftime("%Y-%m-%d %H:%M"), clock.state,
             clock.last_completed.date(), [f"{j.name}({j.slot})" for j in due] or "nothing")
    if dry_run:
        return 0
    failed = False
    for job in due:
        rc = runner(job, root)
        record = state.setdefault("jobs", {}).setdefault(job.name, {})
        payload = _published(root, config, job) if rc == 0 else None
        if rc == 0 and job.kind == "close" and (payload or {}).get("data_as_of") != job.slot:
            # Yahoo has not published the session's bar yet: the close stays due (retried next call)
            log.warning("run-due: close for %s published data_as_of %s; retried by the next call", job.slot,
                        (payload or {}).get("data_as_of"))
            _notify(job, payload, state, notifier)
        elif rc == 0:
            record.update(slot=job.slot, at=clock.instant.isoformat(), rc=0)
            _notify(job, payload, state, notifier)
        else:
            failed = True
            if record.get("failed_slot") != job.slot:
                notifier.send("failed_run", f"AegisMatrix: {job.name} failed (exit {rc})",
                              f"slot {job.slot}: kedro {' '.join(job.args)} exited {rc}; it is "
                              "retried on the next run-due")
            record.update(failed_slot=job.slot, failed_at=clock.instant.isoformat(), failed_rc=rc)
        write_state(state_path, state)  # after each job: a crash later keeps what completed
    return 1 if failed else 0


def _published(root: Path, config: dict, job: DueJob) -> dict | None:
    """The payload an inference job published (None for other jobs, or when it cannot be read)."""
    if job.kind not in ("close", "preopen", "intraday"):
        return None
    path = root / config.get("payload_path", "data/07_model_output/aegismatrix.json")
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        log.warning("run-due: %s ran but its payload %s could not be read (%s)", job.name, path,
                    exc)
        return None


def _notify(job: DueJob, payload: dict | None, state: dict, notifier: Notifier) -> None:
    """Notifications from a published payload (what was told is kept in the state)."""
    if payload is None:
        return
    for event, title, body in payload_events(job.kind, job.slot, payload,
                                             state.setdefault("notified", {})):
        notifier.send(event, title, body)
