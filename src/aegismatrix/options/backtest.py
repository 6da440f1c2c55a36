"""Seller strategy backtest: per weekly expiry, sell a strangle and an iron condor at the decision
date, hold to expiry.

Premiums are the option chain's settlement prices of the decision day where option_chain_strikes has
every leg (`premium_source` traded), else model premiums (Black-Scholes, sigma = India VIX, skew
ignored; see options.pricing); every trade also carries its model premium. Settlement is the expiry
day's closing index. The same trades are run on the calibrated strikes and on the plain VIX-implied
range of the same touch target, so the calibrated ranges can be judged against the simple rule.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from aegismatrix.options import pricing as P
from aegismatrix.options import traded_backtest as TB

logger = logging.getLogger(__name__)

RANGE_SOURCES = ("calibrated", "vix_implied")
STRATEGIES = ("short_strangle", "iron_condor")
TRADE_COLUMNS = [
    "expiry",
    "decision_date",
    "range_source",
    "strategy",
    *TB.STRUCTURE_COLUMNS,
    "width_points",
    "premium_points",
    "settlement",
    "payoff_points",
    "cost_points",
    "pnl_points",
    "lot_size",
    "pnl_per_lot",
    "win",
    "touched",
    "max_excursion_points",
    "expiry_excursion_points",
    "equity_per_lot",
    "drawdown_per_lot",
    "target_breach_probability",
    "premium_model",
    "premium_source",
    "premium_model_points",
    "pnl_model_points",
]
REQUIRED_RANGE_COLUMNS = (
    "date",
    "expiry",
    "expiry_kind",
    "trading_days",
    "strike_lower",
    "strike_upper",
    "target_breach_probability",
)


def select_entries(ranges: pd.DataFrame, max_trading_days: int) -> pd.DataFrame:
    """One decision per weekly expiry: the first date on or after the previous weekly expiry (the
    seller rolls at its close) with at most `max_trading_days` sessions left."""
    missing = [c for c in REQUIRED_RANGE_COLUMNS if c not in ranges.columns]
    if missing:
        raise ValueError(
            f"seller_expiry_ranges lacks columns {missing} needed by the strategy backtest"
        )
    weekly = ranges[(ranges["expiry_kind"] == "weekly") & (ranges["trading_days"] >= 1)]
    if weekly.empty:
        return weekly
    expiries = pd.Series(sorted(weekly["expiry"].unique()))
    previous = dict(zip(expiries, expiries.shift(1)))
    rolled = weekly["date"] >= weekly["expiry"].map(previous).fillna(pd.Timestamp.min)
    eligible = weekly[rolled & (weekly["trading_days"] <= max_trading_days)]
    eligible = eligible.dropna(subset=["strike_lower", "strike_upper"])
    entries = eligible.sort_values(["expiry", "date"]).groupby("expiry", as_index=False).head(1)
    return entries.reset_index(drop=True)


def _strikes(entry: dict, source: str, spot: float, vix: float, calendar_days: float, step: float):
    if source == "calibrated":
        return float(entry["strike_lower"]), float(entry["strike_upper"])
    lower, upper = P.vix_implied_range(
        spot, vix, calendar_days, float(entry["target_breach_probability"])
    )
    return P.snap_outward(lower, upper, step)


def _premiums(
    strategy: str,
    strikes: tuple,
    window: dict,
    days: float,
    chain: pd.DataFrame | None,
    params: dict,
) -> tuple[float, float, str]:
    """Net premium of the structure (the chain's settlement prices of the decision day where it has
    every leg, else Black-Scholes at VIX; traded_backtest.leg_prices), its model premium and which
    was used."""
    legs = TB.structure_legs(strategy, *strikes, float(params["condor_wing_points"]))
    spot, sigma, rate = window["spot"], window["vix"] / 100.0, float(params["rate"])
    model = [P.bs_price(flag, spot, k, days, rate, sigma) for flag, k, _ in legs]
    prices, source = (
        TB.leg_prices(chain, window["decision"], window["expiry"], legs, model)
        if chain is not None
        else (model, "model")
    )
    return _net(legs, prices), _net(legs, model), source


def _net(legs: list, prices: list[float]) -> float:
    """Premium received net of premium paid, per unit of the underlying."""
    return float(sum(sign * price for (_, _, sign), price in zip(legs, prices)))


def _trade(
    strategy: str,
    days: float,
    strikes: tuple,
    window: dict,
    params: dict,
    chain: pd.DataFrame | None,
) -> dict:
    """Premium, settlement payoff, excursion beyond the short strikes and net P&L in points of one
    structure."""
    put_k, call_k = strikes
    wing, settle = float(params["condor_wing_points"]), window["settle"]
    premium, premium_model, source = _premiums(strategy, strikes, window, days, chain, params)
    if strategy == "short_strangle":
        payoff, legs = P.short_strangle_payoff(settle, put_k, call_k), 2
    else:
        payoff, legs = P.iron_condor_payoff(settle, put_k, call_k, wing), 4
    cost = legs * float(params["cost_points_per_leg"])
    excursion = max(window["high"] - call_k, put_k - window["low"], 0.0)
    return {
        "strategy": strategy,
        "put_strike": put_k,
        "call_strike": call_k,
        "width_points": call_k - put_k,
        "wing_points": wing if strategy == "iron_condor" else np.nan,
        "premium_points": premium,
        "premium_source": source,
        "premium_model_points": premium_model,
        "settlement": settle,
        "payoff_points": payoff,
        "cost_points": cost,
        "pnl_points": premium - payoff - cost,
        "pnl_model_points": premium_model - payoff - cost,
        "max_excursion_points": excursion,
        "expiry_excursion_points": max(settle - call_k, put_k - settle, 0.0),
    }


def _window(market: dict, decision: pd.Timestamp, expiry: pd.Timestamp) -> dict | None:
    """Decision-day close and VIX, and the sessions after it up to the expiry (None until the expiry
    has traded)."""
    dates = market["date"]
    start, end = (
        np.searchsorted(dates, decision.to_datetime64()),
        np.searchsorted(dates, expiry.to_datetime64()),
    )
    if (
        end >= len(dates)
        or dates[end] != expiry.to_datetime64()
        or dates[start] != decision.to_datetime64()
    ):
        return None
    span = slice(start + 1, end + 1)
    return {
        "decision": decision,
        "expiry": expiry,
        "spot": float(market["close"][start]),
        "vix": float(market["vix_close"][start]),
        "high": float(market["high"][span].max()),
        "low": float(market["low"][span].min()),
        "settle": float(market["close"][end]),
    }


def _week_trades(entry: dict, market: dict, params: dict, chain: pd.DataFrame | None) -> list[dict]:
    """Both structures on both range sources for one weekly expiry (empty while the expiry is not
    settled)."""
    decision, expiry = pd.Timestamp(entry["date"]), pd.Timestamp(entry["expiry"])
    window = _window(market, decision, expiry)
    if window is None:
        return []
    spot, vix, days = window["spot"], window["vix"], float((expiry - decision).days)
    lot = P.lot_size_on(expiry, params["lot_sizes"])
    rows = []
    for source in RANGE_SOURCES:
        strikes = _strikes(entry, source, spot, vix, days, float(params["strike_step"]))
        for strategy in STRATEGIES:
            trade = _trade(strategy, days, strikes, window, params, chain)
            rows.append(
                {
                    "expiry": expiry,
                    "decision_date": decision,
                    "range_source": source,
                    "spot": spot,
                    "vix": vix,
                    "calendar_days": days,
                    "lot_size": lot,
                    "target_breach_probability": float(entry["target_breach_probability"]),
                    **trade,
                }
            )
    return rows


def _with_equity(trades: pd.DataFrame) -> pd.DataFrame:
    trades = trades.sort_values(["range_source", "strategy", "expiry"]).reset_index(drop=True)
    trades["pnl_per_lot"] = trades["pnl_points"] * trades["lot_size"]
    trades["win"] = trades["pnl_points"] > 0
    trades["touched"] = trades["max_excursion_points"] > 0
    trades["equity_per_lot"] = trades.groupby(["range_source", "strategy"])["pnl_per_lot"].cumsum()
    trades["drawdown_per_lot"] = trades.groupby(["range_source", "strategy"])[
        "equity_per_lot"
    ].transform(_drawdown)
    trades["premium_model"] = (
        P.PREMIUM_MODEL
    )  # the model behind premium_model_points (and `model` rows)
    return trades[TRADE_COLUMNS]


def run_backtest(
    ranges: pd.DataFrame,
    market_daily: pd.DataFrame,
    params: dict,
    chain_strikes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every settled weekly expiry: strangle and iron condor on calibrated and VIX-implied strikes
    (TRADE_COLUMNS), at the traded settlement prices of option_chain_strikes where it has every leg.
    """
    chain = (
        TB.settlement_index(chain_strikes)
        if chain_strikes is not None and len(chain_strikes)
        else None
    )
    frame = market_daily.assign(date=pd.to_datetime(market_daily["date"])).sort_values("date")
    market = {c: frame[c].to_numpy() for c in ("date", "close", "high", "low", "vix_close")}
    entries = select_entries(
        ranges.assign(date=pd.to_datetime(ranges["date"]), expiry=pd.to_datetime(ranges["expiry"])),
        int(params["entry_trading_days"]),
    )
    rows = [
        row
        for entry in entries.to_dict(orient="records")
        for row in _week_trades(entry, market, params, chain)
    ]
    skipped = len(entries) - len(rows) // (len(RANGE_SOURCES) * len(STRATEGIES))
    if skipped:
        logger.info(
            "strategy backtest: %d weekly expiries not settled within the data (open or missing)",
            skipped,
        )
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in TRADE_COLUMNS})
    return _with_equity(pd.DataFrame(rows))


