"""A realistic, valid `aegismatrix.json` for tests (the dashboard's, the schema's, the ledger's): one document
with every engine's section filled, built by hand so a test never needs a trained model to have a payload."""

from __future__ import annotations

import math
from typing import Any

from aegismatrix.payload.publish import SCHEMA_VERSION


def _drivers(*rows: tuple[str, float | None, float]) -> list[dict[str, Any]]:
    """Driver dicts from (feature, value, contribution) tuples, largest |contribution| first."""
    ordered = sorted(rows, key=lambda row: -abs(row[2]))
    return [{"feature": f, "value": v, "contribution": c} for f, v, c in ordered]


def _model(name: str, metric: str, score: float, baseline: str, base_score: float,
           source: str = "model") -> dict[str, Any]:
    """One models entry; status follows the skill sign."""
    skill = round(1 - score / base_score, 4)
    return {
        "name": name, "version": "2025-06-08T18.30.12.345Z", "trained_at": "2025-06-08T18:30:12Z",
        "oos": {"metric": metric, "score": score, "baseline": baseline, "baseline_score": base_score,
                "skill": skill},
        "status": "edge" if skill > 0 else "no_edge", "model_source": source if skill > 0 else "baseline",
    }


def _example_expiries() -> list[dict[str, Any]]:
    """Two expiry rows of the example date (Friday 2025-06-13): next weekly and the June monthly."""
    no_chain = {"p_touch_market": None, "p_expire_beyond_market": None, "premium": None, "traded": None,
                "iv": None, "richness": None,
                "market_reason": "this strike has no settlement price or IV in that date's chain"}
    priced = {"p_touch_market": 0.36, "p_expire_beyond_market": 0.22, "premium": 41.5, "traded": 1.0,
              "iv": 0.162, "richness": 1.158, "market_reason": None}  # the market beside the model (issue 22)

    def ladder(strikes: list[tuple[float, str, float, float]]) -> list[dict[str, Any]]:
        return [{"strike": k, "side": side, "distance_points": round(k - 24718.6, 1), "p_touch": t,
                 "p_expire_beyond": e, **(priced if i == 0 else no_chain)}
                for i, (k, side, t, e) in enumerate(strikes)]
    return [
        {"expiry": "2025-06-19", "expiry_kind": "weekly", "expiry_rank": 1, "trading_days": 4,
         "calendar_days": 6, "implied_move_points": 447.1, "range_multiplier": 1.62, "lower": 23994.3,
         "upper": 25442.9,
         "strike_lower": 23950.0, "strike_upper": 25450.0, "p_touch": 0.068, "p_touch_lower": 0.045,
         "p_touch_upper": 0.024, "p_expire_beyond": 0.032, "target_breach_probability": 0.10,
         "calibration_samples": 312, "model_source": "calibrated",
         "p_expire_beyond_market": 0.057, "p_touch_market": 0.114, "premium_lower": 18.5,
         "premium_upper": 12.0, "iv_lower": 0.21, "iv_upper": 0.165, "market_reason": None,
         "events": [{"kind": "fomc", "session": "2025-06-19"}],
         "strike_ladder": ladder([(24200.0, "put", 0.31, 0.19), (24700.0, "put", 0.93, 0.49),
                                  (24750.0, "call", 0.89, 0.46), (25250.0, "call", 0.08, 0.04)])},
        {"expiry": "2025-06-26", "expiry_kind": "monthly", "expiry_rank": 1, "trading_days": 9,
         "calendar_days": 13, "implied_move_points": 658.2, "range_multiplier": 1.71, "lower": 23593.1,
         "upper": 25844.1,
         "strike_lower": 23550.0, "strike_upper": 25850.0, "p_touch": 0.083, "p_touch_lower": 0.052,
         "p_touch_upper": 0.031, "p_expire_beyond": 0.041, "target_breach_probability": 0.10,
         "calibration_samples": 298, "model_source": "calibrated",
         "events": [{"kind": "fomc", "session": "2025-06-19"}], "strike_ladder": []},
    ]


