"""Universe mode: the price-family features per symbol,
stacked into one panel with a `symbol` column."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import pandas as pd

from .engine import drop_warmup
from .indicators import PRICE_FAMILIES, all_specs, compute_library
from .indicators.volume import volume_usable

log = logging.getLogger(__name__)
PRICE_FEATURES = [s.name for s in all_specs() if s.family in PRICE_FAMILIES and s.needs != "volume"]
VOLUME_FEATURES = [s.name for s in all_specs() if s.needs == "volume"]


def universe_feature_names(with_volume: bool) -> list[str]:
    """The panel's feature columns: every price feature,
    plus the volume ones when every symbol has volume."""
    return PRICE_FEATURES + (VOLUME_FEATURES if with_volume else [])


def _load(partitions: Mapping[str, Callable[[], pd.DataFrame] | pd.DataFrame]) -> dict[str, pd.DataFrame]:
    frames = {k: (v() if callable(v) else v) for k, v in sorted(partitions.items())}
    return {k: f.sort_values("date").reset_index(drop=True) for k, f in frames.items() if not f.empty}


def _symbol_features(key: str, daily: pd.DataFrame, names: list[str], with_volume: bool) -> pd.DataFrame:
    feats = compute_library(daily, PRICE_FAMILIES, volume_ok=with_volume)[names]
    frame = pd.concat([daily[["date"]], feats], axis=1)
    frame = drop_warmup(frame, names, f"universe_features[{key}]", level=logging.DEBUG)
    frame.insert(1, "symbol", key)
    return frame


def build_universe_panel(partitions: Mapping, params: dict | None = None) -> pd.DataFrame:
    """`date, symbol` + features for every symbol (one vectorised pass per symbol);
    empty when no symbols."""
    params = params or {}
    frames = _load(partitions or {})
    cover, recent = params.get("volume_min_coverage", 0.95), params.get("volume_recent_rows", 21)
    with_volume = bool(frames) and all(volume_usable(f, cover, recent) for f in frames.values())
    names = universe_feature_names(with_volume)
    if not frames:
        return pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"),
                             "symbol": pd.Series(dtype="str"),
                             **{n: pd.Series(dtype="float64") for n in names}})
    panel = pd.concat([_symbol_features(k, f, names, with_volume) for k, f in frames.items()],
                      ignore_index=True)
    log.info("universe_features: %d symbols, %d rows, %d features (volume features %s)",
             len(frames),
             len(panel), len(names), "included" if with_volume else "left out: a symbol lacks usable volume")
    return panel
