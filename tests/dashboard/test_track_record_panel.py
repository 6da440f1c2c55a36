"""The dashboard's track-record panel in headless Chromium: rates, target, counts, charts and drift next to
the value."""

from __future__ import annotations

from test_dashboard_browser import _row, _site, needs_browser, render, serve  # noqa: F401 (serve: a fixture)

from aegismatrix.payload.track_record import track_record_block
from tests.payload.example import example_payload

ROLLING = [{"date": f"2022-{m:02d}-15", "value": 0.08 + 0.01 * m} for m in range(1, 13)]
SCORECARD = {
    "generated_at": "2023-01-02T10:00:00+00:00",
    "market_last_date": "2022-12-30",
    "ledger_rows": 3968,
    "breach_rate_5d": 0.108,
    "breach_rate_21d": 0.091,
    "n_matured_5d": 491,
    "n_matured_21d": 475,
    "vol_rmse_ratio_to_naive": 0.864,
    "ranges": {
        f"seller.safe_range/{h}d": {
            "breach_rate": r,
            "breach_rate_ci95": [r - 0.03, r + 0.03],
            "n_matured": n,
            "n_pending": h,
            "target": 0.1,
            "rolling": {"63": ROLLING},
        }
        for h, r, n in ((5, 0.108, 491), (21, 0.091, 475))
    },
    "volatility": {
        "n_matured": 475,
        "rmse": 0.05,
        "naive_rmse": 0.058,
        "series": [{"date": p["date"], "forecast": 0.15, "realised": 0.13} for p in ROLLING],
    },
    "drift_flags": [
        {
            "signal": "seller.safe_range/21d",
            "observed": 0.0,
            "expected": 0.1,
            "band": [0.033, 0.183],
            "n": 60,
            "drifting": True,
        }
    ],
}


@needs_browser
def test_track_record_panel_and_drift_badge(tmp_path, serve):  # noqa: F811
    payload = example_payload()
    payload["track_record"] = track_record_block(SCORECARD)
    page = render(serve(_site(tmp_path, payload)) + "/index.html", tmp_path / "profile")
    assert "Could not load" not in page.text
    assert _row(page, "5d 10.8%").split()[-5:] == ["10.0%", "491", "5", "in", "band"]
    assert _row(page, "21d 9.1%").split()[-4:] == ["10.0%", "475", "21", "drift"]
    assert "3968 ledger rows scored to 2022-12-30" in page.text and "0.864" in page.text
    assert "63-session rolling breach rate" in page.text and "forecast (blue) vs realised" in page.text
    assert (
        _row(page, "21d drift 23,020") and _row(page, "5d 23,950").split()[-1] == "10.0%"
    )  # drift next to the value


@needs_browser
def test_panel_without_a_scorecard_says_why(tmp_path, serve):  # noqa: F811
    payload = example_payload()
    payload["track_record"] = track_record_block(None)
    page = render(serve(_site(tmp_path, payload)) + "/index.html", tmp_path / "profile")
    assert "No track record yet: no scorecard yet" in page.text and "Could not load" not in page.text
