"""Typed models of the parameter sections people edit most (model blocks are
`modelling.config.ModelConfig`).

Unknown keys are caught for every section by the base-key rule in validate.py; these models add
types, ranges and the pairs that must agree (a csv source needs a folder, the index key must be a
symbol, ...).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

_OPEN = ConfigDict(extra="ignore")  # unknown keys are the base-key rule's job


class DataIngestion(BaseModel):
    model_config = _OPEN
    source: Literal["auto", "yfinance", "csv", "synthetic"]
    csv_dir: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    lookback_years: float = Field(gt=0)
    symbols: dict[str, str]
    # one NSE sector index (NIFTY BANK) or none
    sector: dict[str, str] = Field(default_factory=dict, max_length=1)
    index_key: str
    vix_key: str

    @field_validator("start", "end", mode="before")
    @classmethod
    def _iso(cls, value: Any) -> Any:
        if value is None or isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value))

    @model_validator(mode="after")
    def _pairs(self) -> DataIngestion:
        if self.source == "csv" and not self.csv_dir:
            raise ValueError("source 'csv' needs data_ingestion.csv_dir")
        for key in ("index_key", "vix_key"):
            if getattr(self, key) not in self.symbols:
                raise ValueError(f"{key} {getattr(self, key)!r} is not one of the symbols "
                                 f"{sorted(self.symbols)}")
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self


class SafeRange(BaseModel):
    model_config = _OPEN
    target_breach_probability: float = Field(gt=0, le=0.5)
    tenors: list[int] = Field(min_length=1)
    scale: Literal["vix", "vol_forecast"] = "vix"
    min_history: int = Field(ge=1)

    @field_validator("tenors")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if any(t < 1 for t in value):
            raise ValueError(f"tenors must be positive trading-day counts, got {value}")
        return value


class Inference(BaseModel):
    model_config = _OPEN
    n_drivers: int = Field(ge=0)
    stale_after_hours: float = Field(gt=0)
    regime_lookback: int = Field(ge=20)
    regime_quantiles: list[float] = Field(min_length=2, max_length=2)

    @field_validator("regime_quantiles")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        if not 0 < value[0] < value[1] < 1:
            raise ValueError(f"regime_quantiles must be increasing in (0, 1), got {value}")
        return value


SECTIONS: dict[str, type[BaseModel]] = {
    "data_ingestion": DataIngestion,
    "seller.safe_range": SafeRange,
    "inference": Inference,
}


def check_section(name: str, params: dict) -> list[tuple[str, str]]:
    """(key, message) for every problem in section `name` (absent sections are not checked)."""
    value: Any = params
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return []
    try:
        SECTIONS[name].model_validate(value)
    except ValidationError as exc:
        return [(".".join(str(p) for p in e["loc"]) or "(section)",
                 e["msg"].removeprefix("Value error, "))
                for e in exc.errors()]
    return []
