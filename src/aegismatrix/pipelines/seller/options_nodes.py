"""Seller nodes in the trader's units: option-chain analytics and the weekly strategy backtest (maths in
options/)."""

from __future__ import annotations

import logging

import pandas as pd

from aegismatrix.options.backtest import run_backtest, summarise_backtest, worst_weeks
from aegismatrix.options.chain import chain_history, latest_chain_block
from aegismatrix.options.pricing import PREMIUM_MODEL

logger = logging.getLogger(__name__)

NO_CHAIN_REASON = ("no option-chain snapshot supplied "
                   "(catalog entry option_chain_snapshots: data/01_raw/option_chain/*.csv)")


def option_chain_analytics(chain_snapshots: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, dict]:
    """Chain history (one row per snapshot date and expiry) and the latest snapshot's block;
    nulls with the reason."""
    history = chain_history(chain_snapshots)
    block = latest_chain_block(history, NO_CHAIN_REASON)
    logger.info("option chain: %s",
                block["reason"] or f"{block['snapshots']} snapshot(s), latest {block['snapshot_date']}")
    return history, block


def _records(frame: pd.DataFrame) -> list[dict]:
    """JSON-ready rows: dates as ISO strings, NaN as None."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out.astype(object).where(out.notna(), None).to_dict(orient="records")


def seller_strategy_backtest(expiry_ranges: pd.DataFrame, market_daily: pd.DataFrame, backtest_params: dict,
                             range_params: dict) -> tuple[pd.DataFrame, dict]:
    """Per weekly expiry: strangle and iron condor on calibrated and VIX-implied strikes, held to expiry."""
    params = {**backtest_params, "strike_step": range_params["strike_step"]}  # the ranges' own strike grid
    trades = run_backtest(expiry_ranges, market_daily, params)
    summary = summarise_backtest(trades, params.get("weekly_listed_from")) if len(trades) else pd.DataFrame()
    report = {
        "premium_model": PREMIUM_MODEL,
        "note": ("Premiums are model premiums (Black-Scholes with India VIX as every strike's volatility; "
                 "skew ignored), not traded prices. Settlement at the expiry day's close; costs "
                 f"{params['cost_points_per_leg']} index points per option leg; P&L per lot uses the dated "
                 "lot size."),
        "params": {k: v for k, v in params.items() if k != "lot_sizes"},
        "summary": _records(summary),
        "worst_weeks": (_records(worst_weeks(trades, int(params.get("worst_weeks", 5))))
                        if len(trades) else []),
    }
    logger.info("strategy backtest: %d settled weekly expiries",
                trades["expiry"].nunique() if len(trades) else 0)
    return trades, report
