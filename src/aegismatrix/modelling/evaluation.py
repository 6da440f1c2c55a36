"""Walk-forward evaluation: refit per fold, predict the test block, score next to the baselines.

The out-of-sample predictions of all folds are the honest signal history of a training run; the
skill versus the primary baseline over those rows, with a moving-block bootstrap interval, decides
`edge`.
"""

from __future__ import annotations

import copy
import hashlib
import logging

import numpy as np
import pandas as pd

from aegismatrix.modelling.calibration import reliability_table
from aegismatrix.modelling.config import ModelConfig
from aegismatrix.modelling.metrics import (
    ROW_LOSSES,
    block_bootstrap_skill,
    classification_metrics,
    regression_metrics,
    skill_score,
)
from aegismatrix.modelling.parallel import parallel_map
from aegismatrix.modelling.selection import blend_edge, configured_rule, rule_edge
from aegismatrix.modelling.splits import walk_forward_folds
from aegismatrix.modelling.training import (
    data_hash,
    encode_label,
    predict_baselines,
    predict_rows,
    train_fold,
)

logger = logging.getLogger(__name__)


def prediction_columns(cfg: ModelConfig) -> list[str]:
    """`p_<class>` per class for classifiers, `prediction` for forecasters."""
    return [f"p_{c}" for c in cfg.class_names] if cfg.is_classifier else ["prediction"]


def _as_matrix(pred: np.ndarray) -> np.ndarray:
    return pred if pred.ndim == 2 else pred[:, None]


def _fold_block(frame: pd.DataFrame, feature_cols: list[str], cfg: ModelConfig, study: str, fold,
                end: int, pool: pd.DataFrame | None = None):
    """One fold: fit on its training rows,
    predict every day of its test block (model and baselines)."""
    fitted = train_fold(frame, feature_cols, fold.train, cfg, study, pool)
    rows = np.arange(fold.test[0], end)  # every day of the block, labelled or not (sparse labels)
    block = pd.DataFrame({"date": frame["date"].to_numpy()[rows], "fold": fold.name,
                          "label": encode_label(frame["label"], fitted.label_thresholds)[rows]})
    block[prediction_columns(cfg)] = _as_matrix(predict_rows(fitted, frame, feature_cols, rows))
    for name, pred in predict_baselines(fitted, frame, cfg, rows).items():
        block[[f"baseline_{name}__{c}" for c in prediction_columns(cfg)]] = _as_matrix(pred)
    pooled = f" + {fitted.pool['rows']} pooled rows" if fitted.pool else ""
    return block, (fitted.train_rows, *fitted.train_dates, pooled, len(rows))


def _fold_jobs(frame: pd.DataFrame, feature_cols: list[str], cfg: ModelConfig, namespace: str,
               pool: pd.DataFrame | None) -> tuple[list, list[tuple], str]:
    """The folds, their `_fold_block` jobs and the data hash their Optuna studies are named by."""
    labelled = np.flatnonzero(frame["label"].notna().to_numpy())
    folds = walk_forward_folds(labelled, horizon=cfg.horizon, **cfg.splits)
    tag = data_hash(frame, feature_cols, cfg, pool)
    ends = [fold.test[0] for fold in folds[1:]] + [labelled[-1] + 1]
    jobs = [(frame, feature_cols, cfg, f"{namespace}/{fold.name}/{tag}", fold, end, pool)
            for fold, end in zip(folds, ends)]
    return folds, jobs, tag


def _joined_blocks(namespace: str, folds: list, results: list) -> pd.DataFrame:
    for fold, (_, info) in zip(folds, results):
        logger.info("%s %s: trained on %d rows (%s .. %s)%s, tested on %d", namespace, fold.name,
                    *info)
    return pd.concat([block for block, _ in results], ignore_index=True)


def walk_forward(frame: pd.DataFrame, feature_cols: list[str], cfg: ModelConfig, namespace: str,
                 pool: pd.DataFrame | None = None) -> pd.DataFrame:
    """Out-of-sample predictions (model and every baseline)
    for each walk-forward fold and the final test.

    Folds are independent fits (seeded, on their own rows), so on 2 cores they run in 2 processes
    (`modelling/parallel.py`) with the same results as one after the other.
    """
    folds, jobs, _ = _fold_jobs(frame, feature_cols, cfg, namespace, pool)
    return _joined_blocks(namespace, folds, parallel_map(_fold_block, jobs))


def _call(func, args: tuple):
    return func(*args)


