"""Running the day: what `run-due` runs at each instant from the NSE session clock, its lock, retries, and
notifications through apprise's json:// plugin to a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import fcntl
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
import yaml

from aegismatrix.live.__main__ import main
from aegismatrix.live.notify import EVENTS, Notifier
from aegismatrix.live.run_due import DEFAULT_CONFIG, LOCKED, load_config, run_due

ROOT = Path(__file__).resolve().parents[2]


def ist(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="Asia/Kolkata")


class FakeKedro:
    """Records each job and publishes the payload a run would: ranges at the close, the day's range live."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail = fail or set()
        self.live_high = 22000.0
        self.lagging = False  # Yahoo has not published the session's bar: the payload is a session behind

    def __call__(self, job, root: Path) -> int:
        self.calls.append((job.name, job.slot))
        if job.name in self.fail:
            return 2
        as_of = "2024-01-30" if self.lagging else job.slot[:10]
        payload = {"data_as_of": as_of, "data": {"stale": self.lagging}, "market": {"spot": 21800.0},
                   "seller": {"safe_ranges": [{"tenor_days": 5, "lower": 21000.0, "upper": 22500.0}]}}
        if job.kind == "intraday":
            payload["data"]["live"] = {"date": job.slot[:10], "price": 21900.0, "high": self.live_high,
                                       "low": 21700.0, "time": "2024-01-31T05:30:00Z"}
            payload["data"]["stale"] = self.live_high > 22550  # the 13:00 outage below
            payload["data"]["stale_reasons"] = ["nifty50: ^NSEI's live price is 120 minutes old (limit 15)"]
        path = root / "data" / "07_model_output" / "aegismatrix.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload))
        return 0


@pytest.fixture
def config() -> dict:
    config = load_config(ROOT / DEFAULT_CONFIG)
    config["jobs"]["preopen"]["enabled"] = True
    return config


DAY = [  # instant (IST) -> jobs run
    ("2024-01-31 08:55", [("close", "2024-01-30")]),  # first call: yesterday's close catches up
    ("2024-01-31 09:00", [("preopen", "2024-01-31")]),
    ("2024-01-31 09:05", []),
    ("2024-01-31 09:45", [("intraday", "2024-01-31#1")]),
    ("2024-01-31 10:00", []),
    ("2024-01-31 11:00", [("intraday", "2024-01-31#3")]),
    ("2024-01-31 13:00", [("intraday", "2024-01-31#7")]),
    ("2024-01-31 15:35", [("intraday", "2024-01-31#12")]),  # the close is not out yet
    ("2024-01-31 15:45", [("close", "2024-01-31")]),
    ("2024-01-31 16:30", []),
    ("2024-02-01 09:00", [("preopen", "2024-02-01")]),
    # Saturday: Friday's close (no call since Thursday morning), then the scheduled retraining
    ("2024-02-03 19:05", [("close", "2024-02-02"), ("retrain_buyer", "2024-W05"),
                          ("retrain_direction", "2024-02"), ("retrain_seller", "2024-02")]),
]


def test_a_day_of_run_due_calls(tmp_path, config):
    kedro = FakeKedro()
    for when, expected in DAY:
        before = len(kedro.calls)
        assert run_due(tmp_path, config, runner=kedro, instant=ist(when)) == 0
        assert kedro.calls[before:] == expected, when
    state = json.loads((tmp_path / config["state_file"]).read_text())
    assert state["jobs"]["close"]["slot"] == "2024-02-02"


def test_holidays_and_special_sessions(tmp_path, config):
    kedro = FakeKedro()
    run_due(tmp_path, config, runner=kedro, instant=ist("2024-01-26 11:00"))  # Republic Day
    run_due(tmp_path, config, runner=kedro, instant=ist("2024-01-20 11:00"))  # Saturday special session
    assert kedro.calls == [("close", "2024-01-25"), ("close", "2024-01-19"), ("intraday", "2024-01-20#3")]