def _example_horizons(spot: float) -> list[dict[str, Any]]:
    """Direction horizons: one baseline-served (h=1), the others served by stacks."""
    horizons = []
    # (h, p_down, p_neutral, p_up, label, source)
    rows = [(1, 0.31, 0.28, 0.41, "UP", "baseline"), (2, 0.30, 0.25, 0.45, "UP", "model"),
            (3, 0.33, 0.34, 0.33, "NEUTRAL", "model"), (5, 0.44, 0.20, 0.36, "DOWN", "model"),
            (10, 0.32, 0.17, 0.51, "UP", "model"), (20, 0.30, 0.14, 0.56, "UP", "model")]
    for h, pd_, pn, pu, label, source in rows:
        move = round(0.0066 * spot * math.sqrt(h), 1)
        horizons.append({
            "horizon_days": h, "p_down": pd_, "p_neutral": pn, "p_up": pu,
            "neutral_band": round(0.0025 * math.sqrt(h), 4), "label": label,
            "conviction": round(max(pd_, pn, pu) - sorted((pd_, pn, pu))[1], 2),
            "expected_abs_move_points": move, "move_lower_points": round(0.12 * move, 1),
            "move_upper_points": round(2.3 * move, 1), "interval_coverage": 0.8, "model_source": source,
            "top_drivers": [] if source == "baseline" else _drivers(
                ("return_5d", -0.0121, round(-0.018 / math.sqrt(h), 4)),
                ("vix_percentile_252d", 0.34, round(0.004 * math.sqrt(h), 4)),
                ("rsi_14", 41.2, -0.007)),
            **({} if source == "baseline"
               else {"served_by": f"stack_h{h}", "drivers_from": f"direction.xgb_h{h}"}),
        })
    return horizons


def _example_models() -> dict[str, dict[str, Any]]:
    """The `models` block: stacks per horizon and each engine's models."""
    models = {f"direction.stack_h{h}": _model(f"Stacked BiLSTM+XGBoost, {h}d", "log_loss", s, "class_prior",
                                              1.0852)
              for h, s in [(1, 1.0871), (2, 1.0794), (3, 1.0801), (5, 1.0766), (10, 1.0703), (20, 1.0655)]}
    models.update({
        "direction.magnitude": _model("XGBoost |move| regressor", "mae_points", 118.4,
                                      "trailing_mean_abs_move", 124.9),
        "seller.vol_forecast": _model("HAR-RV + VIX", "rmse", 0.0412, "trailing_rv_21d", 0.0478),
        "seller.vol_regime": _model("XGBoost regime 21d", "log_loss", 0.912, "class_prior", 1.046),
        "seller.trap": _model("XGBoost trap 5d", "brier", 0.1571, "base_rate", 0.1648),
        "seller.breach_5d": _model("Logistic breach 5d", "brier", 0.0862, "base_rate", 0.0901),
        "seller.breach_21d": _model("Logistic breach 21d", "brier", 0.0944, "base_rate", 0.0979),
        "buyer.breakout": _model("XGBoost breakout", "brier", 0.0712, "base_rate", 0.0741),
        "buyer.spike_direction": _model("Logistic spike direction", "log_loss", 0.7013, "base_rate", 0.6898),
        "buyer.theta": _model("XGBoost theta ratio", "rmse", 0.3411, "trailing_median", 0.3598),
    })
    return models


