"""Strangle and iron condor per weekly and monthly expiry, priced at the chain's settlement prices
of the decision day where the chain has every leg (`premium_source: traded`), Black-Scholes at India
VIX otherwise (`model`); every trade also carries the model premium of the same legs, so traded and
model equity curves are two readings of the same trades.

Timing: decided after the close of `decision_date` (the ranges use that close), filled at that day's
NSE settlement prices (a fill near the close; in practice a seller gets the bid, hence
`slippage_points` per leg). Exits: the expiry's closing index (cash settlement), or earlier at the
first later chain day on which buying the structure back costs `stop_loss_multiple` x the premium or
less than (1 - `profit_target`) x the premium (days without a chain are held: the exit is then
checked at expiry only). Costs are NSE's, itemised from the dated table in parameters; margin per
lot is an approximation (docs/engines/seller.md) so P&L reads as a return on capital.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from aegismatrix.options import pricing as P

# one structure's market and strikes, in both backtests' trades (options/backtest.py too)
STRUCTURE_COLUMNS = ["spot", "vix", "calendar_days", "put_strike", "call_strike", "wing_points"]
TRADE_COLUMNS = [
    "strike_source",
    "strategy",
    "expiry_kind",
    "decision_date",
    "expiry",
    *STRUCTURE_COLUMNS,
    "premium_source",
    "premium_points",
    "premium_model_points",
    "exit",
    "exit_date",
    "exit_cost_points",
    "settlement",
    "payoff_points",
    "lot_size",
    "costs_rupees",
    "slippage_points",
    "pnl_rupees",
    "pnl_hold_rupees",
    "pnl_model_rupees",
    "margin_rupees",
    "return_on_margin",
    "return_on_margin_model",
]


def in_window(frame: pd.DataFrame, params: dict) -> pd.DataFrame:
    """The rows whose `date` lies in [backtest.start, backtest.end] (an open end: no bound)."""
    start, end = (pd.Timestamp(params[k]) if params.get(k) else None for k in ("start", "end"))
    dates = pd.to_datetime(frame["date"])
    return frame[(dates >= (start or dates.min())) & (dates <= (end or dates.max()))]


def select_entries(ranges: pd.DataFrame, kind: str, max_trading_days: int) -> pd.DataFrame:
    """Per expiry of `kind` (rank 1): the first date after the previous expiry with at most
    `max_trading_days` sessions left."""
    rows = ranges[
        (ranges["expiry_kind"] == kind)
        & (ranges["expiry_rank"] == 1)
        & (ranges["trading_days"] >= 1)
    ]
    rows = rows[rows["trading_days"] <= max_trading_days].dropna(
        subset=["strike_lower", "strike_upper"]
    )
    return (
        rows.sort_values(["expiry", "date"])
        .groupby("expiry", as_index=False)
        .head(1)
        .reset_index(drop=True)
    )


def delta_strikes(
    spot: float, vix: float, days: float, rate: float, delta: float, step: float
) -> tuple:
    """The put and call strikes of Black-Scholes delta -`delta` / +`delta` at India VIX, snapped
    outward."""
    sigma, years = vix / 100.0, days / P.DAYS_PER_YEAR
    drift = (rate + 0.5 * sigma**2) * years
    call = spot * np.exp(drift - ndtri(delta) * sigma * np.sqrt(years))
    put = spot * np.exp(drift - ndtri(1.0 - delta) * sigma * np.sqrt(years))
    return P.snap_outward(put, call, step)


def structure_legs(
    strategy: str, put_k: float, call_k: float, wing: float
) -> list[tuple[str, float, int]]:
    """(flag, strike, +1 sold / -1 bought) of each leg."""
    legs = [("p", put_k, 1), ("c", call_k, 1)]
    return legs + (
        [("p", put_k - wing, -1), ("c", call_k + wing, -1)] if strategy == "iron_condor" else []
    )


def _settle(chain: pd.DataFrame, date, expiry, flag: str, strike: float) -> float:
    key = (pd.Timestamp(date), pd.Timestamp(expiry), float(strike))
    if key not in chain.index:
        return np.nan
    return float(chain.at[key, "put_settle" if flag == "p" else "call_settle"])


def _net(chain: pd.DataFrame, date, expiry, legs) -> float:
    """Net premium of the structure at that day's settlement prices (NaN if any leg has none)."""
    return float(sum(sign * _settle(chain, date, expiry, flag, k) for flag, k, sign in legs))