def _summary_row(group: pd.DataFrame) -> dict:
    excursion, touched = (
        group["max_excursion_points"],
        group.loc[group["touched"], "max_excursion_points"],
    )
    worst = group.loc[group["pnl_per_lot"].idxmin()]
    return {
        "weeks": int(len(group)),
        "first_expiry": group["expiry"].min(),
        "last_expiry": group["expiry"].max(),
        "win_rate": float(group["win"].mean()),
        "touch_rate": float(group["touched"].mean()),
        "expire_beyond_rate": float((group["expiry_excursion_points"] > 0).mean()),
        "mean_width_points": float(group["width_points"].mean()),
        "traded_weeks": int((group["premium_source"] == "traded").sum()),
        "mean_premium_points": float(group["premium_points"].mean()),
        "mean_premium_model_points": float(group["premium_model_points"].mean()),
        "mean_pnl_points": float(group["pnl_points"].mean()),
        "mean_pnl_model_points": float(group["pnl_model_points"].mean()),
        "mean_pnl_per_lot": float(group["pnl_per_lot"].mean()),
        "total_pnl_per_lot": float(group["pnl_per_lot"].sum()),
        "max_drawdown_per_lot": float(group["drawdown_per_lot"].min()),
        "worst_week_pnl_per_lot": float(worst["pnl_per_lot"]),
        "worst_week_expiry": worst["expiry"],
        "excursion_p50_points": float(excursion.quantile(0.5)),
        "excursion_p90_points": float(excursion.quantile(0.9)),
        "excursion_p99_points": float(excursion.quantile(0.99)),
        "excursion_max_points": float(excursion.max()),
        "excursion_if_touched_median_points": float(touched.median()) if len(touched) else np.nan,
    }


