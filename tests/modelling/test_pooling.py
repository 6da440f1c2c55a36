"""Pooled training (modelling/pooling.py) and target scaling: which pooled rows a fold may see, that they are
used, that they help where the index's own history is short, and that config mistakes fail before training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.modelling.bundle import from_bundle, to_bundle
from aegismatrix.modelling.config import ModelConfig
from aegismatrix.modelling.pooling import build_pool_input, eligible_pool
from aegismatrix.modelling.training import predict_rows, train_fold

FEATURES = ["signal", *[f"noise_{i}" for i in range(8)]]
POOLED = {
    "feature_set": "toy", "features": FEATURES, "label": {"name": "forward_return", "horizon": 1},
    "horizon": 1, "label_bins": [0.5], "class_names": ["down", "up"], "calibration": "none",
    "estimator": {"kind": "xgb_classifier", "params": {"n_estimators": 60, "max_depth": 3, "n_jobs": 1}},
    "baselines": [{"name": "prior", "kind": "class_prior"}], "primary_baseline": "prior",
    "metric": "log_loss", "splits": {"n_folds": 2, "min_train": 150}, "tuning": {"n_trials": 0},
    "pool": {"exclude": ["index"]},
}


def _symbol(n: int, seed: int, start: str = "2012-01-02") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Daily bars where `signal` of day t sets the sign of the return of t+1 (noisily), plus 8 noise
    features."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    ret = 0.002 * np.sign(np.r_[0.0, signal[:-1]]) + rng.normal(scale=0.006, size=n)
    close = 100 * np.exp(np.cumsum(ret))
    dates = pd.bdate_range(start, periods=n)
    daily = pd.DataFrame({"date": dates, "open": close, "high": close * 1.01, "low": close * 0.99,
                          "close": close})
    features = pd.DataFrame({"date": dates, "signal": signal,
                             **{c: rng.normal(size=n) for c in FEATURES[1:]}})
    return daily, features


def _universe(n_symbols: int = 6, n: int = 1500) -> tuple[pd.DataFrame, dict]:
    panel, daily = [], {}
    for k in range(n_symbols):
        bars, feats = _symbol(n, seed=100 + k)
        daily[f"s{k}"] = bars
        panel.append(feats.assign(symbol=f"s{k}"))
    return pd.concat(panel, ignore_index=True), daily


def _index_frame(n: int = 420) -> pd.DataFrame:
    """The index: a short history (a few hundred labelled rows) starting where the universe does."""
    bars, feats = _symbol(n, seed=7, start="2016-01-04")
    label = np.log(bars["close"].shift(-1) / bars["close"])
    return feats.assign(label=label.to_numpy())


def test_pool_rows_carry_their_own_label_and_the_date_their_window_closes():
    panel, daily = _universe(2, 300)
    daily["index"] = daily["s0"]
    pool = build_pool_input(panel, {k: (lambda f=f: f) for k, f in daily.items()}, {**POOLED, "horizon": 1})
    assert set(pool["symbol"]) == {"s0", "s1"}  # `index` excluded: it is the model's own rows
    s1 = pool[pool["symbol"] == "s1"].set_index("date")
    bars = daily["s1"].set_index("date")
    day = s1.index[10]
    nxt = bars.index[bars.index.get_loc(day) + 1]
    assert s1.loc[day, "label_end"] == nxt
    assert s1.loc[day, "label"] == pytest.approx(bars.loc[nxt, "close"] / bars.loc[day, "close"] - 1)
    assert pool[["label", "label_end", *FEATURES]].notna().all().all()


def test_pool_refuses_features_or_labels_other_symbols_do_not_have():
    panel, daily = _universe(1, 300)
    with pytest.raises(ValueError, match=r"features \['vix_level'\] are not in the universe panel"):
        build_pool_input(panel, daily, {**POOLED, "features": ["vix_level"]})
    touch = {**POOLED, "label": {"name": "implied_move_touch", "horizon": 5}, "horizon": 5}
    with pytest.raises(ValueError, match="needs column 'vix_close' that universe symbol 's0' lacks"):
        build_pool_input(panel, daily, touch)


def test_a_fold_sees_only_pooled_rows_whose_label_window_closed_before_its_own_last_label():
    frame = pd.DataFrame({"date": pd.bdate_range("2020-01-01", periods=30)})
    pool = pd.DataFrame({"date": frame["date"], "label_end": frame["date"] + pd.Timedelta(days=7)})
    rows = eligible_pool(pool, frame, np.arange(10), horizon=5)  # last training label window ends at row 14
    assert rows["label_end"].max() <= frame["date"].iloc[14] < pool["label_end"].iloc[len(rows)]


def _fit_predict(frame, pool, cfg, train, test):
    fitted = train_fold(frame, FEATURES, train, cfg, "pool-test", pool)
    return fitted, predict_rows(fitted, frame, FEATURES, test)


def test_pooled_rows_are_used_help_a_short_history_and_never_reach_past_the_purge():
    panel, daily = _universe()
    pool = build_pool_input(panel, daily, POOLED)
    frame, cfg = _index_frame(1200), ModelConfig.from_params(POOLED)
    # a short own history, scored on the ~940 rows after it
    train, test = np.arange(250), np.arange(260, 1199)
    fitted, pooled = _fit_predict(frame, pool, cfg, train, test)
    _, alone = _fit_predict(frame, None, cfg, train, test)
    assert fitted.pool["rows"] > 5 * len(train) and fitted.pool["symbols"] == [f"s{k}" for k in range(6)]
    y = frame["label"].to_numpy()[test] > fitted.label_thresholds[0]
    loss = {name: -np.mean(np.log(np.where(y, p[:, 1], p[:, 0])))
            for name, p in (("pooled", pooled), ("alone", alone))}
    assert loss["pooled"] < loss["alone"] - 0.01, loss
    # Rows whose label window closes after the last training label are never seen: scrambling them changes
    # nothing; scrambling the rows the fit may see changes it.
    limit = frame["date"].iloc[train[-1] + 1]
    late, early = pool["label_end"] > limit, pool["label_end"] <= limit
    assert late.any() and early.any()
    for mask, same in ((late, True), (early, False)):
        scrambled = pool.copy()
        scrambled.loc[mask, "label"] = -scrambled.loc[mask, "label"]
        _, again = _fit_predict(frame, scrambled, cfg, train, test)
        assert np.allclose(again, pooled) == same


def test_target_scale_fits_label_over_the_column_and_predicts_back_in_label_units():
    rng = np.random.default_rng(0)
    scale = rng.uniform(0.1, 1.0, 400)
    frame = pd.DataFrame({"date": pd.bdate_range("2020-01-01", periods=400), "scale": scale,
                          "x": rng.normal(size=400), "label": 2.0 * scale})
    params = {"feature_set": "toy", "features": ["x"],
              "label": {"name": "forward_realised_vol", "horizon": 1},
              "target_scale": "scale", "estimator": {"kind": "ridge", "params": {"columns": ["x"]}},
              "baselines": [{"name": "mean", "kind": "class_prior"}], "primary_baseline": "mean",
              "metric": "rmse", "tuning": {"n_trials": 0}}
    cfg = ModelConfig.from_params(params)
    fitted = train_fold(frame, ["x"], np.arange(300), cfg, "scale-test")
    rows = np.arange(300, 400)
    np.testing.assert_allclose(predict_rows(fitted, frame, ["x"], rows), 2.0 * scale[rows], rtol=1e-3)
    bundle = to_bundle(fitted, cfg, ["x"], "f", {"name": "toy.scaled"})
    np.testing.assert_allclose(predict_rows(from_bundle(bundle), frame, ["x"], rows), 2.0 * scale[rows],
                               rtol=1e-3)
    frame.loc[5, "scale"] = 0.0
    with pytest.raises(ValueError, match="target_scale 'scale' is zero or missing on training rows"):
        train_fold(frame, ["x"], np.arange(300), cfg, "scale-test")


@pytest.mark.parametrize(("change", "message"), [
    ({"estimator": {"kind": "bilstm_attention"}}, "reads rows in sequence"),
    ({"features": None}, "list `features:` explicitly"),
    ({"target_scale": "rv_cc_21"}, "applies to regressors only"),
    ({"pool": {"exclude": [], "weigth": 2}}, "pool.weigth"),
])
def test_pooling_config_mistakes_fail_before_training(change, message):
    with pytest.raises(ValueError, match=message):
        ModelConfig.from_params({**POOLED, **change})
