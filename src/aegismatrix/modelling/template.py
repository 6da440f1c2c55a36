"""The one training template every model of every engine instantiates.

label -> chronological split -> tune -> fit -> calibrate -> evaluate -> explain -> predict, as a
Kedro modular pipeline under a namespace such as `seller.trap`. Its datasets (`<namespace>.model`,
`<namespace>.metrics`, ...) get versioned storage from the catalog's dataset factories, so a new
model is a label in `labels.py` plus a parameter block.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from kedro.pipeline import Pipeline, node

from aegismatrix.labels import build_label
from aegismatrix.modelling.baselines import fit_baseline, predict_baseline
from aegismatrix.modelling.bundle import check_fingerprint, check_label_params, from_bundle, frozen_bundle
from aegismatrix.modelling.config import ModelConfig
from aegismatrix.modelling.evaluation import (
    fit_frozen,
    prediction_columns,
    summarise,
    walk_forward,
    walk_forward_and_fit,
)
from aegismatrix.modelling.explain import contributions, global_importance
from aegismatrix.modelling.pooling import build_pool_input, pool_summary
from aegismatrix.modelling.selection import served_weight
from aegismatrix.modelling.training import encode_label, predict_rows

logger = logging.getLogger(__name__)

# Columns of market_daily carried into every model input for labels' context and baselines.
CONTEXT_COLUMNS = ["open", "high", "low", "close", "vix_close"]


def feature_columns(cfg: ModelConfig, manifest: dict) -> list[str]:
    """The feature set's columns (or the model's named subset of them)."""
    available = manifest[cfg.feature_set]["features"]
    if cfg.features:
        missing = sorted(set(cfg.features) - set(available))
        if missing:
            raise KeyError(f"features {missing} are not in the {cfg.feature_set!r} feature set")
        return list(cfg.features)
    return list(available)


def build_model_input(features: pd.DataFrame, market_daily: pd.DataFrame,
                      params: dict) -> pd.DataFrame:
    """Features of each decision day joined with its label; rows whose label window is incomplete
    keep NaN."""
    cfg = ModelConfig.from_params(params)
    market = market_daily.sort_values("date").reset_index(drop=True)
    label = build_label(market, **cfg.label)
    context = market[["date", *[c for c in CONTEXT_COLUMNS if c not in features.columns]]].assign(
        label=label.to_numpy())
    frame = features.merge(context, on="date", how="inner")
    frame = frame.sort_values("date").reset_index(drop=True)
    logger.debug("model input %s: %d rows, %d labelled", cfg.label["name"], len(frame),
                frame["label"].notna().sum())
    return frame


def evaluate_walk_forward(model_input: pd.DataFrame, feature_manifest: dict, params: dict,
                          pool_input: pd.DataFrame | None = None, *, namespace: str | None = None,
                          selection: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """Out-of-sample predictions of every fold and the metrics next to the baselines (`pool_input`:
    pooled rows of other symbols, for instances with a `pool:` block; scoring stays on the index's
    own rows); `selection`: the `selection` parameters, whose `rule` decides edge
    (modelling/selection.py).

    The namespace is the parameter block's own (parameters/derive.py fills it in); `namespace` is
    for callers outside the pipeline that score a block under another name (benchmarks)."""
    cfg = ModelConfig.from_params(params)
    namespace = namespace or _namespace(cfg)
    oos = walk_forward(model_input, feature_columns(cfg, feature_manifest), cfg, namespace,
                       pool_input)
    return oos, _walk_forward_metrics(oos, cfg, namespace, selection, pool_input)


def _walk_forward_metrics(oos: pd.DataFrame, cfg: ModelConfig, namespace: str,
                          selection: dict | None, pool_input: pd.DataFrame | None) -> dict:
    metrics = {"name": namespace, **summarise(oos.dropna(subset=["label"]), cfg, selection)}
    if cfg.pool is not None:
        metrics["pool"] = pool_summary(pool_input)
    skill = metrics["overall"]["skill"]
    # DEBUG: the run ends with the same numbers in one comparison table (logs.model_comparison)
    logger.debug("%s: skill %+.4f vs %s (%s), %.0f%% CI [%+.4f, %+.4f] -> %s", namespace,
                 skill["value"], skill["vs"], skill["metric"], 100 * skill["level"],
                 skill["ci_low"], skill["ci_high"], metrics["status"])
    return metrics


def fit_frozen_model(model_input: pd.DataFrame, feature_manifest: dict, metrics: dict,
                     data_provenance: dict, params: dict, pool_input: pd.DataFrame | None = None, *,
                     namespace: str | None = None) -> dict:
    """Tune and fit on every labelled row; the bundle records its edge, window, fingerprint and
    provenance. Its namespace is the one its metrics were evaluated under."""
    cfg = ModelConfig.from_params(params)
    namespace = namespace or metrics["name"]
    cols = feature_columns(cfg, feature_manifest)
    fitted = fit_frozen(model_input, cols, cfg, namespace, pool_input)
    return frozen_bundle(fitted, cfg, cols, feature_manifest, metrics, data_provenance, namespace)


def evaluate_and_fit(model_input: pd.DataFrame, feature_manifest: dict, data_provenance: dict,
                     params: dict, selection: dict | None = None,
                     pool_input: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict, dict]:
    """The training node: `evaluate_walk_forward` and `fit_frozen_model` in one, with the frozen
    model's fit run beside the folds on both cores (`walk_forward_and_fit`). Same outputs."""
    cfg = ModelConfig.from_params(params)
    namespace, cols = _namespace(cfg), feature_columns(cfg, feature_manifest)
    oos, fitted = walk_forward_and_fit(model_input, cols, cfg, namespace, pool_input)
    metrics = _walk_forward_metrics(oos, cfg, namespace, selection, pool_input)
    bundle = frozen_bundle(fitted, cfg, cols, feature_manifest, metrics, data_provenance, namespace)
    return oos, metrics, bundle


