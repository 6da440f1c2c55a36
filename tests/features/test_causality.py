"""Proof of causality: every feature set computed on history cut at t equals the full-history rows up to t."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.features import ENGINES, build_engine_features
from aegismatrix.features.intraday import intraday_features
from aegismatrix.features.universe import build_universe_panel

N_CUTS = 12


def _cut_points(n: int, seed: int, low: int = 280) -> list[int]:
    """Seeded random cut lengths after the longest warm-up, plus the edge of the warm-up itself."""
    rng = np.random.default_rng(seed)
    return sorted({low, n - 1, *rng.integers(low, n - 1, N_CUTS - 2).tolist()})


def _assert_prefix_equal(full: pd.DataFrame, cut: pd.DataFrame, keys: list[str]) -> None:
    """The cut frame's rows appear unchanged (to 1e-9 relative) in the full frame."""
    assert len(cut) > 0
    merged = cut.merge(full, on=keys, how="left", suffixes=("_cut", "_full"), indicator=True)
    assert (merged["_merge"] == "both").all(), "a row computed on the cut history is missing from the full run"
    for name in (c for c in cut.columns if c not in keys):
        np.testing.assert_allclose(merged[f"{name}_cut"], merged[f"{name}_full"], rtol=1e-9, atol=1e-12, err_msg=name)
    # and no full-history row up to the cut date is missing from the cut run
    last = cut["date"].max()
    assert len(full[full["date"] <= last]) == len(cut)


def _check_engines(daily: pd.DataFrame, seed: int) -> None:
    for engine in ENGINES:
        full, _ = build_engine_features(daily, engine)
        for k in _cut_points(len(daily), seed):
            cut, _ = build_engine_features(daily.iloc[:k], engine)
            _assert_prefix_equal(full, cut, ["date"])


@pytest.mark.real_data
def test_engine_sets_causal_on_real_data(real_daily: pd.DataFrame) -> None:
    _check_engines(real_daily, seed=11)


def test_engine_sets_causal_on_synthetic_data(synthetic_daily: pd.DataFrame) -> None:
    _check_engines(synthetic_daily, seed=12)


def test_future_values_do_not_leak(synthetic_daily: pd.DataFrame) -> None:
    """Scrambling every value after t leaves rows up to t unchanged."""
    t = 700
    noisy = synthetic_daily.copy()
    cols = ["open", "high", "low", "close", "vix_high", "vix_low", "vix_close"]
    noisy.loc[t:, cols] = noisy.loc[t:, cols].to_numpy() * np.random.default_rng(3).uniform(0.8, 1.2, (len(noisy) - t, 1))
    date_t = synthetic_daily["date"].iloc[t - 1]
    for engine in ENGINES:
        a, _ = build_engine_features(synthetic_daily, engine)
        b, _ = build_engine_features(noisy, engine)
        pd.testing.assert_frame_equal(a[a["date"] <= date_t], b[b["date"] <= date_t], rtol=1e-9)


def test_universe_panel_causal(synthetic_panel_input: dict[str, pd.DataFrame]) -> None:
    parts = dict(list(synthetic_panel_input.items())[:4])
    full = build_universe_panel(parts)
    for k in _cut_points(len(next(iter(parts.values()))), seed=13)[:5]:
        cut = build_universe_panel({s: f.iloc[:k] for s, f in parts.items()})
        _assert_prefix_equal(full, cut, ["date", "symbol"])


def test_intraday_features_use_their_own_session_only(synthetic_bars: pd.DataFrame) -> None:
    full = intraday_features(synthetic_bars)
    dates = sorted(synthetic_bars["date"].unique())
    cut = intraday_features(synthetic_bars[synthetic_bars["date"] <= dates[4]])
    _assert_prefix_equal(full, cut, ["date"])