def _example_seller() -> dict[str, Any]:
    """The seller section: vol, regime, trap, safe ranges, chain (none), backtest, expiries."""
    return {
        "vol_forecast_21d": 0.1184, "vol_regime": "medium",
        "p_vol_low": 0.27, "p_vol_medium": 0.58, "p_vol_high": 0.15, "trap_probability": 0.21,
        "safe_ranges": [
            {"tenor_days": 5, "lower": 23950.0, "upper": 25480.0, "breach_probability": 0.09,
             "target_breach_probability": 0.10, "model_source": "model"},
            {"tenor_days": 21, "lower": 23020.0, "upper": 26390.0, "breach_probability": 0.11,
             "target_breach_probability": 0.10, "model_source": "model"},
        ],
        "max_pain": {"value": None, "reason": "no option-chain CSV supplied"},
        "option_chain": {"snapshot_date": None, "source": None, "expiry": None, "snapshots": 0,
                         "reason": "no option-chain CSV supplied", "expiries": []},
        "strategy_backtest": {
            "reason": None,
            "note": "Model premiums (Black-Scholes, India VIX, skew ignored), not traded prices.",
            "summary": [{"period": "all", "range_source": "calibrated", "strategy": "iron_condor",
                         "weeks": 3, "win_rate": 0.67, "touch_rate": 0.33, "mean_pnl_per_lot": 412.0,
                         "max_drawdown_per_lot": -2150.0}],
            "equity_curves": [{"range_source": "calibrated", "strategy": "iron_condor",
                               "expiries": ["2025-05-22", "2025-05-29", "2025-06-05"],
                               "equity_per_lot": [1650.0, -500.0, 1236.0],
                               "drawdown_per_lot": [0.0, -2150.0, -414.0]}],
            "worst_weeks": []},
        "expiries": _example_expiries(),
        "expiries_reason": None,
        "model_source": {"vol_forecast_21d": "model", "vol_regime": "model", "trap_probability": "model",
                         "safe_ranges": "model"},
        "top_drivers": {
            "vol_forecast_21d": _drivers(("realised_vol_21d", 0.104, 0.0061),
                                         ("vix_close", 14.12, 0.0042)),
            "trap_probability": _drivers(("iv_rv_spread", 0.037, -0.031), ("atr_14_pct", 0.0082, 0.019)),
        },
    }


def _example_buyer() -> dict[str, Any]:
    """The buyer section: breakout split, theta, gamma windows."""
    return {
        "breakout_probability": 0.07, "spike_bias": "call", "p_breakout_up": 0.04,
        "p_breakout_down": 0.03,
        "spike_up_probability": 0.55, "theta_ratio_forecast": 0.78, "theta_edge": 0.22,
        "gamma_windows": [
            {"start": "09:15", "end": "09:45", "typical_abs_move_points": 62.5},
            {"start": "14:45", "end": "15:30", "typical_abs_move_points": 41.0},
        ],
        "gamma_windows_reason": None,
        "model_source": {"breakout_probability": "model", "spike_up_probability": "baseline",
                         "theta_ratio_forecast": "model", "gamma_windows": "heuristic"},
        "top_drivers": {
            "breakout_probability": _drivers(("range_compression_10d", 0.61, 0.012),
                                             ("vix_change_5d", -0.8, -0.004)),
            "theta_ratio_forecast": _drivers(("vix_rv_ratio", 1.36, -0.09)),
        },
    }


def example_payload() -> dict[str, Any]:
    """A realistic valid payload (synthetic source, one no-edge direction horizon and spike model)."""
    spot = 24718.6
    prov = {
        key: {"ticker": ticker, "source": "synthetic", "rows": 1243, "first_date": "2020-06-15",
              "last_date": "2025-06-13", "fetched_at": "2025-06-13T10:05:41Z", "cache_age_hours": 0.0,
              "warnings": ["network unavailable: served synthetic data"]}
        for key, ticker in [("nifty50", "^NSEI"), ("india_vix", "^INDIAVIX")]
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": "2025-06-13T10:06:02Z",
        "data_as_of": "2025-06-13",
        "data": {"source": "synthetic", "stale": False,
                 "warnings": ["network unavailable: served synthetic data"], "provenance": prov},
        "models": _example_models(),
        "market": {"spot": spot, "change": -105.3, "change_pct": -0.42, "vix": 14.12, "vol_regime": "medium",
                   "iv_context": {"sessions": 252, "vix_rank": 0.18, "vix_percentile": 0.31,
                                  "realised_vol_21d": 0.102, "implied_minus_realised": 0.0392,
                                  "reason": None}},
        "direction": {"horizons": _example_horizons(spot)},
        "seller": _example_seller(),
        "buyer": _example_buyer(),
    }
