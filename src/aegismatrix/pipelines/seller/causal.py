"""Causal (expanding, out-of-sample) calibration from closed outcome windows.

A sample is an outcome observed over a window that closes at `known_at` (a row position or a date);
a query at `query_at` may use only samples with known_at <= query_at. Both the safe-range multiplier
of the fixed tenors and the per-expiry ranges and touch probabilities use these two estimators, so
the rule lives in one place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# queries per block of the (queries x samples) comparison: bounds memory at ~1 MB per sample batch
QUERY_CHUNK = 1024


def _sorted_samples(known_at, *values) -> tuple[np.ndarray, ...]:
    """Drop samples with a missing value; sort the rest by the time they became known (stable)."""
    known = np.asarray(known_at)
    columns = [np.asarray(v, dtype=float) for v in values]
    valid = ~pd.isna(known)
    for column in columns:
        valid &= ~np.isnan(column)
    order = np.argsort(known[valid], kind="stable")
    return (known[valid][order], *[c[valid][order] for c in columns])


def known_counts(known_sorted: np.ndarray, query_at) -> np.ndarray:
    """How many samples each query may use (those known at or before it)."""
    return np.searchsorted(known_sorted, np.asarray(query_at), side="right")


def causal_quantile(
    values, known_at, query_at, q: float, min_history: int, prior: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per query: the q-quantile of the samples known by then, `prior` below `min_history` samples;
    and that count."""
    known, vals = _sorted_samples(known_at, values)
    counts = known_counts(known, query_at)
    expanding = pd.Series(vals).expanding(min_periods=1).quantile(q).to_numpy()
    quantile = np.where(counts >= max(int(min_history), 1),
                        expanding[np.maximum(counts - 1, 0)] if len(vals) else prior,
                        prior)
    return quantile.astype(float), counts


def causal_exceedance(
    known_at, sample_up, sample_down, query_at, z_up, z_down
) -> tuple[np.ndarray, np.ndarray]:
    """Per query: the share of known samples with sample_up > z_up or sample_down > z_down
    (NaN with none); count.

    Pass z = +inf to ignore a side. Thresholds are per query, so each query is its own out-of-sample
    frequency.
    """
    either, _, _, counts = causal_exceedance_sides(known_at, sample_up, sample_down, query_at, z_up,
                                                   z_down)
    return either, counts


def causal_exceedance_sides(
    known_at, sample_up, sample_down, query_at, z_up, z_down
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`causal_exceedance` of either side, of the up side alone and of the down side alone, in one
    pass."""
    known, up, down = _sorted_samples(known_at, sample_up, sample_down)
    counts = known_counts(known, query_at)
    z_up, z_down = np.asarray(z_up, dtype=float), np.asarray(z_down, dtype=float)
    hits = np.zeros((3, len(counts)), dtype=np.int64)
    positions = np.arange(len(up))
    # a block of similar counts compares only what it knows
    by_count = np.argsort(counts, kind="stable")
    for start in range(0, len(counts), QUERY_CHUNK):
        block = by_count[start:start + QUERY_CHUNK]
        known_here = int(counts[block[-1]])
        if known_here == 0:
            continue
        usable = positions[None, :known_here] < counts[block, None]
        up_hit = (up[None, :known_here] > z_up[block, None]) & usable
        down_hit = (down[None, :known_here] > z_down[block, None]) & usable
        hits[:, block] = [np.count_nonzero(up_hit | down_hit, axis=1),
                          np.count_nonzero(up_hit, axis=1),
                          np.count_nonzero(down_hit, axis=1)]
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(counts > 0, hits / counts, np.nan)
    return rates[0], rates[1], rates[2], counts