def test_a_failed_job_is_retried_and_told_once(tmp_path, config):
    kedro = FakeKedro(fail={"close"})
    notifier = _Recorder()
    assert run_due(tmp_path, config, runner=kedro, notifier=notifier, instant=ist("2024-01-31 15:45")) == 1
    assert run_due(tmp_path, config, runner=kedro, notifier=notifier, instant=ist("2024-01-31 15:50")) == 1
    assert kedro.calls == [("close", "2024-01-31")] * 2 and [e for e, *_ in notifier.sent] == ["failed_run"]
    kedro.fail.clear()
    assert run_due(tmp_path, config, runner=kedro, notifier=notifier, instant=ist("2024-01-31 16:00")) == 0
    assert run_due(tmp_path, config, runner=kedro, notifier=notifier, instant=ist("2024-01-31 16:05")) == 0
    assert kedro.calls[-1] == ("close", "2024-01-31") and len(kedro.calls) == 3


def test_a_close_published_before_yahoo_has_the_bar_stays_due(tmp_path, config):
    kedro = FakeKedro()
    kedro.lagging = True
    assert run_due(tmp_path, config, runner=kedro, instant=ist("2024-01-31 15:45")) == 0
    kedro.lagging = False
    run_due(tmp_path, config, runner=kedro, instant=ist("2024-01-31 15:50"))
    run_due(tmp_path, config, runner=kedro, instant=ist("2024-01-31 15:55"))
    assert kedro.calls == [("close", "2024-01-31")] * 2  # retried once, then done


def test_a_second_run_due_waits_for_the_lock(tmp_path, config):
    lock = tmp_path / config["lock_file"]
    lock.parent.mkdir(parents=True)
    with open(lock, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert run_due(tmp_path, config, runner=FakeKedro(), instant=ist("2024-01-31 15:45")) == LOCKED


class _Recorder(Notifier):
    def __init__(self) -> None:
        super().__init__({"enabled": False})
        self.sent = []

    def send(self, event, title, body):
        self.sent.append((event, title, body))
        return True


@pytest.fixture
def http_sink():
    """A local HTTP server on 127.0.0.1 that keeps every JSON body posted to it."""
    bodies: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_address[1]}/notify", bodies
    server.shutdown()
    server.server_close()


def test_notifications_through_apprise(tmp_path, config, http_sink):
    url, bodies = http_sink
    config["notifications"] = {"enabled": True, "urls": [url], "events": list(EVENTS)}
    kedro = FakeKedro()
    run_due(tmp_path, config, runner=kedro, instant=ist("2024-01-31 08:55"))  # close of the 30th
    kedro.live_high = 22510.0  # above the 5d range's upper bound 22500
    run_due(tmp_path, config, runner=kedro, instant=ist("2024-01-31 11:00"))
    kedro.live_high = 22600.0  # touched again (told once) and stale
    run_due(tmp_path, config, runner=kedro, instant=ist("2024-01-31 13:00"))
    titles = [b["title"] for b in bodies]
    assert titles == ["AegisMatrix close signal 2024-01-30", "AegisMatrix: 5d safe range upper bound touched",
                      "AegisMatrix: stale data (2024-01-31)"]
    assert "21000 - 22500" in bodies[0]["message"] and "120 minutes old" in bodies[2]["message"]


def test_off_by_default_and_the_command_line(tmp_path, capsys, monkeypatch):
    shipped = yaml.safe_load((ROOT / DEFAULT_CONFIG).read_text())
    assert shipped["notifications"]["enabled"] is False
    assert Notifier(shipped["notifications"]).enabled is False
    monkeypatch.setenv("AEGISMATRIX_NOW", "2024-01-31T11:00+05:30")
    assert main(["status", "--project", str(tmp_path), "--config", str(ROOT / DEFAULT_CONFIG)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["session"]["state"] == "open" and out["due"] == ["close", "intraday"]
    assert main(["run-due", "--dry-run", "--project", str(tmp_path),
                 "--config", str(ROOT / DEFAULT_CONFIG)]) == 0
    assert not (tmp_path / shipped["state_file"]).exists()  # a dry run runs and records nothing
