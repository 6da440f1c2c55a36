"""Assemble the aegismatrix.json payload for the latest date from engine signals and frozen-model metadata.

Pure functions: frames and dicts in, a payload dict out (validated and published by `publish.py`).
Top drivers come from XGBoost's own TreeSHAP (`pred_contribs=True`, the values shap.TreeExplainer gives)
or coefficient x input for linear models, for the latest row only, so inference never imports shap.
An engine whose signals are absent (not trained, not wired) is served by documented heuristics:
label base rates over the loaded window and VIX-implied moves and ranges, marked `heuristic`.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from aegismatrix.options.payload import option_chain_fields, strategy_backtest_section
from aegismatrix.payload.expiries import expiries_section, iv_context
from aegismatrix.payload.publish import SCHEMA_VERSION
from aegismatrix.payload.unavailable import mark_unavailable

logger = logging.getLogger(__name__)

REGIMES = ["low", "medium", "high"]
# Per-signal source columns the engines write next to `model_source` (first present wins).
SOURCE_COLUMNS = {
    "vol_forecast_21d": ["vol_model_source", "vol_forecast_model_source"],
    "vol_regime": ["vol_regime_model_source"],
    "trap_probability": ["trap_model_source"],
    "safe_ranges": ["safe_range_model_source", "safe_ranges_model_source", "vol_model_source"],
    "breach_probability_5d": ["breach_5d_model_source"],
    "breach_probability_21d": ["breach_21d_model_source"],
    "breakout_probability": ["breakout_model_source"],
    "spike_up_probability": ["spike_model_source", "spike_up_model_source"],
    "theta_ratio_forecast": ["theta_model_source"],
}


# ---------------------------------------------------------------- per-model description (one node per model)

def _tree_contributions(estimator, X: pd.DataFrame) -> np.ndarray:
    """TreeSHAP values of one row from the booster itself; the predicted class for multi-class models."""
    if hasattr(estimator, "tree_contributions"):  # LightGBM, CatBoost: their own TreeSHAP
        return estimator.tree_contributions(X)[0]
    import xgboost as xgb

    values = estimator.booster.predict(xgb.DMatrix(X.astype(np.float32)), pred_contribs=True)
    values = np.asarray(values)
    if values.ndim == 3:  # (rows, classes, features + bias)
        values = values[:, int(np.argmax(estimator.predict(X)[0])), :]
    return values[0, :-1]  # the last column is the bias term


def latest_contributions(model_input: pd.DataFrame, model: dict, row: int) -> pd.Series | None:
    """Per-feature contributions to the prediction of `row` (None when the model has no explainer)."""
    from aegismatrix.modelling.bundle import from_bundle
    from aegismatrix.modelling.training import model_inputs

    fitted = from_bundle(model)
    cols = model["meta"]["features"]
    kind = type(fitted.estimator).explainer
    X = model_inputs(model_input, cols, fitted.scaler, row + 1).iloc[[row]]
    if kind == "tree":
        return pd.Series(_tree_contributions(fitted.estimator, X), index=cols)
    if kind == "linear":
        return fitted.estimator.contributions(X).iloc[0].reindex(cols, fill_value=0.0)
    return None


def top_drivers(model_input: pd.DataFrame, model: dict, row: int, k: int = 5) -> list[dict]:
    """The k largest |contributions| of one prediction with the feature's raw value, largest first."""
    contrib = latest_contributions(model_input, model, row)
    if contrib is None:
        return []
    order = contrib.abs().sort_values(ascending=False, kind="stable").index[:k]
    return [{"feature": str(f), "value": _finite(model_input[f].iloc[row]), "contribution": float(contrib[f])}
            for f in order]


