"""Assemble the aegismatrix.json payload for the latest date: the envelope (schema version, data,
models, market) around each engine's section.

The payload convention (docs/payload.md): every engine's section is a pure function in
`payload/sections/<engine>.py` of that engine's signals, its models' records and its inputs; this
module builds the envelope, calls them with everything they show (expiries, option chain, strategy
backtest, decision time, intraday context, track record are inputs, never added afterwards) and runs
`mark_unavailable` once on the whole document. Nothing changes the payload after it is assembled;
`publish.py` validates and publishes it.

Top drivers come from `modelling/explain.py` (the boosters' own TreeSHAP, or coefficient x input for
linear models) for the latest row only, so inference never imports shap. An engine whose signals are
absent (not trained, not wired) is served by documented heuristics: label base rates over the loaded
window and VIX-implied moves and ranges, marked `heuristic`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from aegismatrix.ledger.guard import guard_record
from aegismatrix.modelling.selection import served_weight
from aegismatrix.payload.expiries import expiries_section, intraday_expiries, iv_context
from aegismatrix.payload.fields import engine_records, finite, iso_date, utc_stamp, vix_regime
from aegismatrix.payload.publish import SCHEMA_VERSION
from aegismatrix.payload.sections.buyer import buyer_section
from aegismatrix.payload.sections.direction import direction_section
from aegismatrix.payload.sections.seller import seller_section
from aegismatrix.payload.unavailable import mark_unavailable

logger = logging.getLogger(__name__)

# what a model record carries for the engine sections only (drivers, labels), not for `models`
SHOWN_IN_SECTIONS = ("drivers", "class_names", "label", "horizon")

# -------------------------------------------------------- per-model records (one node per model)

def top_drivers(model_input: pd.DataFrame, model: dict, row: int, k: int = 5) -> list[dict]:
    """The k largest |contributions| of one prediction with the feature's raw value, largest
    first."""
    # the one explainer (the boosters' own TreeSHAP: no shap import)
    from aegismatrix.modelling.explain import latest_contributions

    contrib = latest_contributions(model_input, model, row)
    if contrib is None:
        return []
    order = contrib.abs().sort_values(ascending=False, kind="stable").index[:k]
    return [{"feature": str(f), "value": finite(model_input[f].iloc[row]),
             "contribution": float(contrib[f])} for f in order]


def describe_served_model(model_input: pd.DataFrame, model: dict | None, params: dict,
                          namespace: str, n_drivers: int = 5,
                          predictions: pd.DataFrame | None = None) -> dict:
    """What the payload says about one model: edge, out-of-sample skill, what is served, its latest
    drivers, and the live guard's verdict on its latest served row (`predictions`)."""
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
        "model_source": "model" if meta.get("edge") else "baseline",
        "code_version": meta.get("version"),
        "training_window": meta.get("training_window"),
        "feature_fingerprint": meta.get("feature_fingerprint"),
        "kind": meta.get("kind"),
        # the selection rule's weight on the model (rest: baseline)
        "served_weight": served_weight(meta),
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
    return {**entry, **guard_block(predictions)}


def guard_block(predictions: pd.DataFrame | None) -> dict:
    """`demoted` (false where no guard ran: no edge, no `selection.guard`) and `guard` (its numbers,
    null where none ran); a demoted model is served by its baseline (`model_source` baseline)."""
    if predictions is None or predictions.empty or "demoted" not in predictions:
        return {"demoted": False, "guard": None}
    block = guard_record(predictions.iloc[-1])
    return {**block, **({"model_source": "baseline"} if block["demoted"] else {})}


# ---------------------------------------------------------------- sections

def market_section(market: pd.DataFrame, params: dict) -> dict:
    """Spot, change, VIX and the VIX regime of the latest close."""
    last, prev = market.iloc[-1], market.iloc[-2] if len(market) > 1 else market.iloc[-1]
    change = float(last["close"] - prev["close"])
    return {"spot": float(last["close"]), "change": round(change, 2),
            "change_pct": round(100.0 * change / float(prev["close"]), 4),
            "vix": float(last["vix_close"]),
            "vol_regime": vix_regime(market, int(params.get("regime_lookback", 252)),
                                     params.get("regime_quantiles", [1 / 3, 2 / 3])),
            "previous_close": float(prev["close"]),
            "vix_filled": bool(last.get("vix_filled", False))}


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
        symbols["market_daily"] = {"source": provenance.get("source", "unknown"),
                                   "rows": int(len(market)),
                                   "first_date": iso_date(market["date"].iloc[0]),
                                   "last_date": iso_date(market["date"].iloc[-1]),
                                   "fetched_at": None, "cache_age_hours": None, "warnings": []}
    # provenance["warnings"]: e.g. why data_as_of is not the index's last row
    warnings = sorted({w for s in symbols.values() for w in s["warnings"]}
                      | set(provenance.get("intraday_warnings") or [])
                      | set(provenance.get("warnings") or []))
    stale, reasons = _staleness(provenance, symbols, params)
    return {"source": provenance.get("source") or "unknown", "stale": stale,
            "stale_reasons": reasons,
            "warnings": warnings, "provenance": symbols, **_session_block(provenance)}


