"""Fixtures: a synthetic market and engine signal frames in the contracts of issues 4, 5 and 6."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aegismatrix.market.synthetic import synthetic_market_daily

INFERENCE_PARAMS = {
    "payload_path": "unused", "dashboard_dir": None, "n_drivers": 3, "stale_after_hours": 24,
    "regime_lookback": 252, "regime_quantiles": [0.3333, 0.6667],
    "signal_models": {"seller": {"trap_probability": "seller.trap"},
                      "buyer": {"breakout_probability": "buyer.breakout"}},
    "heuristic": {"direction_horizons": [1, 5], "neutral_band_1d": 0.0025, "vix_to_realised": 1.3,
                  "regime_confidence": 0.6, "range_sigmas": {5: 1.5, 21: 2.0},
                  "target_breach_probability": 0.1},
}


@pytest.fixture(scope="session")
def market() -> pd.DataFrame:
    return synthetic_market_daily(years=2, seed=7)


def _direction(dates: pd.Series, spot: float) -> pd.DataFrame:
    rows = []
    for h in (1, 5):
        rows.append(pd.DataFrame({
            "date": dates, "horizon_days": h, "p_down": 0.3, "p_neutral": 0.25, "p_up": 0.45,
            "neutral_band": 0.0025 * np.sqrt(h), "predicted_direction": "UP", "conviction": 0.15,
            "expected_abs_move_points": 0.007 * spot * np.sqrt(h), "move_lower_points": 0.001 * spot,
            "move_upper_points": 0.02 * spot * np.sqrt(h),
            "model_source": "model" if h == 5 else "baseline"}))
    return pd.concat(rows, ignore_index=True)


def _seller(dates: pd.Series, spot: float) -> pd.DataFrame:
    return pd.DataFrame({
        "date": dates, "vol_forecast_21d": 0.13, "vol_regime": "medium", "p_vol_low": 0.2,
        "p_vol_medium": 0.6, "p_vol_high": 0.2, "trap_probability": 0.3, "safe_lower_5d": spot * 0.96,
        "safe_upper_5d": spot * 1.04,
        "breach_probability_5d": 0.1, "safe_lower_21d": spot * 0.92, "safe_upper_21d": spot * 1.08,
        "breach_probability_21d": 0.11, "model_source": "baseline", "vol_model": "vol_har",
        "vol_model_source": "model", "trap_model_source": "baseline", "vol_regime_model_source": "model"})


def _buyer(dates: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({
        "date": dates, "breakout_probability": 0.1, "spike_up_probability": 0.6, "p_breakout_up": 0.06,
        "p_breakout_down": 0.04, "theta_ratio_forecast": 0.8, "theta_edge": 0.2, "model_source": "baseline",
        "breakout_model_source": "model", "spike_model_source": "baseline", "theta_model_source": "baseline"})


@pytest.fixture()
def signals(market) -> dict[str, pd.DataFrame]:
    dates, spot = market["date"].iloc[-300:], float(market["close"].iloc[-1])
    return {"direction": _direction(dates, spot), "seller": _seller(dates, spot), "buyer": _buyer(dates)}


@pytest.fixture()
def provenance(market) -> dict:
    return {"source": "synthetic", "symbols": {"nifty50": {
        "ticker": "^NSEI", "source": "synthetic", "rows": len(market),
        "first_date": str(market["date"].iloc[0].date()),
        "last_date": str(market["date"].iloc[-1].date()), "fetched_at": "2026-01-02T10:00:00+00:00",
        "cache_age_hours": 0.0, "warnings": [], "origin": "synthetic"}}}
