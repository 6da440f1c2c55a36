"""Seller nodes in the trader's units: option-chain analytics and the weekly strategy backtest
(maths in options/)."""

from __future__ import annotations

import logging

import pandas as pd

from aegismatrix.datasets.option_chain import UNREADABLE_COLUMN
from aegismatrix.options.backtest import run_backtest, summarise_backtest, worst_weeks
from aegismatrix.options.chain import (
    HISTORY_COLUMNS,
    ChainValidationError,
    _clean,
    _with_wall_changes,
    chain_history,
    latest_chain_block,
    no_chain_block,
    validate_chain,
)
from aegismatrix.options.market_view import (
    LADDER_MARKET_COLUMNS,
    iv_rank_history,
    ladder_market,
    ranges_market,
)
from aegismatrix.options.pricing import PREMIUM_MODEL
from aegismatrix.options.surface import EXPIRY_COLUMNS, chain_surface

logger = logging.getLogger(__name__)

NO_CHAIN_REASON = (
    "no option chain: data_ingestion.options_dir (NSE files) is null and no snapshot CSV in "
    "data/01_raw/option_chain/ (catalog option_chain_snapshots)"
)
SMILE_FIELDS = [
    "strike",
    "iv",
    "delta",
    "p_above",
    "p_below",
    "p_touch_market",
    "call_settle",
    "put_settle",
    "call_oi",
    "put_oi",
]
# per expiry of the decision date: the chain's summary without its date, underlying and strike
# counts
MARKET_EXPIRY_FIELDS = [
    c for c in EXPIRY_COLUMNS if c not in ("date", "underlying", "strikes", "strikes_with_iv")
]
LADDER_FIELDS = ["expiry", "strike", "side", "p_touch", "p_expire_beyond", *LADDER_MARKET_COLUMNS]


