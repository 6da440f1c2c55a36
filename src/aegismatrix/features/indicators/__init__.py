"""The causal indicator library: six price families, the VIX-based implied family, the overnight US
family, the event calendar and the NSE sector index."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..spec import FeatureSpec
from . import events, implied, momentum, overnight, pattern, sector, statistical, trend, volatility, volume

FAMILIES = ("trend", "momentum", "volatility", "volume", "pattern", "statistical", "implied",
            "overnight", "events", "sector")
_MODULES = {"trend": trend, "momentum": momentum, "volatility": volatility, "volume": volume,
            "pattern": pattern, "statistical": statistical, "implied": implied, "overnight": overnight,
            "events": events, "sector": sector}
PRICE_FAMILIES = tuple(f for f in FAMILIES if f not in ("implied", "overnight", "events", "sector"))
_USES_VOLUME = ("momentum", "volume")  # MFI and the volume family read the volume column


def all_specs() -> tuple[FeatureSpec, ...]:
    """Every indicator the library computes, family by family."""
    return tuple(spec for fam in FAMILIES for spec in _MODULES[fam].SPECS)


def compute_library(frame: pd.DataFrame, families: tuple[str, ...] = FAMILIES,
                    volume_ok: bool = False) -> pd.DataFrame:
    """All features of the given families for one series, aligned row for row with `frame`."""
    cols: dict[str, np.ndarray] = {}
    for fam in families:
        mod = _MODULES[fam]
        cols |= mod.compute(frame, volume_ok=volume_ok) if fam in _USES_VOLUME else mod.compute(frame)
    names = [s.name for fam in families for s in _MODULES[fam].SPECS]
    # a computed column without a registry entry (or vice versa) is a bug
    if set(cols) != set(names):
        raise RuntimeError(f"library and registry disagree: {sorted(set(cols) ^ set(names))}")
    out = pd.DataFrame({n: cols[n] for n in names}, index=frame.index, dtype="float64")
    return out.replace([np.inf, -np.inf], np.nan)


__all__ = ["FAMILIES", "PRICE_FAMILIES", "all_specs", "compute_library", "volume"]
