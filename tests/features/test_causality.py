"""Proof of causality: every feature set computed on history cut at t equals the full-history rows up to t."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.features import ENGINES, build_engine_features
from aegismatrix.features.intraday import intraday_features
from aegismatrix.features.universe import build_universe_panel
from aegismatrix.market.overnight import with_us_sessions

N_CUTS = 12


def _cut_points(n: int, seed: int, low: int = 280) -> list[int]:
    """Seeded random cut lengths after the longest warm-up, plus the edge of the warm-up itself."""
    rng = np.random.default_rng(seed)
    return sorted({low, n - 1, *rng.integers(low, n - 1, N_CUTS - 2).tolist()})


def _assert_prefix_equal(full: pd.DataFrame, cut: pd.DataFrame, keys: list[str]) -> None:
    """The cut frame's rows appear unchanged (to 1e-9 relative) in the full frame."""
    assert len(cut) > 0
    merged = cut.merge(full, on=keys, how="left", suffixes=("_cut", "_full"), indicator=True)
    assert (merged["_merge"] == "both").all(), (
        "a row computed on the cut history is missing from the full run")
    for name in (c for c in cut.columns if c not in keys):
        np.testing.assert_allclose(merged[f"{name}_cut"], merged[f"{name}_full"], rtol=1e-9, atol=1e-12,
                                   err_msg=name)
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
    noisy.loc[t:, cols] = (noisy.loc[t:, cols].to_numpy()
                           * np.random.default_rng(3).uniform(0.8, 1.2, (len(noisy) - t, 1)))
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


# --- decision_time = preopen (issue 14): US session of US date t may enter row t, nothing stamped later ---

def _preopen_features(daily: pd.DataFrame, us: pd.DataFrame, engine: str) -> pd.DataFrame:
    frame, _ = build_engine_features(with_us_sessions(daily, us, "preopen"), engine,
                                     {"sources": {"overnight": [engine]}})
    return frame


def _stamped_before_preopen(us: pd.DataFrame, date_t: pd.Timestamp,
                            next_session: pd.Timestamp) -> pd.DataFrame:
    """US rows whose close (16:00 New York) is at or before 09:00 IST of the next NSE session, written out by
    hand."""
    close_utc = (us["date"] + pd.Timedelta(hours=16)).dt.tz_localize("America/New_York").dt.tz_convert("UTC")
    decision_utc = (next_session + pd.Timedelta(hours=9)).tz_localize("Asia/Kolkata").tz_convert("UTC")
    return us.loc[(close_utc <= decision_utc).to_numpy()].reset_index(drop=True)


@pytest.mark.parametrize("engine", ENGINES)
def test_preopen_rows_ignore_data_stamped_after_the_decision(synthetic_daily_plain, synthetic_us,
                                                             engine) -> None:
    """Black box: truncate both markets at row t's decision instant, or scramble and add data after it."""
    full = _preopen_features(synthetic_daily_plain, synthetic_us, engine)
    rng = np.random.default_rng(5)
    for k in _cut_points(len(synthetic_daily_plain), seed=14)[:6]:
        date_t, next_session = (synthetic_daily_plain["date"].iloc[k - 1],
                                synthetic_daily_plain["date"].iloc[k])
        us_known = _stamped_before_preopen(synthetic_us, date_t, next_session)
        assert us_known["date"].max() <= date_t  # the US session of a later US date closes after 09:00 IST
        cut = _preopen_features(synthetic_daily_plain.iloc[:k], us_known, engine)
        _assert_prefix_equal(full, cut, ["date"])
        later = synthetic_us["date"] > date_t
        noisy_us = synthetic_us.copy()
        noisy_us.loc[later, ["close", "vix_close"]] *= rng.uniform(0.5, 1.5, (int(later.sum()), 1))
        added = noisy_us.tail(3).assign(date=noisy_us["date"].max() + pd.to_timedelta([1, 2, 3], unit="D"))
        noisy_us = pd.concat([noisy_us, added], ignore_index=True)  # sessions added after t as well
        noisy_nse = synthetic_daily_plain.copy()
        cols = ["open", "high", "low", "close", "vix_high", "vix_low", "vix_close"]
        noisy_nse.loc[k:, cols] = (noisy_nse.loc[k:, cols].to_numpy()
                                   * rng.uniform(0.8, 1.2, (len(noisy_nse) - k, 1)))
        scrambled = _preopen_features(noisy_nse, noisy_us, engine)
        pd.testing.assert_frame_equal(full[full["date"] <= date_t], scrambled[scrambled["date"] <= date_t],
                                      rtol=1e-9)


