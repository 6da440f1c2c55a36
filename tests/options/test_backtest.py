"""Strategy backtest on a hand-built two-week market: entries, premiums, settlement, excursion,
equity, summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.options import pricing as P
from aegismatrix.options.backtest import (
    run_backtest,
    select_entries,
    summarise_backtest,
    worst_weeks,
)

PARAMS = {
    "entry_trading_days": 5,
    "rate": 0.06,
    "cost_points_per_leg": 0.5,
    "condor_wing_points": 5.0,
    "strike_step": 5.0,
    "lot_sizes": [{"from": "2020-01-01", "size": 50}],
}
EXPIRIES = [pd.Timestamp("2024-01-04"), pd.Timestamp("2024-01-11"), pd.Timestamp("2024-01-18")]


def _market() -> pd.DataFrame:
    dates = pd.bdate_range("2024-01-01", "2024-01-12")
    close = pd.Series(100.0, index=dates)
    close[pd.Timestamp("2024-01-11")] = 112.0
    high, low = close + 1.0, close - 1.0
    high[pd.Timestamp("2024-01-10")] = 108.0
    return pd.DataFrame(
        {
            "date": dates,
            "close": close.values,
            "high": high.values,
            "low": low.values,
            "vix_close": 20.0,
        }
    )


def _ranges(market: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for date in market["date"]:
        for expiry in (e for e in EXPIRIES if e > date):
            days = (
                len(pd.bdate_range(date, expiry)) - 1
            )  # sessions after the decision up to the expiry
            rows.append(
                {
                    "date": date,
                    "expiry": expiry,
                    "expiry_kind": "weekly",
                    "trading_days": days,
                    "strike_lower": 95.0,
                    "strike_upper": 105.0,
                    "target_breach_probability": 0.10,
                }
            )
    rows.append({**rows[0], "expiry_kind": "monthly"})
    return pd.DataFrame(rows)


def test_entries_are_the_earliest_date_within_the_entry_window():
    entries = select_entries(_ranges(_market()), 5)
    assert list(entries["date"]) == [
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-01-04"),
        pd.Timestamp("2024-01-11"),
    ]
    # 2024-01-03 has 6 sessions to 01-11 but 01-04 is not yet past
    wide = select_entries(_ranges(_market()), 8)
    assert list(wide["date"]) == [
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-01-04"),
        pd.Timestamp("2024-01-11"),
    ]
    with pytest.raises(ValueError, match=r"lacks columns \['strike_lower'\]"):
        select_entries(_ranges(_market()).drop(columns="strike_lower"), 5)


def _strangle_by_hand(spot, put_strike, call_strike, days, rate, sigma) -> float:
    """The put and the call at Black-Scholes, each leg priced on its own."""
    return (P.bs_price("p", spot, put_strike, days, rate, sigma)
            + P.bs_price("c", spot, call_strike, days, rate, sigma))


def test_trades_priced_and_settled_by_hand():
    market = _market()
    trades = run_backtest(_ranges(market), market, PARAMS)
    assert set(trades["expiry"]) == set(
        EXPIRIES[:2]
    )  # 2024-01-18 lies beyond the data: not settled
    cal = trades[trades["range_source"] == "calibrated"].set_index(["expiry", "strategy"])
    week2 = cal.loc[(EXPIRIES[1], "short_strangle")]
    premium = _strangle_by_hand(100.0, 95.0, 105.0, 7, 0.06, 0.20)
    assert week2["premium_points"] == pytest.approx(premium)
    assert week2["payoff_points"] == 7.0 and week2["settlement"] == 112.0
    assert week2["pnl_points"] == pytest.approx(premium - 7.0 - 1.0)
    assert week2["pnl_per_lot"] == pytest.approx(50 * (premium - 8.0)) and not week2["win"]
    assert (
        week2["max_excursion_points"] == 8.0
        and week2["expiry_excursion_points"] == 7.0
        and week2["touched"]
    )
    condor = cal.loc[(EXPIRIES[1], "iron_condor")]
    assert condor["payoff_points"] == 5.0 and condor["cost_points"] == 2.0
    week1 = cal.loc[(EXPIRIES[0], "short_strangle")]
    assert week1["payoff_points"] == 0.0 and not week1["touched"] and week1["calendar_days"] == 3
    assert cal.loc[(EXPIRIES[1], "short_strangle"), "equity_per_lot"] == pytest.approx(
        week1["pnl_per_lot"] + week2["pnl_per_lot"]
    )
    equity = np.cumsum([week1["pnl_per_lot"], week2["pnl_per_lot"]])
    # peak counts the 0 start
    assert week2["drawdown_per_lot"] == pytest.approx(equity[1] - max(0.0, *equity))


def test_vix_implied_strikes_and_no_look_ahead_in_premiums():
    market = _market()
    trades = run_backtest(_ranges(market), market, PARAMS)
    vix_rows = trades[trades["range_source"] == "vix_implied"]
    lower, upper = P.snap_outward(*P.vix_implied_range(100.0, 20.0, 7, 0.10), 5.0)
    week2 = vix_rows[vix_rows["expiry"] == EXPIRIES[1]].iloc[0]
    assert (week2["put_strike"], week2["call_strike"]) == (lower, upper)
    shocked = market.copy()
    shocked.loc[shocked["date"] > pd.Timestamp("2024-01-04"), ["close", "high", "low"]] *= 1.5
    again = run_backtest(_ranges(shocked), shocked, PARAMS)
    np.testing.assert_allclose(again["premium_points"], trades["premium_points"])


def test_summary_and_worst_weeks():
    market = _market()
    # week 1 keeps its premium
    trades = run_backtest(_ranges(market), market, {**PARAMS, "cost_points_per_leg": 0.0})
    summary = summarise_backtest(trades, listed_from="2024-01-05").set_index(
        ["period", "range_source", "strategy"]
    )
    assert (
        summary.loc[("listed", "calibrated", "short_strangle"), "weeks"] == 1
    )  # only the 2024-01-11 expiry
    row = summary.loc[("all", "calibrated", "short_strangle")]
    assert row["weeks"] == 2 and row["win_rate"] == 0.5 and row["touch_rate"] == 0.5
    assert row["worst_week_expiry"] == EXPIRIES[1] and row["excursion_max_points"] == 8.0
    assert row["max_drawdown_per_lot"] == pytest.approx(
        min(
            0.0,
            trades["drawdown_per_lot"][
                (trades["range_source"] == "calibrated") & (trades["strategy"] == "short_strangle")
            ].min(),
        )
    )
    worst = worst_weeks(trades, 1)
    assert len(worst) == 4 and (worst["expiry"] == EXPIRIES[1]).all()


def test_node_report_says_model_premiums_and_is_json_ready():
    import json

    from aegismatrix.pipelines.seller.options_nodes import seller_strategy_backtest

    market = _market()
    params = {k: v for k, v in PARAMS.items() if k != "strike_step"}
    trades, report = seller_strategy_backtest(
        _ranges(market),
        market,
        {**params, "weekly_listed_from": "2024-01-05"},
        {"strike_step": 5.0},
    )
    assert "model premiums" in report["note"].lower() and "skew ignored" in report["note"]
    assert report["premium_sources"] == {"traded": 0, "model": len(trades)}
    assert {row["period"] for row in report["summary"]} == {"all", "listed"}
    json.dumps(report, allow_nan=False)  # dates as strings, no NaN
    empty_trades, empty = seller_strategy_backtest(
        _ranges(market).iloc[:0], market, params, {"strike_step": 5.0}
    )
    assert empty_trades.empty and empty["summary"] == [] and empty["worst_weeks"] == []


def test_weekly_backtest_prices_at_the_chains_settlement_where_it_has_every_leg():
    from pathlib import Path

    from aegismatrix.options.chain_checks import validate_option_rows
    from aegismatrix.options.nse_files import read_options_dir
    from aegismatrix.options.surface import chain_surface
    from aegismatrix.pipelines.seller.options_nodes import seller_strategy_backtest

    day, weekly = pd.Timestamp("2022-12-23"), pd.Timestamp("2022-12-29")
    rows, _ = read_options_dir(Path(__file__).parents[1] / "fixtures" / "option_chain_nse")
    chain, _ = validate_option_rows(rows, pd.Series({day: 17806.8}), {})
    strikes = chain_surface(chain, 0.065, {})[0]
    dates = pd.bdate_range(day, weekly)
    market = pd.DataFrame(
        {"date": dates, "close": 17806.8, "high": 17900.0, "low": 17700.0, "vix_close": 14.0}
    )
    ranges = pd.DataFrame(
        {
            "date": [day],
            "expiry": [weekly],
            "expiry_kind": ["weekly"],
            "trading_days": [4],
            "strike_lower": [17500.0],
            "strike_upper": [18100.0],
            "target_breach_probability": [0.10],
        }
    )
    params = {
        **{k: v for k, v in PARAMS.items() if k != "strike_step"},
        "condor_wing_points": 200.0,
    }
    trades, report = seller_strategy_backtest(
        ranges, market, params, {"strike_step": 50.0}, strikes
    )
    cal = trades[trades["range_source"] == "calibrated"].set_index("strategy")
    strangle = cal.loc["short_strangle"]
    assert strangle["premium_source"] == "traded" and strangle["premium_points"] == pytest.approx(
        33.3 + 39.6
    )
    model = _strangle_by_hand(17806.8, 17500.0, 18100.0, 6, 0.06, 0.14)
    assert strangle["premium_model_points"] == pytest.approx(model)
    assert strangle["pnl_model_points"] == pytest.approx(model - 0.0 - 1.0)
    assert (
        cal.loc["iron_condor", "premium_source"] == "model"
    )  # the 17,300 wing is not in the fixture
    assert report["premium_sources"]["traded"] >= 1 and "settlement prices" in report["note"]
    without, _ = seller_strategy_backtest(ranges, market, params, {"strike_step": 50.0})
    assert (without["premium_source"] == "model").all()
    np.testing.assert_allclose(without["premium_points"], without["premium_model_points"])
