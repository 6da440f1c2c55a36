"""Direction engine nodes: the stacked ensemble, conformal move intervals, signal assembly and
summaries.

The per-model work (labels, walk-forward, tuning, calibration, SHAP, frozen models) is the shared
template and the mechanisms (stacking, conformal intervals, pooled universe training) live in
`aegismatrix.modelling`; these nodes only wire them to the direction layout (`direction.horizons`,
engines/direction.py) and read each instance's `ModelRecord` (out-of-sample predictions, metrics,
served predictions) from `records`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from aegismatrix.engines.direction import layout
from aegismatrix.labels import panel_direction_class
from aegismatrix.modelling.conformal import as_ns, conformal_table
from aegismatrix.modelling.headline import headline
from aegismatrix.modelling.metrics import directional_accuracy
from aegismatrix.modelling.parallel import parallel_map
from aegismatrix.modelling.stacking import meta_features, predict_meta, stack_walk_forward
from aegismatrix.modelling.template import EngineRecords
from aegismatrix.modelling.universe import pooled_walk_forward, score_pooled

logger = logging.getLogger(__name__)

CLASSES = ["down", "neutral", "up"]
PROBA = [f"p_{c}" for c in CLASSES]
SIGNAL_COLUMNS = ["date", "horizon_days", "p_down", "p_neutral", "p_up", "neutral_band",
                  "predicted_direction", "conviction", "expected_abs_move_points",
                  "move_lower_points",
                  "move_upper_points", "model_source"]


def fit_direction_ensemble(records: EngineRecords, params: dict) -> dict:
    """Stacked meta-learner per horizon (walk-forward on base OOS rows) and conformal tables of the
    move."""
    cfg = params["ensemble"]
    horizons = list(layout(params)["horizons"].items())
    # each horizon's job carries only its members' out-of-sample rows and metrics (jobs go to
    # processes)
    jobs = [(int(h), spec, params, {b: _scored(records[b]) for b in spec["classifiers"]},
             _scored(records[spec["magnitude"]]), cfg) for h, spec in horizons]
    states = parallel_map(_horizon_state, jobs)
    return {"classes": CLASSES,
            "horizons": {h_key: state for (h_key, _), state in zip(horizons, states)}}


def _scored(record) -> tuple[pd.DataFrame, dict]:
    return record.oos_predictions, record.metrics


def _horizon_state(h: int, spec: dict, params: dict, bases: dict[str, tuple[pd.DataFrame, dict]],
                   magnitude: tuple[pd.DataFrame, dict], cfg: dict) -> dict:
    """One horizon's stack and the conformal table of its magnitude model (horizons run in
    parallel)."""
    # ~40 tiny L-BFGS fits per horizon: BLAS threads on 2 cores made them ~6x slower
    with threadpool_limits(limits=1):
        stack = stack_walk_forward(h, bases, cfg, CLASSES)
    return {
        "neutral_band": float(params[spec["classifiers"][0]]["label"]["neutral_band"]),
        "stack": stack,
        "conformal": conformal_table(*magnitude, h,
                                      float(cfg["coverage"]), int(cfg["min_residuals"])),
    }


def _classifier_frame(h: int, stack: dict, records: EngineRecords) -> pd.DataFrame:
    """Served probabilities per date: stack history, the frozen stack after it, the fallback model
    before it."""
    fallback = records[stack["fallback"]].predictions[["date", *PROBA, "model_source"]].copy()
    fallback["date"] = as_ns(fallback["date"])
    fallback["direction_model"] = np.where(fallback["model_source"] == "model", stack["fallback"],
                                           "baseline")
    if stack["status"] != "edge":
        return fallback
    history = pd.DataFrame(stack["history"]).assign(model_source="model",
                                                    direction_model=f"stack_h{h}")
    history["date"] = as_ns(history["date"])
    bases = [records[b].predictions.assign(date=lambda f: as_ns(f["date"])).set_index("date")[PROBA]
             for b in stack["bases"]]
    common = bases[0].index
    for b in bases[1:]:
        common = common.intersection(b.index)
    after = common[common > history["date"].max()]
    features = meta_features([b.loc[after].to_numpy(dtype=float) for b in bases])
    frozen = pd.DataFrame(predict_meta(stack["meta"], features),
                          columns=PROBA).assign(date=after, model_source="model",
                                                direction_model=f"stack_h{h}")
    before = fallback[fallback["date"] < history["date"].min()]
    return pd.concat([before, history, frozen], ignore_index=True)


def assemble_direction_signals(direction_ensemble: dict, market_daily: pd.DataFrame,
                               records: EngineRecords,
                               params: dict) -> pd.DataFrame:
    """`direction_signals`: one row per date and horizon with probabilities, conviction and the move
    interval.

    The magnitude models forecast |return| over h days; points = that fraction x close(t) (known at
    t).
    """
    close = pd.DataFrame({"date": as_ns(market_daily["date"]),
                          "close": market_daily["close"].to_numpy(dtype=float)})
    parts = []
    for h_key, spec in layout(params)["horizons"].items():
        h = int(h_key)
        state = direction_ensemble["horizons"][str(h)]
        probs = _classifier_frame(h, state["stack"], records)
        magnitude = records[spec["magnitude"]].predictions
        move = magnitude[["date", "prediction", "model_source"]].rename(
            columns={"prediction": "expected_abs_move_pct",
                     "model_source": "magnitude_model_source"})
        move = move.assign(date=as_ns(move["date"])).merge(close, on="date", how="inner")
        frame = probs.assign(date=as_ns(probs["date"])).merge(
            move.assign(date=as_ns(move["date"])), on="date", how="inner")
        frame = frame.sort_values("date").reset_index(drop=True)
        table = pd.DataFrame({"date": as_ns(pd.Series(pd.to_datetime(state["conformal"]["date"]))),
                              "q_low": state["conformal"]["q_low"],
                              "q_high": state["conformal"]["q_high"]})
        frame = (pd.merge_asof(frame, table.sort_values("date"), on="date") if len(table)
                 else frame.assign(q_low=np.nan, q_high=np.nan))
        p = frame[PROBA].to_numpy(dtype=float)
        ordered = np.sort(p, axis=1)
        size = np.maximum(frame["expected_abs_move_pct"], 0.0)
        frame = frame.assign(
            expected_abs_move_points=size * frame["close"],
            horizon_days=h, neutral_band=state["neutral_band"],
            predicted_direction=np.array([c.upper() for c in CLASSES])[p.argmax(axis=1)],
            conviction=ordered[:, -1] - ordered[:, -2],
            move_lower_points=np.maximum(size + frame["q_low"], 0.0) * frame["close"],
            move_upper_points=np.maximum(size + frame["q_high"], 0.0) * frame["close"],
            direction_model_source=frame["model_source"])
        parts.append(frame)
    signals = pd.concat(parts, ignore_index=True).sort_values(["date", "horizon_days"])
    signals = signals.reset_index(drop=True)
    extra = ["direction_model_source", "direction_model", "magnitude_model_source",
             "expected_abs_move_pct"]
    return signals[SIGNAL_COLUMNS + extra]


def _model_row(name: str, metrics: dict, oos: pd.DataFrame | None) -> dict:
    overall = metrics["overall"]
    row = {**headline(metrics), "name": name}
    if metrics["task"] == "classification":
        row["accuracy"] = overall["model"]["accuracy"]
        row["balanced_accuracy"] = overall["model"]["balanced_accuracy"]
        row["brier"] = overall["model"]["brier"]
        row["baseline_brier"] = {k: v["brier"] for k, v in overall["baselines"].items()}
    if oos is not None and "p_up" in oos:
        scored = oos.dropna(subset=["label"])
        y = scored["label"].to_numpy(dtype=float)
        row["directional_accuracy"] = directional_accuracy(y, scored[PROBA].to_numpy(dtype=float))
        row["baseline_directional_accuracy"] = {
            b: directional_accuracy(y, scored[[f"baseline_{b}__{c}" for c in PROBA]]
                                    .to_numpy(dtype=float))
            for b in overall["baselines"]}
    return row


def summarise_direction_metrics(direction_ensemble: dict, records: EngineRecords,
                                params: dict) -> list[dict]:
    """`direction_metrics_summary`: one row per model (and stacked ensemble)
    with its score next to the baseline."""
    classifiers = {c for spec in layout(params)["horizons"].values() for c in spec["classifiers"]}
    rows = [_model_row(r.name, r.metrics, r.oos_predictions if r.name in classifiers else None)
            for r in records]
    for h, state in direction_ensemble["horizons"].items():
        stack = state["stack"]
        row = {"name": f"stack_h{h}", "metric": "log_loss", "primary_baseline": "class_prior",
               "status": stack["status"],
               "bases": stack["bases"],
               "conformal_coverage_target": state["conformal"]["coverage_target"],
               "conformal_empirical_coverage": state["conformal"]["empirical_coverage"]}
        if "skill" in stack:
            row["reason"] = stack.get("reason")
            # the stack's edge before the serving rule
            row["own_status"] = stack.get("own_status", stack["status"])
            row.update(model_score=stack["model"]["log_loss"],
                       baseline_score=stack["baseline"]["log_loss"],
                       skill=stack["skill"]["value"], ci_low=stack["skill"]["ci_low"],
                       ci_high=stack["skill"]["ci_high"],
                       test_skill=stack["test_skill"], n_oos=stack["n"],
                       accuracy=stack["model"]["accuracy"],
                       balanced_accuracy=stack["model"]["balanced_accuracy"],
                       brier=stack["model"]["brier"],
                       directional_accuracy=stack["directional_accuracy"], ece=stack.get("ece"),
                       baseline_ece=stack.get("baseline_ece"),
                       baseline_directional_accuracy={
                           "class_prior": stack["baseline_directional_accuracy"]})
        else:
            row["reason"] = stack.get("reason")
            # the stack's edge before the serving rule
            row["own_status"] = stack.get("own_status", stack["status"])
        rows.append(row)
    for row in rows:
        # members had their own skill line and comparison-table row already; the served stacks had
        # not
        level = logging.INFO if str(row["name"]).startswith("stack") else logging.DEBUG
        logger.log(level, "direction %-18s %-8s model %s vs %s -> skill %s (%s)", row["name"],
                   row["metric"],
                    _fmt(row.get("model_score")), _fmt(row.get("baseline_score")),
                    _fmt(row.get("skill")),
                    row["status"])
    return rows


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def train_universe_direction(universe_features: pd.DataFrame, direction_params: dict) -> dict:
    """Universe mode: a direction classifier pooled over the symbol panel,
    walk-forward over dates (not served)."""
    cfg = direction_params["universe"]
    if not cfg.get("enabled"):
        return {"enabled": False, "reason": "direction.universe.enabled is false"}
    panel = universe_features.sort_values(["symbol", "date"]).reset_index(drop=True)
    if panel.empty:
        return {"enabled": True, "status": "no_data",
                "reason": "universe_features is empty (data_ingestion.universe unset)"}
    h = int(cfg["horizon"])
    panel["label"] = panel_direction_class(panel, h, float(cfg["neutral_band"]))
    from aegismatrix.features.feature_sets import ENGINE_SETS

    cols = [c for c in ENGINE_SETS["direction"] if c in panel.columns]
    oos = pooled_walk_forward(panel, cols, h, cfg["splits"], cfg["estimator"], CLASSES)
    target = oos[oos["symbol"].str.contains(str(cfg.get("report_symbol", "NSEI")), regex=False)]
    out = {"enabled": True, "horizon": h, "neutral_band": cfg["neutral_band"], "features": cols,
           "symbols": sorted(panel["symbol"].unique().tolist()), "rows": int(len(panel)),
           "folds": {},
           "pooled": score_pooled(oos, CLASSES),
           "test": score_pooled(oos[oos["fold"] == "test"], CLASSES),
           "report_symbol": score_pooled(target, CLASSES) if len(target) else None}
    logger.info("direction universe h=%d: pooled skill %+.4f over %d OOS rows", h,
                out["pooled"]["skill"],
                len(oos))
    return out


def untrained_ensemble(params: dict, served: dict | None = None) -> dict:
    """The ensemble state of a direction engine never trained: no stack (each horizon serves its
    first classifier, i.e. that model's baseline) and no conformal table (move intervals are then
    unavailable, never invented). `served`: the layout (default: the one `params` declare)."""
    served = served if served is not None else layout(params)
    return {"classes": CLASSES, "untrained": True, "horizons": {
        h_key: {"neutral_band": float(params[spec["classifiers"][0]]["label"]["neutral_band"]),
                "stack": {"bases": spec["classifiers"], "fallback": spec["classifiers"][0],
                          "status": "no_edge", "history": None, "meta": None},
                "conformal": {"date": [], "q_low": [], "q_high": []}}
        for h_key, spec in served["horizons"].items()}}
