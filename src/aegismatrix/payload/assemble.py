"""Assemble the aegismatrix.json payload for the latest date from engine signals and frozen-model metadata.

This module builds the envelope (data, models, market) and calls each engine's own section, which lives beside
its signal contract (`pipelines/<engine>/payload.py`); shared field helpers are in `payload/fields.py`.

Pure functions: frames and dicts in, a payload dict out (validated and published by `publish.py`).
Top drivers come from XGBoost's own TreeSHAP (`pred_contribs=True`, the values shap.TreeExplainer gives)
or coefficient x input for linear models, for the latest row only, so inference never imports shap.
An engine whose signals are absent (not trained, not wired) is served by documented heuristics:
label base rates over the loaded window and VIX-implied moves and ranges, marked `heuristic`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from aegismatrix.modelling.selection import served_weight
from aegismatrix.options.payload import strategy_backtest_section
from aegismatrix.payload.expiries import expiries_section, iv_context
from aegismatrix.payload.fields import finite, iso_date, utc_stamp, vix_regime
from aegismatrix.payload.publish import SCHEMA_VERSION
from aegismatrix.payload.unavailable import mark_unavailable
from aegismatrix.pipelines.buyer.payload import buyer_section
from aegismatrix.pipelines.direction.payload import direction_section
from aegismatrix.pipelines.seller.payload import seller_section

logger = logging.getLogger(__name__)



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
    return [{"feature": str(f), "value": finite(model_input[f].iloc[row]), "contribution": float(contrib[f])}
            for f in order]


def describe_served_model(model_input: pd.DataFrame, model: dict | None, params: dict, namespace: str,
                          n_drivers: int = 5) -> dict:
    """What the payload says about one model: edge, out-of-sample skill, what is served, its latest
    drivers."""
    skill_metric = params.get("metric") or "unknown"
    entry: dict[str, Any] = {
        "name": namespace, "trained_at": None, "status": "no_edge", "model_source": "baseline",
        "missing": model is None,
        "horizon": params.get("horizon"), "class_names": params.get("class_names"),
        "label": params.get("label"),
        "oos": {"metric": skill_metric, "score": None,
                "baseline": params.get("primary_baseline") or "unknown",
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
        "trained_at": utc_stamp(meta.get("trained_at")), "status": meta.get("status", "no_edge"),
        "model_source": "model" if meta.get("edge") else "baseline", "code_version": meta.get("version"),
        "training_window": meta.get("training_window"),
        "feature_fingerprint": meta.get("feature_fingerprint"),
        "kind": meta.get("kind"),
        "served_weight": served_weight(meta),  # the selection rule's weight on the model (rest: baseline)
    })
    scores = meta.get("headline") or {}  # bundles from before the headline record carry no scores
    entry["oos"] = {"metric": skill.get("metric", meta.get("metric") or skill_metric),
                    "score": finite(scores.get("model_score")),
                    "baseline": skill.get("vs", meta.get("primary_baseline")),
                    "baseline_score": finite(scores.get("baseline_score")),
                    "skill": finite(skill.get("value")), "ci_low": finite(skill.get("ci_low")),
                    "ci_high": finite(skill.get("ci_high")), "ci_level": finite(skill.get("level")),
                    "test_skill": finite((meta.get("test_skill") or {}).get("value"))}
    if meta.get("edge") and len(model_input):
        entry["drivers"] = top_drivers(model_input, model, len(model_input) - 1, n_drivers)
    return entry


# ---------------------------------------------------------------- helpers

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


def data_section(provenance: dict, market: pd.DataFrame, params: dict) -> dict:
    """Overall source, per-symbol provenance, warnings, staleness."""
    symbols = {}
    for key, entry in (provenance.get("symbols") or {}).items():
        symbols[key] = {**entry,
                        "fetched_at": utc_stamp(entry.get("fetched_at")),
                        "first_date": iso_date(entry.get("first_date")),
                        "last_date": iso_date(entry.get("last_date")),
                        "rows": int(entry.get("rows") or 0),
                        "warnings": [str(w) for w in entry.get("warnings") or []]}
    if not symbols:  # provenance without per-symbol detail: describe the index frame itself
        symbols["market_daily"] = {"source": provenance.get("source", "unknown"), "rows": int(len(market)),
                                   "first_date": iso_date(market["date"].iloc[0]),
                                   "last_date": iso_date(market["date"].iloc[-1]),
                                   "fetched_at": None, "cache_age_hours": None, "warnings": []}
    # provenance["warnings"]: e.g. why data_as_of is not the index's last row
    warnings = sorted({w for s in symbols.values() for w in s["warnings"]}
                      | set(provenance.get("intraday_warnings") or [])
                      | set(provenance.get("warnings") or []))
    stale, reasons = _staleness(provenance, symbols, params)
    return {"source": provenance.get("source") or "unknown", "stale": stale, "stale_reasons": reasons,
            "warnings": warnings, "provenance": symbols, **_session_block(provenance)}


def _staleness(provenance: dict, symbols: dict, params: dict) -> tuple[bool, list[str]]:
    """Stale by market time when ingestion judged it (a symbol lacks the session the decision needs, or the
    live price is too old); by cache age only for provenance written before the session clock."""
    if provenance.get("session"):
        reasons = [f"{key}: {entry['stale_reason']}" for key, entry in symbols.items()
                   if entry.get("stale") and entry.get("stale_reason")]
        return any(entry.get("stale") for entry in symbols.values()), reasons
    ages = [s.get("cache_age_hours") for s in symbols.values() if s.get("cache_age_hours") is not None]
    limit = float(params.get("stale_after_hours", 24))
    stale = bool(ages) and max(ages) > limit
    return stale, [f"a cache is {max(ages):.1f} hours old (limit {limit:g})"] if stale else []


def _session_block(provenance: dict) -> dict:
    """`session` (the NSE session clock at the fetch), `last_completed_session` and `live` (the index's
    developing bar: price and time) for the data block; absent for provenance without a session clock."""
    session = provenance.get("session")
    if not session:
        return {}
    return {"session": session, "last_completed_session": session.get("last_completed_session"),
            "live": provenance.get("live")}


def assemble_payload(market_daily: pd.DataFrame, data_provenance: dict,
                     signals: dict[str, pd.DataFrame | None], entries: dict[str, dict],
                     model_versions: dict[str, str | None], params: dict,
                     engine_params: dict[str, dict] | None = None, gamma_windows: dict | None = None,
                     max_pain: dict | None = None, generated_at: datetime | None = None,
                     strategy_backtest: tuple | None = None, expiry_ranges: tuple | None = None) -> dict:
    """The payload for the latest date of `market_daily` (validate with `validate_payload` before
    publishing)."""
    market = market_daily.sort_values("date").reset_index(drop=True)
    as_of = pd.Timestamp(market["date"].iloc[-1])
    warnings: list[str] = []
    models = {}
    for ns, entry in sorted(entries.items()):
        models[ns] = {k: v for k, v in entry.items()
                      if k not in ("drivers", "class_names", "label", "horizon")}
        models[ns]["version"] = (model_versions or {}).get(ns)
    payload = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": (generated_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data_as_of": iso_date(as_of),
        "data": data_section(data_provenance or {}, market, params),
        "models": models,
        "market": market_section(market, params),
        "direction": direction_section(signals.get("direction"), as_of, market, entries, params, warnings),
        "seller": seller_section(signals.get("seller"), as_of, market, max_pain, entries,
                                 (engine_params or {}).get("seller") or {}, params, warnings),
        "buyer": buyer_section(signals.get("buyer"), as_of, market, gamma_windows, entries, params, warnings),
    }
    payload["seller"]["strategy_backtest"] = strategy_backtest_section(*(strategy_backtest or (None, None)))
    # expiry_ranges: (ranges, strike ladder)
    payload["seller"].update(expiries_section(*(expiry_ranges or (None, None)), as_of))
    payload["market"]["iv_context"] = iv_context(market)
    missing = sorted(ns for ns, e in entries.items() if e.get("missing"))
    if missing:
        warnings.append(f"models never trained, baselines served: {', '.join(missing)}")
    payload["data"]["warnings"] = [*payload["data"]["warnings"], *warnings]
    return mark_unavailable(payload)  # NaN/inf -> null + `unavailable` + reason, never 0.0
