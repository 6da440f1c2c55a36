"""Payload blocks for issue 13: seller.expiries (ranges per expiry, strike ladder, events; for an
intraday decision, around the live spot) and market.iv_context."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from aegismatrix.labels import TRADING_DAYS_PER_YEAR

EXPIRY_FIELDS = ["trading_days", "calendar_days", "spot", "implied_move_points", "range_multiplier",
                 "lower", "upper", "strike_lower", "strike_upper", "p_touch", "p_touch_lower",
                 "p_touch_upper", "p_expire_beyond", "target_breach_probability"]
LADDER_FIELDS = ["strike", "side", "distance_points", "p_touch", "p_expire_beyond"]
# the option market beside the model (issue 22): the chain of the same date and expiry
# (null: market_reason)
RANGE_MARKET_FIELDS = ["p_expire_beyond_market", "p_touch_market", "premium_lower", "premium_upper",
                       "iv_lower", "iv_upper"]
LADDER_MARKET_FIELDS = ["p_touch_market", "p_expire_beyond_market", "premium", "traded", "iv",
                        "richness"]
NO_MARKET_COLUMNS = "seller_expiry_ranges carries no market columns (produced before issue 22)"
INTRADAY_NO_MARKET = "no end-of-day chain for an intraday decision"  # intraday ranges meet no chain


def _number(value) -> float | None:
    missing = value is None or (isinstance(value, float) and not math.isfinite(value))
    return None if missing else float(value)


def _events(text) -> list[dict]:
    """'kind YYYY-MM-DD; ...' (the dataset column) -> [{kind, session}]."""
    if not isinstance(text, str) or not text.strip():
        return []
    return [{"kind": kind, "session": day}
            for kind, day in (item.strip().rsplit(" ", 1) for item in text.split(";"))]


def _market(row, fields: list[str], absent: str) -> dict:
    """The market's numbers of one range row or ladder strike and why they are null (`absent`: the
    frame has no market columns)."""
    if not hasattr(row, "market_reason"):
        return {**dict.fromkeys(fields), "market_reason": absent}
    out = {field: _number(getattr(row, field)) for field in fields}
    reason = row.market_reason
    out["market_reason"] = reason if isinstance(reason, str) else None
    return out


def _ladder(ladder: pd.DataFrame | None, expiry: pd.Timestamp, kind: str, rank: int,
            absent: str) -> list[dict]:
    if ladder is None or ladder.empty:
        return []
    rows = ladder[(ladder["expiry"] == expiry) & (ladder["expiry_kind"] == kind)
                  & (ladder["expiry_rank"] == rank)]
    return [{"strike": float(r.strike), "side": str(r.side),
             "distance_points": float(r.distance_points),
             "p_touch": _number(r.p_touch), "p_expire_beyond": _number(r.p_expire_beyond),
             **_market(r, LADDER_MARKET_FIELDS, absent)}
            for r in rows.sort_values("strike").itertuples()]


def expiries_section(ranges: pd.DataFrame | None, ladder: pd.DataFrame | None,
                     as_of: pd.Timestamp, market_absent: str = NO_MARKET_COLUMNS) -> dict:
    """`expiries`: the latest date's rows of seller_expiry_ranges with their ladder, events and the
    market's columns (`market_absent`: their reason when the frames have none) (reason when no
    rows)."""
    if ranges is None or ranges.empty:
        return {"expiries": [],
                "expiries_reason": "no seller_expiry_ranges (seller engine not run)"}
    latest = pd.Timestamp(ranges["date"].max())
    if latest < as_of:
        reason = f"seller_expiry_ranges end on {latest.date()}, before the data date {as_of.date()}"
        return {"expiries": [], "expiries_reason": reason}
    out = []
    for row in ranges[ranges["date"] == as_of].itertuples():
        entry = {"expiry": str(pd.Timestamp(row.expiry).date()),
                 "expiry_kind": str(row.expiry_kind),
                 "expiry_rank": int(row.expiry_rank), "signal_date": str(as_of.date())}
        entry.update({field: _number(getattr(row, field)) for field in EXPIRY_FIELDS})
        entry.update(_market(row, RANGE_MARKET_FIELDS, market_absent))
        entry["trading_days"] = int(row.trading_days)
        entry["calendar_days"] = int(row.calendar_days)
        entry.update({"calibration_samples": int(row.calibration_samples),
                      "model_source": str(row.model_source),
                      "events": _events(row.events),
                      "events_incomplete": _events(getattr(row, "events_table_ends", "")),
                      "strike_ladder": _ladder(ladder, row.expiry, row.expiry_kind, row.expiry_rank,
                                               market_absent)})
        out.append(entry)
    _mark_same_day(out)
    return {"expiries": out,
            "expiries_reason": None if out else f"no expiry rows for {as_of.date()}"}


def intraday_expiries(ranges: pd.DataFrame, ladder: pd.DataFrame, as_of: pd.Timestamp,
                      context: dict) -> dict:
    """decision_time=intraday (issue 24): the expiry ranges around the live spot with their
    fractional time and calibration (no end-of-day chain to meet)."""
    section = expiries_section(ranges.assign(date=as_of), ladder, as_of,
                               market_absent=INTRADAY_NO_MARKET)
    extra = ranges.set_index(["expiry", "expiry_kind", "expiry_rank"])
    expiries = []
    for entry in section["expiries"]:
        row = extra.loc[(pd.Timestamp(entry["expiry"]), entry["expiry_kind"], entry["expiry_rank"])]
        expiries.append({**entry, "decision_at": context["decision_at"],
                         "remaining_sessions": float(row["remaining_sessions"]),
                         "effective_calendar_days": float(row["effective_calendar_days"]),
                         "calibration": str(row["calibration"]),
                         "calibration_time": str(row["time"])})
    return {**section, "expiries": expiries}


def _mark_same_day(entries: list[dict]) -> None:
    """`same_expiry_as` on a monthly row whose expiry is also a listed weekly one ('weekly #2'; else
    null): one contract day, which the dashboard shows once ('weekly #2 · monthly')."""
    weekly = {e["expiry"]: e["expiry_rank"] for e in entries if e["expiry_kind"] == "weekly"}
    for entry in entries:
        rank = weekly.get(entry["expiry"]) if entry["expiry_kind"] == "monthly" else None
        entry["same_expiry_as"] = f"weekly #{rank}" if rank is not None else None


def iv_context(market: pd.DataFrame, lookback: int = 252, realised_window: int = 21) -> dict:
    """India VIX rank and percentile over the last `lookback` sessions, and implied minus realised
    vol (decimals)."""
    vix = market["vix_close"].dropna().iloc[-lookback:]
    if len(vix) < 2:
        return {"sessions": int(len(vix)), "vix_rank": None, "vix_percentile": None,
                "realised_vol_21d": None, "implied_minus_realised": None,
                "reason": "fewer than 2 India VIX closes in the window"}
    current, low, high = float(vix.iloc[-1]), float(vix.min()), float(vix.max())
    log_returns = np.log(market["close"]).diff().dropna().iloc[-realised_window:]
    realised = (float(np.sqrt((log_returns**2).mean() * TRADING_DAYS_PER_YEAR))
                if len(log_returns) >= 2 else None)
    return {
        "sessions": int(len(vix)),
        # where today sits between min and max
        "vix_rank": (current - low) / (high - low) if high > low else None,
        "vix_percentile": float((vix <= current).mean()),  # share of sessions at or below today
        "realised_vol_21d": realised,
        "implied_minus_realised": None if realised is None else current / 100.0 - realised,
        "reason": (None if len(vix) >= lookback
                   else f"only {len(vix)} of {lookback} sessions in the window"),
    }