def frozen_study(namespace: str, tag: str) -> str:
    """The Optuna study of the frozen model's fit (`tag`: the data hash of its rows and settings)."""
    return f"{namespace}/frozen/{tag}"


def frozen_fit_job(frame: pd.DataFrame, feature_cols: list[str], cfg: ModelConfig,
                   namespace: str, pool: pd.DataFrame | None = None,
                   tag: str | None = None) -> tuple:
    """(train_fold, its arguments): the frozen model's fit on every labelled row, in its study
    (`tag`: the data hash, computed when not given), for `parallel_map(_call, ...)`."""
    labelled = np.flatnonzero(frame["label"].notna().to_numpy())
    tag = tag or data_hash(frame, feature_cols, cfg, pool)
    return train_fold, (frame, feature_cols, labelled, cfg, frozen_study(namespace, tag), pool)


def fit_frozen(frame: pd.DataFrame, feature_cols: list[str], cfg: ModelConfig, namespace: str,
               pool: pd.DataFrame | None = None):
    """The frozen model's fit alone, as the training node runs it (one BLAS thread)."""
    return parallel_map(_call, [frozen_fit_job(frame, feature_cols, cfg, namespace, pool)])[0]


def walk_forward_and_fit(frame: pd.DataFrame, feature_cols: list[str], cfg: ModelConfig,
                         namespace: str, pool: pd.DataFrame | None = None):
    """`walk_forward`'s predictions and the frozen model's fit on every labelled row, run as one
    batch on both cores: the final fit is the longest and depends on no fold, so it starts first
    instead of running alone on one core after them. Each fit is seeded on its own rows: the
    same results as one after the other."""
    folds, jobs, tag = _fold_jobs(frame, feature_cols, cfg, namespace, pool)
    final = frozen_fit_job(frame, feature_cols, cfg, namespace, pool, tag)
    fitted, *results = parallel_map(_call, [final, *[(_fold_block, job) for job in jobs]])
    return _joined_blocks(namespace, folds, results), fitted


def _predictions(oos: pd.DataFrame, cfg: ModelConfig, prefix: str = "") -> np.ndarray:
    values = oos[[prefix + c for c in prediction_columns(cfg)]].to_numpy(dtype=float)
    return values if cfg.is_classifier else values[:, 0]


_SCORES: dict[bytes, dict] = {}


def _score(y: np.ndarray, pred: np.ndarray, cfg: ModelConfig) -> dict:
    # models of one horizon share their baselines' rows: score each distinct (y, pred) once a run
    names = tuple(cfg.class_names) if cfg.is_classifier else None
    shapes = repr((names, y.shape, y.dtype.str, pred.shape, pred.dtype.str)).encode()
    key = hashlib.blake2b(shapes + y.tobytes() + pred.tobytes(), digest_size=16).digest()
    if key not in _SCORES:
        if len(_SCORES) >= 4096:
            _SCORES.clear()
        _SCORES[key] = (classification_metrics(y, pred, cfg.class_names) if cfg.is_classifier
                        else regression_metrics(y, pred))
    return copy.deepcopy(_SCORES[key])


def score_block(oos: pd.DataFrame, cfg: ModelConfig) -> dict:
    """Model and baseline metrics on the same rows,
    plus skill vs the primary baseline with its interval."""
    y = oos["label"].to_numpy(dtype=float)
    model_pred = _predictions(oos, cfg)
    # each baseline's columns read once: they are scored, and their row losses taken, below
    # (ModelConfig refuses a primary baseline that is not among them)
    base_preds = {b["name"]: _predictions(oos, cfg, f"baseline_{b['name']}__")
                  for b in cfg.baselines}
    out = {"n": int(len(oos)), "model": _score(y, model_pred, cfg),
           "baselines": {b["name"]: _score(y, base_preds[b["name"]], cfg) for b in cfg.baselines}}
    loss = ROW_LOSSES[cfg.metric]
    model_loss = loss(y, model_pred)
    base_loss = loss(y, base_preds[cfg.primary_baseline])
    block = max(cfg.horizon, 5)
    low, high = block_bootstrap_skill(model_loss, base_loss, block, cfg.bootstrap["n_boot"],
                                      cfg.bootstrap["level"], cfg.seed)
    out["skill"] = {"metric": cfg.metric, "vs": cfg.primary_baseline,
                    "value": skill_score(model_loss, base_loss),
                    "ci_low": low, "ci_high": high, "level": cfg.bootstrap["level"]}
    out["skill_vs_each_baseline"] = {
        b["name"]: skill_score(model_loss, loss(y, base_preds[b["name"]])) for b in cfg.baselines}
    return out


