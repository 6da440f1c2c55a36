"""The traded-premium backtest: legs at the chain's settlement prices where every leg has one,
Black-Scholes at VIX otherwise, NSE costs by hand, stop-loss exits on a later chain day, the
backtest pipeline's node."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from aegismatrix.options.chain_checks import validate_option_rows
from aegismatrix.options.nse_files import read_options_dir
from aegismatrix.options.surface import chain_surface
from aegismatrix.pipelines.backtest.nodes import traded_premium_backtest

ROOT = Path(__file__).parents[2]
DAY, WEEKLY = pd.Timestamp("2022-12-23"), pd.Timestamp("2022-12-29")
BACKTEST = yaml.safe_load((ROOT / "conf" / "base" / "parameters_backtest.yml").read_text())[
    "backtest"
]
STRATEGY = {
    "rate": 0.065,
    "lot_sizes": [{"from": "2000-01-01", "size": 50}],
    "condor_wing_points": 200,
}


def _surface() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, _ = read_options_dir(ROOT / "tests" / "fixtures" / "option_chain_nse")
    chain, _ = validate_option_rows(rows, pd.Series({DAY: 17806.8}), {})
    return chain_surface(chain, 0.065, {})


def _strikes() -> pd.DataFrame:
    return _surface()[0]


def _market(expiry_close: float) -> pd.DataFrame:
    dates = pd.bdate_range("2022-12-19", WEEKLY)
    close = [17900.0] * (len(dates) - 1) + [expiry_close]
    frame = pd.DataFrame({"date": dates, "close": close, "vix_close": 14.0})
    frame.loc[frame["date"] == DAY, "close"] = 17806.8
    return frame


RANGES = pd.DataFrame(
    {
        "date": [DAY],
        "expiry": [WEEKLY],
        "expiry_kind": ["weekly"],
        "expiry_rank": [1],
        "trading_days": [4],
        "strike_lower": [17500.0],
        "strike_upper": [18100.0],
        "p_expire_beyond": [0.10],
        "p_expire_beyond_market": [0.25],
    }
)


def _run(
    strikes: pd.DataFrame, expiry_close: float = 17900.0, expiries: pd.DataFrame | None = None
):
    expiries = _surface()[1] if expiries is None else expiries
    return traded_premium_backtest(
        RANGES, strikes, expiries, _market(expiry_close), BACKTEST, STRATEGY, 50.0
    )


def test_traded_legs_costs_and_model_fallback():
    trades, summary = _run(_strikes())
    strangle = trades[
        (trades["strike_source"] == "range") & (trades["strategy"] == "short_strangle")
    ].iloc[0]
    assert strangle["premium_source"] == "traded" and strangle["premium_points"] == pytest.approx(
        33.3 + 39.6
    )
    assert (
        strangle["premium_model_points"] != strangle["premium_points"]
        and strangle["exit"] == "expiry"
    )
    sold = (
        72.9 * 50
    )  # 2022: STT 0.05% of sold premium, exchange 0.053%, SEBI 10/crore, Rs 20 x 2 orders, GST
    exchange, sebi = sold * 0.00053, sold * 10 / 1e7
    expected = sold * 0.0005 + exchange + sebi + 40 + 0.18 * (40 + exchange + sebi)
    assert strangle["costs_rupees"] == pytest.approx(expected)
    assert strangle["pnl_rupees"] == pytest.approx((72.9 - 0.0 - 2 * 0.5) * 50 - expected)
    assert strangle["pnl_hold_rupees"] == pytest.approx(
        strangle["pnl_rupees"]
    )  # held to expiry anyway
    condor = trades[
        (trades["strike_source"] == "range") & (trades["strategy"] == "iron_condor")
    ].iloc[0]
    assert condor["premium_source"] == "model"  # the 17,300 wing is not in the fixture's chain
    reference = trades[trades["strike_source"] == "fixed_delta"].iloc[0]
    assert reference["put_strike"] < 17806.8 < reference["call_strike"]
    assert {c["strike_source"] for c in summary["equity_curves"]} == {"range", "fixed_delta"}
    assert "settlement prices" in summary["timing"]


def test_stop_loss_on_a_later_chain_day():
    strikes = _strikes()
    later = strikes[strikes["expiry"] == WEEKLY].assign(date=pd.Timestamp("2022-12-26"))
    later[["put_settle", "call_settle"]] *= (
        3.0  # buying the strangle back costs 3x what it was sold for
    )
    trades, _ = _run(pd.concat([strikes, later], ignore_index=True), expiry_close=17000.0)
    strangle = trades[
        (trades["strike_source"] == "range") & (trades["strategy"] == "short_strangle")
    ].iloc[0]
    assert strangle["exit"] == "stop_loss" and strangle["exit_date"] == pd.Timestamp("2022-12-26")
    assert strangle["exit_cost_points"] == pytest.approx(3 * 72.9)
    assert strangle["pnl_rupees"] < 0 and strangle["pnl_hold_rupees"] != strangle["pnl_rupees"]


def test_measures_side_by_side_calibration_and_forward():
    strikes, expiries = _surface()
    trades, summary = _run(
        strikes, expiry_close=18200.0, expiries=expiries
    )  # above the 18,100 call
    measures = summary["measures"]
    side = {(r["strike_source"], r["strategy"]): r for r in measures["premiums_side_by_side"]}
    strangle = side[("range", "short_strangle")]
    row = trades[
        (trades["strike_source"] == "range") & (trades["strategy"] == "short_strangle")
    ].iloc[0]
    assert (
        strangle["trades"] == 1 and ("range", "iron_condor") not in side
    )  # the condor was model-priced
    assert strangle["traded_held"]["mean_premium_points"] == pytest.approx(72.9)
    assert strangle["model_held"]["mean_premium_points"] == pytest.approx(
        row["premium_model_points"]
    )
    assert strangle["traded_held"]["mean_pnl_rupees"] == pytest.approx(row["pnl_hold_rupees"])
    assert strangle["traded_held"]["max_drawdown_rupees"] == pytest.approx(
        min(0.0, row["pnl_hold_rupees"])
    )
    calibration = measures["range_calibration"][0]
    assert calibration["expiry_kind"] == "weekly"
    for block in (calibration["all_rows"], calibration["entry_rows"]):
        assert block["n"] == 1 and block["realised_rate"] == 1.0  # 18,200 > 18,100: expired beyond
        assert block["brier_model"] == pytest.approx(0.9**2)
        assert block["brier_market"] == pytest.approx(0.75**2)
    weekly = [b for b in measures["parity_forward_error"] if b["calendar_days"] == "0-8"][0]
    assert weekly["n"] >= 1 and weekly["median_abs_pct_after_carry"] < 0.3


def test_calibration_entry_rows_keep_their_kind():
    from aegismatrix.options.measures import range_calibration

    early, late = pd.Timestamp("2022-12-20"), DAY
    rows = pd.concat(
        [RANGES.assign(date=d, expiry_kind=k) for d in (early, late) for k in ("weekly", "monthly")]
    )
    entries = pd.DataFrame(
        {"date": [late, early], "expiry": [WEEKLY, WEEKLY], "expiry_kind": ["weekly", "monthly"]}
    )
    blocks = {b["expiry_kind"]: b for b in range_calibration(rows, _market(18200.0), entries)}
    assert blocks["monthly"]["all_rows"]["n"] == 2 and blocks["monthly"]["entry_rows"]["n"] == 1
    assert blocks["weekly"]["entry_rows"]["n"] == 1
