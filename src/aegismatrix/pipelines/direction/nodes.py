"""Direction engine nodes: the stacked ensemble, conformal move intervals, signal assembly and summaries.

The per-model work (labels, walk-forward, tuning, calibration, SHAP, frozen models) is the shared template;
these nodes only read its `<ns>.oos_predictions`, `<ns>.metrics` and `<ns>.predictions` frames. Frames
are passed as keyword arguments named `<model>__oos`, `<model>__metrics` and `<model>__predictions`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from aegismatrix.labels import panel_direction_class
from aegismatrix.modelling.baselines import fit_baseline, predict_baseline
from aegismatrix.modelling.headline import headline
from aegismatrix.modelling.metrics import block_bootstrap_skill, classification_metrics, row_log_loss, skill_score
from aegismatrix.modelling.parallel import parallel_map
from aegismatrix.modelling.splits import walk_forward_folds
from aegismatrix.models.base import get_estimator

logger = logging.getLogger(__name__)

CLASSES = ["down", "neutral", "up"]
PROBA = [f"p_{c}" for c in CLASSES]
SIGNAL_COLUMNS = ["date", "horizon_days", "p_down", "p_neutral", "p_up", "neutral_band", "predicted_direction",
                  "conviction", "expected_abs_move_points", "move_lower_points", "move_upper_points", "model_source"]
EPS = 1e-6


def _ns(dates) -> pd.Series:
    """Dates at one resolution (Parquet may load microseconds), so merges and as-of joins line up."""
    return pd.Series(pd.to_datetime(dates)).astype("datetime64[ns]").to_numpy()


def _get(frames: dict, model: str, kind: str):
    return frames[f"{model}__{kind}"]


def directional_accuracy(y: np.ndarray, proba: np.ndarray) -> float | None:
    """Share of non-NEUTRAL days (label 0 or 2) whose sign matches p_up > p_down; NaN labels ignored."""
    keep = np.isfinite(y) & (y != 1)
    if not keep.any():
        return None
    return float(((proba[keep, 2] > proba[keep, 0]) == (y[keep] == 2)).mean())


def _served_oos(oos: pd.DataFrame, metrics: dict, columns: list[str]) -> np.ndarray:
    """What the template serves on OOS rows: the model's columns with edge, else the primary baseline's."""
    prefix = "" if metrics["edge"] else f"baseline_{metrics['primary_baseline']}__"
    return oos[[prefix + c for c in columns]].to_numpy(dtype=float)


def _meta_features(probas: list[np.ndarray]) -> np.ndarray:
    return np.hstack([np.log(np.clip(p, EPS, 1.0)) for p in probas])


def _meta_fit(X: np.ndarray, y: np.ndarray, C: float) -> dict:
    from sklearn.linear_model import LogisticRegression  # lazy: sklearn costs ~1 s at pipeline registration

    model = LogisticRegression(C=C, max_iter=1000).fit(X, y.astype(int))
    coef = np.zeros((3, X.shape[1]))
    intercept = np.full(3, -30.0)  # a class absent from the training rows keeps ~0 probability
    coef[model.classes_.astype(int)] = model.coef_ if len(model.classes_) > 2 else np.vstack([-model.coef_, model.coef_]) / 2
    intercept[model.classes_.astype(int)] = (model.intercept_ if len(model.classes_) > 2
                                             else np.array([-model.intercept_[0], model.intercept_[0]]) / 2)
    return {"coef": coef.tolist(), "intercept": intercept.tolist()}


def _meta_predict(state: dict, X: np.ndarray) -> np.ndarray:
    logits = X @ np.asarray(state["coef"]).T + np.asarray(state["intercept"])
    logits -= logits.max(axis=1, keepdims=True)
    proba = np.exp(logits)
    proba /= proba.sum(axis=1, keepdims=True)
    proba = np.clip(proba, 1e-4, 1.0)
    return proba / proba.sum(axis=1, keepdims=True)


def _score_stack(y: np.ndarray, stack: np.ndarray, prior: np.ndarray, is_test: np.ndarray, horizon: int,
                 bootstrap: dict) -> dict:
    model_loss, base_loss = row_log_loss(y, stack), row_log_loss(y, prior)
    low, high = block_bootstrap_skill(model_loss, base_loss, max(horizon, 5), bootstrap.get("n_boot", 500),
                                      bootstrap.get("level", 0.9))
    test_skill = skill_score(model_loss[is_test], base_loss[is_test]) if is_test.any() else float("nan")
    edge = bool(low > 0 and test_skill > 0)
    return {"n": int(len(y)), "model": classification_metrics(y, stack, CLASSES),
            "baseline": classification_metrics(y, prior, CLASSES),
            "skill": {"metric": "log_loss", "vs": "class_prior", "value": skill_score(model_loss, base_loss),
                      "ci_low": low, "ci_high": high, "level": bootstrap.get("level", 0.9)},
            "test_skill": test_skill, "edge": edge, "status": "edge" if edge else "no_edge",
            "directional_accuracy": directional_accuracy(y, stack),
            "baseline_directional_accuracy": directional_accuracy(y, prior)}


def _stack_horizon(horizon: int, bases: list[str], frames: dict, cfg: dict) -> dict:
    """Walk-forward meta-learner on the base models' OOS rows that precede each block (purged by the horizon).

    It is always evaluated (on the base models' own OOS probabilities); it is served only with edge of its
    own AND edge in every base model, because inference feeds it the base models' served predictions.
    """
    with_edge = [b for b in bases if _get(frames, b, "metrics")["edge"]]
    fallback = with_edge[0] if with_edge else bases[0]
    out = {"bases": bases, "fallback": fallback, "status": "no_edge", "history": None, "meta": None}
    merged = None
    for b in bases:
        oos = _get(frames, b, "oos")[["date", "fold", "label", *PROBA, *[f"baseline_class_prior__{c}" for c in PROBA]]]
        oos = oos.rename(columns={c: f"{b}__{c}" for c in PROBA})
        if merged is None:
            merged = oos
        else:
            merged = merged.merge(oos[["date", *[f"{b}__{c}" for c in PROBA]]], on="date", how="inner")
    merged = merged.sort_values("date").reset_index(drop=True)
    X = _meta_features([merged[[f"{b}__{c}" for c in PROBA]].to_numpy(dtype=float) for b in bases])
    y = merged["label"].to_numpy(dtype=float)
    prior = merged[[f"baseline_class_prior__{c}" for c in PROBA]].to_numpy(dtype=float)
    start, step, C = int(cfg["min_train"]), int(cfg["refit_every"]), float(cfg["C"])
    stack = np.full((len(merged), 3), np.nan)
    for s in range(start, len(merged), step):
        train = np.flatnonzero(np.isfinite(y[: max(0, s - horizon)]))  # label windows closed before row s
        if len(train) < 50 or len(np.unique(y[train])) < 2:
            continue
        stack[s:s + step] = _meta_predict(_meta_fit(X[train], y[train], C), X[s:s + step])
    scored = np.isfinite(stack[:, 0]) & np.isfinite(y)
    if scored.sum() < 50:
        out["reason"] = f"only {int(scored.sum())} stacked out-of-sample rows (ensemble.min_train too large)"
        return out
    rows = np.flatnonzero(scored)
    is_test = np.zeros(len(rows), bool)
    is_test[int(round(len(rows) * (1 - float(cfg.get("test_fraction", 0.2))))):] = True
    score = _score_stack(y[rows], stack[rows], prior[rows], is_test, horizon, cfg.get("bootstrap", {}))
    out.update(score)
    logger.info("direction stack h=%d over %s: skill %+.4f [%+.4f, %+.4f] -> %s", horizon, bases,
                score["skill"]["value"], score["skill"]["ci_low"], score["skill"]["ci_high"], score["status"])
    if len(with_edge) < len(bases):
        out.update(status="no_edge", edge=False, own_status=score["status"],
                   reason=f"base models without edge ({sorted(set(bases) - set(with_edge))}) are served as baselines")
        return out
    labelled = np.flatnonzero(np.isfinite(y))
    have = np.isfinite(stack[:, 0])
    history = pd.DataFrame(stack[have], columns=PROBA).assign(date=merged["date"].dt.strftime("%Y-%m-%d").to_numpy()[have])
    out.update(meta=_meta_fit(X[labelled], y[labelled], C), history=history.to_dict(orient="list"))
    return out


def _conformal_table(oos: pd.DataFrame, metrics: dict, horizon: int, coverage: float, min_residuals: int) -> dict:
    """Residual quantiles (label - served forecast) of past OOS rows only: row t uses residuals of rows <= t-h-1."""
    oos = oos.sort_values("date").reset_index(drop=True)
    served = _served_oos(oos, metrics, ["prediction"])[:, 0]
    resid = oos["label"].to_numpy(dtype=float) - served
    lo_q, hi_q = (1 - coverage) / 2, (1 + coverage) / 2
    dates, lows, highs = [], [], []
    for t in range(len(oos)):
        past = resid[: max(0, t - horizon)]
        past = past[np.isfinite(past)]
        if len(past) >= min_residuals:
            dates.append(oos["date"].iloc[t].strftime("%Y-%m-%d"))
            lows.append(float(np.quantile(past, lo_q)))
            highs.append(float(np.quantile(past, hi_q)))
    every = resid[np.isfinite(resid)]
    if len(every) >= min_residuals:  # after the OOS period (frozen model): every OOS residual
        dates.append((oos["date"].iloc[-1] + pd.Timedelta(days=1)).strftime("%Y-%m-%d"))
        lows.append(float(np.quantile(every, lo_q)))
        highs.append(float(np.quantile(every, hi_q)))
    table = pd.DataFrame({"date": pd.to_datetime(dates), "q_low": lows, "q_high": highs})
    covered = _interval_coverage(oos, served, table)
    return {"coverage_target": coverage, "empirical_coverage": covered, "source": "model" if metrics["edge"] else "baseline",
            "date": dates, "q_low": lows, "q_high": highs}


def _interval_coverage(oos: pd.DataFrame, served: np.ndarray, table: pd.DataFrame) -> float | None:
    if table.empty:
        return None
    frame = pd.DataFrame({"date": _ns(oos["date"]), "label": oos["label"].to_numpy(dtype=float), "pred": served})
    frame = pd.merge_asof(frame.sort_values("date"), table.assign(date=_ns(table["date"])), on="date").dropna()
    if frame.empty:
        return None
    lower, upper = np.maximum(frame["pred"] + frame["q_low"], 0.0), frame["pred"] + frame["q_high"]
    return float(((frame["label"] >= lower) & (frame["label"] <= upper)).mean())


def fit_direction_ensemble(params: dict, layout: dict, **frames) -> dict:
    """Stacked meta-learner per horizon (walk-forward on base OOS rows) and conformal tables of the move."""
    cfg = params["ensemble"]
    horizons = list(layout["horizons"].items())
    states = parallel_map(_horizon_state, [(int(h), spec, params, frames, cfg) for h, spec in horizons])
    return {"classes": CLASSES, "horizons": {h_key: state for (h_key, _), state in zip(horizons, states)}}


def _horizon_state(h: int, spec: dict, params: dict, frames: dict, cfg: dict) -> dict:
    """One horizon's stack and the conformal table of its magnitude model (horizons run in parallel)."""
    magnitude = spec["magnitude"]
    with threadpool_limits(limits=1):  # ~40 tiny L-BFGS fits per horizon: BLAS threads on 2 cores made them ~6x slower
        stack = _stack_horizon(h, spec["classifiers"], frames, cfg)
    return {
        "neutral_band": float(params[spec["classifiers"][0]]["label"]["neutral_band"]),
        "stack": stack,
        "conformal": _conformal_table(_get(frames, magnitude, "oos"), _get(frames, magnitude, "metrics"), h,
                                      float(cfg["coverage"]), int(cfg["min_residuals"])),
    }


def _classifier_frame(h: int, spec: dict, stack: dict, frames: dict) -> pd.DataFrame:
    """Served probabilities per date: stack history, the frozen stack after it, the fallback model before it."""
    fallback = _get(frames, stack["fallback"], "predictions")[["date", *PROBA, "model_source"]].copy()
    fallback["date"] = _ns(fallback["date"])
    fallback["direction_model"] = np.where(fallback["model_source"] == "model", stack["fallback"], "baseline")
    if stack["status"] != "edge":
        return fallback
    history = pd.DataFrame(stack["history"]).assign(model_source="model", direction_model=f"stack_h{h}")
    history["date"] = _ns(history["date"])
    bases = [_get(frames, b, "predictions").assign(date=lambda f: _ns(f["date"])).set_index("date")[PROBA]
             for b in stack["bases"]]
    common = bases[0].index
    for b in bases[1:]:
        common = common.intersection(b.index)
    after = common[common > history["date"].max()]
    frozen = pd.DataFrame(_meta_predict(stack["meta"], _meta_features([b.loc[after].to_numpy(dtype=float) for b in bases])),
                          columns=PROBA).assign(date=after, model_source="model", direction_model=f"stack_h{h}")
    before = fallback[fallback["date"] < history["date"].min()]
    return pd.concat([before, history, frozen], ignore_index=True)


def assemble_direction_signals(direction_ensemble: dict, market_daily: pd.DataFrame, layout: dict,
                               **frames) -> pd.DataFrame:
    """`direction_signals`: one row per date and horizon with probabilities, conviction and the move interval.

    The magnitude models forecast |return| over h days; points = that fraction x close(t) (known at t).
    """
    close = pd.DataFrame({"date": _ns(market_daily["date"]), "close": market_daily["close"].to_numpy(dtype=float)})
    parts = []
    for h_key, spec in layout["horizons"].items():
        h = int(h_key)
        state = direction_ensemble["horizons"][str(h)]
        probs = _classifier_frame(h, spec, state["stack"], frames)
        move = _get(frames, spec["magnitude"], "predictions")[["date", "prediction", "model_source"]].rename(
            columns={"prediction": "expected_abs_move_pct", "model_source": "magnitude_model_source"})
        move = move.assign(date=_ns(move["date"])).merge(close, on="date", how="inner")
        frame = probs.assign(date=_ns(probs["date"])).merge(move.assign(date=_ns(move["date"])), on="date", how="inner")
        frame = frame.sort_values("date").reset_index(drop=True)
        table = pd.DataFrame({"date": _ns(pd.Series(pd.to_datetime(state["conformal"]["date"]))),
                              "q_low": state["conformal"]["q_low"], "q_high": state["conformal"]["q_high"]})
        frame = pd.merge_asof(frame, table.sort_values("date"), on="date") if len(table) else frame.assign(q_low=np.nan, q_high=np.nan)
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
    signals = pd.concat(parts, ignore_index=True).sort_values(["date", "horizon_days"]).reset_index(drop=True)
    extra = ["direction_model_source", "direction_model", "magnitude_model_source", "expected_abs_move_pct"]
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
            b: directional_accuracy(y, scored[[f"baseline_{b}__{c}" for c in PROBA]].to_numpy(dtype=float))
            for b in overall["baselines"]}
    return row