def explain_model(model_input: pd.DataFrame, model: dict) -> pd.DataFrame:
    """Global importance (mean |SHAP| for trees) of the frozen model over the most recent rows."""
    fitted = from_bundle(model)
    rows = np.arange(max(0, len(model_input) - 500), len(model_input))
    return global_importance(contributions(fitted, model_input, model["meta"]["features"], rows))


def _served_frame(model_input: pd.DataFrame, rows: np.ndarray, values: np.ndarray, cfg: ModelConfig,
                  source: str) -> pd.DataFrame:
    frame = pd.DataFrame({"date": model_input["date"].to_numpy()[rows]})
    frame[prediction_columns(cfg)] = values if values.ndim == 2 else values[:, None]
    frame["model_source"] = source
    return frame


def _baseline_values(model: dict, model_input: pd.DataFrame, cfg: ModelConfig,
                     rows: np.ndarray) -> np.ndarray:
    meta = model["meta"]
    spec = next(b for b in meta["baselines"] if b["name"] == meta["primary_baseline"])
    history = pd.Series(encode_label(model_input["label"], meta["label_thresholds"]),
                        index=model_input.index)
    return predict_baseline(spec, meta["baseline_states"][spec["name"]], model_input, cfg.n_classes,
                            history)[rows]


def serve(model_input: pd.DataFrame, model: dict, cfg: ModelConfig,
          rows: np.ndarray) -> pd.DataFrame:
    """Frozen-model predictions for `rows`, or the primary baseline when the model has no edge."""
    if not model["meta"]["edge"]:
        return _served_frame(model_input, rows, _baseline_values(model, model_input, cfg, rows),
                             cfg,
                             "baseline")
    fitted = from_bundle(model)
    values = predict_rows(fitted, model_input, model["meta"]["features"], rows)
    weight = served_weight(model["meta"])
    if weight < 1.0:  # a `shrink` rule serves the model blended with its baseline
        values = weight * values + (1.0 - weight) * _baseline_values(model, model_input, cfg, rows)
    return _served_frame(model_input, rows, values, cfg, "model")


def signal_history(model_input: pd.DataFrame, oos_predictions: pd.DataFrame, model: dict,
                   params: dict) -> pd.DataFrame:
    """One row per day: out-of-sample fold predictions, the frozen model after them, the baseline
    before them."""
    cfg = ModelConfig.from_params(params)
    cols, edge = prediction_columns(cfg), model["meta"]["edge"]
    prefix = "" if edge else f"baseline_{cfg.primary_baseline}__"
    oos = oos_predictions[["date", *[prefix + c for c in cols]]].set_axis(["date", *cols], axis=1)
    weight = served_weight(model["meta"])
    if edge and weight < 1.0:  # the blend a `shrink` rule serves, on the out-of-sample rows too
        base_columns = [f"baseline_{cfg.primary_baseline}__{c}" for c in cols]
        base = oos_predictions[base_columns].to_numpy(dtype=float)
        oos[cols] = weight * oos[cols].to_numpy(dtype=float) + (1.0 - weight) * base
    oos = oos.assign(model_source="model" if edge else "baseline")
    dates = model_input["date"]
    before = np.flatnonzero((dates < oos["date"].min()).to_numpy())
    after = np.flatnonzero((dates > oos["date"].max()).to_numpy())
    parts = [oos]
    if len(before):
        parts.insert(0,
                     _served_frame(model_input, before,
                                   _baseline_values(model, model_input, cfg, before),
                                      cfg, "baseline"))
    if len(after):
        parts.append(serve(model_input, model, cfg, after))
    return pd.concat(parts, ignore_index=True)