def summarise_backtest(trades: pd.DataFrame, listed_from: str | None = None) -> pd.DataFrame:
    """One row per (period, range source, strategy): win rate, excursion distribution, P&L per lot,
    drawdown, worst week. Period `all`, plus `listed` (expiries from `listed_from`, when weekly
    contracts really traded)."""
    periods = {"all": trades}
    if listed_from is not None:
        periods["listed"] = trades[trades["expiry"] >= pd.Timestamp(listed_from)]
    rows = []
    for period, part in periods.items():
        for (source, strategy), group in part.groupby(["range_source", "strategy"], sort=True):
            group = group.assign(drawdown_per_lot=_drawdown(group["pnl_per_lot"].cumsum()))
            rows.append(
                {
                    "period": period,
                    "range_source": source,
                    "strategy": strategy,
                    **_summary_row(group),
                }
            )
    return pd.DataFrame(rows)


def _drawdown(equity: pd.Series) -> pd.Series:
    """Equity below its running peak (the start, 0, counts as a peak)."""
    return equity - equity.cummax().clip(lower=0.0)


def worst_weeks(trades: pd.DataFrame, n: int) -> pd.DataFrame:
    """The `n` worst weeks per (range source, strategy) by P&L per lot."""
    columns = [
        "range_source",
        "strategy",
        "expiry",
        "decision_date",
        "spot",
        "vix",
        "put_strike",
        "call_strike",
        "settlement",
        "premium_points",
        "pnl_points",
        "pnl_per_lot",
    ]
    ranked = (
        trades.sort_values("pnl_per_lot").groupby(["range_source", "strategy"], sort=True).head(n)
    )
    return ranked.sort_values(["range_source", "strategy", "pnl_per_lot"])[columns].reset_index(
        drop=True
    )
