"""Node: the traded-premium strategy backtest (maths in options/traded_backtest.py)."""

from __future__ import annotations

import logging

import pandas as pd

from aegismatrix.options.measures import forward_error, premiums_side_by_side, range_calibration
from aegismatrix.options.traded_backtest import (
    in_window,
    run_traded_backtest,
    select_entries,
    summarise_traded,
)

logger = logging.getLogger(__name__)

TIMING = (
    "Decided after the close of decision_date (the ranges use that close) and filled at that "
    "day's NSE settlement prices where the chain has every leg (premium_source traded); "
    "Black-Scholes at India VIX otherwise (model: skew ignored). Exit at the expiry close, or "
    "earlier on the first later chain day whose settlement prices reach the stop-loss or the "
    "profit target (days without a chain: held). Costs itemised from backtest.costs (dated), "
    "slippage per leg, margin per lot approximated."
)


def _curves(trades: pd.DataFrame) -> list[dict]:
    """Equity per lot after each expiry, traded and model premiums side by side (per source,
    strategy)."""
    curves = []
    for (source, strategy, kind), g in trades.groupby(
        ["strike_source", "strategy", "expiry_kind"], sort=True
    ):
        curves.append(
            {
                "strike_source": source,
                "strategy": strategy,
                "expiry_kind": kind,
                "expiries": g["expiry"].dt.strftime("%Y-%m-%d").tolist(),
                "premium_source": g["premium_source"].tolist(),
                "equity_rupees": g["pnl_rupees"].cumsum().round(0).tolist(),
                "equity_model_rupees": g["pnl_model_rupees"].cumsum().round(0).tolist(),
            }
        )
    return curves


def traded_premium_backtest(
    ranges_market: pd.DataFrame,
    chain_strikes: pd.DataFrame,
    chain_expiries: pd.DataFrame,
    market_daily: pd.DataFrame,
    params: dict,
    strategy_params: dict,
    strike_step: float,
) -> tuple[pd.DataFrame, dict]:
    """Trades and a summary (per strike source, strategy and expiry kind) with equity curves for
    traded and model premiums, and the measures (options/measures.py): the traded trades at traded
    and model premiums side by side, model and market calibration at the range strikes, the parity
    forward's error."""
    merged = {
        **params,
        "rate": strategy_params["rate"],
        "lot_sizes": strategy_params["lot_sizes"],
        "condor_wing_points": strategy_params["condor_wing_points"],
        "strike_step": strike_step,
    }
    trades = run_traded_backtest(ranges_market, chain_strikes, market_daily, merged)
    traded = int((trades["premium_source"] == "traded").sum()) if len(trades) else 0
    logger.info("traded-premium backtest: %d trades, %d at traded premiums", len(trades), traded)
    summary = {
        "timing": TIMING,
        "window": {"start": params.get("start"), "end": params.get("end")},
        "params": {k: v for k, v in merged.items() if k != "lot_sizes"},
        "reason": None if len(trades) else "no settled expiry with ranges in the window",
        "summary": summarise_traded(trades) if len(trades) else [],
        "equity_curves": _curves(trades) if len(trades) else [],
        "measures": _measures(trades, ranges_market, chain_expiries, market_daily, merged),
    }
    return trades, summary


def _measures(trades, ranges, chain_expiries, market_daily, params: dict) -> dict:
    """The window's measures; calibration on the ranges of the window (the backtest's entries
    marked)."""
    ranges = ranges.assign(
        date=pd.to_datetime(ranges["date"]), expiry=pd.to_datetime(ranges["expiry"])
    )
    window, expiries = in_window(ranges, params), in_window(chain_expiries, params)
    entries = pd.concat(
        [
            select_entries(window, kind, int(days))
            for kind, days in params["entry_trading_days"].items()
        ],
        ignore_index=True,
    )
    return {
        "premiums_side_by_side": premiums_side_by_side(trades) if len(trades) else [],
        "range_calibration": range_calibration(window, market_daily, entries)
        if len(window)
        else [],
        "parity_forward_error": forward_error(expiries, float(params["rate"]))
        if len(expiries)
        else [],
    }
