"""A model's parameter block (`params:<engine>.<model>`),
typed and checked, with the template's defaults.

Unknown keys, wrong types and inconsistent pairs raise `ValueError` naming the key: a typo such as
`max_dept` must fail before training, never be dropped (aegismatrix.parameters runs this at session
start).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.dataclasses import dataclass

from aegismatrix.models.base import ESTIMATOR_MODULES, POOLABLE_KINDS, check_params

DEFAULT_SPLITS = {"n_folds": 5, "test_fraction": 0.2, "min_train": 250, "embargo": 5,
                  "validation_fraction": 0.2}
DEFAULT_TUNING = {"n_trials": 6, "storage": None, "storage_dir": "data/06_models/optuna"}
DEFAULT_BOOTSTRAP = {"n_boot": 500, "level": 0.90}
METRICS = ("log_loss", "brier", "rmse", "mse", "qlike")  # keys of modelling.metrics.ROW_LOSSES
CALIBRATIONS = ("none", "sigmoid", "isotonic")
_STRICT = ConfigDict(extra="forbid")


class Splits(BaseModel):
    model_config = _STRICT
    n_folds: int = Field(DEFAULT_SPLITS["n_folds"], ge=1)
    test_fraction: float = Field(DEFAULT_SPLITS["test_fraction"], gt=0, lt=1)
    min_train: int = Field(DEFAULT_SPLITS["min_train"], ge=1)
    embargo: int = Field(DEFAULT_SPLITS["embargo"], ge=0)
    validation_fraction: float = Field(DEFAULT_SPLITS["validation_fraction"], gt=0, lt=1)


class Tuning(BaseModel):
    model_config = _STRICT
    n_trials: int = Field(DEFAULT_TUNING["n_trials"], ge=0)
    storage: str | None = DEFAULT_TUNING["storage"]
    storage_dir: str = DEFAULT_TUNING["storage_dir"]


class Bootstrap(BaseModel):
    model_config = _STRICT
    n_boot: int = Field(DEFAULT_BOOTSTRAP["n_boot"], ge=10)
    level: float = Field(DEFAULT_BOOTSTRAP["level"], gt=0, lt=1)


class Pool(BaseModel):
    """Pooled training (modelling/pooling.py): other symbols' rows of the universe panel as extra
    training rows."""

    model_config = _STRICT
    # panel keys left out: the served index itself, vol indices
    exclude: list[str] = Field(default_factory=list)
    # sample weight of a pooled row relative to a row of the served index
    weight: float = Field(1.0, gt=0)


class Estimator(BaseModel):
    model_config = _STRICT
    kind: str
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("kind")
    @classmethod
    def _known(cls, kind: str) -> str:
        if kind not in ESTIMATOR_MODULES:
            raise ValueError(f"unknown estimator kind {kind!r}; known: {sorted(ESTIMATOR_MODULES)}")
        return kind


class Baseline(BaseModel):
    # each baseline kind takes its own options (column, window, ...)
    model_config = ConfigDict(extra="allow")
    name: str
    kind: str


@dataclass(config=_STRICT)
class ModelConfig:
    """Everything one template instance needs;
    see conf/base/parameters_<engine>.yml for examples."""

    feature_set: str
    label: dict[str, Any]
    estimator: dict[str, Any]
    baselines: list[dict[str, Any]]
    primary_baseline: str
    metric: Literal[METRICS]
    class_names: list[str] | None = None
    label_bins: list[float] | None = None
    horizon: int = Field(1, ge=1)
    calibration: Literal[CALIBRATIONS] = "sigmoid"
    class_weight: Literal["balanced"] | None = None
    features: list[str] | None = None
    # optional in-fold step: modelling/feature_selection.py
    feature_selection: dict[str, Any] | None = None
    # pooled training across the universe panel: modelling/pooling.py
    pool: dict[str, Any] | None = None
    # regressors: fit label / this column (known at t), predict x it
    target_scale: str | None = None
    splits: dict[str, Any] = Field(default_factory=dict)
    tuning: dict[str, Any] = Field(default_factory=dict)
    bootstrap: dict[str, Any] = Field(default_factory=dict)
    seed: int = 7
    namespace: str | None = None  # `<engine>.<name>`, filled in by parameters/derive.py, never written

    def __post_init__(self) -> None:
        self.estimator = _checked("estimator", Estimator, self.estimator)
        check_params(self.estimator["kind"], self.estimator["params"])
        self.splits = _checked("splits", Splits, self.splits)
        self.tuning = _checked("tuning", Tuning, self.tuning)
        self.bootstrap = _checked("bootstrap", Bootstrap, self.bootstrap)
        self.baselines = [_checked(f"baselines.{i}", Baseline, b) for i, b in enumerate(self.baselines)]
        if self.pool is not None:
            self.pool = _checked("pool", Pool, self.pool)
        self._check_pairs()
        self._check_pooling()

    def _check_pairs(self) -> None:
        names = [b["name"] for b in self.baselines]
        if self.primary_baseline not in names:
            raise ValueError(f"primary_baseline {self.primary_baseline!r} "
                             f"is not among the baselines {names}")
        if "horizon" in self.label and int(self.label["horizon"]) != self.horizon:
            raise ValueError(f"horizon {self.horizon} differs from label.horizon "
                             f"{self.label['horizon']} (the purge "
                             "length must equal the label window)")
        if self.label_bins is not None:
            if self.class_names is None or len(self.class_names) != len(self.label_bins) + 1:
                raise ValueError(f"label_bins {self.label_bins} need len(label_bins) + 1 "
                                 f"class_names, got {self.class_names}")
            if (any(not 0 < b < 1 for b in self.label_bins)
                    or sorted(self.label_bins) != list(self.label_bins)):
                raise ValueError(f"label_bins {self.label_bins} must "
                                 "be increasing quantiles in (0, 1)")

    def _check_pooling(self) -> None:
        if self.target_scale is not None and self.class_names is not None:
            raise ValueError(f"target_scale {self.target_scale!r} applies to regressors only "
                             "(this model has class_names)")
        if self.pool is None:
            return
        if self.estimator["kind"] not in POOLABLE_KINDS:
            raise ValueError(f"pool: estimator kind {self.estimator['kind']!r} reads rows in "
                             "sequence (history windows or recursion) and cannot take another "
                             f"symbol's rows; poolable: {sorted(POOLABLE_KINDS)}")
        if not self.features:
            raise ValueError("pool: list `features:` explicitly "
                             "(features every symbol has: the price families)")

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ModelConfig:
        """Typed config from a parameter block; raises ValueError naming every bad key."""
        try:
            return cls(**params)
        except ValidationError as exc:
            raise ValueError(_describe(exc)) from None

    @property
    def n_classes(self) -> int | None:
        return len(self.class_names) if self.class_names else None

    @property
    def is_classifier(self) -> bool:
        return self.class_names is not None


def _checked(key: str, model: type[BaseModel], value: dict) -> dict:
    """A sub-block validated by its model, as a plain dict; errors carry the sub-block's key."""
    try:
        return model(**value).model_dump()
    except ValidationError as exc:
        raise ValueError(_describe(exc, prefix=key)) from None


def _describe(exc: ValidationError, prefix: str = "") -> str:
    """pydantic's errors as `key.path: message (got value)` lines."""
    lines = []
    for err in exc.errors():
        path = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        msg = err["msg"].removeprefix("Value error, ")
        got = "" if err["type"] in ("missing", "value_error") else f" (got {err.get('input')!r})"
        lines.append(f"{path}: {msg}{got}" if path else f"{msg}")
    return "; ".join(lines)
