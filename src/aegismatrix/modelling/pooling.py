"""Pooled training: other symbols' rows of the universe
panel join each training fold of a NIFTY model.

A template instance with a `pool:` block trains on NIFTY's training rows plus the panel rows of
every other symbol whose label window closed no later than the label window of the last NIFTY
training row (the same purge the walk-forward split applies, in dates, so no symbol's future reaches
a test block). Inner validation, calibration, baselines and scoring stay on NIFTY's rows, so a
pooled model is scored on exactly the rows of its NIFTY-only twin and the engines serve it only when
it beats that twin under the usual edge rule (modelling/selection.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from aegismatrix.labels import build_label
from aegismatrix.modelling.config import ModelConfig

logger = logging.getLogger(__name__)

POOL_COLUMNS = ["date", "symbol", "label_end", "label"]


def _daily_frames(universe_daily: Mapping[str, Callable[[], pd.DataFrame] | pd.DataFrame],
                  exclude: list[str]) -> dict[str, pd.DataFrame]:
    frames = {k: (v() if callable(v) else v) for k, v in sorted((universe_daily or {}).items())
              if k not in exclude}
    return {k: f.sort_values("date").reset_index(drop=True) for k, f in frames.items() if len(f)}


def _symbol_labels(key: str, daily: pd.DataFrame, cfg: ModelConfig) -> pd.DataFrame:
    """The model's label on one symbol's own bars,
    and the date its label window closes (row t + horizon)."""
    try:
        label = build_label(daily, **cfg.label)
    except KeyError as exc:  # e.g. a label scaled by the India VIX, which other symbols do not have
        raise ValueError(f"pool: label {cfg.label['name']!r} needs column {exc} that universe "
                         f"symbol {key!r} lacks; pool only labels in the symbol's own price units "
                         "(e.g. "
                         "forward_realised_vol, next_day_breakout, direction_class)") from None
    return pd.DataFrame({"date": daily["date"], "symbol": key,
                         "label_end": daily["date"].shift(-cfg.horizon),
                         "label": label.to_numpy(dtype=float)})


def build_pool_input(universe_features: pd.DataFrame, universe_daily: Mapping, params: dict) -> pd.DataFrame:
    """`date, symbol, label_end,
    label` + the model's features (+ target_scale column) per pooled symbol.

    Rows without a closed label window or with a missing feature are left out; empty when no
    universe is loaded."""
    cfg = ModelConfig.from_params(params)
    cols = list(dict.fromkeys([*cfg.features, *([cfg.target_scale] if cfg.target_scale else [])]))
    missing = sorted(set(cols) - set(universe_features.columns))
    if missing:
        raise ValueError(f"pool: features {missing} are not in the universe panel "
                         "(universe_features); pooled models use "
                         "the price-family features every symbol has")
    frames = _daily_frames(universe_daily, cfg.pool["exclude"])
    if not frames:
        logger.warning("pool %s: the universe panel is empty (data_ingestion.universe unset): "
                       "training on "
                       "the index rows only", cfg.label["name"])
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in [*POOL_COLUMNS, *cols]})
    labels = pd.concat([_symbol_labels(k, f, cfg) for k, f in frames.items()], ignore_index=True)
    pool = labels.merge(universe_features[["date", "symbol", *cols]], on=["date", "symbol"],
                        how="inner")
    pool = (pool.dropna(subset=["label", "label_end", *cols]).sort_values(["date", "symbol"])
            .reset_index(drop=True))
    logger.info("pool %s: %d rows from %d symbols (%s)", cfg.label["name"], len(pool),
                pool["symbol"].nunique(), ", ".join(sorted(pool["symbol"].unique())))
    return pool


def eligible_pool(pool: pd.DataFrame | None, frame: pd.DataFrame, pos: np.ndarray,
                  horizon: int) -> pd.DataFrame | None:
    """Pooled rows whose label window closed by the close of the last training row's label window
    (row pos[-1] + h)."""
    if pool is None or not len(pool) or not len(pos):
        return None
    limit = frame["date"].iloc[min(int(pos[-1]) + horizon, len(frame) - 1)]
    rows = pool[pool["label_end"] <= limit]
    return rows if len(rows) else None


def pool_summary(pool: pd.DataFrame | None) -> dict:
    """What the pool held: symbols and rows (recorded in metrics and the bundle)."""
    if pool is None or not len(pool):
        return {"symbols": [], "rows": 0}
    counts = pool.groupby("symbol").size()
    return {"symbols": sorted(counts.index.tolist()), "rows": int(len(pool)),
            "rows_per_symbol": {k: int(v) for k, v in counts.items()},
            "dates": [str(pool["date"].min().date()), str(pool["date"].max().date())]}
