"""Seller engine: the excursion-ratio label window, causal safe-range calibration, max pain, volatility
choice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.labels import build_label, forward_excursion_ratio
from aegismatrix.market.synthetic import synthetic_market_daily
from aegismatrix.modelling.selection import choose_candidate
from aegismatrix.modelling.template import EngineRecords, ModelRecord
from aegismatrix.options.chain import max_pain_strike
from aegismatrix.pipelines.seller.nodes import (
    SIGNAL_COLUMNS,
    assemble_seller_signals,
    causal_multiplier,
    safe_ranges,
)
from aegismatrix.pipelines.seller.options_nodes import option_chain_analytics

SELLER_PARAMS = {
    "safe_range": {"target_breach_probability": 0.10, "tenors": [5, 21], "scale": "vix", "min_history": 120,
                   "prior_multiplier": {5: 1.6, 21: 1.4}},
    "breach_5d": {"label_bins": [0.9]}, "breach_21d": {"label_bins": [0.9]},
}


def _market() -> pd.DataFrame:
    close = np.array([100.0, 101.0, 99.0, 100.0, 104.0])
    return pd.DataFrame({"date": pd.bdate_range("2024-01-01", periods=5), "close": close,
                         "high": close + [1.0, 1.0, 2.0, 1.0, 1.0], "low": close - [1.0, 3.0, 1.0, 1.0, 1.0],
                         "vix_close": 252 ** 0.5 * 100 / 100})  # implied one-day move = 1% of spot exactly


def test_excursion_ratio_window_is_t_plus_1_to_t_plus_h():
    market = _market()
    ratio = forward_excursion_ratio(market, horizon=2)
    move = 0.01 * np.sqrt(2)  # VIX/100 x sqrt(2/252) with VIX = sqrt(252)
    # t=0: highs of t+1, t+2 = 102, 101 -> +2%; lows 98, 98 -> -2% -> excursion 0.02
    assert ratio.iloc[0] == pytest.approx(0.02 / move)
    # t=1 (close 101): highs 101, 101 -> 0; lows 98, 99 -> 1 - 98/101
    assert ratio.iloc[1] == pytest.approx((1 - 98 / 101) / move)
    assert ratio.iloc[-2:].isna().all()  # incomplete windows
    assert build_label(market, "forward_excursion_ratio", horizon=2).equals(ratio.astype(float))


def test_multiplier_uses_only_closed_windows():
    rng = np.random.default_rng(0)
    ratio = pd.Series(rng.lognormal(size=400))
    k = causal_multiplier(ratio, horizon=5, target=0.1, min_history=50, prior=1.5)
    changed = ratio.copy()
    changed.iloc[300:] = 1e6  # the future (and windows still open at t=304) must not move k_t for t <= 304
    k2 = causal_multiplier(changed, horizon=5, target=0.1, min_history=50, prior=1.5)
    np.testing.assert_allclose(k.iloc[:305], k2.iloc[:305])
    assert k2.iloc[305] != k.iloc[305]
    assert (k.iloc[:54] == 1.5).all() and k.iloc[54] != 1.5  # 50 closed windows by t = 54


def test_safe_range_breach_rate_is_calibrated_on_synthetic_data():
    market = synthetic_market_daily(years=8, seed=11)
    forecast = pd.DataFrame({"date": market["date"], "vol_forecast_21d": market["vix_close"] / 100})
    for scale in ("vix", "vol_forecast"):
        params = {**SELLER_PARAMS, "safe_range": {**SELLER_PARAMS["safe_range"], "scale": scale}}
        ranges = safe_ranges(market, forecast, params)
        for h in (5, 21):
            realised = ranges[f"realised_breach_{h}d"].iloc[300:].dropna()  # after the multiplier has history
            assert abs(realised.mean() - 0.10) < 0.04, (scale, h, realised.mean())
            assert (ranges[f"safe_lower_{h}d"] < market["close"]).all()
            assert (ranges[f"safe_upper_{h}d"] > market["close"]).all()


def test_breach_models_must_match_the_target():
    market = synthetic_market_daily(years=2, seed=1)
    forecast = pd.DataFrame({"date": market["date"], "vol_forecast_21d": 0.15})
    with pytest.raises(ValueError, match="label_bins"):
        safe_ranges(market, forecast, {**SELLER_PARAMS, "breach_5d": {"label_bins": [0.8]}})


def test_max_pain_hand_computed(tmp_path):
    chain = pd.DataFrame({"strike": [90.0, 100.0, 110.0], "call_oi": [10.0, 50.0, 100.0],
                          "put_oi": [100.0, 50.0, 10.0]})
    # settle 90: puts 50x10 + 10x20 = 700; settle 100: calls 10x10 + puts 10x10 = 200;
    # settle 110: 10x20 + 50x10 = 700
    assert max_pain_strike(chain) == 100.0
    path = tmp_path / "2024-01-03.csv"
    chain.to_csv(path, index=False)
    none = pd.DataFrame(columns=["date", "expiry"])  # no option_chain_daily (options_dir is null)
    market = pd.DataFrame({"date": [pd.Timestamp("2024-01-03")]})  # the chain is served for its own date only
    snapshots = {str(path): pd.read_csv(path, dtype=str)}
    history, block = option_chain_analytics(snapshots, none, none, none, market)
    assert block["max_pain"] == history["max_pain"].iloc[0] == 100.0
    _, missing = option_chain_analytics({}, none, none, none, market)
    assert missing["max_pain"] is None and "no option chain" in missing["reason"]


def _metrics(edge: bool, wf: float, test: float) -> dict:
    return {"edge": edge, "metric": "qlike", "status": "edge" if edge else "no_edge",
            "walk_forward": {"model": {"qlike": wf}}, "test": {"model": {"qlike": test}},
            "primary_baseline": "vix"}


def test_volatility_choice_uses_walk_forward_not_test():
    chosen = choose_candidate(["a", "b", "c"], {"a": _metrics(True, 0.20, 0.01),
                                                "b": _metrics(True, 0.10, 0.9),
                                                "c": _metrics(False, 0.01, 0.01)})
    assert chosen == "b"
    assert choose_candidate(["a", "b"], {"a": _metrics(False, 0.2, 0.2),
                                         "b": _metrics(False, 0.1, 0.1)}) == "a"


def test_assembly_contract_and_model_source():
    dates = pd.bdate_range("2024-01-01", periods=4)
    src = ["model", "model", "baseline", "model"]
    base = pd.DataFrame({"date": dates, "model_source": src})
    vol = pd.DataFrame({"date": dates, "vol_forecast_21d": 0.12, "vol_model_source": "model",
                        "vol_model": "vol_har"})
    regime = base.assign(p_low=[0.6, 0.1, 0.2, 0.3], p_medium=0.2, p_high=[0.2, 0.7, 0.6, 0.5])
    trap = base.assign(p_no_touch=0.7, p_touch=0.3).assign(model_source="model")
    breach = base.assign(p_inside=0.9, p_breach=0.1).assign(model_source="model")
    ranges = pd.DataFrame({"date": dates, **{f"safe_{s}_{h}d": v for h in (5, 21)
                                             for s, v in (("lower", 90.0), ("upper", 110.0))}})
    records = EngineRecords(tuple(ModelRecord(f"seller.{name}", {}, frame) for name, frame in
                                  (("vol_regime", regime), ("trap", trap), ("breach_5d", breach),
                                   ("breach_21d", breach))))
    out = assemble_seller_signals(vol, ranges, {"max_pain": 100.0, "reason": None}, records)
    assert list(out.columns[: len(SIGNAL_COLUMNS)]) == SIGNAL_COLUMNS
    assert out["vol_regime"].tolist() == ["low", "high", "high", "high"]
    assert out["model_source"].tolist() == src
    assert out["max_pain"].iloc[-1] == 100.0 and out["max_pain"].iloc[:-1].isna().all()
