"""Intraday features and the time-of-day profile: defined per session, absent cleanly without bars."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegismatrix.features.intraday import (
    INTRADAY_COLUMNS,
    PROFILE_COLUMNS,
    intraday_features,
    time_of_day_profile,
)

BAR_COLUMNS = ["timestamp", "date", "open", "high", "low", "close", "volume", "interval"]


def _no_bars() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c in ("timestamp", "date") else "float64")
                         for c in BAR_COLUMNS})


def test_empty_intraday_gives_documented_empty_frames() -> None:
    feats, prof = intraday_features(_no_bars()), time_of_day_profile(_no_bars())
    assert feats.empty and list(feats.columns) == INTRADAY_COLUMNS
    assert prof.empty and list(prof.columns) == PROFILE_COLUMNS


def test_features_per_session(synthetic_bars: pd.DataFrame, synthetic_daily: pd.DataFrame) -> None:
    feats = intraday_features(synthetic_bars)
    assert list(feats.columns) == INTRADAY_COLUMNS and len(feats) == synthetic_bars["date"].nunique()
    assert np.isfinite(feats.drop(columns="date").to_numpy()).all()
    daily = synthetic_daily.set_index("date").loc[feats["date"]]
    # the bars aggregate exactly to the daily bar, so the session return is the daily open-to-close
    np.testing.assert_allclose(feats["intraday_return"], np.log(daily["close"] / daily["open"]), rtol=1e-9)
    assert (feats["intraday_n_bars"] == 375).all()


def test_time_of_day_profile_buckets_from_the_open(synthetic_bars: pd.DataFrame) -> None:
    prof = time_of_day_profile(synthetic_bars, bucket_minutes=30)
    assert prof["bucket_start"].iloc[0] == "09:15" and len(prof) == 13
    assert (prof["n_days"] == synthetic_bars["date"].nunique()).all()
    assert (prof["mean_abs_move"] > 0).all() and (prof["median_abs_move"] > 0).all()
    assert len(time_of_day_profile(synthetic_bars, bucket_minutes=15)) == 25
