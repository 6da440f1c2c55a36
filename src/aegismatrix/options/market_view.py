"""The market beside the model: IV rank of the chain's own history, and at the project's strikes
(range strikes per expiry, the strike ladder) the market's risk-neutral probabilities, traded
premium and IV from the chain of the same date and expiry (options/surface.py); null with the reason
where that chain is absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

IV_RANK_COLUMNS = ["date", "iv_30d", "iv_rank", "iv_percentile", "iv_rank_source",
                   "iv_history_days"]
RANGE_MARKET_COLUMNS = [
    "p_expire_beyond_market",
    "p_touch_market",
    "premium_lower",
    "premium_upper",
    "iv_lower",
    "iv_upper",
    "traded_lower",
    "traded_upper",
    "market_reason",
]
NO_CHAINS = "no option chain loaded (data_ingestion.options_dir is null or holds no NIFTY chain)"
LADDER_MARKET_COLUMNS = [
    "p_touch_market",
    "p_expire_beyond_market",
    "premium",
    "traded",
    "iv",
    "richness",
    "market_reason",
]


def constant_maturity_iv(expiries: pd.DataFrame, days: float = 30.0) -> pd.Series:
    """Per date: ATM IV at `days` calendar days, interpolated in total variance between the expiries
    around it (the nearest one when all lie on one side); expiries under 3 days left out (their IV
    is noise)."""
    out = {}
    usable = expiries[(expiries["calendar_days"] >= 3) & expiries["atm_iv"].notna()]
    for date, part in usable.groupby("date", sort=True):
        t, variance = (
            part["calendar_days"].to_numpy(float),
            (part["atm_iv"] ** 2 * part["calendar_days"]).to_numpy(),
        )
        order = np.argsort(t)
        out[date] = (
            float(np.sqrt(np.interp(days, t[order], variance[order]) / days))
            if len(t) > 1
            else float(part["atm_iv"].iloc[0])
        )
    return pd.Series(out, name="iv_30d", dtype=float)


def _rank(values: pd.Series, min_history: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expanding (causal, this date included) rank in [min, max] and percentile below, with the
    count."""
    v = values.to_numpy(float)
    rank, pct, n = np.full(len(v), np.nan), np.full(len(v), np.nan), np.arange(1, len(v) + 1)
    for i in range(len(v)):
        if n[i] >= min_history:
            past = v[: i + 1]
            low, high = past.min(), past.max()
            rank[i] = (v[i] - low) / (high - low) if high > low else np.nan
            pct[i] = float((past < v[i]).mean())
    return rank, pct, n


def iv_rank_history(
    expiries: pd.DataFrame, market_daily: pd.DataFrame, min_history: int = 20
) -> pd.DataFrame:
    """Per chain date: 30-day ATM IV and its rank/percentile over the chain history present up to
    that date; India VIX's rank/percentile over its own history up to that date where fewer than
    `min_history` chain dates exist (`iv_rank_source` names which)."""
    iv = constant_maturity_iv(expiries)
    if iv.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in IV_RANK_COLUMNS})
    rank, pct, n = _rank(iv, min_history)
    frame = pd.DataFrame(
        {
            "date": iv.index,
            "iv_30d": iv.to_numpy(),
            "iv_rank": rank,
            "iv_percentile": pct,
            "iv_rank_source": "option_chain_atm_iv_30d",
            "iv_history_days": n,
        }
    )
    vix = (
        market_daily.assign(date=pd.to_datetime(market_daily["date"]))
        .set_index("date")["vix_close"].dropna()
    )
    vix_rank, vix_pct, vix_n = _rank(vix, min_history)
    fallback = pd.DataFrame({"vr": vix_rank, "vp": vix_pct, "vn": vix_n}, index=vix.index)
    short = frame["iv_history_days"] < min_history
    joined = fallback.reindex(frame["date"]).to_numpy()
    frame.loc[short, "iv_rank"] = joined[short, 0]
    frame.loc[short, "iv_percentile"] = joined[short, 1]
    frame.loc[short, "iv_history_days"] = joined[short, 2]
    frame.loc[short, "iv_rank_source"] = "india_vix (fewer than min_history chain dates)"
    return frame[IV_RANK_COLUMNS]


