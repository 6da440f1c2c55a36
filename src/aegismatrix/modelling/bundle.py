"""Turn a fitted model into a ModelBundle (JSON + non-executable blobs)
and back, checking fingerprints."""

from __future__ import annotations

from datetime import UTC, datetime

from aegismatrix import __version__
from aegismatrix.modelling.calibration import Calibrator
from aegismatrix.modelling.config import ModelConfig
from aegismatrix.modelling.headline import headline
from aegismatrix.modelling.preprocessing import Scaler
from aegismatrix.modelling.selection import served_weight
from aegismatrix.modelling.training import FittedModel
from aegismatrix.models.base import get_estimator


class FeatureMismatchError(ValueError):
    """Raised when a model is given features other than those it was trained on."""


class LabelMismatchError(ValueError):
    """Raised when a frozen model was trained for other
    label parameters than the current configuration."""


def label_params(cfg: ModelConfig) -> dict:
    """What the model predicts: label spec, bins (e.g. derived from a target breach probability),
    classes, horizon."""
    return {"label": dict(cfg.label), "label_bins": cfg.label_bins, "class_names": cfg.class_names,
            "horizon": cfg.horizon}


def check_label_params(meta: dict, cfg: ModelConfig, namespace: str | None = None) -> None:
    """Refuse a bundle trained for other label parameters, naming the parameter key that differs."""
    trained = meta.get("label_params") or {k: meta[k] for k in ("label", "class_names", "horizon")
                                           if k in meta}
    current = label_params(cfg)
    name = namespace or meta.get("name", meta.get("kind"))
    for key, value in trained.items():
        if key == "label":
            diff = sorted(k for k in set(value) | set(current["label"])
                          if value.get(k) != current["label"].get(k))
            if diff:
                k = diff[0]
                raise LabelMismatchError(f"{name}: frozen model was trained with "
                                         f"label.{k}={value.get(k)!r}, the current config has "
                                         f"params:{name}.label.{k}={current['label'].get(k)!r}; "
                                         "retrain, or pin the release trained with this config")
        elif _normalised(value) != _normalised(current[key]):
            hint = " (derived from safe_range.target_breach_probability)" if key == "label_bins" else ""
            raise LabelMismatchError(f"{name}: frozen model was trained with {key}={value!r}, the "
                                     "current config has "
                                     f"params:{name}.{key}={current[key]!r}{hint}; retrain, or pin "
                                     "the release trained with this config")


def _normalised(value):
    """Compare bins and lists of numbers as floats rounded to 10 digits (YAML/JSON round trips)."""
    if isinstance(value, (list, tuple)):
        return [_normalised(v) for v in value]
    return (round(float(value), 10) if isinstance(value, (int, float)) and not isinstance(value, bool)
            else value)


def frozen_bundle(fitted: FittedModel, cfg: ModelConfig, feature_cols: list[str],
                  feature_manifest: dict, metrics: dict, data_provenance: dict,
                  namespace: str) -> dict:
    """The frozen model's bundle: the estimator (`to_bundle`) with what training decided about it,
    its edge, served weight, skill, interval widths and data provenance, stamped now."""
    trained_at = datetime.now(UTC).isoformat(timespec="seconds")
    metadata = {
        "name": namespace, "version": f"{__version__}+{trained_at}",
        "trained_at": trained_at, "code_version": __version__, "label": cfg.label,
        "horizon": cfg.horizon, "status": metrics["status"], "edge": metrics["edge"],
        "metric": cfg.metric,
        # the model's weight in what is served, the rest its primary baseline's (selection rule
        # `shrink`)
        "blend_weight": served_weight(metrics), "selection_rule": metrics.get("selection_rule"),
        "oos_skill": metrics["overall"]["skill"], "test_skill": metrics["test"]["skill"],
        "headline": headline(metrics),
        # regressors: out-of-sample interval widths
        "abs_residual_quantiles": metrics.get("abs_residual_quantiles"),
        "data_source": data_provenance.get("source"), "data_provenance": data_provenance,
    }
    fingerprint = feature_manifest[cfg.feature_set]["fingerprint"]
    return to_bundle(fitted, cfg, feature_cols, fingerprint, metadata)


def to_bundle(fitted: FittedModel, cfg: ModelConfig, feature_cols: list[str], fingerprint: str,
              metadata: dict) -> dict:
    state, blobs = fitted.estimator.state()
    meta = {
        "kind": cfg.estimator["kind"], "params": {**cfg.estimator.get("params", {}),
                                                  **fitted.best_params},
        "seed": cfg.seed, "class_names": cfg.class_names, "features": fitted.features or feature_cols,
        "feature_selection": fitted.feature_selection, "target_scale": fitted.target_scale,
        "pool": fitted.pool,
        "feature_set": cfg.feature_set, "feature_fingerprint": fingerprint,
        "scaler": fitted.scaler.to_dict() if fitted.scaler else None,
        "calibrator": fitted.calibrator.to_dict() if fitted.calibrator else None,
        "label_thresholds": fitted.label_thresholds, "baselines": cfg.baselines,
        "primary_baseline": cfg.primary_baseline, "baseline_states": fitted.baseline_states,
        "estimator_state": state, "training_window": list(fitted.train_dates),
        "training_rows": fitted.train_rows,
        "tuning": fitted.tuning, "label_params": label_params(cfg), **metadata,
    }
    return {"meta": meta, "blobs": blobs}


def check_fingerprint(meta: dict, expected_fingerprint: str) -> None:
    """Refuse features whose fingerprint differs from the ones the model was trained on."""
    if meta["feature_fingerprint"] != expected_fingerprint:
        raise FeatureMismatchError(
            f"model {meta.get('name', meta['kind'])} was trained on feature set "
            f"{meta['feature_set']!r} with fingerprint {meta['feature_fingerprint']}, but the "
            f"features given have fingerprint {expected_fingerprint}: retrain the model or rebuild "
            "features with the same code and parameters"
        )


def from_bundle(bundle: dict, expected_fingerprint: str | None = None) -> FittedModel:
    """Rebuild a fitted model; refuses features whose fingerprint differs from training."""
    meta = bundle["meta"]
    if expected_fingerprint is not None:
        check_fingerprint(meta, expected_fingerprint)
    n_classes = len(meta["class_names"]) if meta["class_names"] else None
    estimator = get_estimator(meta["kind"]).from_state(meta["params"], meta["seed"], n_classes,
                                                       meta["estimator_state"], bundle["blobs"])
    return FittedModel(
        estimator=estimator,
        scaler=Scaler.from_dict(meta["scaler"]) if meta["scaler"] else None,
        calibrator=Calibrator.from_dict(meta["calibrator"]) if meta["calibrator"] else None,
        baseline_states=meta["baseline_states"], label_thresholds=meta["label_thresholds"],
        best_params=meta["params"], train_dates=tuple(meta["training_window"]),
        train_rows=meta["training_rows"],
        tuning=meta.get("tuning", {}), features=list(meta["features"]),
        feature_selection=meta.get("feature_selection", {}), target_scale=meta.get("target_scale"),
        pool=meta.get("pool", {}),
    )