def guarded(model_input: pd.DataFrame, model: dict, cfg: ModelConfig,
            served: pd.DataFrame) -> pd.DataFrame:
    """Inference under the live guard (ledger/guard.py, `selection.guard` stored with the model):
    rows whose guard, on live rows matured by then, demoted the model serve the baseline
    (`model_source` baseline, `demoted` True) with the guard's numbers in `guard_*` columns."""
    meta = model["meta"]
    settings = (meta.get("selection_rule") or {}).get("guard")
    if not settings or not meta["edge"]:
        return served
    from aegismatrix.ledger.guard import causal_demotions
    from aegismatrix.modelling.metrics import ROW_LOSSES

    cols, rows = prediction_columns(cfg), np.arange(len(model_input))
    base = _baseline_values(model, model_input, cfg, rows)
    values = served[cols].to_numpy(dtype=float)
    values, base_m = (values, base) if cfg.is_classifier else (values[:, 0], base)
    y = encode_label(model_input["label"], meta["label_thresholds"])
    known = np.isfinite(y)
    model_loss, base_loss = np.full(len(y), np.nan), np.full(len(y), np.nan)
    y_known = y[known].astype(int) if cfg.is_classifier else y[known]
    model_loss[known] = ROW_LOSSES[cfg.metric](y_known, values[known])
    base_loss[known] = ROW_LOSSES[cfg.metric](y_known, base_m[known])
    verdict = causal_demotions(model_input["date"], y, model_loss, base_loss, cfg.horizon,
                               meta["training_window"][-1], settings)
    out = pd.concat([served.reset_index(drop=True), verdict], axis=1)
    demoted = out["demoted"].to_numpy()
    if demoted.any():
        out.loc[demoted, cols] = base.reshape(len(base), -1)[demoted]
        out.loc[demoted, "model_source"] = "baseline"
        logger.warning("%s: demoted to its baseline by the live guard on %d rows "
                       "(latest ratio %.3f)", meta.get("name"), int(demoted.sum()),
                       out["guard_ratio"].iloc[-1])
    return out


def _untrained_baseline(model_input: pd.DataFrame, cfg: ModelConfig) -> np.ndarray:
    """The primary baseline fitted on the labels already known in the window (for a model never
    trained)."""
    known = model_input["label"].notna().to_numpy()
    thresholds = (np.quantile(model_input["label"][known], cfg.label_bins).tolist()
                  if cfg.label_bins and known.any() else None)
    history = pd.Series(encode_label(model_input["label"], thresholds), index=model_input.index)
    spec = next(b for b in cfg.baselines if b["name"] == cfg.primary_baseline)
    state = fit_baseline(spec, model_input[known].assign(label=history[known]), cfg.n_classes)
    return predict_baseline(spec, state, model_input, cfg.n_classes, history)


def predict_frozen(model_input: pd.DataFrame, model: dict | None, feature_manifest: dict,
                   params: dict) -> pd.DataFrame:
    """Inference: predictions for every row from the frozen model (refuses features it was not
    trained on).

    `model=None` (never trained; see aegismatrix.pipelines.inference.hooks) serves the primary
    baseline.
    """
    cfg = ModelConfig.from_params(params)
    rows = np.arange(len(model_input))
    if model is None:
        logger.warning("no frozen model for %s: serving its baseline %r", cfg.label["name"],
                       cfg.primary_baseline)
        return _served_frame(model_input, rows, _untrained_baseline(model_input, cfg), cfg,
                             "baseline")
    check_fingerprint(model["meta"], feature_manifest[cfg.feature_set]["fingerprint"])
    # e.g. breach bins trained for target 0.2 served against 0.1
    check_label_params(model["meta"], cfg)
    # builds the estimator only when it has edge; the live guard may demote it on matured live rows
    return guarded(model_input, model, cfg, serve(model_input, model, cfg, rows))


def serve_frozen(features: pd.DataFrame, market_daily: pd.DataFrame, model: dict | None,
                 feature_manifest: dict, metrics: dict, params: dict) -> ModelRecord:
    """Inference for one model: its input rows (`build_model_input`), their predictions from the
    frozen model (`predict_frozen`), in the record its engine and the payload read."""
    model_input = build_model_input(features, market_daily, params)
    predictions = predict_frozen(model_input, model, feature_manifest, params)
    return record_model(metrics, predictions, model=model, model_input=model_input, params=params)


def _namespace(cfg: ModelConfig) -> str:
    if cfg.namespace is None:
        raise ValueError("the parameter block has no `namespace`: template instances get it "
                         "from parameters/derive.py (or pass `namespace=` when scoring a block "
                         "directly)")
    return cfg.namespace


