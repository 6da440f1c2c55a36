"""Stacking: a walk-forward meta-learner on base models'
out-of-sample class probabilities (any engine).

The meta-learner is a multinomial logistic regression on log-probabilities, refitted every
`refit_every` rows on the rows whose label windows closed before the block (purged by the horizon).
It stacks the base models WITH edge (all of them, only for the report, when none has edge), because
at inference it is fed the base models' served predictions and a base without edge serves its
baseline. With one base it is a walk-forward recalibration of that model. It is scored against the
class prior with the template's edge rule (`evaluation.has_edge`) and served when it has edge.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from aegismatrix.modelling import metrics as M
from aegismatrix.modelling.calibration import expected_calibration_error
from aegismatrix.modelling.evaluation import has_edge

logger = logging.getLogger(__name__)
EPS = 1e-6
ABSENT_CLASS_LOGIT = -30.0  # a class absent from the training rows keeps ~0 probability


def meta_features(probas: list[np.ndarray]) -> np.ndarray:
    """The meta-learner's inputs: each base model's clipped log-probabilities side by side."""
    return np.hstack([np.log(np.clip(p, EPS, 1.0)) for p in probas])


def fit_meta(X: np.ndarray, y: np.ndarray, C: float, n_classes: int = 3) -> dict:
    """Multinomial logistic regression as JSON-able coefficients, padded to every class (binary fits
    mirrored)."""
    # lazy: sklearn costs ~1 s at pipeline registration
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=1000).fit(X, y.astype(int))
    coef, intercept = np.zeros((n_classes, X.shape[1])), np.full(n_classes, ABSENT_CLASS_LOGIT)
    seen = model.classes_.astype(int)
    coef[seen] = model.coef_ if len(seen) > 2 else np.vstack([-model.coef_, model.coef_]) / 2
    intercept[seen] = (model.intercept_ if len(seen) > 2
                       else np.array([-model.intercept_[0], model.intercept_[0]]) / 2)
    return {"coef": coef.tolist(), "intercept": intercept.tolist()}


def predict_meta(state: dict, X: np.ndarray) -> np.ndarray:
    """Class probabilities from `fit_meta`'s state (softmax,
    floored at 1e-4 so log-loss stays finite)."""
    logits = X @ np.asarray(state["coef"]).T + np.asarray(state["intercept"])
    logits -= logits.max(axis=1, keepdims=True)
    proba = np.exp(logits)
    proba = np.clip(proba / proba.sum(axis=1, keepdims=True), 1e-4, 1.0)
    return proba / proba.sum(axis=1, keepdims=True)


def score_stack(y: np.ndarray, stack: np.ndarray, prior: np.ndarray, is_test: np.ndarray,
                horizon: int, bootstrap: dict, class_names: list[str]) -> dict:
    """Log-loss skill vs the class prior with a block-bootstrap interval,
    test skill and the edge verdict."""
    model_loss, base_loss = M.row_log_loss(y, stack), M.row_log_loss(y, prior)
    low, high = M.block_bootstrap_skill(model_loss, base_loss, max(horizon, 5),
                                        bootstrap.get("n_boot", 500),
                                      bootstrap.get("level", 0.9))
    test_skill = M.skill_score(model_loss[is_test], base_loss[is_test]) if is_test.any() else float("nan")
    edge = has_edge(low, test_skill)
    return {"n": int(len(y)), "model": M.classification_metrics(y, stack, class_names),
            "baseline": M.classification_metrics(y, prior, class_names),
            "skill": {"metric": "log_loss", "vs": "class_prior",
                      "value": M.skill_score(model_loss, base_loss),
                      "ci_low": low, "ci_high": high, "level": bootstrap.get("level", 0.9)},
            "test_skill": test_skill, "edge": edge, "status": "edge" if edge else "no_edge",
            "directional_accuracy": M.directional_accuracy(y, stack),
            "baseline_directional_accuracy": M.directional_accuracy(y, prior),
            "ece": expected_calibration_error(y, stack), "baseline_ece": expected_calibration_error(y, prior)}


def _merged_oos(bases: dict[str, pd.DataFrame], proba: list[str]) -> pd.DataFrame:
    """The base models' OOS probabilities on their common dates,
    with the label and the class prior."""
    merged = None
    for name, oos in bases.items():
        own = oos[["date", "fold", "label", *proba, *[f"baseline_class_prior__{c}" for c in proba]]]
        own = own.rename(columns={c: f"{name}__{c}" for c in proba})
        keep = own if merged is None else own[["date", *[f"{name}__{c}" for c in proba]]]
        merged = keep if merged is None else merged.merge(keep, on="date", how="inner")
    return merged.sort_values("date").reset_index(drop=True)


def _walk_forward_meta(X: np.ndarray, y: np.ndarray, horizon: int, cfg: dict, n_classes: int) -> np.ndarray:
    """Out-of-sample stacked probabilities:
    block s is predicted by a fit on rows 0 .. s-horizon-1."""
    start, step, C = int(cfg["min_train"]), int(cfg["refit_every"]), float(cfg["C"])
    stack = np.full((len(y), n_classes), np.nan)
    for s in range(start, len(y), step):
        # label windows closed before row s
        train = np.flatnonzero(np.isfinite(y[: max(0, s - horizon)]))
        if len(train) < 50 or len(np.unique(y[train])) < 2:
            continue
        stack[s:s + step] = predict_meta(fit_meta(X[train], y[train], C, n_classes), X[s:s + step])
    return stack


def _as_served(oos: pd.DataFrame, metrics: dict, proba: list[str]) -> pd.DataFrame:
    """A base's OOS probabilities as inference serves them (blended with its baseline under a
    `shrink` selection rule), so the meta-learner is trained on what it will be fed."""
    from aegismatrix.modelling.conformal import served_oos

    return oos.assign(**dict(zip(proba, served_oos(oos, metrics, proba).T)))


def stack_walk_forward(horizon: int, bases: dict[str, tuple[pd.DataFrame, dict]], cfg: dict,
                       class_names: list[str]) -> dict:
    """Evaluate (always) and freeze (with edge) a stack over the bases with edge of
    `bases` = {name: (oos, metrics)}."""
    proba = [f"p_{c}" for c in class_names]
    candidates = list(bases)
    with_edge = [b for b in candidates if bases[b][1]["edge"]]
    # none with edge: evaluated over all for the report, never served
    names = with_edge or candidates
    out = {"bases": names, "candidates": candidates, "fallback": names[0], "status": "no_edge",
           "history": None, "meta": None}
    frames = {b: _as_served(*bases[b], proba) if with_edge else bases[b][0] for b in names}
    merged = _merged_oos(frames, proba)
    X = meta_features([merged[[f"{b}__{c}" for c in proba]].to_numpy(dtype=float) for b in names])
    y = merged["label"].to_numpy(dtype=float)
    prior = merged[[f"baseline_class_prior__{c}" for c in proba]].to_numpy(dtype=float)
    stack = _walk_forward_meta(X, y, horizon, cfg, len(class_names))
    scored = np.isfinite(stack[:, 0]) & np.isfinite(y)
    if scored.sum() < 50:
        out["reason"] = (f"only {int(scored.sum())} stacked out-of-sample rows "
                         "(ensemble.min_train too large)")
        return out
    rows = np.flatnonzero(scored)
    is_test = np.zeros(len(rows), bool)
    is_test[int(round(len(rows) * (1 - float(cfg.get("test_fraction", 0.2))))):] = True
    score = score_stack(y[rows], stack[rows], prior[rows], is_test, horizon,
                        cfg.get("bootstrap", {}), class_names)
    out.update(score)
    logger.info("stack h=%d over %s: skill %+.4f [%+.4f, %+.4f] -> %s", horizon, names,
                score["skill"]["value"], score["skill"]["ci_low"], score["skill"]["ci_high"], score["status"])
    if not with_edge:
        out.update(status="no_edge", edge=False, own_status=score["status"],
                   reason=f"no base model has edge ({candidates}): their baselines are served")
        return out
    if not score["edge"]:
        return out
    labelled, have = np.flatnonzero(np.isfinite(y)), np.isfinite(stack[:, 0])
    history = pd.DataFrame(stack[have], columns=proba).assign(
        date=merged["date"].dt.strftime("%Y-%m-%d").to_numpy()[have])
    out.update(meta=fit_meta(X[labelled], y[labelled], float(cfg["C"]), len(class_names)),
               history=history.to_dict(orient="list"))
    return out
