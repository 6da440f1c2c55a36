"""Probability calibration (isotonic or sigmoid, one-vs-rest then renormalised), stored as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# fewer positives (or negatives) than this in the validation block: level shift only
MIN_CLASS_ROWS = 10


@dataclass
class Calibrator:
    """Maps raw class probabilities to calibrated ones; `method='none'` is the identity."""

    method: str = "isotonic"
    maps: list[dict] = field(default_factory=list)

    def fit(self, proba: np.ndarray, y: np.ndarray) -> Calibrator:
        """Fit one map per class on held-out rows of the training fold (inner validation)."""
        self.maps = []
        if self.method == "none":
            return self
        for k in range(proba.shape[1]):
            target = (y.astype(int) == k).astype(float)
            self.maps.append(self._fit_one(proba[:, k], target))
        return self

    def _fit_one(self, p: np.ndarray, target: np.ndarray) -> dict:
        positives, negatives = int(target.sum()), int(len(target) - target.sum())
        if min(positives, negatives) < MIN_CLASS_ROWS:
            return _level_shift(p, positives)
        if self.method == "isotonic":
            from sklearn.isotonic import IsotonicRegression  # sklearn (~1.5 s) only when fitting

            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, target)
            return {"x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()}
        if self.method == "sigmoid":
            return _platt(p, positives, negatives, target)
        raise ValueError("calibration method must be isotonic, "
                         f"sigmoid or none, got {self.method!r}")

    def transform(self, proba: np.ndarray) -> np.ndarray:
        if self.method == "none" or not self.maps:
            return proba
        columns = []
        for k, m in enumerate(self.maps):
            if "x" in m:
                columns.append(np.interp(proba[:, k], m["x"], m["y"]))
            else:
                columns.append(1.0 / (1.0 + np.exp(-(m["a"] * _logit(proba[:, k]) + m["b"]))))
        # never exactly 0: log-loss must stay finite
        out = np.clip(np.column_stack(columns), 1e-4, 1.0)
        return out / out.sum(axis=1, keepdims=True)

    def to_dict(self) -> dict:
        return {"method": self.method, "maps": self.maps}

    @classmethod
    def from_dict(cls, data: dict) -> Calibrator:
        return cls(method=data["method"], maps=list(data["maps"]))


def _platt(p: np.ndarray, positives: int, negatives: int, target: np.ndarray) -> dict:
    """Platt scaling with Platt's smoothed targets, so a short validation block cannot push
    probabilities to 0 or 1 (each row enters twice, weighted by its soft target)."""
    soft = np.where(target == 1, (positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0))
    x = np.r_[_logit(p), _logit(p)][:, None]
    y = np.r_[np.ones(len(p)), np.zeros(len(p))]
    from sklearn.linear_model import LogisticRegression  # sklearn (~1.5 s) only when fitting

    lr = LogisticRegression(C=1e6).fit(x, y, sample_weight=np.r_[soft, 1.0 - soft])
    return {"a": float(lr.coef_[0, 0]), "b": float(lr.intercept_[0])}


def _level_shift(p: np.ndarray, positives: int, prior_rows: float = 20.0) -> dict:
    """Too few examples for a slope: only move the mean probability to the observed rate, shrunk
    toward the model's own mean (keeps the ranking; fixes the level of class-weighted or drifting
    models)."""
    mean_p = float(np.clip(p.mean(), 1e-4, 1 - 1e-4))
    rate = (positives + prior_rows * mean_p) / (len(p) + prior_rows)
    return {"a": 1.0, "b": float(_logit(np.array([rate]))[0] - _logit(np.array([mean_p]))[0])}


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def reliability_table(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> list[dict]:
    """Mean predicted vs observed frequency per probability bin (for reliability diagrams)."""
    bins = np.clip((p * n_bins).astype(int), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            rows.append({"bin": b, "mean_predicted": float(p[mask].mean()),
                         "observed": float(y[mask].mean()), "n": int(mask.sum())})
    return rows


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> float:
    """Mean over classes of the bin-weighted |mean predicted
    - observed frequency| (one-vs-rest, 10 bins)."""
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(y)
    y, proba = y[keep], np.asarray(proba, dtype=float)[keep]
    errors = [sum(r["n"] * abs(r["mean_predicted"] - r["observed"])
                  for r in reliability_table((y == k).astype(float), proba[:, k], n_bins))
              / len(y) for k in range(proba.shape[1])]
    return float(np.mean(errors))
