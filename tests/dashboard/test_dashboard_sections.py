"""Above the signals the dashboard shows only warnings that affect a served signal; history findings sit in
the data-quality section; a monthly expiry on a listed weekly day is one row (issue 26, item 9). Rendered by
the page's own app.js under node on a minimal DOM (tests/dashboard/render_with_node.js), no browser needed."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.payload.example import example_payload

NODE = shutil.which("node") or shutil.which("nodejs")
DASHBOARD = Path(__file__).resolve().parents[2] / "src" / "aegismatrix" / "dashboard"
pytestmark = pytest.mark.skipif(NODE is None, reason="no node binary on PATH (apt-get install nodejs)")

STALE_OPEN = ("indiavix stale_open (warn, 1304 rows, e.g. 2021-12-08, 2021-12-09): open equals the previous "
              "close on 100% of days; the VIX open is never used")
WEEKEND = ("nifty50 weekend_sessions (warn, 11 rows, e.g. 1996-11-10): sessions on a Saturday/Sunday "
           "(special sessions)")
SERVED = "models never trained, baselines served: direction.xgb_h1"


def _render(tmp_path: Path, payload: dict) -> dict:
    path = tmp_path / "payload.json"
    path.write_text(json.dumps(payload))
    script = Path(__file__).with_name("render_with_node.js")
    out = subprocess.run([NODE, str(script), str(DASHBOARD), str(path)], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    return json.loads(out)


def test_history_findings_go_below_and_served_warnings_stay_above(tmp_path):
    payload = example_payload()
    provenance = payload["data"]["provenance"]
    first, second = list(provenance)[:2]
    provenance[first]["warnings"] = [WEEKEND]
    provenance[second]["warnings"] = [STALE_OPEN]
    payload["data"]["warnings"] = [STALE_OPEN, WEEKEND, SERVED]
    page = _render(tmp_path, payload)
    assert SERVED in page["badges"] and not any("stale_open" in b or "weekend" in b for b in page["badges"])
    quality = page["sections"]["data-quality"]
    assert "the VIX open is never used" in quality and "special sessions" in quality and SERVED not in quality


def test_a_finding_on_the_served_date_stays_above(tmp_path):
    payload = example_payload()
    on_the_day = f"nifty50 price_jump (drop, 1 rows, e.g. {payload['data_as_of']}): close-to-close move"
    next(iter(payload["data"]["provenance"].values()))["warnings"] = [on_the_day]
    payload["data"]["warnings"] = [on_the_day]
    page = _render(tmp_path, payload)
    assert on_the_day in page["badges"] and "No data-quality notices" in page["sections"]["data-quality"]


def test_a_monthly_expiry_on_the_second_weekly_day_is_one_row(tmp_path):
    payload = example_payload()
    weekly, monthly = payload["seller"]["expiries"][:2]
    second = {**copy.deepcopy(weekly), "expiry": monthly["expiry"], "expiry_rank": 2,
              "trading_days": monthly["trading_days"], "calendar_days": monthly["calendar_days"]}
    monthly["same_expiry_as"] = "weekly #2"
    payload["seller"]["expiries"] = [weekly, second, monthly]
    rows = [r for r in _render(tmp_path, payload)["rows"]["expiries"] if r.startswith("20")]
    assert [r.split(" ")[0] for r in rows] == [weekly["expiry"], monthly["expiry"]]
    assert "weekly #2 · monthly" in rows[1]


def test_the_header_shows_the_session_state_and_the_intraday_decision_instant(tmp_path):
    payload = example_payload()
    payload["data"]["session"] = {"state": "open", "instant": "2024-01-31T05:30:00Z",
                                  "last_completed_session": "2024-01-30"}
    payload["market"].update(decision_time="intraday", decision_at="2024-01-31T11:00:00+05:30")
    page = _render(tmp_path, payload)
    assert "NSE session open" in page["meta"] and "decided at 2024-01-31T11:00:00+05:30" in page["meta"]
    assert "intraday (live spot" in page["sections"]["market"]
    payload["data"]["session"]["state"] = "closed_after"
    assert "NSE closed for the day" in _render(tmp_path, payload)["meta"]
