"""Universe panel: same indicators per symbol, stacked with a `symbol` column, fast, clean without volume."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from aegismatrix.features.indicators import PRICE_FAMILIES, compute_library
from aegismatrix.features.universe import (
    PRICE_FEATURES,
    VOLUME_FEATURES,
    build_universe_panel,
    universe_feature_names,
)


def test_panel_of_26_symbols_is_fast_and_clean(synthetic_panel_input: dict[str, pd.DataFrame]) -> None:
    start = time.perf_counter()
    panel = build_universe_panel(synthetic_panel_input)
    assert time.perf_counter() - start < 10  # measured ~0.4 s
    assert list(panel.columns) == ["date", "symbol", *universe_feature_names(True)]
    assert set(panel["symbol"]) == set(synthetic_panel_input)
    assert np.isfinite(panel[PRICE_FEATURES + VOLUME_FEATURES].to_numpy()).all()
    assert not panel.duplicated(["date", "symbol"]).any()


def test_panel_rows_equal_single_symbol_library(synthetic_panel_input: dict[str, pd.DataFrame]) -> None:
    key, frame = next(iter(synthetic_panel_input.items()))
    panel = build_universe_panel({key: lambda: frame})  # partitions arrive as load callables
    lib = compute_library(frame, PRICE_FAMILIES, volume_ok=True).iloc[-50:]
    np.testing.assert_allclose(panel[lib.columns].tail(50).to_numpy(), lib.to_numpy(), rtol=1e-12)


def test_volume_features_left_out_when_a_symbol_lacks_volume(
        synthetic_panel_input: dict[str, pd.DataFrame]) -> None:
    parts = dict(list(synthetic_panel_input.items())[:3])
    first = next(iter(parts))
    parts[first] = parts[first].assign(volume=np.nan)
    panel = build_universe_panel(parts)
    assert list(panel.columns) == ["date", "symbol", *PRICE_FEATURES]
    assert panel.groupby("symbol")["date"].max().nunique() == 1  # every symbol keeps its last row


def test_empty_universe_gives_empty_panel() -> None:
    panel = build_universe_panel({})
    assert panel.empty and list(panel.columns) == ["date", "symbol", *PRICE_FEATURES]
