"""Fixed inputs of the inference payload node (issue 25 item 3): the payload they give is compared
byte for byte with the one the code gave before the payload convention changed
(`tests/house/data/*.json`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from aegismatrix.market.overnight import synthetic_us_session
from aegismatrix.market.synthetic import synthetic_intraday, synthetic_market_daily
from aegismatrix.modelling.template import ModelRecord
from aegismatrix.pipelines.seller.expiry_ranges import build_expiry_ranges
from aegismatrix.pipelines.seller.intraday_ranges import intraday_snapshot

GENERATED_AT = "2026-01-02T10:06:02Z"
VARIANTS = ("close", "preopen", "intraday")
INFERENCE = {
    "payload_path": "unused", "dashboard_dir": None, "n_drivers": 3, "stale_after_hours": 24,
    "regime_lookback": 252, "regime_quantiles": [0.3333, 0.6667],
    "heuristic": {"direction_horizons": [1, 5], "neutral_band_1d": 0.0025, "vix_to_realised": 1.3,
                  "regime_confidence": 0.6, "range_sigmas": {5: 1.5, 21: 2.0},
                  "target_breach_probability": 0.1},
}
SELLER = {"safe_range": {"target_breach_probability": 0.12},
          "expiry_ranges": {"underlying": "NIFTY", "n_weekly": 2, "include_monthly": True,
                            "strike_step": 50,
                            "dte_buckets": [1, 2, 3, 4, 5, 6, 8, 11, 16, 21], "min_history": 60,
                            "prior_multiplier": 1.5, "ladder_strikes": 4}}
DRIVERS = [{"feature": "rsi_14", "value": 41.0, "contribution": 0.02},
           {"feature": "vix_percentile_252d", "value": 0.7, "contribution": -0.01}]


def _entry(ns: str, edge: bool, horizon: int | None = None, missing: bool = False) -> dict:
    return {"name": ns, "trained_at": "2026-01-01T00:00:00Z",
            "status": "edge" if edge else "no_edge",
            "model_source": "model" if edge else "baseline", "missing": missing, "horizon": horizon,
            "class_names": ["down", "neutral", "up"] if horizon else None, "label": {},
            "oos": {"metric": "log_loss", "score": 0.9, "baseline": "class_prior",
                    "baseline_score": 0.91, "skill": 0.01},
            "drivers": DRIVERS if edge else [], "as_of": None, "demoted": False, "guard": None}


def model_records() -> dict[str, dict]:
    """One record per served model, as `describe_served_models` writes them (`name` is the
    namespace)."""
    return {e["name"]: e for e in (
        _entry("direction.xgb_h1", False, 1), _entry("direction.xgb_h5", True, 5),
        _entry("direction.gap", False), _entry("seller.vol_har", True), _entry("seller.trap", True),
        _entry("seller.vol_regime", False), _entry("seller.breach_5d", False, missing=True),
        _entry("buyer.breakout", True), _entry("buyer.spike", False))}


def _signals(market: pd.DataFrame) -> dict[str, pd.DataFrame]:
    dates, spot = market["date"].iloc[-300:], float(market["close"].iloc[-1])
    direction = pd.concat([pd.DataFrame({
        "date": dates, "horizon_days": h, "p_down": 0.3, "p_neutral": 0.25, "p_up": 0.45,
        "neutral_band": 0.0025 * np.sqrt(h), "predicted_direction": "up", "conviction": 0.15,
        "expected_abs_move_points": 0.007 * spot * np.sqrt(h), "move_lower_points": 0.001 * spot,
        "move_upper_points": 0.02 * spot * np.sqrt(h), "direction_model": f"xgb_h{h}",
        "model_source": "model" if h == 5 else "baseline"}) for h in (1, 5)], ignore_index=True)
    late = (direction["horizon_days"] == 1) & (direction["date"] == dates.iloc[-1])
    direction = direction[~late]  # h=1 one session late: the envelope's warning
    seller = pd.DataFrame({
        "date": dates, "vol_forecast_21d": 0.13, "vol_regime": "medium", "p_vol_low": 0.2,
        "p_vol_medium": 0.6, "p_vol_high": 0.2, "trap_probability": 0.3,
        "safe_lower_5d": spot * 0.96, "safe_upper_5d": spot * 1.04,
        "breach_probability_5d": 0.1, "safe_lower_21d": spot * 0.92, "safe_upper_21d": spot * 1.08,
        "breach_probability_21d": math.nan, "model_source": "baseline", "vol_model": "vol_har",
        "vol_model_source": "model", "trap_model_source": "model",
        "vol_regime_model_source": "baseline"})
    buyer = pd.DataFrame({
        "date": dates, "breakout_probability": 0.1, "spike_up_probability": 0.6,
        "p_breakout_up": 0.06, "p_breakout_down": 0.04, "theta_ratio_forecast": 0.8,
        "theta_edge": 0.2, "fair_theta_ratio": 0.9,
        "model_source": "baseline", "breakout_model": "breakout", "breakout_model_source": "model",
        "spike_model_source": "baseline", "theta_model_source": "baseline"})
    return {"direction": direction, "seller": seller, "buyer": buyer}


def _scorecard() -> dict:
    block = {"breach_rate": 0.1, "breach_rate_ci95": [0.05, 0.15], "n_matured": 40, "n_pending": 3,
             "target": 0.12, "expire_beyond_rate": 0.04,
             "rolling": {"63": [{"date": "2024-01-02", "rate": 0.1}]}}
    return {"generated_at": "2026-01-02T09:00:00Z", "market_last_date": "2024-06-27",
            "ledger_rows": 120,
            "breach_rate_5d": 0.1, "breach_rate_21d": 0.11, "n_matured_5d": 40, "n_matured_21d": 30,
            "vol_rmse_ratio_to_naive": 0.93, "ranges": {"seller.safe_range/5d": block},
            "volatility": {"n_matured": 30, "rmse": 0.02, "naive_rmse": 0.022, "series": []},
            "drift_flags": [{"signal": "seller.safe_range/5d", "observed": 0.2, "expected": 0.1,
                             "band": [0.05, 0.15], "n": 40, "drifting": True}]}


def fixed_inputs(variant: str) -> dict:
    """The named inputs of the payload node for one decision time (`close`, `preopen`,
    `intraday`)."""
    market = synthetic_market_daily(years=2, seed=5, end="2024-06-28")
    us = synthetic_us_session(market, {"sp500": "^GSPC", "vix": "^VIX"}, seed=5)
    us_daily = us["sp500"].frame.assign(vix_close=us["vix"].frame["close"].to_numpy())
    ranges, ladder = build_expiry_ranges(market, SELLER)
    gap = pd.DataFrame({"date": market["date"], "prediction": 0.002, "model_source": "model"})
    gap_model = {"meta": {"edge": True, "abs_residual_quantiles": {"model": {"0.8": 0.004}}}}
    intraday = (pd.DataFrame(), pd.DataFrame(), {})
    if variant == "intraday":
        bars = synthetic_intraday(market, sessions=3, seed=5)
        day = pd.Timestamp(market["date"].iloc[-1]).date()
        at = {**INFERENCE, "decision_at": f"{day}T05:30:00Z"}  # 11:00 IST
        intraday = intraday_snapshot(market, bars, SELLER, at, "intraday")
    windows = [{"start": "09:15", "end": "09:45", "typical_abs_move_points": 20.0},
               {"start": "10:45", "end": "11:15", "typical_abs_move_points": 12.0}]
    return {
        "market_daily": market,
        "data_provenance": {"source": "synthetic", "warnings": ["a fixed warning"]},
        "model_versions": {"seller.trap": "2026-01-01T00.00.00.000Z"}, "params": INFERENCE,
        "model_records": model_records(), "signals": _signals(market), "seller_params": SELLER,
        "gamma_windows": {"windows": windows, "reason": None},
        "seller_chain_analytics": {"max_pain": None, "reason": "no option chain"},
        "seller_expiry_ranges": ranges, "seller_strike_ladder": ladder,
        "seller_strategy_backtest": None, "seller_strategy_backtest_summary": None,
        "us_daily": us_daily, "decision_time": variant, "seller_intraday_ranges": intraday[0],
        "seller_intraday_ladder": intraday[1], "intraday_context": intraday[2],
        "scorecard": _scorecard(),
        "gap_record": ModelRecord("direction.gap", {}, gap, model=gap_model)}


EXPLAINED = ("xgb_classifier", "lgbm_classifier", "catboost_classifier", "logistic")


def toy_bundle(kind: str, storage: str) -> tuple[pd.DataFrame, dict]:
    """A small three-class model of `kind` on a planted feature, frozen as a bundle (serving's
    input)."""
    from aegismatrix.modelling.bundle import to_bundle
    from aegismatrix.modelling.config import ModelConfig
    from aegismatrix.modelling.training import train_fold

    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame({"date": pd.bdate_range("2020-01-01", periods=n), "a": rng.normal(size=n),
                          "b": rng.normal(size=n), "c": rng.normal(size=n)})
    frame["label"] = np.digitize(frame["a"] + 0.3 * rng.normal(size=n), [-0.4, 0.4]).astype(float)
    size = {"xgb_classifier": {"n_estimators": 20, "max_depth": 2},
            "lgbm_classifier": {"n_estimators": 20}, "catboost_classifier": {"iterations": 20}}
    params = {"feature_set": "toy", "label": {"name": "forward_return", "horizon": 1},
              "class_names": ["down", "neutral", "up"],
              "estimator": {"kind": kind, "params": size.get(kind, {})},
              "baselines": [{"name": "prior", "kind": "class_prior"}], "primary_baseline": "prior",
              "metric": "log_loss", "tuning": {"n_trials": 0, "storage_dir": storage}}
    cfg = ModelConfig.from_params(params)
    fitted = train_fold(frame, ["a", "b", "c"], np.arange(n), cfg, "toy")
    return frame, to_bundle(fitted, cfg, ["a", "b", "c"], "fp", {"name": "toy.m", "edge": True})