def settlement_index(chain_strikes: pd.DataFrame) -> pd.DataFrame:
    """option_chain_strikes' put and call settlement prices by (date, expiry, strike), for leg
    look-ups."""
    chain = chain_strikes.assign(
        date=pd.to_datetime(chain_strikes["date"]), expiry=pd.to_datetime(chain_strikes["expiry"])
    )
    return chain.set_index(["date", "expiry", "strike"])[["put_settle", "call_settle"]].sort_index()


def leg_prices(
    chain: pd.DataFrame, date, expiry, legs, model: list[float]
) -> tuple[list[float], str]:
    """The legs at the chain's settlement prices of `date` when every leg has one (`traded`), else
    the `model` prices (`model`): a structure is never priced half from each."""
    traded = [_settle(chain, date, expiry, flag, k) for flag, k, _ in legs]
    return (traded, "traded") if np.isfinite(traded).all() else (list(model), "model")


def cost_rupees(
    legs, prices: list[float], lot: int, costs: dict, exit_payoffs: list[float]
) -> float:
    """NSE charges of opening every leg (and STT on exercised long legs) for one lot, itemised in
    docs."""
    sold = sum(p for (_, _, s), p in zip(legs, prices) if s > 0) * lot
    bought = sum(p for (_, _, s), p in zip(legs, prices) if s < 0) * lot
    exercised = sum(v for (_, _, s), v in zip(legs, exit_payoffs) if s < 0) * lot
    turnover = sold + bought
    exchange = turnover * float(costs["exchange_txn_rate"])
    sebi = turnover * float(costs["sebi_per_crore"]) / 1e7
    brokerage = float(costs["brokerage_per_order"]) * len(legs)
    return (
        sold * float(costs["stt_sell_premium_rate"])
        + exercised * float(costs["stt_exercise_rate"])
        + exchange
        + sebi
        + bought * float(costs["stamp_buy_rate"])
        + brokerage
        + float(costs["gst_rate"]) * (brokerage + exchange + sebi)
    )


def costs_on(date: pd.Timestamp, table: list[dict]) -> dict:
    """The cost row in force on `date` from a dated table [{from: YYYY-MM-DD, ...}]."""
    rows = sorted(table, key=lambda r: pd.Timestamp(r["from"]))
    live = [r for r in rows if pd.Timestamp(r["from"]) <= pd.Timestamp(date)]
    if not live:
        raise ValueError(f"no cost row in force on {pd.Timestamp(date).date()}")
    return live[-1]


def _early_exit(
    chain, legs, decision, expiry, premium: float, params: dict
) -> tuple[str, object, float]:
    """The first chain day after the decision where buying back hits the stop or the target, else
    expiry."""
    days = sorted(d for d in chain.index.get_level_values(0).unique() if decision < d < expiry)
    for day in days:
        cost = _net(chain, day, expiry, legs)
        if np.isfinite(cost) and cost >= float(params["stop_loss_multiple"]) * premium:
            return "stop_loss", day, cost
        if np.isfinite(cost) and cost <= (1.0 - float(params["profit_target"])) * premium:
            return "profit_target", day, cost
    return "expiry", expiry, np.nan


def _payoff(legs, settlement: float) -> list[float]:
    """Each leg's intrinsic value at the expiry close."""
    return [
        max(k - settlement, 0.0) if flag == "p" else max(settlement - k, 0.0) for flag, k, _ in legs
    ]


