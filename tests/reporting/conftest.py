"""Small but real model outputs for the report: the shared template trained on toy markets (seconds)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from aegismatrix.market.synthetic import synthetic_market_daily
from aegismatrix.modelling.template import model_pipeline


class _Kept(MemoryDataset):
    """A memory dataset the runner cannot release, so fixtures can read every output."""

    def _release(self) -> None:
        pass


def toy_market(n: int = 700, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The sign of a planted feature predicts tomorrow's return; `noise` predicts nothing."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    vol = 0.002 * np.exp(0.5 * np.sin(np.arange(n) / 40))
    ret = 0.004 * np.sign(np.r_[0.0, signal[:-1]]) + rng.normal(size=n) * vol
    close = 10000 * np.exp(np.cumsum(ret))
    dates = pd.bdate_range("2016-01-01", periods=n)
    market = pd.DataFrame({"date": dates, "open": close, "high": close * 1.003, "low": close * 0.997,
                           "close": close, "volume": np.nan, "vix_high": 15.0, "vix_low": 15.0,
                           "vix_close": 100 * vol * np.sqrt(252), "vix_filled": False})
    features = pd.DataFrame({"date": dates, "planted_signal": signal, "noise": rng.normal(size=n),
                             "trailing_vol": pd.Series(ret).rolling(10, min_periods=1).std().bfill()
                             .to_numpy()})
    return market, features


COMMON = {"feature_set": "toy", "splits": {"n_folds": 3, "min_train": 200}, "bootstrap": {"n_boot": 100}}
MODELS = {
    "direction.toy_up": {**COMMON, "label": {"name": "forward_return", "horizon": 1}, "horizon": 1,
                         "label_bins": [0.5], "class_names": ["down", "up"],
                         "estimator": {"kind": "logistic"}, "features": ["planted_signal", "noise"],
                         "baselines": [{"name": "prior", "kind": "class_prior"}], "primary_baseline": "prior",
                         "metric": "log_loss"},
    "direction.noise3": {**COMMON, "label": {"name": "forward_return", "horizon": 1}, "horizon": 1,
                         "label_bins": [0.33, 0.67], "class_names": ["down", "neutral", "up"],
                         "estimator": {"kind": "logistic"}, "features": ["noise"],
                         "baselines": [{"name": "prior", "kind": "class_prior"}], "primary_baseline": "prior",
                         "metric": "log_loss"},
    "seller.toy_vol": {**COMMON, "label": {"name": "forward_realised_vol", "horizon": 5}, "horizon": 5,
                       "estimator": {"kind": "ridge"}, "features": ["trailing_vol", "noise"],
                       "baselines": [{"name": "mean", "kind": "class_prior"}], "primary_baseline": "mean",
                       "metric": "rmse"},
}
OUTPUTS = ("metrics", "oos_predictions", "shap_importance", "predictions")


@pytest.fixture(scope="session")
def model_outputs(tmp_path_factory) -> dict[str, dict]:
    """`{namespace: {metrics, oos_predictions, shap_importance, predictions}}` from the real template."""
    store = tmp_path_factory.mktemp("optuna")
    market, features = toy_market()
    manifest = {"toy": {"fingerprint": "toy", "features": ["planted_signal", "noise", "trailing_vol"]}}
    out = {}
    for ns, params in MODELS.items():
        params = {**params, "tuning": {"n_trials": 0, "storage_dir": str(store)}, "namespace": ns}
        names = [f"{ns}.{o}" for o in OUTPUTS]
        catalog = DataCatalog({"toy_features": MemoryDataset(features), "market_daily": MemoryDataset(market),
                               "feature_manifest": MemoryDataset(manifest),
                               "data_provenance": MemoryDataset({"source": "synthetic"}),
                               f"params:{ns}": MemoryDataset(params), **{n: _Kept() for n in names},
                               "params:selection": MemoryDataset(None)})
        SequentialRunner().run(model_pipeline(ns, "toy"), catalog)
        out[ns] = {o: catalog[f"{ns}.{o}"].load() for o in OUTPUTS}
    return out


@pytest.fixture(scope="session")
def market_daily() -> pd.DataFrame:
    return synthetic_market_daily(years=3, seed=7)


@pytest.fixture(scope="session")
def engine_signals(market_daily) -> dict[str, pd.DataFrame]:
    """Signal frames in the engines' contracts, built from the market (causal: VIX-implied ranges)."""
    m = market_daily
    dates, close, vix = m["date"], m["close"].to_numpy(), m["vix_close"].to_numpy() / 100
    seller = pd.DataFrame({"date": dates, "vol_forecast_21d": vix * 0.8, "vol_regime": "medium",
                           "p_vol_low": 0.3, "p_vol_medium": 0.4, "p_vol_high": 0.3, "trap_probability": 0.2,
                           "model_source": np.where(np.arange(len(m)) < 200, "baseline", "model")})
    for tenor in (5, 21):
        move = 1.7 * vix * np.sqrt(tenor / 252) * close
        seller[f"safe_lower_{tenor}d"], seller[f"safe_upper_{tenor}d"] = close - move, close + move
        seller[f"breach_probability_{tenor}d"] = 0.1
    direction = pd.concat([pd.DataFrame({"date": dates, "horizon_days": h, "p_down": 0.3, "p_neutral": 0.3,
                                         "p_up": 0.4, "model_source": "baseline"}) for h in (1, 5)],
                          ignore_index=True)
    buyer = pd.DataFrame({"date": dates, "breakout_probability": 0.08, "spike_up_probability": 0.5,
                          "theta_edge": 0.1, "model_source": "baseline"})
    return {"seller_signals": seller, "direction_signals": direction, "buyer_signals": buyer}


@pytest.fixture(scope="session")
def strategy_backtest(market_daily) -> tuple[pd.DataFrame, dict]:
    """The seller strategy backtest on weekly Thursday expiries with strikes 3% either side of the close."""
    from aegismatrix.pipelines.seller.options_nodes import seller_strategy_backtest

    dates = pd.DatetimeIndex(market_daily["date"])
    expiries = dates[dates.dayofweek == 3]
    rows = [{"date": d, "expiry": e, "expiry_kind": "weekly",
             "trading_days": int(((dates > d) & (dates <= e)).sum()),
             "strike_lower": np.floor(c * 0.97 / 50) * 50, "strike_upper": np.ceil(c * 1.03 / 50) * 50,
             "target_breach_probability": 0.1}
            for d, c in zip(dates, market_daily["close"]) for e in expiries[expiries > d][:1]]
    params = {"entry_trading_days": 5, "condor_wing_points": 200, "cost_points_per_leg": 1.0, "rate": 0.065,
              "weekly_listed_from": "2019-02-11", "worst_weeks": 3,
              "lot_sizes": [{"from": "2000-01-01", "size": 50}]}
    return seller_strategy_backtest(pd.DataFrame(rows), market_daily, params, {"strike_step": 50})