def test_us_rows_dated_after_t_never_enter_even_across_an_nse_holiday(synthetic_daily_plain,
                                                                      synthetic_us) -> None:
    """NSE closed on t+1 (US open): the US session of t+1 closes before 09:00 IST of t+2 but is dated after
    t."""
    k = 400
    holiday = synthetic_daily_plain["date"].iloc[k]
    daily = synthetic_daily_plain.drop(index=k).reset_index(drop=True)
    us = pd.concat([synthetic_us.loc[synthetic_us["date"] != holiday],
                    synthetic_us.loc[synthetic_us["date"] < holiday].tail(1).assign(date=holiday)],
                   ignore_index=True)
    base = _preopen_features(daily, us.sort_values("date"), "direction")
    moved = us.copy()
    moved.loc[moved["date"] == holiday, ["close", "vix_close"]] *= 1.3
    changed = _preopen_features(daily, moved.sort_values("date"), "direction")
    date_t = synthetic_daily_plain["date"].iloc[k - 1]
    pd.testing.assert_frame_equal(base[base["date"] <= date_t], changed[changed["date"] <= date_t], rtol=1e-9)
    attached = with_us_sessions(daily, us.sort_values("date"), "preopen")
    at_t, following = (attached.loc[attached["date"] == date_t].iloc[0],
                       attached.loc[attached["date"] > date_t].iloc[0])
    assert at_t["us_date"] <= date_t  # the US session of the NSE holiday is dated after t
    in_between = us["date"].gt(date_t) & us["date"].le(following["date"])
    # it enters the next row, together with its own
    assert following["us_sessions_new"] == in_between.sum() >= 1


def test_close_mode_does_not_see_the_us_session_of_t(synthetic_daily_plain, synthetic_us) -> None:
    """At 15:30 IST of t the US session of t has not opened: altering it changes preopen row t, never close
    row t."""
    k = 500
    date_t = synthetic_daily_plain["date"].iloc[k - 1]
    moved = synthetic_us.copy()
    moved.loc[moved["date"] == date_t, ["close", "vix_close"]] *= 1.2
    assert (moved["date"] == date_t).any()
    params = {"sources": {"overnight": ["direction"]}}
    rows = {}
    for mode in ("close", "preopen"):
        a, _ = build_engine_features(with_us_sessions(synthetic_daily_plain, synthetic_us, mode), "direction",
                                     params)
        b, _ = build_engine_features(with_us_sessions(synthetic_daily_plain, moved, mode), "direction",
                                     params)
        rows[mode] = (a.loc[a["date"] == date_t, "us_overnight_ret"].item(),
                      b.loc[b["date"] == date_t, "us_overnight_ret"].item())
    assert rows["close"][0] == rows["close"][1]
    assert rows["preopen"][0] != rows["preopen"][1]


def test_event_features_causal_on_truncated_history(synthetic_daily_plain) -> None:
    """Scheduled events and expiries (issue 13's calendar): rows up to t do not depend on rows after t."""
    params = {"sources": {"events": ["direction"]}}
    daily = synthetic_daily_plain.assign(date=pd.bdate_range(end="2022-12-30",
                                                             periods=len(synthetic_daily_plain)))
    full, _ = build_engine_features(daily, "direction", params)
    assert {"days_to_rbi_policy", "nifty_weekly_expiry_next_session"} <= set(full.columns)
    for k in _cut_points(len(daily), seed=15)[:3]:
        cut, _ = build_engine_features(daily.iloc[:k], "direction", params)
        _assert_prefix_equal(full, cut, ["date"])


def test_sector_features_causal_on_truncated_history_and_scrambled_future(
        synthetic_daily: pd.DataFrame) -> None:
    """The sector index (NIFTY BANK, same 15:30 IST close): rows up to t ignore every sector close after t."""
    params = {"sources": {"sector": ["direction", "seller", "buyer"]}}
    t = 700
    noisy = synthetic_daily.copy()
    noisy.loc[t:, "sector_close"] *= np.random.default_rng(5).uniform(0.8, 1.2, len(noisy) - t)
    date_t = synthetic_daily["date"].iloc[t - 1]
    for engine in ENGINES:
        full, entry = build_engine_features(synthetic_daily, engine, params)
        assert "sector_rel_ret_21d" in entry["features"]
        for k in _cut_points(len(synthetic_daily), seed=16)[:3]:
            cut, _ = build_engine_features(synthetic_daily.iloc[:k], engine, params)
            _assert_prefix_equal(full, cut, ["date"])
        scrambled, _ = build_engine_features(noisy, engine, params)
        pd.testing.assert_frame_equal(full[full["date"] <= date_t], scrambled[scrambled["date"] <= date_t],
                                      rtol=1e-9)
