"""Ranges per expiry: the label window to expiry, causality of the calibration, the dataset contract,
real-data check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.labels import forward_excursion_to_expiry
from aegismatrix.market.synthetic import synthetic_market_daily
from aegismatrix.pipelines.seller.causal import causal_exceedance, causal_quantile
from aegismatrix.pipelines.seller.expiry_calibration import expiry_range_calibration
from aegismatrix.pipelines.seller.expiry_ranges import RANGE_COLUMNS, build_expiry_ranges, dte_bucket

PARAMS = {
    "safe_range": {"target_breach_probability": 0.10},
    "expiry_ranges": {"underlying": "NIFTY", "n_weekly": 2, "include_monthly": True, "strike_step": 50,
                      "dte_buckets": [1, 2, 3, 4, 5, 6, 8, 11, 16, 21], "min_history": 60,
                      "prior_multiplier": 1.5, "ladder_strikes": 4},
}


def test_excursion_to_expiry_window_is_t_plus_1_to_the_expiry_row():
    close = np.array([100.0, 101.0, 99.0, 100.0, 104.0])
    market = pd.DataFrame({"date": pd.to_datetime(["2023-03-27", "2023-03-28", "2023-03-29", "2023-03-31",
                                                   "2023-04-03"]),
                           "close": close, "high": close + 1.0, "low": close - [1.0, 1.0, 3.0, 1.0, 1.0]})
    expiry = pd.Series(pd.to_datetime(["2023-03-29", "2023-03-29", "2023-04-06", "2023-04-03", "2023-04-06"]))
    moves = forward_excursion_to_expiry(market, expiry)
    # t=0 -> rows 28, 29 Mar: highs 102, 100; lows 100, 96; expires at 99
    assert moves.loc[0].tolist() == pytest.approx([0.02, 0.04, -0.01])
    assert moves.loc[1, "down"] == pytest.approx(1 - 96 / 101)
    assert moves.loc[3].tolist() == pytest.approx([0.05, -0.03, 0.04])  # 31 Mar -> 3 Apr only (low 103 > 100)
    assert moves.loc[[2, 4]].isna().all().all()  # 6 April is past the data: not yet known


def test_causal_estimators_ignore_windows_closing_after_the_query():
    rng = np.random.default_rng(3)
    known = pd.bdate_range("2020-01-01", periods=300).values
    values = rng.lognormal(size=300)
    queries = known[150:160]
    q1, n1 = causal_quantile(values, known, queries, 0.9, 20, 1.5)
    p1, _ = causal_exceedance(known, values, values, queries, np.full(10, 1.0), np.full(10, np.inf))
    changed = values.copy()
    changed[160:] = 1e6
    q2, n2 = causal_quantile(changed, known, queries, 0.9, 20, 1.5)
    p2, _ = causal_exceedance(known, changed, changed, queries, np.full(10, 1.0), np.full(10, np.inf))
    np.testing.assert_allclose(q1, q2)
    np.testing.assert_allclose(p1, p2)
    assert n1.tolist() == list(range(151, 161))
    assert causal_quantile(values, known, known[:5], 0.9, 20, 1.5)[0].tolist() == [1.5] * 5


def test_dte_bucket_is_the_largest_edge_not_above():
    assert dte_bucket([1, 5, 6, 7, 9, 30], [1, 2, 3, 4, 5, 6, 8, 11, 16, 21]).tolist() == [1, 5, 6, 6, 8, 21]


@pytest.fixture(scope="module")
def synthetic_ranges():
    return build_expiry_ranges(synthetic_market_daily(years=4, seed=5), PARAMS)


def test_expiry_rows_contract(synthetic_ranges):
    ranges, ladder = synthetic_ranges
    assert list(ranges.columns[:len(RANGE_COLUMNS)]) == RANGE_COLUMNS
    per_date = ranges.groupby("date")["expiry_kind"].value_counts().unstack()
    assert (per_date["weekly"] == 2).all() and (per_date["monthly"] == 1).all()
    assert (ranges["expiry"] > ranges["date"]).all() and (ranges["trading_days"] >= 1).all()
    assert (ranges["strike_lower"] % 50 == 0).all() and (ranges["strike_upper"] % 50 == 0).all()
    assert ((ranges["strike_lower"] <= ranges["lower"]).all()
            and (ranges["strike_upper"] >= ranges["upper"]).all())
    for column in ("p_touch", "p_expire_beyond"):
        assert ranges[column].between(0, 1).all()
    assert (ranges["p_expire_beyond"] <= ranges["p_touch"] + 1e-12).all()  # expiring beyond implies a touch
    last = ranges[ranges["date"] == ranges["date"].max()]
    assert last["realised_touch_range"].isna().all()  # the future is unknown at the last date
    assert set(ranges["model_source"]) == {"prior", "calibrated"}
    assert set(ladder["expiry"]) == set(last["expiry"]) and len(ladder) == 3 * 9


def test_ladder_probabilities_fall_with_distance(synthetic_ranges):
    _, ladder = synthetic_ranges
    for (_, _side), rows in ladder.groupby(["expiry", "side"]):
        ordered = rows.sort_values("distance_points", key=np.abs)
        assert (ordered["p_touch"].is_monotonic_decreasing
                and ordered["p_expire_beyond"].is_monotonic_decreasing)


def test_events_listed_inside_the_expiry_window():
    market = synthetic_market_daily(years=2, seed=2)
    market = market[market["date"] <= "2025-02-03"].reset_index(drop=True)
    ranges, _ = build_expiry_ranges(market, PARAMS)
    row = ranges[(ranges["date"] == "2025-01-28") & (ranges["expiry_kind"] == "weekly")
                 & (ranges["expiry_rank"] == 1)]
    assert row["expiry"].item() == pd.Timestamp("2025-01-30")
    assert "fomc 2025-01-30" in row["events"].item()  # FOMC of 29 Jan (US) lands on the NSE session of 30 Jan
    week2 = ranges[(ranges["date"] == "2025-01-28") & (ranges["expiry_rank"] == 2)]["events"].item()
    assert "union_budget 2025-02-01" in week2


@pytest.mark.real_data
def test_nearest_weekly_ranges_are_calibrated_on_real_2010_2022(real_data_dir):
    nifty = pd.read_csv(real_data_dir / "nifty50.csv", parse_dates=["date"])
    vix = pd.read_csv(real_data_dir / "indiavix.csv", parse_dates=["date"])[["date", "close"]]
    market = nifty.merge(vix.rename(columns={"close": "vix_close"}), on="date")
    market = market[market["date"] >= "2010-01-01"].reset_index(drop=True)
    params = {**PARAMS, "expiry_ranges": {**PARAMS["expiry_ranges"], "min_history": 100}}
    ranges, _ = build_expiry_ranges(market, params)
    nearest = expiry_range_calibration(ranges, params)["expiries"]["weekly_1"]
    assert nearest["n"] > 2000
    assert abs(nearest["realised_touch_rate_range"] - 0.10) <= 0.02
    assert abs(nearest["mean_p_touch_strikes"] - nearest["realised_touch_rate_strikes"]) <= 0.02
