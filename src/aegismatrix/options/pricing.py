"""Model premiums and expiry payoffs of short option structures, in index points per unit of the
underlying.

Premiums are Black-Scholes prices (vollib) with India VIX as the volatility of every strike: MODEL
premiums, not traded prices, and the volatility skew is ignored (out-of-the-money puts trade richer
than this).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from aegismatrix.market.implied import implied_move_fraction

DAYS_PER_YEAR = 365.0
PREMIUM_MODEL = ("black_scholes(vollib), sigma = India VIX, no skew: model premiums, "
                 "not traded prices")


def bs_price(flag: str, spot: float, strike: float, calendar_days: float, rate: float,
             sigma: float) -> float:
    """One European option's Black-Scholes price; intrinsic value at or after expiry."""
    if calendar_days <= 0:
        return max(spot - strike, 0.0) if flag == "c" else max(strike - spot, 0.0)
    # imports numba (~0.4 s): not at pipeline registration
    from vollib.black_scholes import black_scholes

    return float(black_scholes(flag, spot, strike, calendar_days / DAYS_PER_YEAR, rate, sigma))


def short_strangle_payoff(settlement: float, put_strike: float, call_strike: float) -> float:
    """What the seller pays at expiry (cash settled on the closing index)."""
    return max(put_strike - settlement, 0.0) + max(settlement - call_strike, 0.0)


def iron_condor_payoff(settlement: float, put_strike: float, call_strike: float,
                       wing_points: float) -> float:
    """The strangle's payoff capped at the wing width on each side."""
    put_side = min(max(put_strike - settlement, 0.0), wing_points)
    call_side = min(max(settlement - call_strike, 0.0), wing_points)
    return put_side + call_side


def touch_z(target_breach_probability: float) -> float:
    """Sigmas at which a driftless Brownian path touches either side with the target probability
    (reflection)."""
    # norm.ppf without importing scipy.stats (~0.5 s)
    return float(ndtri(1.0 - target_breach_probability / 4.0))


def vix_implied_range(spot: float, vix: float, calendar_days: float,
                      target_breach_probability: float) -> tuple[float, float]:
    """The plain VIX-implied range of the same touch target:
    spot -+ z x VIX x sqrt(calendar days / 365) x spot."""
    move = implied_move_fraction(vix, calendar_days=calendar_days)
    half = touch_z(target_breach_probability) * move * spot
    return spot - half, spot + half


def snap_outward(lower: float, upper: float, step: float) -> tuple[float, float]:
    """Strikes on the grid at or beyond the range: the put below `lower`, the call above `upper`."""
    return float(np.floor(lower / step) * step), float(np.ceil(upper / step) * step)


def lot_size_on(date: pd.Timestamp, lot_sizes: list[dict]) -> int:
    """The lot size in force on `date` from a dated table [{from: YYYY-MM-DD, size: N}, ...]."""
    table = sorted(((pd.Timestamp(r["from"]), int(r["size"])) for r in lot_sizes),
                   key=lambda r: r[0])
    sizes = [size for start, size in table if start <= pd.Timestamp(date)]
    if not sizes:
        raise ValueError(f"no lot size in force on {pd.Timestamp(date).date()}: the table starts "
                         f"{table[0][0].date()}")
    return sizes[-1]
