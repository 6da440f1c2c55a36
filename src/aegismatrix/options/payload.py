"""The seller's option-chain and strategy-backtest blocks of aegismatrix.json (schema:
payload/schema.json)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from aegismatrix.options.chain import no_chain_block

CHAIN_FIELDS = ("expiry", "strikes", "underlying", "max_pain", "pcr_oi", "pcr_volume",
                "call_wall_strike",
                "call_wall_oi", "put_wall_strike", "put_wall_oi", "call_wall_shift_points",
                "put_wall_shift_points", "call_wall_oi_change", "put_wall_oi_change",
                "previous_snapshot_date", "atm_strike", "atm_iv", "null_reasons")
SUMMARY_FIELDS = ("period", "range_source", "strategy", "weeks", "first_expiry", "last_expiry",
                  "win_rate",
                  "touch_rate", "expire_beyond_rate", "mean_width_points", "mean_premium_points",
                  "mean_pnl_points", "mean_pnl_per_lot", "total_pnl_per_lot",
                  "max_drawdown_per_lot",
                  "worst_week_pnl_per_lot", "worst_week_expiry", "excursion_p50_points",
                  "excursion_p90_points", "excursion_max_points")


def option_chain_section(block: dict | None) -> dict:
    """Latest chain snapshot per expiry, or every field null with the reason."""
    if not block or block.get("reason"):
        empty = no_chain_block((block or {}).get("reason")
                               or "no option-chain analytics computed (seller engine not run)")
        return {**{k: v for k, v in empty.items() if k != "max_pain"}, "market": None}
    return {"snapshot_date": block["snapshot_date"], "source": Path(str(block["source"])).name,
            "expiry": block["expiry"], "snapshots": int(block["snapshots"]), "reason": None,
            "expiries": [{k: e.get(k) for k in CHAIN_FIELDS} for e in block["expiries"]],
            # the decision date's market view from option_chain_daily (smile, IV rank, ladder market
            # columns)
            "market": block.get("market")}


def option_chain_fields(block: dict | None) -> dict:
    """The seller's `max_pain` (nearest expiry of the latest snapshot) and `option_chain` payload
    keys."""
    block = block or {}
    value = block.get("max_pain")
    known = value is not None and math.isfinite(float(value)) and float(value) > 0
    value = float(value) if known else None
    reason = block.get("reason") or (None if value else "no option chain supplied")
    return {"max_pain": {"value": value, "reason": reason, "expiry": block.get("expiry")},
            "option_chain": option_chain_section(block or None)}


def _curves(trades: pd.DataFrame) -> list[dict]:
    """Equity and drawdown per lot after each expiry, one series per (range source, strategy)."""
    curves = []
    for (source, strategy), group in trades.groupby(["range_source", "strategy"], sort=True):
        curves.append({"range_source": source, "strategy": strategy,
                       "expiries": pd.to_datetime(group["expiry"]).dt.strftime("%Y-%m-%d").tolist(),
                       "equity_per_lot": group["equity_per_lot"].round(0).astype(float).tolist(),
                       "drawdown_per_lot":
                           group["drawdown_per_lot"].round(0).astype(float).tolist()})
    return curves


def strategy_backtest_section(trades: pd.DataFrame | None, summary: dict | None) -> dict:
    """Summary table, equity curves and worst weeks of the weekly strategy backtest, or nulls with
    the reason."""
    if trades is None or summary is None or trades.empty:
        reason = ("no strategy backtest computed (seller engine not run)" if summary is None
                  else "no weekly expiry settled within the loaded data")
        return {"reason": reason, "note": None, "summary": [], "equity_curves": [],
                "worst_weeks": []}
    return {"reason": None, "note": summary["note"],
            "summary": [{k: row.get(k) for k in SUMMARY_FIELDS} for row in summary["summary"]],
            "equity_curves": _curves(trades), "worst_weeks": summary["worst_weeks"]}
