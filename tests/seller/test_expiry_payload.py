"""Payload blocks of issue 13: seller.expiries from the dataset rows, market.iv_context from the window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.market.synthetic import synthetic_market_daily
from aegismatrix.options.market_view import NO_CHAINS
from aegismatrix.payload.expiries import INTRADAY_NO_MARKET, expiries_section, iv_context
from aegismatrix.payload.publish import validate_payload
from aegismatrix.pipelines.seller.expiry_ranges import build_expiry_ranges
from aegismatrix.pipelines.seller.options_nodes import market_beside_model
from tests.payload.example import example_payload

PARAMS = {
    "safe_range": {"target_breach_probability": 0.10},
    "expiry_ranges": {"underlying": "NIFTY", "n_weekly": 2, "include_monthly": True, "strike_step": 50,
                      "dte_buckets": [1, 2, 3, 4, 5, 6, 8, 11, 16, 21], "min_history": 60,
                      "prior_multiplier": 1.5, "ladder_strikes": 4},
}


@pytest.fixture(scope="module")
def built():
    market = synthetic_market_daily(years=3, seed=9)
    ranges, ladder = build_expiry_ranges(market, PARAMS)
    return market, ranges, ladder


def test_expiries_section_lists_latest_rows_with_ladder_and_events(built):
    market, ranges, ladder = built
    as_of = pd.Timestamp(market["date"].iloc[-1])
    section = expiries_section(ranges, ladder, as_of)
    assert section["expiries_reason"] is None and len(section["expiries"]) == 3
    first = section["expiries"][0]
    assert first["expiry_kind"] == "weekly" and first["expiry_rank"] == 1 and first["trading_days"] >= 1
    assert len(first["strike_ladder"]) == 9 and {r["side"] for r in first["strike_ladder"]} == {"call", "put"}
    payload = example_payload()
    payload["seller"].update(section)
    validate_payload(payload)


def _chain_of_first_expiry(ranges: pd.DataFrame, ladder: pd.DataFrame) -> pd.DataFrame:
    """option_chain_strikes-like rows for the latest date's first weekly expiry (range and ladder strikes)."""
    first = ranges[ranges["date"] == ranges["date"].max()].iloc[0]
    strikes = sorted({first["strike_lower"], first["strike_upper"],
                      *ladder.loc[ladder["expiry"] == first["expiry"], "strike"]})
    below = np.linspace(0.01, 0.99, len(strikes))
    return pd.DataFrame({"date": first["date"], "expiry": first["expiry"], "strike": strikes,
                         "put_settle": 10.0, "call_settle": 12.0, "put_traded": True, "call_traded": False,
                         "p_below": below, "p_above": 1 - below,
                         "p_touch_market": np.minimum(1, 2 * np.minimum(below, 1 - below)), "iv": 0.18})


def test_expiries_carry_the_market_columns_beside_the_model(built):
    market, model_ranges, model_ladder = built
    as_of = pd.Timestamp(market["date"].iloc[-1])
    chain = _chain_of_first_expiry(model_ranges, model_ladder)
    ranges, ladder = market_beside_model(model_ranges, model_ladder, chain)
    section = expiries_section(ranges, ladder, as_of)
    priced, other = section["expiries"][0], section["expiries"][1]
    assert priced["market_reason"] is None and priced["premium_lower"] == 10.0 and priced["iv_upper"] == 0.18
    assert 0 < priced["p_expire_beyond_market"] <= 1 and priced["p_touch"] == ranges["p_touch"].iloc[-3]
    rung = priced["strike_ladder"][0]
    assert rung["market_reason"] is None and rung["premium"] == 10.0 and rung["traded"] == 1.0
    assert rung["richness"] == pytest.approx(rung["p_expire_beyond_market"] / rung["p_expire_beyond"])
    assert other["p_touch_market"] is None and "expiry is not priced" in other["market_reason"]
    payload = example_payload()
    payload["seller"].update(section)
    validate_payload(payload)
    empty, _ = market_beside_model(model_ranges, model_ladder, chain.iloc[0:0])
    assert (empty["market_reason"] == NO_CHAINS).all()
    pd.testing.assert_frame_equal(empty[model_ranges.columns], model_ranges)  # the model's columns untouched
    intraday = expiries_section(model_ranges, model_ladder, as_of, market_absent=INTRADAY_NO_MARKET)
    assert {e["market_reason"] for e in intraday["expiries"]} == {INTRADAY_NO_MARKET}
    assert intraday["expiries"][0]["strike_ladder"][0]["p_touch_market"] is None


def test_expiries_section_gives_a_reason_when_absent_or_stale(built):
    _, ranges, ladder = built
    assert expiries_section(None, None, pd.Timestamp("2025-01-02"))["expiries_reason"].startswith(
        "no seller_expiry_ranges")
    later = pd.Timestamp(ranges["date"].max()) + pd.Timedelta(days=3)
    stale = expiries_section(ranges, ladder, later)
    assert stale["expiries"] == [] and "before the data date" in stale["expiries_reason"]


def test_iv_context_rank_percentile_and_spread():
    dates = pd.bdate_range("2024-01-01", periods=300)
    vix = np.r_[np.linspace(10, 20, 299), 12.5]
    close = 100 * np.exp(np.cumsum(np.r_[0.0, np.tile([0.01, -0.01], 150)[:299]]))
    context = iv_context(pd.DataFrame({"date": dates, "close": close, "vix_close": vix}))
    window = vix[-252:]
    assert context["sessions"] == 252
    assert context["vix_rank"] == pytest.approx((12.5 - window.min()) / (window.max() - window.min()))
    assert context["vix_percentile"] == pytest.approx((window <= 12.5).mean())
    assert context["realised_vol_21d"] == pytest.approx(0.01 * np.sqrt(252), rel=1e-3)
    assert context["implied_minus_realised"] == pytest.approx(0.125 - context["realised_vol_21d"])
    short = iv_context(pd.DataFrame({"date": dates[:30], "close": close[:30], "vix_close": vix[:30]}))
    assert "only 30 of 252" in short["reason"]


def test_a_monthly_expiry_on_a_listed_weekly_day_is_marked_once(built):
    """Issue 26 (9): the next monthly expiry repeated the second weekly one when they fell on one day."""
    _, ranges, ladder = built
    schedule = ranges[["date", "expiry", "expiry_kind", "expiry_rank"]]
    monthly = schedule[schedule["expiry_kind"] == "monthly"].merge(
        schedule[schedule["expiry_kind"] == "weekly"], on=["date", "expiry"], suffixes=("", "_weekly"))
    day = monthly.iloc[-1]
    entries = expiries_section(ranges, ladder, pd.Timestamp(day["date"]))["expiries"]
    month = next(e for e in entries if e["expiry_kind"] == "monthly")
    assert month["same_expiry_as"] == f"weekly #{int(day['expiry_rank_weekly'])}"
    assert [e["same_expiry_as"] for e in entries if e["expiry_kind"] == "weekly"] == [None, None]
    apart = schedule[schedule["expiry_kind"] == "monthly"].merge(
        schedule[schedule["expiry_kind"] == "weekly"], on=["date", "expiry"], how="left", indicator=True)
    other = pd.Timestamp(apart.loc[apart["_merge"] == "left_only", "date"].iloc[-1])
    assert [e["same_expiry_as"] for e in expiries_section(ranges, ladder, other)["expiries"]] == [None] * 3
