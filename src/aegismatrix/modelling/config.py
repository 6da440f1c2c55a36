"""A model's parameter block (`params:<engine>.<model>`) with the template's defaults filled in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_SPLITS = {"n_folds": 5, "test_fraction": 0.2, "min_train": 250, "embargo": 5, "validation_fraction": 0.2}
DEFAULT_TUNING = {"n_trials": 6, "storage": None, "storage_dir": "data/06_models/optuna"}
DEFAULT_BOOTSTRAP = {"n_boot": 500, "level": 0.90}


@dataclass
class ModelConfig:
    """Everything one template instance needs; see conf/base/parameters_<engine>.yml for examples."""

    feature_set: str
    label: dict
    estimator: dict
    baselines: list[dict]
    primary_baseline: str
    metric: str
    class_names: list[str] | None = None
    label_bins: list[float] | None = None
    horizon: int = 1
    calibration: str = "sigmoid"
    class_weight: str | None = None
    features: list[str] | None = None
    feature_selection: dict[str, Any] | None = None  # optional in-fold step: modelling/feature_selection.py
    splits: dict = field(default_factory=dict)
    tuning: dict = field(default_factory=dict)
    bootstrap: dict = field(default_factory=dict)
    seed: int = 7

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "ModelConfig":
        known = {k: v for k, v in params.items() if k in cls.__dataclass_fields__}
        cfg = cls(**known)
        cfg.splits = {**DEFAULT_SPLITS, **(params.get("splits") or {})}
        cfg.tuning = {**DEFAULT_TUNING, **(params.get("tuning") or {})}
        cfg.bootstrap = {**DEFAULT_BOOTSTRAP, **(params.get("bootstrap") or {})}
        if cfg.primary_baseline not in [b["name"] for b in cfg.baselines]:
            raise ValueError(f"primary_baseline {cfg.primary_baseline!r} is not among the baselines {cfg.baselines}")
        return cfg

    @property
    def n_classes(self) -> int | None:
        return len(self.class_names) if self.class_names else None

    @property
    def is_classifier(self) -> bool:
        return self.class_names is not None
