"""What the traded-premium backtest measures beside its trades (issue 22's note): the same trades at
traded and at model premiums side by side, the calibration of the model's and the market's P(expire
beyond) at the range strikes, and the put-call-parity forward against the underlying.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GROUP = ["strike_source", "strategy", "expiry_kind"]
MATURITY_BUCKETS = ((0, 8), (9, 40), (41, 10_000))  # calendar days: weekly, monthly, far


def _max_drawdown(pnl: pd.Series) -> float:
    """Deepest fall of the cumulative P&L below its running peak (the start, 0, is a peak)."""
    equity = pnl.cumsum()
    return float((equity - equity.cummax().clip(lower=0.0)).min())


def _side(g: pd.DataFrame, pnl: str, premium: str, rom: str | None = None) -> dict:
    """One reading of the trades: mean premium, mean P&L per lot after costs, return on margin, win
    rate, max drawdown (rupees per lot, in expiry order)."""
    ordered = g.sort_values("expiry")
    return {
        "mean_premium_points": float(ordered[premium].mean()),
        "mean_pnl_rupees": float(ordered[pnl].mean()),
        "mean_return_on_margin": float((ordered[pnl] / ordered["margin_rupees"]).mean())
        if rom is None
        else float(ordered[rom].mean()),
        "win_rate": float((ordered[pnl] > 0).mean()),
        "max_drawdown_rupees": _max_drawdown(ordered[pnl]),
    }


def premiums_side_by_side(trades: pd.DataFrame) -> list[dict]:
    """Per (strike source, strategy, kind), on the trades priced at traded premiums only: traded
    premiums with the stop/target exits, the same premiums held to expiry, and model premiums held
    to expiry."""
    traded = trades[trades["premium_source"] == "traded"]
    out = []
    for key, g in traded.groupby(GROUP, sort=True):
        out.append(
            {
                **dict(zip(GROUP, key)),
                "trades": int(len(g)),
                "traded_with_exits": _side(g, "pnl_rupees", "premium_points", "return_on_margin"),
                "traded_held": _side(g, "pnl_hold_rupees", "premium_points"),
                "model_held": _side(
                    g, "pnl_model_rupees", "premium_model_points", "return_on_margin_model"
                ),
            }
        )
    return out


def _brier(p: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


def _calibration_block(rows: pd.DataFrame) -> dict:
    """n, independent expiries, mean model and market P(expire beyond), realised rate, Brier of
    each."""
    if rows.empty:
        return {"n": 0, "n_expiries": 0}
    y = rows["expired_beyond"].to_numpy(float)
    model, market = (rows[c].to_numpy(float) for c in ("p_expire_beyond", "p_expire_beyond_market"))
    return {
        "n": int(len(rows)),
        "n_expiries": int(rows["expiry"].nunique()),
        "mean_p_model": float(model.mean()),
        "mean_p_market": float(market.mean()),
        "realised_rate": float(y.mean()),
        "brier_model": _brier(model, y),
        "brier_market": _brier(market, y),
        "brier_base_rate": _brier(np.full_like(y, y.mean()), y),
    }


def range_calibration(
    ranges: pd.DataFrame, market_daily: pd.DataFrame, entries: pd.DataFrame
) -> list[dict]:
    """Per expiry kind (nearest expiry of the kind): the model's and the market's P(expiry close
    outside the range strikes) on every settled row priced by a chain, and on the backtest's entry
    rows (one per expiry: independent outcomes)."""
    close = market_daily.assign(date=pd.to_datetime(market_daily["date"])).set_index("date")[
        "close"
    ]
    rows = ranges.assign(
        date=pd.to_datetime(ranges["date"]), expiry=pd.to_datetime(ranges["expiry"])
    )
    rows = rows[(rows["expiry_rank"] == 1) & rows["expiry"].isin(close.index)]
    rows = rows.dropna(
        subset=["p_expire_beyond", "p_expire_beyond_market", "strike_lower", "strike_upper"]
    )
    settle = rows["expiry"].map(close)
    rows = rows.assign(
        expired_beyond=(settle < rows["strike_lower"]) | (settle > rows["strike_upper"])
    )
    # an expiry can be both a weekly and a monthly one: the entry's kind is part of its key
    keys = set(
        zip(
            entries["expiry_kind"],
            pd.to_datetime(entries["date"]),
            pd.to_datetime(entries["expiry"]),
        )
    )
    at_entry = rows[[k in keys for k in zip(rows["expiry_kind"], rows["date"], rows["expiry"])]]
    return [
        {
            "expiry_kind": kind,
            "all_rows": _calibration_block(rows[rows["expiry_kind"] == kind]),
            "entry_rows": _calibration_block(at_entry[at_entry["expiry_kind"] == kind]),
        }
        for kind in sorted(rows["expiry_kind"].unique())
    ]


def forward_error(chain_expiries: pd.DataFrame, rate: float) -> list[dict]:
    """Per maturity bucket: the parity forward of option_chain_expiries against the underlying, raw
    and with the carry e^{rT} (median and max absolute, in percent), over every (date, expiry) with
    a forward."""
    per_expiry = chain_expiries.dropna(subset=["forward", "underlying"])
    days = per_expiry["calendar_days"].to_numpy(float)
    raw = per_expiry["forward"].to_numpy(float) / per_expiry["underlying"].to_numpy(float) - 1.0
    carried = (1.0 + raw) / np.exp(rate * days / 365.0) - 1.0
    out = []
    for low, high in MATURITY_BUCKETS:
        pick = (days >= low) & (days <= high)
        if pick.any():
            out.append(
                {
                    "calendar_days": f"{low}-{high}" if high < 10_000 else f">={low}",
                    "n": int(pick.sum()),
                    "dates": int(per_expiry.loc[pick, "date"].nunique()),
                    "median_abs_pct": float(np.median(np.abs(raw[pick])) * 100),
                    "max_abs_pct": float(np.abs(raw[pick]).max() * 100),
                    "median_abs_pct_after_carry": float(np.median(np.abs(carried[pick])) * 100),
                    "max_abs_pct_after_carry": float(np.abs(carried[pick]).max() * 100),
                }
            )
    return out
