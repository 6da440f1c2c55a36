"""Engine feature frames: the registry's sets computed causally,
warm-up dropped, manifest entry attached."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .feature_sets import feature_set
from .fingerprint import fingerprint
from .indicators import compute_library
from .registry import REGISTRY

log = logging.getLogger(__name__)
REQUIRED = ("date", "open", "high", "low", "close")
# Parameters that change daily feature values;
# anything else (e.g. intraday buckets) stays out of the hash.
DAILY_PARAM_KEYS = ("feature_sets", "sources")


def drop_warmup(frame: pd.DataFrame, names: list[str], label: str, level: int = logging.INFO) -> pd.DataFrame:
    """Drop leading rows until every feature is defined,
    then any later undefined row (both counts logged)."""
    ok = np.isfinite(frame[names].to_numpy(dtype="float64")).all(axis=1)
    first = int(np.argmax(ok)) if ok.any() else len(frame)
    later = int((~ok[first:]).sum())
    log.log(level, "%s: dropped %d warm-up rows", label, first)
    if later:
        bad = frame["date"].iloc[first:][~ok[first:]]
        log.warning("%s: dropped %d undefined rows after warm-up (first %s, last %s)", label, later,
                    bad.iloc[0].date(), bad.iloc[-1].date())
    return frame.iloc[first:][ok[first:]].reset_index(drop=True)


def _families(names: list[str]) -> tuple[str, ...]:
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise KeyError(f"features not in the registry: {unknown}")
    return tuple(dict.fromkeys(REGISTRY[n].family for n in names))


def _prepare(market_daily: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in REQUIRED if c not in market_daily]
    if missing:
        raise ValueError(f"market_daily lacks columns {missing}")
    return market_daily.sort_values("date").reset_index(drop=True)


def _needing(daily: pd.DataFrame, names: list[str], source: str, column: str) -> tuple[list[str], bool]:
    """(the features of `names` that need `source`,
    whether `daily` lacks every value of its `column`)."""
    needs = [n for n in names if n in REGISTRY and REGISTRY[n].needs == source]
    return needs, bool(needs) and (column not in daily or not daily[column].notna().any())


def _check_us_columns(daily: pd.DataFrame, names: list[str]) -> bool:
    """True when a feature needs the US session;
    refuses clearly when none is attached (us_daily empty)."""
    needs, missing = _needing(daily, names, "us", "us_close")
    if missing:
        raise ValueError(f"features {needs} need the overnight US session, but no S&P 500 / Cboe "
                         "VIX rows are available (us_daily empty: check data_ingestion.overnight "
                         "and us/sp500.csv, us/vix.csv)")
    return bool(needs)


def _check_sector_column(daily: pd.DataFrame, names: list[str]) -> None:
    """Refuses clearly when a feature needs the sector
    index and market_daily has no `sector_close`."""
    needs, missing = _needing(daily, names, "sector", "sector_close")
    if missing:
        raise ValueError(f"features {needs} need the sector index, but market_daily has no "
                         "sector_close "
                         "(set data_ingestion.sector, e.g. {niftybank: ^NSEBANK}, with "
                         "niftybank.csv for the csv source)")


def build_engine_features(market_daily: pd.DataFrame, engine: str,
                          params: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """(`date` + float feature columns without warm-up/NaN/inf, manifest entry) for one engine."""
    names = feature_set(engine, params)
    daily = _prepare(market_daily)
    needs_us = _check_us_columns(daily, names)
    _check_sector_column(daily, names)
    # engine sets never use volume
    features = compute_library(daily, _families(names), volume_ok=False)
    frame = pd.concat([daily[["date"]], features[names]], axis=1)
    frame = drop_warmup(frame, names, f"{engine}_features")
    hashed = {k: (params or {})[k] for k in DAILY_PARAM_KEYS if (params or {}).get(k)}
    if needs_us:  # the same names mean different information at the close and before the open
        hashed["decision_time"] = (params or {}).get("decision_time", "close")
    entry = {"fingerprint": fingerprint(names, hashed), "features": names,
             "n_rows": int(len(frame))}
    return frame, entry