def summarise_direction_metrics(direction_ensemble: dict, layout: dict, **frames) -> list[dict]:
    """`direction_metrics_summary`: one row per model (and stacked ensemble) with its score next to the baseline."""
    rows = [_model_row(name, _get(frames, name, "metrics"), frames.get(f"{name}__oos"))
            for name in layout["all"]]
    for h, state in direction_ensemble["horizons"].items():
        stack = state["stack"]
        row = {"name": f"stack_h{h}", "metric": "log_loss", "primary_baseline": "class_prior", "status": stack["status"],
               "bases": stack["bases"], "conformal_coverage_target": state["conformal"]["coverage_target"],
               "conformal_empirical_coverage": state["conformal"]["empirical_coverage"]}
        if "skill" in stack:
            row["reason"] = stack.get("reason")
            row["own_status"] = stack.get("own_status", stack["status"])  # the stack's edge before the serving rule
            row.update(model_score=stack["model"]["log_loss"], baseline_score=stack["baseline"]["log_loss"],
                       skill=stack["skill"]["value"], ci_low=stack["skill"]["ci_low"], ci_high=stack["skill"]["ci_high"],
                       test_skill=stack["test_skill"], n_oos=stack["n"], accuracy=stack["model"]["accuracy"],
                       balanced_accuracy=stack["model"]["balanced_accuracy"], brier=stack["model"]["brier"],
                       directional_accuracy=stack["directional_accuracy"],
                       baseline_directional_accuracy={"class_prior": stack["baseline_directional_accuracy"]})
        else:
            row["reason"] = stack.get("reason")
            row["own_status"] = stack.get("own_status", stack["status"])  # the stack's edge before the serving rule
        rows.append(row)
    for row in rows:
        logger.info("direction %-18s %-8s model %s vs %s -> skill %s (%s)", row["name"], row["metric"],
                    _fmt(row.get("model_score")), _fmt(row.get("baseline_score")), _fmt(row.get("skill")), row["status"])
    return rows


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def train_universe_direction(universe_features: pd.DataFrame, direction_params: dict) -> dict:
    """Universe mode: XGB direction classifier on the pooled symbol panel, walk-forward over dates (not served)."""
    cfg = direction_params["universe"]
    if not cfg.get("enabled"):
        return {"enabled": False, "reason": "direction.universe.enabled is false"}
    panel = universe_features.sort_values(["symbol", "date"]).reset_index(drop=True)
    if panel.empty:
        return {"enabled": True, "status": "no_data", "reason": "universe_features is empty (data_ingestion.universe unset)"}
    h = int(cfg["horizon"])
    panel["label"] = panel_direction_class(panel, h, float(cfg["neutral_band"]))
    from aegismatrix.features.feature_sets import ENGINE_SETS

    cols = [c for c in ENGINE_SETS["direction"] if c in panel.columns]
    dates = np.sort(panel["date"].unique())
    date_pos = np.searchsorted(dates, panel["date"].to_numpy())
    folds = walk_forward_folds(np.arange(len(dates)), horizon=h, **cfg["splits"])
    est_cls = get_estimator(cfg["estimator"]["kind"])
    out = {"enabled": True, "horizon": h, "neutral_band": cfg["neutral_band"], "features": cols,
           "symbols": sorted(panel["symbol"].unique().tolist()), "rows": int(len(panel)), "folds": {}}
    preds = []
    for fold in folds:
        train = np.isin(date_pos, fold.train) & panel["label"].notna().to_numpy()
        test = np.isin(date_pos, fold.test) & panel["label"].notna().to_numpy()
        y_train = panel.loc[train, "label"].to_numpy()
        est = est_cls(cfg["estimator"].get("params", {}), n_classes=3).fit(panel.loc[train, cols], y_train)
        prior = np.asarray(fit_baseline({"kind": "class_prior"}, panel.loc[train, ["label"]], 3)["proba"])
        block = panel.loc[test, ["date", "symbol", "label"]].assign(fold=fold.name)
        block[PROBA] = est.predict(panel.loc[test, cols])
        block[[f"prior__{c}" for c in PROBA]] = predict_baseline({"kind": "class_prior"}, {"proba": prior.tolist()},
                                                                   block, 3)
        preds.append(block)
    oos = pd.concat(preds, ignore_index=True)

    def score(frame: pd.DataFrame) -> dict:
        y = frame["label"].to_numpy(dtype=float)
        model, prior = frame[PROBA].to_numpy(dtype=float), frame[[f"prior__{c}" for c in PROBA]].to_numpy(dtype=float)
        return {"n": int(len(frame)), "log_loss": float(row_log_loss(y, model).mean()),
                "prior_log_loss": float(row_log_loss(y, prior).mean()),
                "skill": skill_score(row_log_loss(y, model), row_log_loss(y, prior)),
                "accuracy": float((model.argmax(1) == y).mean()), "directional_accuracy": directional_accuracy(y, model)}

    out["pooled"] = score(oos)
    out["test"] = score(oos[oos["fold"] == "test"])
    target = oos[oos["symbol"].str.contains(str(cfg.get("report_symbol", "NSEI")), regex=False)]
    out["report_symbol"] = score(target) if len(target) else None
    logger.info("direction universe h=%d: pooled skill %+.4f over %d OOS rows", h, out["pooled"]["skill"], len(oos))
    return out


def untrained_ensemble(params: dict, layout: dict) -> dict:
    """The ensemble state of a direction engine never trained: no stack (each horizon serves its first classifier,
    i.e. that model's baseline) and no conformal table (move intervals are then unavailable, never invented)."""
    return {"classes": CLASSES, "untrained": True, "horizons": {
        h_key: {"neutral_band": float(params[spec["classifiers"][0]]["label"]["neutral_band"]),
                "stack": {"bases": spec["classifiers"], "fallback": spec["classifiers"][0], "status": "no_edge",
                          "history": None, "meta": None},
                "conformal": {"date": [], "q_low": [], "q_high": []}}
        for h_key, spec in layout["horizons"].items()}}