def describe_served_model(model_input: pd.DataFrame, model: dict | None, params: dict, namespace: str,
                          n_drivers: int = 5) -> dict:
    """What the payload says about one model: edge, out-of-sample skill, what is served, its latest drivers."""
    skill_metric = params.get("metric") or "unknown"
    entry: dict[str, Any] = {
        "name": namespace, "trained_at": None, "status": "no_edge", "model_source": "baseline", "missing": model is None,
        "horizon": params.get("horizon"), "class_names": params.get("class_names"), "label": params.get("label"),
        "oos": {"metric": skill_metric, "score": None, "baseline": params.get("primary_baseline") or "unknown",
                "baseline_score": None, "skill": None},
        "drivers": [], "as_of": None,
    }
    if len(model_input):
        entry["as_of"] = str(pd.Timestamp(model_input["date"].iloc[-1]).date())
    if model is None:
        return entry
    meta = model["meta"]
    skill = meta.get("oos_skill") or {}
    entry.update({
        "trained_at": _utc(meta.get("trained_at")), "status": meta.get("status", "no_edge"),
        "model_source": "model" if meta.get("edge") else "baseline", "code_version": meta.get("version"),
        "training_window": meta.get("training_window"), "feature_fingerprint": meta.get("feature_fingerprint"),
        "kind": meta.get("kind"),
    })
    scores = meta.get("headline") or {}  # bundles from before the headline record carry no scores
    entry["oos"] = {"metric": skill.get("metric", meta.get("metric") or skill_metric),
                    "score": _finite(scores.get("model_score")),
                    "baseline": skill.get("vs", meta.get("primary_baseline")),
                    "baseline_score": _finite(scores.get("baseline_score")),
                    "skill": _finite(skill.get("value")), "ci_low": _finite(skill.get("ci_low")),
                    "ci_high": _finite(skill.get("ci_high")), "ci_level": _finite(skill.get("level")),
                    "test_skill": _finite((meta.get("test_skill") or {}).get("value"))}
    if meta.get("edge") and len(model_input):
        entry["drivers"] = top_drivers(model_input, model, len(model_input) - 1, n_drivers)
    return entry


# ---------------------------------------------------------------- helpers

