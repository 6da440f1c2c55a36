"""The market's view from one day's chain of one expiry: parity forward, Black-76 IV per strike,
smile, 25-delta risk reversal and butterfly, ATM IV, PCR, OI walls, max pain, ATM straddle, market
probabilities.

Prices are NSE settlement prices (for an untraded contract the exchange's theoretical price;
`traded` says which). T = calendar days / 365. The forward is the median of K + e^{rT}(C - P) over
the strikes nearest the underlying that have both prices (put-call parity; NIFTY dividends are
inside the forward). IV per strike is Black-76 on that forward, of the out-of-the-money option,
solved for every strike of every day at once by bisection (vollib's LetsBeRational, pure Python
here, takes ~0.1 ms a strike: minutes for the history; the tests hold the two within 1e-6).
P(S_T > K) is the digital price from the smile, N(d2) - F phi(d1) sqrt(T) dsigma/dK (the call
spread's limit), and the market's touch probability is twice the expiry probability beyond the
strike (the reflection principle, capped at 1): risk-neutral numbers, which carry the premium
sellers are paid, beside the model's real-world ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr

from aegismatrix.options.chain import max_pain_strike

DAYS_PER_YEAR = 365.0
SIGMA_BOUNDS = (1e-4, 5.0)
STRIKE_COLUMNS = [
    "date",
    "expiry",
    "calendar_days",
    "strike",
    "forward",
    "call_settle",
    "put_settle",
    "call_traded",
    "put_traded",
    "call_oi",
    "put_oi",
    "call_contracts",
    "put_contracts",
    "iv",
    "iv_side",
    "delta",
    "p_above",
    "p_below",
    "p_touch_market",
]
EXPIRY_COLUMNS = [
    "date",
    "expiry",
    "calendar_days",
    "underlying",
    "forward",
    "forward_gap",
    "atm_iv",
    "iv_call_25d",
    "iv_put_25d",
    "risk_reversal_25d",
    "butterfly_25d",
    "straddle_strike",
    "straddle_points",
    "expected_move_fraction",
    "pcr_oi",
    "pcr_volume",
    "call_wall_strike",
    "call_wall_oi",
    "put_wall_strike",
    "put_wall_oi",
    "max_pain",
    "strikes",
    "strikes_with_iv",
]


def _phi(x):
    return np.exp(-0.5 * np.square(x)) / np.sqrt(2.0 * np.pi)


def black76_price(is_call, forward, strike, years, rate, sigma) -> np.ndarray:
    """Discounted Black-76 price, vectorised over every argument."""
    forward, strike, sigma = (np.asarray(x, dtype=float) for x in (forward, strike, sigma))
    root = sigma * np.sqrt(years)
    d1 = np.log(forward / strike) / root + 0.5 * root
    d2 = d1 - root
    undiscounted = np.where(
        is_call, forward * ndtr(d1) - strike * ndtr(d2), strike * ndtr(-d2) - forward * ndtr(-d1)
    )
    return np.exp(-rate * np.asarray(years)) * undiscounted


def implied_vols(prices, forward, strikes, years, rate, is_call,
                 iterations: int = 60) -> np.ndarray:
    """Black-76 implied volatility of discounted prices by bisection on [1e-4, 5]; NaN outside the
    no-arbitrage bounds (below intrinsic or above the undiscounted forward / strike)."""
    prices, forward, strikes, years = (
        np.broadcast_to(np.asarray(x, float), np.shape(prices))
        for x in (prices, forward, strikes, years)
    )
    low, high = np.full(prices.shape, SIGMA_BOUNDS[0]), np.full(prices.shape, SIGMA_BOUNDS[1])
    inside = (prices > black76_price(is_call, forward, strikes, years, rate, low)) & (
        prices < black76_price(is_call, forward, strikes, years, rate, high)
    )
    for _ in range(iterations):  # price rises with sigma: halve the bracket that holds the price
        middle = 0.5 * (low + high)
        above = black76_price(is_call, forward, strikes, years, rate, middle) > prices
        high, low = np.where(above, middle, high), np.where(above, low, middle)
    return np.where(inside, 0.5 * (low + high), np.nan)


def pivot_chain(chain: pd.DataFrame) -> pd.DataFrame:
    """One row per (date, expiry, strike): call and put settlement, traded flag, OI and contracts
    side by side, with the day's underlying; sorted."""
    frame = chain.assign(side=chain["side"].astype(str), traded=chain["traded"].astype(float))
    wide = frame.pivot_table(
        index=["date", "expiry", "strike"],
        columns="side",
        values=["settle", "traded", "oi", "contracts"],
        aggfunc="first",
    )
    wide.columns = [f"{side}_{value}" for value, side in wide.columns]
    for column in (
        "call_settle",
        "put_settle",
        "call_oi",
        "put_oi",
        "call_contracts",
        "put_contracts",
        "call_traded",
        "put_traded",
    ):
        if column not in wide.columns:
            wide[column] = np.nan
    wide = wide.reset_index()
    underlying = chain.groupby("date")["underlying"].first()
    wide["underlying"] = wide["date"].map(underlying)
    wide["calendar_days"] = (wide["expiry"] - wide["date"]).dt.days.astype(float)
    return wide.sort_values(["date", "expiry", "strike"]).reset_index(drop=True)