def _money(
    legs, prices, premiums: tuple, exit_: tuple, settlement: float, decision, expiry, params: dict
) -> dict:
    """Payoff, closing cost, costs, slippage and P&L per lot of one structure: with its exit, held
    to expiry, and at model premiums held to expiry."""
    (premium, premium_model), (how, exit_cost) = premiums, exit_
    leg_payoff = _payoff(legs, settlement)
    payoff = float(sum(s * v for (_, _, s), v in zip(legs, leg_payoff)))
    close_cost = exit_cost if how != "expiry" else payoff
    lot = P.lot_size_on(expiry, params["lot_sizes"])
    slip = float(params["slippage_points"]) * len(legs) * (2 if how != "expiry" else 1)
    costs = cost_rupees(
        legs,
        prices,
        lot,
        costs_on(decision, params["costs"]),
        leg_payoff if how == "expiry" else [0.0] * len(legs),
    ) * (2 if how != "expiry" else 1)  # closing orders cost alike
    hold_costs = cost_rupees(legs, prices, lot, costs_on(decision, params["costs"]), leg_payoff)
    held = float(params["slippage_points"]) * len(legs)  # one fill: cash-settled at expiry
    return {
        "exit_cost_points": close_cost,
        "payoff_points": payoff,
        "lot_size": lot,
        "costs_rupees": costs,
        "slippage_points": slip,
        "pnl_rupees": (premium - close_cost - slip) * lot - costs,
        "pnl_hold_rupees": (premium - payoff - held) * lot - hold_costs,  # same premium, held
        "pnl_model_rupees": (premium_model - payoff - held) * lot - hold_costs,
    }


def _trade(
    entry: dict, strikes: tuple, strategy: str, chain: pd.DataFrame, market: dict, params: dict
) -> dict:
    """One structure from decision to exit, in points and rupees per lot (TRADE_COLUMNS)."""
    decision, expiry = pd.Timestamp(entry["date"]), pd.Timestamp(entry["expiry"])
    spot, vix, days = (
        market["close"][decision],
        market["vix"][decision],
        float((expiry - decision).days),
    )
    wing, rate = float(params["condor_wing_points"]), float(params["rate"])
    legs = structure_legs(strategy, *strikes, wing)
    model = [P.bs_price(f, spot, k, days, rate, vix / 100.0) for f, k, _ in legs]
    prices, source = leg_prices(chain, decision, expiry, legs, model)
    premium = float(sum(s * p for (_, _, s), p in zip(legs, prices)))
    premium_model = float(sum(s * p for (_, _, s), p in zip(legs, model)))
    how, when, exit_cost = (
        _early_exit(chain, legs, decision, expiry, premium, params)
        if source == "traded"
        else ("expiry", expiry, np.nan)
    )
    settlement = market["close"].get(expiry, np.nan)
    money = _money(
        legs,
        prices,
        (premium, premium_model),
        (how, exit_cost),
        settlement,
        decision,
        expiry,
        params,
    )
    lot = money["lot_size"]
    margin = (
        wing * lot
        if strategy == "iron_condor"
        else float(params["naked_margin_fraction"]) * spot * lot
    )
    return {
        "strategy": strategy,
        "expiry_kind": entry["expiry_kind"],
        "decision_date": decision,
        "expiry": expiry,
        "spot": spot,
        "vix": vix,
        "calendar_days": days,
        "put_strike": strikes[0],
        "call_strike": strikes[1],
        "wing_points": wing if strategy == "iron_condor" else np.nan,
        "premium_source": source,
        "premium_points": premium,
        "premium_model_points": premium_model,
        "exit": how,
        "exit_date": pd.Timestamp(when),
        "settlement": settlement,
        **money,
        "margin_rupees": margin,
        "return_on_margin": money["pnl_rupees"] / margin,
        "return_on_margin_model": money["pnl_model_rupees"] / margin,
    }


