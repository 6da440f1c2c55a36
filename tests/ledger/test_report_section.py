"""The HTML report's track-record section from a scorecard (and its note before the first one)."""

from __future__ import annotations

from aegismatrix.ledger.rows import ledger_rows
from aegismatrix.ledger.scorecard import build_scorecard
from aegismatrix.market.synthetic import synthetic_market_daily
from aegismatrix.pipelines.reporting.nodes import render_report, track_record_report

from .test_scorecard import PARAMS, SPECS, _seller_frame


def test_section_shows_rates_intervals_scores_and_drift():
    market = synthetic_market_daily(years=2, seed=5)
    card = build_scorecard(
        ledger_rows({"seller_signals": _seller_frame(market, 0.001)}, SPECS, market["date"], "close"),
        market,
        PARAMS,
        range_target=0.1,
    )
    section = track_record_report({"figure_dpi": 40}, card)
    html = section["html"]
    assert section["anchor"] == "track-record" and "seller.safe_range/21d" in html and "DRIFT" in html
    assert "RMSE ratio" in html and "trailing vol RMSE" in html and "data:image/png;base64," in html
    assert "Model beside market" not in html  # no market numbers in this ledger
    event = {"n": 643, "n_expiries": 48, "event_rate": 0.101, "base_rate_brier": 0.0909,
             "model": {"mean_probability": 0.083, "brier": 0.0898, "calibration": []},
             "market": {"mean_probability": 0.114, "brier": 0.0978, "calibration": []}}
    market_card = {**card, "market_vs_model": {"seller.expiry_range": {"events": {"touch": event}}}}
    priced = track_record_report({"figure_dpi": 40}, market_card)["html"]
    assert "Model beside market" in priced and "643 (48)" in priced and "11.4%, 0.0978" in priced
    empty = track_record_report({"figure_dpi": 40}, None)
    assert "No scorecard yet" in empty["html"]
    blank = {"anchor": "a", "heading": "A", "html": ""}
    page = render_report({}, blank, blank, blank, blank, blank, track_record_section=section)
    assert "Track record (served signals vs what happened)" in page
