"""The selection backtest: rules decide on matured rows only, and a candidate that stops working is caught."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.modelling.selection import newey_west_t, rule_edge
from aegismatrix.modelling.selection_backtest import (
    SignalSeries,
    backtest_rule,
    choose,
    compare_rules,
    holdout_rule,
    matured,
    series_from_oos,
)

N = 1500


def _series(good_until: int = N, seed: int = 0) -> SignalSeries:
    """Truth y; the baseline has noise sd 1; `good` has sd 0.6 before `good_until` and sd 1.6 after; `noise`
    is as good as the baseline."""
    rng = np.random.default_rng(seed)
    y = rng.normal(size=N)
    sd_good = np.where(np.arange(N) < good_until, 0.6, 1.6)
    return SignalSeries(
        name="synthetic", metric="mse", horizon=1,
        dates=pd.bdate_range("2012-01-02", periods=N).to_numpy(), y=y,
        baseline=y + rng.normal(size=N),
        candidates={"good": y + sd_good * rng.normal(size=N), "noise": y + rng.normal(size=N)})


def test_matured_rows_end_before_the_step_minus_the_horizon():
    series = _series()
    series.horizon = 5
    assert matured(series, 100).max() == 94  # label of row 94 spans 95..99, known before row 100
    assert len(matured(series, 3)) == 0


def test_choice_ignores_labels_not_yet_matured():
    series = _series()
    before = choose(series, matured(series, 800), {"kind": "dm", "alpha": 0.05})[0]
    series.y[800:] = 50.0  # anything after the step must not change the choice made at it
    assert choose(series, matured(series, 800), {"kind": "dm", "alpha": 0.05})[0] == before == {"good": 1.0}


@pytest.mark.parametrize("rule", [{"kind": "ci", "n_boot": 100}, {"kind": "dm"}, {"kind": "last_k", "k": 2},
                                  {"kind": "shrink", "penalty": 0.01}])
def test_every_rule_serves_a_lasting_improvement(rule):
    result = backtest_rule(_series(), rule, step=63, min_history=252)
    assert result["skill"] > 0.2 and result["ci_low"] > 0
    assert result["today"].startswith("good")


def test_dm_does_not_serve_a_candidate_no_better_than_the_baseline():
    series = _series()
    series.candidates.pop("good")
    result = backtest_rule(series, {"kind": "dm"}, step=63)
    assert result["served_shares"]["baseline"] >= 0.7  # re-testing every step gives some false positives
    assert result["today"] == "baseline" and abs(result["skill"]) < 0.05


def test_rolling_rule_drops_a_candidate_that_broke_and_the_expanding_one_is_slower():
    series = _series(good_until=900)
    rolling = backtest_rule(series, {"kind": "dm", "window": 252}, step=63)
    expanding = backtest_rule(series, {"kind": "dm"}, step=63)
    assert rolling["today"] == "baseline"
    assert rolling["skill"] > expanding["skill"]


def test_holdout_serves_the_choice_made_before_it_untouched():
    series = _series(good_until=900)
    start = int(np.searchsorted(series.dates, np.datetime64("2015-01-01")))
    assert start < 900
    result = holdout_rule(series, {"kind": "dm"}, "2015-01-01")
    assert result["choice"] == "good" and result["n"] == N - start


def test_newey_west_t_is_large_for_a_real_mean_and_small_for_noise():
    rng = np.random.default_rng(3)
    assert newey_west_t(0.3 + rng.normal(size=500), 5) > 4
    assert abs(newey_west_t(rng.normal(size=500), 5)) < 3
    edge, info = rule_edge(np.zeros(10), np.ones(10), 1, {"kind": "dm"})
    assert not edge and info["reason"] == "too few matured rows"


def test_series_from_oos_joins_candidates_on_date_and_compare_lists_each_rule():
    dates = pd.bdate_range("2015-01-01", periods=400)
    rng = np.random.default_rng(1)
    label = np.abs(rng.normal(0.15, 0.03, size=400))
    params = {"a": {"feature_set": "seller", "label": {"name": "forward_realised_vol", "horizon": 21},
                    "horizon": 21, "estimator": {"kind": "ridge", "params": {}},
                    "baselines": [{"name": "vix_scaled", "kind": "scaled_column", "column": "vix_close"}],
                    "primary_baseline": "vix_scaled", "metric": "qlike"}}
    params["b"] = params["a"]
    oos = {c: pd.DataFrame({"date": dates, "fold": "fold_1", "label": label,
                            "prediction": label * (1.0 + 0.1 * rng.normal(size=400)),
                            "baseline_vix_scaled__prediction": label * 1.3}) for c in ("a", "b")}
    oos["b"] = oos["b"].iloc[10:]
    series = series_from_oos("seller.vol", oos, params)
    assert len(series.y) == 390 and series.horizon == 21 and set(series.candidates) == {"a", "b"}
    table = compare_rules(series, {"dm": {"kind": "dm"}, "baseline": {"kind": "baseline"}}, step=21,
                          min_history=100, holdout_start="2016-01-01")
    assert list(table["rule"]) == ["dm", "baseline"]
    assert table.set_index("rule").loc["baseline", "backtest_skill"] == pytest.approx(0.0)


def test_best_rule_ranks_the_worst_signal_first_with_ties_under_a_tenth_of_a_point():
    from aegismatrix.benchmarks.selection import best_rule

    results = pd.DataFrame({"rule": ["blend", "blend", "never", "never", "ci", "ci"],
                            "worse_first": [-0.0003, 0.08, 0.0, 0.0, -0.02, 0.10]})
    best, summary = best_rule(results)
    assert best == "blend" and list(summary["rule"]) == ["blend", "never", "ci"]
    assert summary.set_index("rule").loc["ci", "signals_below_baseline"] == 1
