"""The description of one named feature: what it is,
where it comes from, how much history it needs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureSpec:
    """One registered feature; `needs` is the input it cannot be computed without."""

    name: str
    family: str
    lookback: int
    description: str
    # "ohlc", "volume", "vix", "us" (overnight session), "calendar" or "sector" (NIFTY BANK)
    needs: str = "ohlc"