def _finite(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _non_negative(value: Any) -> float:
    """Negative forecasts clip to 0; NaN stays NaN (`max(0.0, nan)` is 0.0: a silent number) for mark_unavailable."""
    value = float(value)
    return 0.0 if math.isfinite(value) and value < 0.0 else value


def _unit_interval(value: Any) -> float:
    """Clip to [0, 1] but keep NaN/inf as NaN (np.clip(inf, 0, 1) would serve a silent 1.0)."""
    value = float(value)
    return float(np.clip(value, 0.0, 1.0)) if math.isfinite(value) else math.nan


def _utc(stamp: str | None) -> str | None:
    """An ISO timestamp as UTC `...Z` (the schema's form), or None."""
    if not stamp:
        return None
    ts = pd.Timestamp(stamp)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _date(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(pd.Timestamp(value).date())


def _source(row: pd.Series, signal: str) -> str:
    for col in SOURCE_COLUMNS.get(signal, []):
        if col in row.index and isinstance(row[col], str):
            return row[col] if row[col] in ("model", "baseline", "heuristic") else "baseline"
    return str(row.get("model_source", "baseline"))


def latest_row(frame: pd.DataFrame | None, as_of: pd.Timestamp, name: str, warnings: list[str]) -> pd.Series | None:
    """The signal row of `as_of`, or the last one before it with a warning (None when there is none)."""
    if frame is None or len(frame) == 0:
        return None
    frame = frame[pd.to_datetime(frame["date"]) <= as_of]
    if frame.empty:
        return None
    row = frame.sort_values("date").iloc[-1]
    if pd.Timestamp(row["date"]) < as_of:
        warnings.append(f"{name} last available for {_date(row['date'])}, before data_as_of {_date(as_of)}")
    return row


def _known_rate(market: pd.DataFrame, label: str, default: float, **kwargs) -> float:
    """Base rate of a label over the loaded window's closed label windows (the heuristic's prior)."""
    from aegismatrix.labels import build_label

    try:
        values = build_label(market, label, **kwargs).dropna()
    except Exception as exc:  # a label whose signature changed: keep serving with the documented default
        logger.warning("heuristic base rate of %s unavailable (%s): using %.3f", label, exc, default)
        return default
    return float(values.mean()) if len(values) >= 20 else default


def _implied_sigma_points(spot: float, vix: float, trading_days: int) -> float:
    """VIX-implied one-sigma move in points over `trading_days` (calendar-day scaling, as NSE quotes it)."""
    return spot * vix / 100.0 * math.sqrt(trading_days * 365.0 / 252.0 / 365.0)


def vix_regime(market: pd.DataFrame, lookback: int, quantiles: list[float]) -> str:
    """Today's India VIX against its terciles over the last `lookback` sessions of the window."""
    vix = market["vix_close"].dropna().iloc[-lookback:]
    low, high = np.quantile(vix, quantiles)
    current = float(vix.iloc[-1])
    return "low" if current <= low else "high" if current > high else "medium"


# ---------------------------------------------------------------- sections

def market_section(market: pd.DataFrame, params: dict) -> dict:
    """Spot, change, VIX and the VIX regime of the latest close."""
    last, prev = market.iloc[-1], market.iloc[-2] if len(market) > 1 else market.iloc[-1]
    change = float(last["close"] - prev["close"])
    return {"spot": float(last["close"]), "change": round(change, 2),
            "change_pct": round(100.0 * change / float(prev["close"]), 4), "vix": float(last["vix_close"]),
            "vol_regime": vix_regime(market, int(params.get("regime_lookback", 252)),
                                     params.get("regime_quantiles", [1 / 3, 2 / 3])),
            "previous_close": float(prev["close"]), "vix_filled": bool(last.get("vix_filled", False))}


def _drivers_for(entries: dict[str, dict], ns: str | None) -> list[dict]:
    entry = entries.get(ns) if ns else None
    return list(entry["drivers"]) if entry and entry["model_source"] == "model" else []


def direction_section(signals: pd.DataFrame | None, as_of: pd.Timestamp, market: pd.DataFrame,
                      entries: dict[str, dict], params: dict, warnings: list[str]) -> dict:
    """Per horizon: probabilities, label, conviction, expected move with its interval, source, drivers."""
    horizons = []
    if signals is not None and len(signals):
        for h, group in signals.groupby("horizon_days", sort=True):
            row = latest_row(group, as_of, f"direction_signals (h={h})", warnings)
            if row is None:
                continue
            ns = next((n for n, e in entries.items() if n.startswith("direction.") and e.get("horizon") == h
                       and e.get("class_names")), None)
            horizons.append({
                "horizon_days": int(h), "p_down": float(row["p_down"]), "p_neutral": float(row["p_neutral"]),
                "p_up": float(row["p_up"]), "neutral_band": float(row["neutral_band"]),
                "label": str(row["predicted_direction"]).upper(), "conviction": _unit_interval(row["conviction"]),
                "expected_abs_move_points": _non_negative(row["expected_abs_move_points"]),
                "move_lower_points": _non_negative(row["move_lower_points"]),
                "move_upper_points": _non_negative(row["move_upper_points"]),
                **({"interval_coverage": float(row["interval_coverage"])} if "interval_coverage" in row.index else {}),
                "model_source": _source(row, "direction"), "top_drivers": _drivers_for(entries, ns),
                "signal_date": _date(row["date"]),
            })
    if horizons:
        return {"horizons": horizons}
    return {"horizons": heuristic_direction(market, params), "heuristic_reason": "no direction signals"}


def heuristic_direction(market: pd.DataFrame, params: dict) -> list[dict]:
    """Class priors of the loaded window's closed label windows and the VIX-implied move (`heuristic`)."""
    from aegismatrix.labels import build_label

    spot, vix = float(market["close"].iloc[-1]), float(market["vix_close"].iloc[-1])
    cfg = params.get("heuristic", {})
    out = []
    for h in cfg.get("direction_horizons", [1, 5, 21]):
        band = float(cfg.get("neutral_band_1d", 0.0025)) * math.sqrt(h)
        try:
            labels = build_label(market, "direction_class", horizon=h, neutral_band=band).dropna()
            counts = np.bincount(labels.astype(int), minlength=3)[:3] + 1.0
            p_down, p_neutral, p_up = (counts / counts.sum()).tolist()
        except Exception:  # DESIGN.md facts on real NIFTY (+-0.25% band, 1 day)
            p_down, p_neutral, p_up = 0.32, 0.28, 0.40
        probs = {"DOWN": p_down, "NEUTRAL": p_neutral, "UP": p_up}
        ranked = sorted(probs.values(), reverse=True)
        sigma = _implied_sigma_points(spot, vix, h)
        out.append({"horizon_days": int(h), "p_down": p_down, "p_neutral": p_neutral, "p_up": p_up,
                    "neutral_band": band, "label": max(probs, key=probs.get), "conviction": ranked[0] - ranked[1],
                    "expected_abs_move_points": sigma * math.sqrt(2 / math.pi),  # E|N(0, sigma)|
                    "move_lower_points": sigma * 0.1257, "move_upper_points": sigma * 1.6449,  # 10%/90% of |N|
                    "interval_coverage": 0.8, "model_source": "heuristic", "top_drivers": []})
    return out


def seller_section(signals: pd.DataFrame | None, as_of: pd.Timestamp, market: pd.DataFrame, max_pain: dict | None,
                   entries: dict[str, dict], seller_params: dict, params: dict, warnings: list[str]) -> dict:
    """Volatility forecast and regime, trap probability, safe ranges per tenor, max pain, sources, drivers."""
    row = latest_row(signals, as_of, "seller_signals", warnings)
    target = float((seller_params.get("safe_range") or {}).get("target_breach_probability",
                                                                params.get("heuristic", {}).get("target_breach_probability", 0.10)))
    if row is None:
        section = heuristic_seller(market, target, params)
    else:
        vol_model = row.get("vol_model")
        vol_ns = f"seller.{vol_model}" if isinstance(vol_model, str) and not vol_model.startswith("baseline") else None
        ranges = []
        for tenor in (5, 21):
            ranges.append({"tenor_days": tenor, "lower": float(row[f"safe_lower_{tenor}d"]),
                           "upper": float(row[f"safe_upper_{tenor}d"]),
                           "breach_probability": float(row[f"breach_probability_{tenor}d"]),
                           "target_breach_probability": target,
                           "model_source": _source(row, f"breach_probability_{tenor}d")})
        section = {
            "vol_forecast_21d": _non_negative(row["vol_forecast_21d"]), "vol_regime": str(row["vol_regime"]),
            "p_vol_low": float(row["p_vol_low"]), "p_vol_medium": float(row["p_vol_medium"]),
            "p_vol_high": float(row["p_vol_high"]), "trap_probability": float(row["trap_probability"]),
            "safe_ranges": ranges,
            "model_source": {"vol_forecast_21d": _source(row, "vol_forecast_21d"),
                             "vol_regime": _source(row, "vol_regime"),
                             "trap_probability": _source(row, "trap_probability"),
                             "safe_ranges": _source(row, "safe_ranges"),
                             "breach_probability_5d": _source(row, "breach_probability_5d"),
                             "breach_probability_21d": _source(row, "breach_probability_21d")},
            "vol_model": vol_model if isinstance(vol_model, str) else None, "signal_date": _date(row["date"]),
        }
        models = params.get("signal_models", {}).get("seller", {})
        drivers = {"vol_forecast_21d": _drivers_for(entries, vol_ns)}
        drivers.update({signal: _drivers_for(entries, ns) for signal, ns in models.items()})
        section["top_drivers"] = {k: v for k, v in drivers.items() if v}
    section.update(option_chain_fields(max_pain))  # max_pain (nearest expiry) and the option_chain block
    return section


def heuristic_seller(market: pd.DataFrame, target: float, params: dict) -> dict:
    """VIX-scaled vol, VIX regime, trap base rate and VIX-implied ranges (`heuristic`) when no seller signals exist."""
    cfg = params.get("heuristic", {})
    spot, vix = float(market["close"].iloc[-1]), float(market["vix_close"].iloc[-1])
    regime = vix_regime(market, int(params.get("regime_lookback", 252)), params.get("regime_quantiles", [1 / 3, 2 / 3]))
    sure = float(cfg.get("regime_confidence", 0.6))
    probs = {r: sure if r == regime else (1 - sure) / 2 for r in REGIMES}
    ranges = []
    for tenor in (5, 21):
        k = float(cfg.get("range_sigmas", {5: 1.5, 21: 2.0}).get(tenor, 1.5))
        sigma = _implied_sigma_points(spot, vix, tenor)
        ranges.append({"tenor_days": tenor, "lower": spot - k * sigma, "upper": spot + k * sigma,
                       "breach_probability": _known_rate(market, "implied_move_touch", target, horizon=tenor, sigmas=k),
                       "target_breach_probability": target, "model_source": "heuristic"})
    return {"vol_forecast_21d": vix / 100.0 / float(cfg.get("vix_to_realised", 1.3)), "vol_regime": regime,
            "p_vol_low": probs["low"], "p_vol_medium": probs["medium"], "p_vol_high": probs["high"],
            "trap_probability": _known_rate(market, "implied_move_touch", 0.3, horizon=5, sigmas=1.0),
            "safe_ranges": ranges, "heuristic_reason": "no seller signals",
            "model_source": dict.fromkeys(("vol_forecast_21d", "vol_regime", "trap_probability", "safe_ranges"), "heuristic"),
            "top_drivers": {}}


def buyer_section(signals: pd.DataFrame | None, as_of: pd.Timestamp, market: pd.DataFrame, gamma: dict | None,
                  entries: dict[str, dict], params: dict, warnings: list[str]) -> dict:
    """Breakout probability and its up/down split, spike bias, theta ratio and edge, gamma windows."""
    row = latest_row(signals, as_of, "buyer_signals", warnings)
    if row is None:
        breakout = _known_rate(market, "next_day_breakout", 0.08)
        spike = _known_rate(market, "next_day_spike_up", 0.5)
        section = {"breakout_probability": breakout, "spike_up_probability": spike,
                   "p_breakout_up": breakout * spike, "p_breakout_down": breakout * (1 - spike),
                   "theta_ratio_forecast": 1.0, "theta_edge": 0.0, "heuristic_reason": "no buyer signals",
                   "model_source": {"breakout_probability": "heuristic", "spike_up_probability": "heuristic",
                                    "theta_ratio_forecast": "heuristic"}, "top_drivers": {}}
    else:
        section = {"breakout_probability": float(row["breakout_probability"]),
                   "spike_up_probability": float(row["spike_up_probability"]),
                   "p_breakout_up": float(row["p_breakout_up"]), "p_breakout_down": float(row["p_breakout_down"]),
                   "theta_ratio_forecast": _non_negative(row["theta_ratio_forecast"]),
                   "theta_edge": float(row["theta_edge"]), "signal_date": _date(row["date"]),
                   "model_source": {s: _source(row, s) for s in
                                    ("breakout_probability", "spike_up_probability", "theta_ratio_forecast")}}
        if "fair_theta_ratio" in row.index:
            section["fair_theta_ratio"] = _finite(row["fair_theta_ratio"])
        models = params.get("signal_models", {}).get("buyer", {})
        section["top_drivers"] = {s: d for s, ns in models.items() if (d := _drivers_for(entries, ns))}
    section["spike_bias"] = "call" if section["p_breakout_up"] >= section["p_breakout_down"] else "put"
    windows, reason = None, "no gamma windows computed (buyer engine not run)"
    if gamma is not None:
        windows, reason = gamma.get("windows"), gamma.get("reason")
    if windows is not None:
        windows = [dict(w) for w in windows]
    section["gamma_windows"] = windows
    section["gamma_windows_reason"] = reason if windows is None else None
    section["model_source"]["gamma_windows"] = "heuristic"
    return section


def data_section(provenance: dict, market: pd.DataFrame, params: dict) -> dict:
    """Overall source, per-symbol provenance, warnings, staleness."""
    symbols = {}
    for key, entry in (provenance.get("symbols") or {}).items():
        symbols[key] = {**entry,
                        "fetched_at": _utc(entry.get("fetched_at")),
                        "first_date": _date(entry.get("first_date")), "last_date": _date(entry.get("last_date")),
                        "rows": int(entry.get("rows") or 0), "warnings": [str(w) for w in entry.get("warnings") or []]}
    if not symbols:  # provenance without per-symbol detail: describe the index frame itself
        symbols["market_daily"] = {"source": provenance.get("source", "unknown"), "rows": int(len(market)),
                                   "first_date": _date(market["date"].iloc[0]), "last_date": _date(market["date"].iloc[-1]),
                                   "fetched_at": None, "cache_age_hours": None, "warnings": []}
    warnings = sorted({w for s in symbols.values() for w in s["warnings"]} | set(provenance.get("intraday_warnings") or [])
                      | set(provenance.get("warnings") or []))  # e.g. why data_as_of is not the index's last row
    ages = [s.get("cache_age_hours") for s in symbols.values() if s.get("cache_age_hours") is not None]
    stale = bool(ages) and max(ages) > float(params.get("stale_after_hours", 24))
    return {"source": provenance.get("source") or "unknown", "stale": stale, "warnings": warnings, "provenance": symbols}


def assemble_payload(market_daily: pd.DataFrame, data_provenance: dict, signals: dict[str, pd.DataFrame | None],
                     entries: dict[str, dict], model_versions: dict[str, str | None], params: dict,
                     engine_params: dict[str, dict] | None = None, gamma_windows: dict | None = None,
                     max_pain: dict | None = None, generated_at: datetime | None = None,
                     strategy_backtest: tuple | None = None, expiry_ranges: tuple | None = None) -> dict:
    """The payload for the latest date of `market_daily` (validate with `validate_payload` before publishing)."""
    market = market_daily.sort_values("date").reset_index(drop=True)
    as_of = pd.Timestamp(market["date"].iloc[-1])
    warnings: list[str] = []
    models = {}
    for ns, entry in sorted(entries.items()):
        models[ns] = {k: v for k, v in entry.items() if k not in ("drivers", "class_names", "label", "horizon")}
        models[ns]["version"] = (model_versions or {}).get(ns)
    payload = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": (generated_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data_as_of": _date(as_of),
        "data": data_section(data_provenance or {}, market, params),
        "models": models,
        "market": market_section(market, params),
        "direction": direction_section(signals.get("direction"), as_of, market, entries, params, warnings),
        "seller": seller_section(signals.get("seller"), as_of, market, max_pain, entries,
                                 (engine_params or {}).get("seller") or {}, params, warnings),
        "buyer": buyer_section(signals.get("buyer"), as_of, market, gamma_windows, entries, params, warnings),
    }
    payload["seller"]["strategy_backtest"] = strategy_backtest_section(*(strategy_backtest or (None, None)))
    payload["seller"].update(expiries_section(*(expiry_ranges or (None, None)), as_of))  # (ranges, strike ladder)
    payload["market"]["iv_context"] = iv_context(market)
    missing = sorted(ns for ns, e in entries.items() if e.get("missing"))
    if missing:
        warnings.append(f"models never trained, baselines served: {', '.join(missing)}")
    payload["data"]["warnings"] = [*payload["data"]["warnings"], *warnings]
    return mark_unavailable(payload)  # NaN/inf -> null + `unavailable` + reason, never 0.0