def option_chain_surface(
    option_chain_daily: pd.DataFrame, market_daily: pd.DataFrame, chain_params: dict, rate: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per strike (IV, delta, market probabilities) and per expiry (forward, smile summary, PCR,
    walls, max pain, straddle, IV rank by date) of every day of option_chain_daily
    (options/surface.py)."""
    strikes, expiries = chain_surface(option_chain_daily, float(rate), chain_params)
    ranks = iv_rank_history(
        expiries, market_daily, int(chain_params.get("iv_rank_min_history", 20))
    )
    expiries = expiries.merge(ranks, on="date", how="left")
    logger.info(
        "option chain surface: %d expiries on %d dates, %d strikes",
        len(expiries),
        expiries["date"].nunique() if len(expiries) else 0,
        len(strikes),
    )
    return strikes, expiries


def market_beside_model(
    expiry_ranges: pd.DataFrame, strike_ladder: pd.DataFrame, chain_strikes: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The served seller_expiry_ranges and seller_strike_ladder: the model's frames (expiry_ranges)
    with the market's columns from the chain of the same date and expiry beside them (null with
    `market_reason` where there is none)."""
    surface = chain_strikes.assign(
        date=pd.to_datetime(chain_strikes["date"]), expiry=pd.to_datetime(chain_strikes["expiry"])
    )
    ranges = ranges_market(expiry_ranges, surface)
    ladder = ladder_market(strike_ladder, surface)
    logger.info(
        "market beside model: %d of %d range rows and %d of %d ladder strikes priced by a chain",
        int(ranges["market_reason"].isna().sum()),
        len(ranges),
        int(ladder["market_reason"].isna().sum()),
        len(ladder),
    )
    return ranges, ladder


def _snapshot_history(chain_snapshots: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, list[str]]:
    """History of the snapshot CSVs that pass validation; a bad file is left out with its reason
    (issue 26: a bad chain file costs its own block, never the payload)."""
    good, problems = {}, []
    for source, frame in sorted(chain_snapshots.items()):
        if UNREADABLE_COLUMN in frame.columns:
            problems.append(
                f"option chain {source}: unreadable ({frame[UNREADABLE_COLUMN].iloc[0]})"
            )
            continue
        try:
            validate_chain(frame, source)
            good[source] = frame
        except ChainValidationError as error:
            problems.append(str(error))
    try:
        return chain_history(good), problems
    except ChainValidationError as error:
        return chain_history({}), problems + [str(error)]


def _daily_history(expiries: pd.DataFrame) -> pd.DataFrame:
    """option_chain_expiries in the snapshot history's shape (ATM IV in percent, as snapshots give
    it)."""
    if expiries.empty:
        return chain_history({})
    frame = expiries.rename(columns={"date": "snapshot_date", "straddle_strike": "atm_strike"})
    frame = frame.assign(source="option_chain_daily", atm_iv=frame["atm_iv"] * 100.0)
    return _with_wall_changes(frame.reindex(columns=HISTORY_COLUMNS[:14]))[HISTORY_COLUMNS]


def _market_block(
    day: pd.Timestamp, expiries: pd.DataFrame, strikes: pd.DataFrame, ladder: pd.DataFrame
) -> dict:
    """The decision date's market view: IV rank, per expiry the smile summary and smile, the
    ladder's market columns."""
    today = expiries[expiries["date"] == day].sort_values("expiry")
    smile = strikes[(strikes["date"] == day) & strikes["iv"].notna()]
    first = today.iloc[0]
    return {
        "date": day.strftime("%Y-%m-%d"),
        "source": "option_chain_daily (NSE settlement prices)",
        "iv_30d": _clean(first["iv_30d"]),
        "iv_rank": _clean(first["iv_rank"]),
        "iv_percentile": _clean(first["iv_percentile"]),
        "iv_rank_source": _clean(first["iv_rank_source"]),
        "expiries": [
            {
                **{k: _clean(row[k]) for k in MARKET_EXPIRY_FIELDS},
                "smile": _records(smile[smile["expiry"] == row["expiry"]][SMILE_FIELDS]),
            }
            for _, row in today.iterrows()
        ],
        "ladder": _records(ladder[ladder["date"] == day][LADDER_FIELDS]) if len(ladder) else [],
    }


def option_chain_analytics(
    chain_snapshots: dict[str, pd.DataFrame],
    chain_expiries: pd.DataFrame,
    chain_strikes: pd.DataFrame,
    strike_ladder: pd.DataFrame,
    market_daily: pd.DataFrame,
) -> tuple[pd.DataFrame, dict]:
    """Chain history (option_chain_daily's days and any snapshot CSVs) and the block served for the
    decision date: a chain is served only for its own date (a 2024 snapshot never gives a 2022
    payload its max pain); otherwise every field is null with the reason."""
    day = pd.Timestamp(pd.to_datetime(market_daily["date"]).max()).normalize()
    expiries = chain_expiries.assign(date=pd.to_datetime(chain_expiries["date"]))
    snapshots, problems = _snapshot_history(chain_snapshots)
    history = pd.concat(
        [h for h in (_daily_history(expiries), snapshots) if len(h)] or [snapshots],
        ignore_index=True,
    )
    block = latest_chain_block(history[history["snapshot_date"] == day], NO_CHAIN_REASON)
    if block["reason"] and len(history):
        latest = pd.Timestamp(history["snapshot_date"].max()).date()
        block = no_chain_block(
            f"no option chain for the decision date {day.date()} (chains present: "
            f"{history['snapshot_date'].nunique()}, latest {latest}); a chain is served "
            "only for its own date"
        )
    if block["reason"] and problems:
        block["reason"] += "; option-chain files refused: " + " | ".join(problems)
    block["market"] = (
        _market_block(
            day,
            expiries,
            chain_strikes.assign(
                date=pd.to_datetime(chain_strikes["date"]),
                expiry=pd.to_datetime(chain_strikes["expiry"]),
            ),
            strike_ladder.assign(date=pd.to_datetime(strike_ladder["date"])),
        )
        if (expiries["date"] == day).any()
        else None
    )
    block["refused_files"] = problems
    logger.info("option chain: %s", block["reason"] or f"served for {block['snapshot_date']}")
    return history, block


def _records(frame: pd.DataFrame) -> list[dict]:
    """JSON-ready rows: dates as ISO strings, NaN as None."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out.astype(object).where(out.notna(), None).to_dict(orient="records")


def seller_strategy_backtest(
    expiry_ranges: pd.DataFrame,
    market_daily: pd.DataFrame,
    backtest_params: dict,
    range_params: dict,
    chain_strikes: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Per weekly expiry: strangle and iron condor on calibrated and VIX-implied strikes, held to
    expiry, at the chain's settlement prices of the decision day where option_chain_strikes has
    every leg."""
    params = {
        **backtest_params,
        "strike_step": range_params["strike_step"],
    }  # the ranges' own strike grid
    trades = run_backtest(expiry_ranges, market_daily, params, chain_strikes)
    summary = (
        summarise_backtest(trades, params.get("weekly_listed_from"))
        if len(trades)
        else pd.DataFrame()
    )
    traded = int((trades["premium_source"] == "traded").sum()) if len(trades) else 0
    report = {
        "premium_model": PREMIUM_MODEL,
        "premium_sources": {"traded": traded, "model": int(len(trades) - traded)},
        "note": (
            "Premiums are the NSE settlement prices of the decision day where the option "
            "chain has every leg (premium_source traded); elsewhere model premiums "
            "(Black-Scholes with India VIX as every strike's volatility; skew ignored). "
            "premium_model_points and pnl_model_points are the same trades at model premiums. "
            "Settlement at the expiry day's close; costs "
            f"{params['cost_points_per_leg']} index points per option leg; P&L per lot uses "
            "the dated lot size."
        ),
        "params": {k: v for k, v in params.items() if k != "lot_sizes"},
        "summary": _records(summary),
        "worst_weeks": (
            _records(worst_weeks(trades, int(params.get("worst_weeks", 5)))) if len(trades) else []
        ),
    }
    logger.info(
        "strategy backtest: %d settled weekly expiries, %d of %d trades at traded premiums",
        trades["expiry"].nunique() if len(trades) else 0,
        traded,
        len(trades),
    )
    return trades, report
