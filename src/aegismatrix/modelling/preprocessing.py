"""A standard scaler stored as plain JSON (fitted on training rows only, never pickled)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Scaler:
    features: list[str]
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> Scaler:
        """Mean and standard deviation of each column on the rows given (the training fold)."""
        values = frame.to_numpy(dtype=float)
        scale = values.std(axis=0)
        return cls(list(frame.columns), values.mean(axis=0), np.where(scale > 0, scale, 1.0))

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        values = (frame[self.features].to_numpy(dtype=float) - self.mean) / self.scale
        return pd.DataFrame(values, index=frame.index, columns=self.features)

    def to_dict(self) -> dict:
        return {"features": self.features, "mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> Scaler:
        return cls(list(data["features"]), np.asarray(data["mean"]), np.asarray(data["scale"]))