def model_pipeline(namespace: str, feature_set: str, mode: str = "train",
                   pooled: bool = False) -> Pipeline:
    """The template instantiated for one model: `mode='train'` trains and evaluates, `'inference'`
    predicts.

    `pooled=True` (instances with a `pool:` block) adds the universe panel's rows of other symbols
    to every training fold (modelling/pooling.py); inference is the same as for any instance: the
    index's own rows."""
    features = f"{feature_set}_features"
    build = node(build_model_input, [features, "market_daily", "params:model"], "model_input",
                 name="build_model_input")
    if mode == "train":
        nodes = [
            build,
            node(evaluate_and_fit,
                 {"model_input": "model_input", "feature_manifest": "feature_manifest",
                  "data_provenance": "data_provenance", "params": "params:model",
                  "selection": "params:selection",
                  **({"pool_input": "pool_input"} if pooled else {})},
                 ["oos_predictions", "metrics", "model"], name="evaluate_and_fit"),
            node(explain_model, ["model_input", "model"], "shap_importance", name="explain_model"),
            node(signal_history, ["model_input", "oos_predictions", "model", "params:model"],
                 "predictions",
                 name="signal_history"),
            node(record_model, ["metrics", "predictions", "oos_predictions", "model"], "record",
                 name="record_model"),
        ]
        inputs = {features, "market_daily", "feature_manifest", "data_provenance"}
        if pooled:
            nodes.append(node(build_pool_input,
                              ["universe_features", "universe_daily", "params:model"],
                              "pool_input", name="build_pool_input"))
            inputs |= {"universe_features", "universe_daily"}
    elif mode == "inference":
        # one node per served model: Kedro's per-node cost (hooks, bookkeeping) is paid 45 times
        nodes = [node(serve_frozen,
                      {"features": features, "market_daily": "market_daily", "model": "model",
                       "feature_manifest": "feature_manifest", "metrics": "metrics",
                       "params": "params:model"},
                      "record", name="serve_frozen")]
        inputs = {features, "market_daily", "feature_manifest"}
    else:
        raise ValueError(f"mode must be 'train' or 'inference', got {mode!r}")
    params = {"params:model": f"params:{namespace}"}
    if mode == "train":
        # one rule for every model: parameters_selection
        params["params:selection"] = "params:selection"
    return Pipeline(nodes, namespace=namespace, inputs=inputs, parameters=params)


@dataclass(frozen=True)
class ModelRecord:
    """What one template instance hands its engine (dataset `<namespace>.record`, in memory): its
    name, its metrics (stored ones in inference), served predictions, its frozen bundle, in
    training its out-of-sample predictions, and in inference the rows it served and its parameter
    block (the payload describes the model from them)."""

    namespace: str
    metrics: dict
    predictions: pd.DataFrame
    oos_predictions: pd.DataFrame | None = None
    model: dict | None = None
    model_input: pd.DataFrame | None = None
    params: dict | None = None

    @property
    def name(self) -> str:
        """The model's name inside its engine (`xgb_h1` of `direction.xgb_h1`)."""
        return self.namespace.split(".", 1)[1]


def record_model(metrics: dict, predictions: pd.DataFrame,
                 oos_predictions: pd.DataFrame | None = None,
                 model: dict | None = None, *, model_input: pd.DataFrame | None = None,
                 params: dict | None = None) -> ModelRecord:
    """The instance's record; its namespace is the one its metrics were evaluated under."""
    return ModelRecord(metrics["name"], metrics, predictions, oos_predictions, model, model_input,
                       params)


@dataclass(frozen=True)
class EngineRecords:
    """Every record of one engine (dataset `<engine>_records`), by model name, in wiring order."""

    records: tuple[ModelRecord, ...]

    def __getitem__(self, name: str) -> ModelRecord:
        for record in self.records:
            if record.name == name:
                return record
        raise KeyError(f"no template instance {name!r} among {self.names()}: declare its block in "
                       "conf/base/parameters_<engine>.yml")

    def __iter__(self) -> Iterator[ModelRecord]:
        return iter(self.records)

    def names(self) -> list[str]:
        return [record.name for record in self.records]


def collect_records(*records: ModelRecord) -> EngineRecords:
    """One engine's records in one typed dataset (each record carries its own name)."""
    return EngineRecords(tuple(records))


def instances_pipeline(engine: str, instances: list, mode: str) -> Pipeline:
    """Every instance of `engine` (aegismatrix.engines.Instance) as the template in `mode`, then the
    node collecting their records."""
    models = [model_pipeline(i.namespace, i.feature_set, mode=mode, pooled=i.pooled)
              for i in instances]
    return sum(models, Pipeline([])) + engine_records(engine, [i.namespace for i in instances])


def engine_records(engine: str, namespaces: list[str]) -> Pipeline:
    """The node that collects `<ns>.record` of every instance into `<engine>_records`."""
    return Pipeline([node(collect_records, [f"{ns}.record" for ns in namespaces],
                          f"{engine}_records",
                          name=f"collect_{engine}_records")])