def run_traded_backtest(
    ranges: pd.DataFrame, chain_strikes: pd.DataFrame, market_daily: pd.DataFrame, params: dict
) -> pd.DataFrame:
    """Every settled weekly and monthly expiry in [start, end]: strangle and condor on the range
    strikes and the fixed-delta reference strikes (TRADE_COLUMNS), sorted by strike source,
    strategy, kind and expiry."""
    frame = market_daily.assign(date=pd.to_datetime(market_daily["date"])).set_index("date")
    market = {"close": frame["close"].to_dict(), "vix": frame["vix_close"].to_dict()}
    chain = settlement_index(chain_strikes)
    ranges = in_window(
        ranges.assign(date=pd.to_datetime(ranges["date"]), expiry=pd.to_datetime(ranges["expiry"])),
        params,
    )
    rows = []
    for kind, max_days in params["entry_trading_days"].items():
        for entry in select_entries(ranges, kind, int(max_days)).to_dict(orient="records"):
            if pd.Timestamp(entry["expiry"]) not in market["close"]:
                continue  # not settled within the data
            spot, vix = market["close"][entry["date"]], market["vix"][entry["date"]]
            days = float((pd.Timestamp(entry["expiry"]) - pd.Timestamp(entry["date"])).days)
            sources = {
                "range": (float(entry["strike_lower"]), float(entry["strike_upper"])),
                "fixed_delta": delta_strikes(
                    spot,
                    vix,
                    days,
                    float(params["rate"]),
                    float(params["reference_delta"]),
                    float(params["strike_step"]),
                ),
            }
            for source, strikes in sources.items():
                for strategy in ("short_strangle", "iron_condor"):
                    rows.append(
                        {
                            "strike_source": source,
                            **_trade(entry, strikes, strategy, chain, market, params),
                        }
                    )
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in TRADE_COLUMNS})
    trades = pd.DataFrame(rows)[TRADE_COLUMNS]
    return trades.sort_values(["strike_source", "strategy", "expiry_kind", "expiry"]).reset_index(
        drop=True
    )


def summarise_traded(trades: pd.DataFrame) -> list[dict]:
    """Per (strike source, strategy, kind): trades, share priced at traded premiums, mean premium
    traded vs model on the traded trades, win rate, total P&L and return on margin for traded and
    model premiums."""
    out = []
    for (source, strategy, kind), g in trades.groupby(
        ["strike_source", "strategy", "expiry_kind"], sort=True
    ):
        t = g[g["premium_source"] == "traded"]
        out.append(
            {
                "strike_source": source,
                "strategy": strategy,
                "expiry_kind": kind,
                "trades": int(len(g)),
                "traded_trades": int(len(t)),
                "mean_premium_traded_points": float(t["premium_points"].mean()) if len(t) else None,
                "mean_premium_model_points_same_trades": float(t["premium_model_points"].mean())
                if len(t)
                else None,
                "mean_payoff_points": float(g["payoff_points"].mean()),
                "win_rate": float((g["pnl_rupees"] > 0).mean()),
                "total_pnl_rupees": float(g["pnl_rupees"].sum()),
                "total_pnl_model_rupees": float(g["pnl_model_rupees"].sum()),
                # the trades priced at traded premiums: with exits, held to expiry, and at model
                # premiums
                "traded_trades_pnl_rupees": float(t["pnl_rupees"].sum()),
                "traded_trades_pnl_hold_rupees": float(t["pnl_hold_rupees"].sum()),
                "traded_trades_pnl_model_rupees": float(t["pnl_model_rupees"].sum()),
                "mean_return_on_margin": float(g["return_on_margin"].mean()),
                "mean_return_on_margin_model": float(g["return_on_margin_model"].mean()),
                "exits": {k: int(v) for k, v in g["exit"].value_counts().items()},
            }
        )
    return out