def _reliability(oos: pd.DataFrame, cfg: ModelConfig) -> dict:
    y = oos["label"].to_numpy(dtype=int)
    return {c: reliability_table((y == k).astype(float), oos[f"p_{c}"].to_numpy())
            for k, c in enumerate(cfg.class_names)}


def has_edge(ci_low: float, test_skill: float) -> bool:
    """The edge rule of every model and stack: the skill interval's lower end and the final test
    skill both > 0."""
    return bool(ci_low > 0 and test_skill > 0)


def row_losses(oos: pd.DataFrame, cfg: ModelConfig) -> tuple[np.ndarray, np.ndarray]:
    """Per-row losses of the model and its primary baseline
    on labelled out-of-sample rows (time order)."""
    y, loss = oos["label"].to_numpy(dtype=float), ROW_LOSSES[cfg.metric]
    base = _predictions(oos, cfg, f"baseline_{cfg.primary_baseline}__")
    return loss(y, _predictions(oos, cfg)), loss(y, base)


def decide_edge(oos: pd.DataFrame, cfg: ModelConfig, overall: dict, test: dict,
                selection: dict | None) -> tuple[bool, dict]:
    """`edge` by the configured `selection.rule` (modelling/selection.py); the original CI rule
    without one."""
    name, spec = configured_rule(selection)
    # for inference
    guard = {"guard": selection["guard"]} if selection and selection.get("guard") else {}
    if spec["kind"] == "ci":
        edge = has_edge(overall["skill"]["ci_low"], test["skill"]["value"])
        return edge, {"rule": name, "kind": "ci", **guard}
    if spec["kind"] == "shrink":
        edge, info = blend_edge(oos["label"].to_numpy(dtype=float), _predictions(oos, cfg),
                                _predictions(oos, cfg, f"baseline_{cfg.primary_baseline}__"),
                                ROW_LOSSES[cfg.metric], spec)
    else:
        edge, info = rule_edge(*row_losses(oos, cfg), cfg.horizon, spec)
    return edge, {"rule": name, "kind": spec["kind"], **info, **guard}


def summarise(oos: pd.DataFrame, cfg: ModelConfig, selection: dict | None = None) -> dict:
    """Per fold, per year, walk-forward, final test and overall scores; `edge` by the
    `selection.rule` (by default both ci_low > 0 and test skill > 0)."""
    is_test = oos["fold"] == "test"
    overall, test = score_block(oos, cfg), score_block(oos[is_test], cfg)
    edge, rule = decide_edge(oos, cfg, overall, test, selection)
    years = oos["date"].dt.year
    metrics = {
        "task": "classification" if cfg.is_classifier else "regression",
        "metric": cfg.metric, "primary_baseline": cfg.primary_baseline,
        # the "test" fold is the final test block scored above (same rows, same seed)
        "folds": {name: copy.deepcopy(test) if name == "test" else score_block(block, cfg)
                  for name, block in oos.groupby("fold", sort=False)},
        "per_year": {str(y): score_block(block, cfg) for y, block in oos.groupby(years) if len(block) >= 20},
        "walk_forward": score_block(oos[~is_test], cfg),
        "test": test, "overall": overall,
        "edge": bool(edge), "status": "edge" if edge else "no_edge", "selection_rule": rule,
        "beats_all_baselines": bool(all(v > 0 for v in overall["skill_vs_each_baseline"].values())),
    }
    if cfg.is_classifier:
        metrics["reliability"] = _reliability(oos, cfg)
    else:
        metrics["abs_residual_quantiles"] = _abs_residual_quantiles(oos, cfg)
    return metrics


RESIDUAL_LEVELS = (0.5, 0.8, 0.9)


def _abs_residual_quantiles(oos: pd.DataFrame, cfg: ModelConfig) -> dict:
    """Quantiles of |label - forecast| over the out-of-sample rows (model and primary baseline):
    interval widths."""
    y = oos["label"].to_numpy(dtype=float)
    out = {}
    for source, prefix in (("model", ""), ("baseline", f"baseline_{cfg.primary_baseline}__")):
        err = np.abs(y - _predictions(oos, cfg, prefix))
        out[source] = {str(q): float(np.quantile(err, q)) for q in RESIDUAL_LEVELS}
    return out
