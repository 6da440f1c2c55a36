"""The indicator library: registry coverage, hand-written helpers against TA-Lib, volume handling, no VIX
open."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib

from aegismatrix.features.indicators import FAMILIES, all_specs, compute_library
from aegismatrix.features.indicators import _common as cm
from aegismatrix.features.indicators.volume import NAMES as VOLUME_NAMES
from aegismatrix.features.indicators.volume import volume_usable
from aegismatrix.features.registry import REGISTRY

WARMUP = 300  # compare after every TA-Lib seeding effect has worn off


def test_registry_matches_what_the_library_computes(synthetic_daily: pd.DataFrame) -> None:
    lib = compute_library(synthetic_daily, volume_ok=True)
    assert list(lib.columns) == [s.name for s in all_specs()] == list(REGISTRY)
    assert len(REGISTRY) >= 70
    assert {s.family for s in all_specs()} == set(FAMILIES)
    assert all(s.description and s.lookback >= 1 for s in all_specs())


def test_lookbacks_match_first_defined_row(synthetic_daily: pd.DataFrame) -> None:
    lib = compute_library(synthetic_daily, volume_ok=True)
    for spec in all_specs():
        first = int(np.argmax(np.isfinite(lib[spec.name].to_numpy())))
        assert spec.lookback - 3 <= first <= spec.lookback, spec.name


def test_no_inf_and_defined_after_warmup(synthetic_daily: pd.DataFrame) -> None:
    lib = compute_library(synthetic_daily, volume_ok=True)
    assert not np.isinf(lib.to_numpy()).any()
    assert lib.iloc[WARMUP:].notna().all().all()


@pytest.mark.real_data
def test_hand_written_helpers_match_talib(real_daily: pd.DataFrame) -> None:
    """Each hand-written rolling helper that TA-Lib also has agrees with it on real NIFTY after warm-up."""
    h, l, c = (real_daily[k].to_numpy(dtype="float64") for k in ("high", "low", "close"))
    r = cm.log_ret(c)
    pairs = {
        "rolling_max": (cm.rolling_max(h, 20), talib.MAX(h, 20)),
        "rolling_min": (cm.rolling_min(l, 55), talib.MIN(l, 55)),
        "rolling_sum": (cm.rolling_sum(c, 20), talib.SUM(c, 20)),
        "rolling_mean": (cm.rolling_mean(c, 63), talib.SMA(c, 63)),
        "rolling_std": (cm.rolling_std(c, 21), talib.STDDEV(c, 21, 1.0) * np.sqrt(21 / 20)),  # TA-Lib: ddof=0
        "rolling_corr": (cm.rolling_corr(h, l, 63), talib.CORREL(h, l, 63)),
        "true_range": (cm.true_range(h, l, c), talib.TRANGE(h, l, c)),
        "log_ret": (cm.log_ret(c, 5), np.log(talib.ROCR(c, 5))),
        "rolling_max_ret": (cm.rolling_max(r, 10), talib.MAX(r, 10)),
    }
    for name, (mine, ref) in pairs.items():
        np.testing.assert_allclose(mine[WARMUP:], ref[WARMUP:], rtol=1e-8, atol=1e-10, err_msg=name)


def test_volume_features_skipped_cleanly_without_volume(synthetic_daily: pd.DataFrame) -> None:
    no_volume = synthetic_daily.assign(volume=np.nan)
    assert not volume_usable(no_volume)
    lib = compute_library(no_volume, volume_ok=False)
    assert lib[list(VOLUME_NAMES) + ["mfi_14"]].isna().all().all()
    others = [c for c in lib.columns if c not in VOLUME_NAMES and c != "mfi_14"]
    pd.testing.assert_frame_equal(lib[others], compute_library(synthetic_daily, volume_ok=True)[others])


@pytest.mark.real_data
def test_real_nifty_volume_with_missing_tail_is_not_usable(real_daily: pd.DataFrame) -> None:
    """NIFTY's volume stops on 2022-08-26: usable by coverage, refused because the recent rows lack it."""
    assert real_daily["volume"].notna().mean() > 0.95
    assert not volume_usable(real_daily)
    assert volume_usable(real_daily[real_daily["date"] <= "2022-08-26"])


def test_indicator_sanity_on_known_series() -> None:
    """Hand-checkable values: a steady uptrend has RSI 100, zero drawdown and full up-day entropy 0."""
    n = 300
    close = 100 * np.exp(np.arange(n) * 0.001)
    frame = pd.DataFrame({"open": close, "high": close * 1.001, "low": close * 0.999, "close": close})
    lib = compute_library(frame, ("momentum", "statistical"))
    assert lib["rsi_14"].iloc[-1] == pytest.approx(100.0)
    assert lib["drawdown_252"].iloc[-1] == pytest.approx(0.0)
    assert lib["sign_entropy_20"].iloc[-1] == pytest.approx(0.0)
    assert lib["ret_1d"].iloc[-1] == pytest.approx(0.001)


def test_signed_run_length() -> None:
    cond = np.array([True, True, False, False, False, True])
    valid = np.array([False, True, True, True, True, True])
    out = cm.signed_run_length(cond, valid)
    assert np.isnan(out[0])
    assert out[1:].tolist() == [1, -1, -2, -3, 1]