def parity_forwards(wide: pd.DataFrame, rate: float, n: int = 5) -> pd.Series:
    """Per (date, expiry): the median of K + e^{rT}(C - P) over the `n` strikes nearest the
    underlying that have both prices."""
    both = wide.dropna(subset=["call_settle", "put_settle", "underlying"]).copy()
    both["distance"] = (both["strike"] - both["underlying"]).abs()
    both["implied"] = both["strike"] + np.exp(rate * both["calendar_days"] / DAYS_PER_YEAR) * (
        both["call_settle"] - both["put_settle"]
    )
    nearest = both.sort_values("distance").groupby(["date", "expiry"], sort=False).head(n)
    return nearest.groupby(["date", "expiry"])["implied"].median().rename("forward")


def _slopes(strike: np.ndarray, iv: np.ndarray, group: np.ndarray) -> np.ndarray:
    """dsigma/dK per strike from the neighbouring strikes with an IV in the same (date, expiry)."""
    known = np.flatnonzero(np.isfinite(iv))
    slope = np.full(len(iv), np.nan)
    if len(known) < 2:
        return slope
    k, v, g = strike[known], iv[known], group[known]
    prev_ok, next_ok = np.r_[False, g[1:] == g[:-1]], np.r_[g[1:] == g[:-1], False]
    lo = np.where(prev_ok, np.r_[0, np.arange(len(k) - 1)], np.arange(len(k)))
    hi = np.where(next_ok, np.r_[np.arange(1, len(k)), len(k) - 1], np.arange(len(k)))
    with np.errstate(invalid="ignore", divide="ignore"):
        slope[known] = np.where(hi != lo, (v[hi] - v[lo]) / (k[hi] - k[lo]), np.nan)
    return slope


def strike_surface(wide: pd.DataFrame, rate: float, params: dict) -> pd.DataFrame:
    """Every strike of every priced (date, expiry): IV of its out-of-the-money option, Black-76
    delta, and the market's P(above), P(below) and touch probability (STRIKE_COLUMNS)."""
    wide = wide.join(parity_forwards(wide, rate, int(params.get("parity_strikes", 5))),
                     on=["date", "expiry"])
    wide = wide[wide["forward"].notna()].reset_index(drop=True)
    strike, forward = wide["strike"].to_numpy(float), wide["forward"].to_numpy(float)
    years = wide["calendar_days"].to_numpy(float) / DAYS_PER_YEAR
    put_side = strike < forward
    price = np.where(put_side, wide["put_settle"], wide["call_settle"])
    usable = (price >= float(params.get("min_price", 0.5))) & (
        np.abs(np.log(strike / forward)) <= float(params.get("max_log_moneyness", 0.3))
    )
    iv = np.full(len(wide), np.nan)
    iv[usable] = implied_vols(
        price[usable], forward[usable], strike[usable], years[usable], rate, ~put_side[usable]
    )
    root = iv * np.sqrt(years)
    d1 = np.log(forward / strike) / root + 0.5 * root
    group = wide.groupby(["date", "expiry"], sort=False).ngroup().to_numpy()
    slope = _slopes(strike, iv, group)
    p_above = np.clip(ndtr(d1 - root) - forward * _phi(d1) * np.sqrt(years) * slope, 0.0, 1.0)
    beyond = np.where(put_side, 1.0 - p_above, p_above)
    out = wide.assign(
        iv=iv,
        iv_side=np.where(put_side, "put", "call"),
        delta=np.where(put_side, ndtr(d1) - 1.0, ndtr(d1)),
        p_above=p_above,
        p_below=1.0 - p_above,
        p_touch_market=np.minimum(1.0, 2 * beyond),
    )
    return out[STRIKE_COLUMNS + ["underlying"]]


