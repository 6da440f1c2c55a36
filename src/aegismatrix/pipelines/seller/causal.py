"""Causal (expanding, out-of-sample) calibration from closed outcome windows.

A sample is an outcome observed over a window that closes at `known_at` (a row position or a date); a query at
`query_at` may use only samples with known_at <= query_at. Both the safe-range multiplier of the fixed tenors
and the per-expiry ranges and touch probabilities use these two estimators, so the rule lives in one place.
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
    """Per query: the q-quantile of the samples known by then, `prior` below `min_history` samples; and that
    count."""
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
    """Per query: the share of known samples with sample_up > z_up or sample_down > z_down (NaN with none);
    count.

    Pass z = +inf to ignore a side. Thresholds are per query, so each query is its own out-of-sample
    frequency.
    """
    known, up, down = _sorted_samples(known_at, sample_up, sample_down)
    counts = known_counts(known, query_at)
    z_up, z_down = np.asarray(z_up, dtype=float), np.asarray(z_down, dtype=float)
    rate = np.full(len(counts), np.nan)
    positions = np.arange(len(up))
    for start in range(0, len(counts), QUERY_CHUNK):
        block = slice(start, start + QUERY_CHUNK)
        usable = positions[None, :] < counts[block, None]
        hits = (up[None, :] > z_up[block, None]) | (down[None, :] > z_down[block, None])
        with np.errstate(invalid="ignore", divide="ignore"):
            rate[block] = (hits & usable).sum(axis=1) / counts[block]
    return np.where(counts > 0, rate, np.nan), counts
