"""The one VIX-implied move: India VIX (annualised %, calendar-day convention) -> one-sigma move as
a fraction of spot.

Known at the close of t (no look-ahead); used by labels (excursion ratios), features
(`implied_move_{h}d`), the seller's ranges and expiry ranges, the option pricing's plain VIX range
and the payload's sigma points.
"""

from __future__ import annotations

import numpy as np

TRADING_DAYS_PER_YEAR = 252
CALENDAR_DAYS_PER_YEAR = 365


def implied_move_fraction(vix_close, trading_days=None, calendar_days=None):
    """VIX/100 x sqrt(calendar days / 365): over `calendar_days` (per row, e.g. to an expiry on the
    NSE calendar) when given, else over `trading_days` index rows converted at 365/252 calendar days
    per session (i.e. VIX/100 x sqrt(trading days / 252)). Same type as `vix_close` (Series, array
    or float)."""
    if calendar_days is None:
        calendar_days = np.asarray(trading_days, dtype=float) * CALENDAR_DAYS_PER_YEAR / TRADING_DAYS_PER_YEAR
    return vix_close / 100.0 * np.sqrt(np.asarray(calendar_days, dtype=float) / CALENDAR_DAYS_PER_YEAR)