def _at_delta(delta: np.ndarray, iv: np.ndarray, target: float) -> float:
    """IV interpolated at a Black-76 delta (within the deltas present)."""
    ok = np.isfinite(iv) & np.isfinite(delta)
    if ok.sum() < 2 or not delta[ok].min() <= target <= delta[ok].max():
        return np.nan
    order = np.argsort(delta[ok])
    return float(np.interp(target, delta[ok][order], iv[ok][order]))


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else np.nan


def _wall(strike: np.ndarray, oi: np.ndarray) -> tuple[float, float]:
    return float(strike[int(np.argmax(oi))]), float(oi.max())


def expiry_summary(g: dict) -> dict:
    """ATM IV, 25-delta wings, straddle, PCR, OI walls and max pain of one (date, expiry) from its
    strikes (numpy columns of STRIKE_COLUMNS: per-group pandas is too slow for ~2,000 expiries)."""
    forward, underlying, strike, iv, delta = (
        g["forward"][0],
        g["underlying"][0],
        g["strike"],
        g["iv"],
        g["delta"],
    )
    known = np.isfinite(iv)
    atm_iv = float(np.interp(forward, strike[known], iv[known])) if known.sum() >= 2 else np.nan
    calls = g["iv_side"] == "call"
    call_25 = _at_delta(delta[calls], iv[calls], 0.25)
    put_25 = _at_delta(delta[~calls], iv[~calls], -0.25)
    both = np.flatnonzero(np.isfinite(g["call_settle"]) & np.isfinite(g["put_settle"]))
    atm = both[int(np.argmin(np.abs(strike[both] - forward)))] if len(both) else None
    straddle = float(g["call_settle"][atm] + g["put_settle"][atm]) if atm is not None else np.nan
    call_oi, put_oi = np.nan_to_num(g["call_oi"]), np.nan_to_num(g["put_oi"])
    call_wall, call_wall_oi = _wall(strike, call_oi)
    put_wall, put_wall_oi = _wall(strike, put_oi)
    return {
        "date": g["date"][0],
        "expiry": g["expiry"][0],
        "calendar_days": float(g["calendar_days"][0]),
        "underlying": underlying,
        "forward": forward,
        "forward_gap": forward / underlying - 1.0,
        "atm_iv": atm_iv,
        "iv_call_25d": call_25,
        "iv_put_25d": put_25,
        "risk_reversal_25d": call_25 - put_25,
        "butterfly_25d": 0.5 * (call_25 + put_25) - atm_iv,
        "straddle_strike": float(strike[atm]) if atm is not None else np.nan,
        "straddle_points": straddle,
        "expected_move_fraction": straddle / forward,
        "pcr_oi": _ratio(put_oi.sum(), call_oi.sum()),
        "pcr_volume": _ratio(np.nansum(g["put_contracts"]), np.nansum(g["call_contracts"])),
        "call_wall_strike": call_wall,
        "call_wall_oi": call_wall_oi,
        "put_wall_strike": put_wall,
        "put_wall_oi": put_wall_oi,
        "max_pain": max_pain_strike(pd.DataFrame({"strike": strike, "call_oi": call_oi,
                                                  "put_oi": put_oi})),
        "strikes": int(len(strike)),
        "strikes_with_iv": int(known.sum()),
    }


def chain_surface(chain: pd.DataFrame, rate: float,
                  params: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every (date, expiry) with both sides, 1 to `max_days` calendar days out: strikes and expiry
    rows."""
    days = (chain["expiry"] - chain["date"]).dt.days
    usable = chain[
        chain["both_sides"].astype(bool)
        & days.between(1, int(params.get("max_days", 100)))
        & chain["underlying"].notna()
    ]
    if usable.empty:
        return (
            pd.DataFrame({c: pd.Series(dtype="float64") for c in STRIKE_COLUMNS}),
            pd.DataFrame({c: pd.Series(dtype="float64") for c in EXPIRY_COLUMNS}),
        )
    strikes = strike_surface(pivot_chain(usable), rate, params)  # sorted by date, expiry, strike
    columns = {c: strikes[c].to_numpy() for c in strikes.columns}
    columns["iv_side"] = strikes["iv_side"].astype(str).to_numpy()
    group = strikes.groupby(["date", "expiry"], sort=False).ngroup().to_numpy()
    bounds = np.r_[0, np.flatnonzero(np.diff(group)) + 1, len(group)]
    summaries = [
        expiry_summary({c: v[a:b] for c, v in columns.items()})
        for a, b in zip(bounds[:-1], bounds[1:])
    ]
    return strikes[STRIKE_COLUMNS], pd.DataFrame(summaries)[EXPIRY_COLUMNS]