def _side_values(strikes: pd.DataFrame, side: np.ndarray) -> dict[str, np.ndarray]:
    """The chain's numbers at each strike for a seller of that side (put below, call above)."""
    put = side == "put"
    return {
        "premium": np.where(put, strikes["put_settle"], strikes["call_settle"]),
        "traded": np.where(put, strikes["put_traded"], strikes["call_traded"]),
        "p_expire_beyond_market": np.where(put, strikes["p_below"], strikes["p_above"]),
        "p_touch_market": strikes["p_touch_market"].to_numpy(),
        "iv": strikes["iv"].to_numpy(),
    }


def _lookup(surface: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """The surface's rows at (date, expiry, strike) of `keys`, in their order (NaN where absent)."""
    index = pd.MultiIndex.from_frame(
        keys[["date", "expiry", "strike"]].astype(
            {"strike": float, "date": "datetime64[ns]", "expiry": "datetime64[ns]"}
        )
    )
    return surface.set_index(["date", "expiry", "strike"]).reindex(index).reset_index(drop=True)


def _reasons(keys: pd.DataFrame, surface: pd.DataFrame, found: np.ndarray) -> np.ndarray:
    """Why a row has no market numbers: no chain at all, no chain that date, or that expiry/strike
    not in it."""
    if surface.empty:  # options_dir null (or holding no chain): one reason for every row
        return np.asarray([None if ok else NO_CHAINS for ok in found], dtype=object)
    dates, pairs = set(surface["date"]), set(zip(surface["date"], surface["expiry"]))
    reasons = []
    for date, expiry, ok in zip(keys["date"], keys["expiry"], found):
        reasons.append(
            None
            if ok
            else "no option chain for this date"
            if date not in dates
            else "this expiry is not priced in that date's chain"
            if (date, expiry) not in pairs
            else "this strike has no settlement price or IV in that date's chain"
        )
    return np.asarray(reasons, dtype=object)


def ladder_market(ladder: pd.DataFrame, surface: pd.DataFrame) -> pd.DataFrame:
    """The strike ladder with the market's columns (LADDER_MARKET_COLUMNS) and richness = market /
    model P(expire beyond): above 1 the market pays for more risk than the model sees."""
    rows = _lookup(surface, ladder)
    values = _side_values(rows, ladder["side"].to_numpy())
    found = np.isfinite(values["p_expire_beyond_market"].astype(float))
    model = ladder["p_expire_beyond"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        richness = np.where(model > 0, values["p_expire_beyond_market"].astype(float) / model,
                            np.nan)
    out = ladder.reset_index(drop=True).assign(
        **values, richness=richness, market_reason=_reasons(ladder, surface, found)
    )
    return out.assign(traded=out["traded"].astype(float))


def ranges_market(ranges: pd.DataFrame, surface: pd.DataFrame) -> pd.DataFrame:
    """seller_expiry_ranges with, at its range strikes, the market's P(expire beyond either),
    P(touch either) (the two sides summed, capped at 1), the put and call premiums, IVs and traded
    flags."""
    ranges = ranges.reset_index(drop=True)
    lower = _lookup(surface, ranges.assign(strike=ranges["strike_lower"]))
    upper = _lookup(surface, ranges.assign(strike=ranges["strike_upper"]))
    p_beyond = lower["p_below"].to_numpy(float) + upper["p_above"].to_numpy(float)
    found = np.isfinite(p_beyond)
    return ranges.assign(
        p_expire_beyond_market=p_beyond,
        p_touch_market=np.minimum(
            1.0, lower["p_touch_market"].to_numpy(float) + upper["p_touch_market"].to_numpy(float)
        ),
        premium_lower=lower["put_settle"].to_numpy(float),
        premium_upper=upper["call_settle"].to_numpy(float),
        iv_lower=lower["iv"].to_numpy(float),
        iv_upper=upper["iv"].to_numpy(float),
        traded_lower=lower["put_traded"].to_numpy(float),
        traded_upper=upper["call_traded"].to_numpy(float),
        market_reason=_reasons(ranges, surface, found),
    )
