"""Field helpers every engine's payload section uses: the latest signal row, per-signal sources,
finite numbers.

A NaN stays NaN here (never a silent 0.0 or 1.0): `payload.unavailable.mark_unavailable` turns it
into null with a reason. The engines' sections live in `payload/sections/<engine>.py`
(docs/payload.md).
"""

from __future__ import annotations

import logging
import math
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from aegismatrix.market.implied import implied_move_fraction

logger = logging.getLogger(__name__)

REGIMES = ["low", "medium", "high"]


class Section(NamedTuple):
    """What an engine's section function returns: its block of the payload and the warnings it
    raised (the envelope lists them in `data.warnings`); the function changes nothing it is
    given."""

    body: dict
    warnings: tuple[str, ...] = ()


def engine_records(records: dict[str, dict], engine: str) -> dict[str, dict]:
    """The payload records of one engine's models (namespace `<engine>.<model>`), in wiring
    order."""
    return {ns: record for ns, record in records.items() if ns.startswith(f"{engine}.")}


def finite(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def non_negative(value: Any) -> float:
    """Negative forecasts clip to 0; NaN stays NaN (`max(0.0, nan)` is 0.0: a silent number) for
    mark_unavailable."""
    value = float(value)
    return 0.0 if math.isfinite(value) and value < 0.0 else value


def unit_interval(value: Any) -> float:
    """Clip to [0, 1] but keep NaN/inf as NaN (np.clip(inf, 0, 1) would serve a silent 1.0)."""
    value = float(value)
    return float(np.clip(value, 0.0, 1.0)) if math.isfinite(value) else math.nan


def utc_stamp(stamp: str | None) -> str | None:
    """An ISO timestamp as UTC `...Z` (the schema's form), or None."""
    if not stamp:
        return None
    ts = pd.Timestamp(stamp)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_date(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(pd.Timestamp(value).date())


def signal_source(row: pd.Series, signal: str,
                  source_columns: dict[str, list[str]] | None = None) -> str:
    """`model`, `baseline` or `heuristic` for one signal: its engine's source column (first
    present), else the row's."""
    for col in (source_columns or {}).get(signal, []):
        if col in row.index and isinstance(row[col], str):
            return row[col] if row[col] in ("model", "baseline", "heuristic") else "baseline"
    return str(row.get("model_source", "baseline"))


def latest_row(frame: pd.DataFrame | None, as_of: pd.Timestamp,
               name: str) -> tuple[pd.Series | None, str | None]:
    """The signal row of `as_of`, or the last one before it with a warning (None when there is
    none)."""
    if frame is None or len(frame) == 0:
        return None, None
    frame = frame[pd.to_datetime(frame["date"]) <= as_of]
    if frame.empty:
        return None, None
    row = frame.sort_values("date").iloc[-1]
    if pd.Timestamp(row["date"]) < as_of:
        return row, (f"{name} last available for {iso_date(row['date'])}, "
                     f"before data_as_of {iso_date(as_of)}")
    return row, None


def known_rate(market: pd.DataFrame, label: str, default: float, **kwargs) -> float:
    """Base rate of a label over the loaded window's closed label windows (the heuristic's
    prior)."""
    from aegismatrix.labels import build_label

    try:
        values = build_label(market, label, **kwargs).dropna()
    except Exception as exc:  # a label whose signature changed: serve the documented default
        logger.warning("heuristic base rate of %s unavailable (%s): using %.3f", label, exc,
                       default)
        return default
    return float(values.mean()) if len(values) >= 20 else default


def implied_sigma_points(market: pd.DataFrame, trading_days: int) -> float:
    """VIX-implied one-sigma move in points over `trading_days` from the last close
    (market.implied)."""
    last = market.iloc[-1]
    fraction = implied_move_fraction(float(last["vix_close"]), trading_days=trading_days)
    return float(last["close"] * fraction)


def vix_regime(market: pd.DataFrame, lookback: int, quantiles: list[float]) -> str:
    """Today's India VIX against its terciles over the last `lookback` sessions of the window."""
    vix = market["vix_close"].dropna().iloc[-lookback:]
    low, high = np.quantile(vix, quantiles)
    current = float(vix.iloc[-1])
    return "low" if current <= low else "high" if current > high else "medium"


def drivers_for(records: dict[str, dict], ns: str | None) -> list[dict]:
    """The latest top drivers of model `ns` when it serves the signal (none for a baseline)."""
    entry = records.get(ns) if ns else None
    return list(entry["drivers"]) if entry and entry["model_source"] == "model" else []
