"""Named symbol universes: key -> Yahoo ticker. Keys double as CSV file names (`<key>.csv`)."""

from __future__ import annotations

# The 26-symbol cross-asset universe: US and Indian indices, VIX, and US large caps across sectors.
GLOBAL26: dict[str, str] = {
    "sp500": "^GSPC", "nasdaq": "^IXIC", "dow": "^DJI", "nifty50": "^NSEI",
    "niftybank": "^NSEBANK", "vix": "^VIX",
    "AAPL": "AAPL", "MSFT": "MSFT", "GOOGL": "GOOGL", "NVDA": "NVDA", "META": "META",
    "JPM": "JPM", "BAC": "BAC", "GS": "GS", "V": "V",
    "JNJ": "JNJ", "UNH": "UNH", "PFE": "PFE",
    "WMT": "WMT", "HD": "HD", "MCD": "MCD", "NKE": "NKE",
    "XOM": "XOM", "CVX": "CVX", "COP": "COP", "SLB": "SLB",
}

UNIVERSES: dict[str, dict[str, str]] = {"global26": GLOBAL26}

# Symbols whose Yahoo volume is meaningless or absent (indices and volatility indices).
NO_VOLUME_TICKERS = {"^INDIAVIX", "^VIX", "^NSEBANK", "^NSEI"}


def resolve_universe(name: str | None) -> dict[str, str]:
    """Return the key -> ticker mapping of a named universe, or {} for None."""
    if not name:
        return {}
    if name not in UNIVERSES:
        raise ValueError(f"unknown universe '{name}'; known: {sorted(UNIVERSES)}")
    return dict(UNIVERSES[name])