def _staleness(provenance: dict, symbols: dict, params: dict) -> tuple[bool, list[str]]:
    """Stale by market time when ingestion judged it (a symbol lacks the session the decision needs,
    or the live price is too old); by cache age only for provenance written before the session
    clock."""
    if provenance.get("session"):
        reasons = [f"{key}: {entry['stale_reason']}" for key, entry in symbols.items()
                   if entry.get("stale") and entry.get("stale_reason")]
        return any(entry.get("stale") for entry in symbols.values()), reasons
    ages = [s.get("cache_age_hours") for s in symbols.values()
            if s.get("cache_age_hours") is not None]
    limit = float(params.get("stale_after_hours", 24))
    stale = bool(ages) and max(ages) > limit
    return stale, [f"a cache is {max(ages):.1f} hours old (limit {limit:g})"] if stale else []


def _session_block(provenance: dict) -> dict:
    """`session` (the NSE session clock at the fetch), `last_completed_session` and `live` (the
    index's developing bar: price and time) for the data block; absent for provenance without a
    session clock."""
    session = provenance.get("session")
    if not session:
        return {}
    return {"session": session, "last_completed_session": session.get("last_completed_session"),
            "live": provenance.get("live")}


def assemble_payload(market_daily: pd.DataFrame, data_provenance: dict,
                     signals: dict[str, pd.DataFrame | None], entries: dict[str, dict],
                     model_versions: dict[str, str | None], params: dict,
                     engine_params: dict[str, dict] | None = None,
                     gamma_windows: dict | None = None, max_pain: dict | None = None,
                     generated_at: datetime | None = None,
                     strategy_backtest: tuple | None = None, expiry_ranges: tuple | None = None, *,
                     decision: dict | None = None, intraday: tuple | None = None,
                     warnings: Sequence[str] = (), track_record: dict | None = None) -> dict:
    """The payload for the latest date of `market_daily` (validate with `validate_payload` before
    publishing). `entries`: every model's payload record by namespace; `decision`: the decision time
    and overnight fields of the market block (`payload/overnight.py`); `intraday`: (context, ranges,
    ladder) of an intraday decision; `warnings`: the run's own warnings (e.g. a US feed that
    ended)."""
    market = market_daily.sort_values("date").reset_index(drop=True)
    as_of = pd.Timestamp(market["date"].iloc[-1])
    sections = engine_sections(signals, entries, market, as_of, params, engine_params or {},
                               gamma_windows, max_pain, strategy_backtest, expiry_ranges, intraday)
    missing = sorted(ns for ns, e in entries.items() if e.get("missing"))
    data = data_section(data_provenance or {}, market, params)
    never_trained = ([f"models never trained, baselines served: {', '.join(missing)}"] if missing
                     else [])
    data["warnings"] = [*data["warnings"], *(w for s in sections.values() for w in s.warnings),
                        *never_trained, *warnings]
    payload = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": (generated_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data_as_of": iso_date(as_of), "data": data,
        "models": models_block(entries, model_versions),
        "market": {**market_section(market, params), "iv_context": iv_context(market),
                   **(decision or {}), **intraday_market(intraday)},
        **{engine: section.body for engine, section in sections.items()},
        **({"track_record": track_record} if track_record is not None else {}),
    }
    return mark_unavailable(payload)  # NaN/inf -> null + `unavailable` + reason, never 0.0; once


def engine_sections(signals: dict, entries: dict[str, dict], market: pd.DataFrame,
                    as_of: pd.Timestamp, params: dict, engine_params: dict[str, dict],
                    gamma_windows: dict | None, max_pain: dict | None,
                    strategy_backtest: tuple | None, expiry_ranges: tuple | None,
                    intraday: tuple | None) -> dict:
    """Each engine's section from its own signals and its own models' records
    (`payload/sections/`)."""
    if intraday:  # ranges around the live spot and the gamma windows still ahead (issue 24)
        context, ranges, ladder = intraday
        expiries = intraday_expiries(ranges, ladder, as_of, context)
        time_of_day = context["decision_at_ist"][11:16]
    else:
        expiries, time_of_day = expiries_section(*(expiry_ranges or (None, None)), as_of), None
    return {
        "direction": direction_section(signals.get("direction"),
                                       engine_records(entries, "direction"), market, as_of, params),
        "seller": seller_section(signals.get("seller"), engine_records(entries, "seller"), market,
                                 as_of, params, engine_params.get("seller") or {}, max_pain,
                                 strategy_backtest, expiries),
        "buyer": buyer_section(signals.get("buyer"), engine_records(entries, "buyer"), market,
                               as_of, params, engine_params.get("buyer") or {}, gamma_windows,
                               time_of_day),
    }


def models_block(entries: dict[str, dict], model_versions: dict[str, str | None] | None) -> dict:
    """`models`: every model's record (less what the engine sections show) with its stored
    version."""
    return {ns: {**{k: v for k, v in entry.items() if k not in SHOWN_IN_SECTIONS},
                 "version": (model_versions or {}).get(ns)}
            for ns, entry in sorted(entries.items())}


def intraday_market(intraday: tuple | None) -> dict:
    """An intraday decision's market fields (issue 24): its instant and the live context."""
    if not intraday:
        return {}
    context = intraday[0]
    return {"decision_time": "intraday", "decision_at": context["decision_at"],
            "intraday": dict(context)}
