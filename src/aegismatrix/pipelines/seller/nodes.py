"""Seller engine (RangeShield) nodes: pick the volatility forecaster, build safe ranges, assemble
signals.

The models themselves are instances of the shared template (see pipeline.py); these nodes only
combine their records (`seller_records`: each model's served predictions, out-of-sample fold
predictions in training and frozen models in inference, and metrics), so the same assembly runs in
both.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from aegismatrix.labels import TRADING_DAYS_PER_YEAR, forward_max_excursion
from aegismatrix.market.implied import implied_move_fraction
from aegismatrix.modelling.headline import headline
from aegismatrix.modelling.selection import RULE, candidate_table, choose_candidate, served_name
from aegismatrix.modelling.template import EngineRecords

from .causal import causal_quantile

logger = logging.getLogger(__name__)

SIGNAL_COLUMNS = [
    "date", "vol_forecast_21d", "vol_regime", "p_vol_low", "p_vol_medium", "p_vol_high",
    "trap_probability",
    "safe_lower_5d", "safe_upper_5d", "breach_probability_5d", "safe_lower_21d", "safe_upper_21d",
    "breach_probability_21d", "model_source",
]
REGIMES = ["low", "medium", "high"]


def select_volatility_forecast(records: EngineRecords,
                               candidates: list[str]) -> tuple[pd.DataFrame, dict]:
    """Serve one 21-day vol forecast per date from the candidate chosen on walk-forward scores.

    `candidates`: `seller.vol_candidates`, each a template instance of the seller engine."""
    missing = [n for n in candidates if n not in records.names()]
    if missing:
        raise ValueError(f"seller.vol_candidates {candidates}: no model block for {missing} in the "
                         "seller section (conf/base/parameters_seller.yml), or it is listed in "
                         "benchmark_only")
    pairs = {n: (records[n].metrics, records[n].predictions) for n in candidates}
    chosen = choose_candidate(candidates, {n: m for n, (m, _) in pairs.items()})
    metrics, predictions = pairs[chosen]
    frame = predictions[["date", "prediction", "model_source"]].rename(
        columns={"prediction": "vol_forecast_21d", "model_source": "vol_model_source"})
    frame["vol_model"] = served_name(chosen, metrics)
    selection = {
        "chosen": chosen, "served": frame["vol_model"].iloc[-1] if len(frame) else None,
        "rule": RULE, "candidates": candidate_table({n: m for n, (m, _) in pairs.items()}),
    }
    logger.info("seller volatility: serving %s (%s)", selection["served"], selection["rule"])
    return frame, selection


def causal_multiplier(ratio: pd.Series, horizon: int, target: float, min_history: int,
                      prior: float) -> pd.Series:
    """k_t: the (1 - target) quantile of excursion ratios whose window t-h+1 .. t closed by t
    (expanding)."""
    rows = np.arange(len(ratio))  # the ratio of row s is known after the close of s + h
    k, _ = causal_quantile(ratio.to_numpy(dtype=float), rows + horizon, rows, 1.0 - target,
                           min_history,
                           prior)
    return pd.Series(k, index=ratio.index)


def safe_ranges(market_daily: pd.DataFrame, vol_forecast: pd.DataFrame,
                seller_params: dict) -> pd.DataFrame:
    """Lower/upper levels per tenor whose touch probability matches the target,
    calibrated on closed windows only."""
    params = seller_params["safe_range"]
    check_breach_config(params, {n: seller_params[n] for n in ("breach_5d", "breach_21d")
                                 if n in seller_params})
    target = float(params["target_breach_probability"])
    market = market_daily.sort_values("date").reset_index(drop=True)
    frame = vol_forecast[["date", "vol_forecast_21d"]].merge(market, on="date", how="left")
    out = pd.DataFrame({"date": frame["date"]})
    priors = {int(k): float(v) for k, v in (params.get("prior_multiplier") or {}).items()}
    for h in params["tenors"]:
        excursion = frame[["date"]].merge(
            pd.DataFrame({"date": market["date"], "excursion": forward_max_excursion(market, h)}),
            on="date", how="left"
        )["excursion"]
        if params.get("scale", "vix") == "vix":
            move = implied_move_fraction(frame["vix_close"], h)
        else:
            move = frame["vol_forecast_21d"] * np.sqrt(h / TRADING_DAYS_PER_YEAR)
        k = causal_multiplier(excursion / move, h, target, int(params["min_history"]),
                              priors.get(int(h), 1.5))
        half = k * move * frame["close"]
        out[f"safe_lower_{h}d"] = frame["close"] - half
        out[f"safe_upper_{h}d"] = frame["close"] + half
        out[f"range_multiplier_{h}d"] = k
        out[f"realised_breach_{h}d"] = (excursion > k * move).astype(float).where(excursion.notna())
    return out


def _probabilities(predictions: pd.DataFrame, column: str, name: str) -> pd.DataFrame:
    return predictions[["date", column, "model_source"]].rename(
        columns={column: name, "model_source": f"{name.replace('_probability', '')}_model_source"})


def assemble_seller_signals(vol_forecast: pd.DataFrame, ranges: pd.DataFrame, max_pain_result: dict,
                            records: EngineRecords) -> pd.DataFrame:
    """One row per date of the seller set: every signal, its source,
    and `model_source` = model only if all are.

    `records`: the predictions of vol_regime, trap, breach_5d and breach_21d (engines/seller.py's
    signals); `max_pain_result` is the option-chain block (`max_pain` of the nearest expiry and the
    `reason` when null)."""
    vol_regime, trap = records["vol_regime"].predictions, records["trap"].predictions
    breach_5d, breach_21d = records["breach_5d"].predictions, records["breach_21d"].predictions
    regime = vol_regime[["date", "p_low", "p_medium", "p_high", "model_source"]].rename(
        columns={"p_low": "p_vol_low", "p_medium": "p_vol_medium", "p_high": "p_vol_high",
                 "model_source": "vol_regime_model_source"})
    regime["vol_regime"] = np.array(REGIMES)[
        regime[["p_vol_low", "p_vol_medium", "p_vol_high"]].to_numpy().argmax(axis=1)]
    frame = trap[["date"]]
    for part in (vol_forecast, regime, _probabilities(trap, "p_touch", "trap_probability"),
                 _probabilities(breach_5d, "p_breach", "breach_probability_5d"),
                 _probabilities(breach_21d, "p_breach", "breach_probability_21d"), ranges):
        frame = frame.merge(part, on="date", how="left")
    values = [c for c in SIGNAL_COLUMNS if c not in ("date", "model_source")]
    complete = frame[values].notna().all(axis=1)
    if (~complete).any():
        logger.warning("seller_signals: %d dates without every signal dropped",
                       int((~complete).sum()))
    frame = frame[complete].reset_index(drop=True)
    sources = frame[[c for c in frame.columns if c.endswith("_model_source")]]
    frame["model_source"] = np.where((sources == "model").all(axis=1), "model", "baseline")
    frame["max_pain"] = np.nan
    frame["max_pain_reason"] = (max_pain_result["reason"]
                                or "option chain snapshot applies to the latest date only")
    if max_pain_result["max_pain"] is not None and len(frame):
        latest = frame.index[-1]
        frame.loc[latest, ["max_pain", "max_pain_reason"]] = [max_pain_result["max_pain"], None]
    extra = [c for c in frame.columns
             if c not in SIGNAL_COLUMNS and not c.startswith("realised_breach")]
    return frame[SIGNAL_COLUMNS + extra].sort_values("date").reset_index(drop=True)


def _row(m: dict) -> dict:
    """The model's headline (modelling/headline.py) plus the seller's extras: walk-forward skill,
    the scored row count `n`, and for vol regressors each score as a ratio to the naive trailing
    realised vol."""
    row = {**headline(m), "walk_forward_skill": m["walk_forward"]["skill"]["value"],
           "n": m["overall"]["n"]}
    if m["task"] == "regression" and "trailing_rv_21d" in m["overall"]["baselines"]:
        naive = m["overall"]["baselines"]["trailing_rv_21d"]
        row["rmse_ratio_to_trailing"] = m["overall"]["model"]["rmse"] / naive["rmse"]
        if m["overall"]["model"]["qlike"] is not None and naive["qlike"]:
            row["qlike_ratio_to_trailing"] = m["overall"]["model"]["qlike"] / naive["qlike"]
        row["baseline_ratios_to_trailing"] = {
            b: {"rmse": s["rmse"] / naive["rmse"],
                "qlike": (s["qlike"] / naive["qlike"]) if s["qlike"] and naive["qlike"] else None}
            for b, s in m["overall"]["baselines"].items()}
    return row


def _breach_rows(ranges: pd.DataFrame, breach_oos_start: dict[int, pd.Timestamp],
                 target: float) -> list[dict]:
    rows = []
    for h, start in breach_oos_start.items():
        realised = ranges.loc[ranges["date"] >= start, f"realised_breach_{h}d"].dropna()
        rate = float(realised.mean()) if len(realised) else None
        rows.append({"name": f"seller.safe_range_{h}d", "metric": "breach_rate",
                     "status": "calibrated",
                     "primary_baseline": "target", "model_score": rate, "baseline_score": target,
                     "skill": None if rate is None else rate - target, "ci_low": None,
                     "ci_high": None,
                     "n": int(len(realised)), "from": str(pd.Timestamp(start).date())})
    return rows


def seller_metrics_summary(selection: dict, ranges: pd.DataFrame, safe_params: dict,
                           records: EngineRecords) -> list[dict]:
    """One row per model (metric, score, primary baseline score, skill and CI, status)
    plus the safe-range breach rates.

    `records`: every model's metrics; the breach models' out-of-sample rows date the breach-rate
    check."""
    rows = [_row(record.metrics) for record in records]
    for row in rows:
        if row["name"].removeprefix("seller.") in selection["candidates"]:
            row["selected_for_vol_forecast_21d"] = row["name"] == f"seller.{selection['chosen']}"
    starts = {5: records["breach_5d"].oos_predictions["date"].min(),
              21: records["breach_21d"].oos_predictions["date"].min()}
    return rows + _breach_rows(ranges, starts, float(safe_params["target_breach_probability"]))


def check_breach_config(safe_params: dict, breach_params: dict) -> None:
    """Breach models are binned at 1 - target: refuse a config where the two disagree."""
    target = float(safe_params["target_breach_probability"])
    for name, p in breach_params.items():
        if not np.isclose(p["label_bins"][0], 1.0 - target):
            raise ValueError(f"seller.{name}.label_bins {p['label_bins']} must be [1 - target] = "
                             f"[{1 - target:.3f}]")
