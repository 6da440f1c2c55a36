"""Volatility forecasters that keep the VIX as the backbone (issue 14), coefficients and weights
stored as JSON.

`vix_log_regression`: log(forward vol) = a + b log(VIX/100) + sum c_k log(rv_k), fitted by ridge on
logs and mapped back with the log-normal mean correction exp(mean + var/2).
`vol_combination`: an in-fold convex combination of candidate forecasts (the scaled VIX, trailing
realised vol, HAR-RV, the log regression): candidates are fitted on the inner training rows, the
simplex weights minimise QLIKE on the inner validation rows after a purge of `purge` rows, then the
candidates are refitted on all rows. With `shrink_to: k` and `penalty: lam` the weights minimise
QLIKE + lam x ||w - e_k||^2, i.e. they shrink toward candidate k (the scaled VIX): a combination
that cannot wander far from the VIX (issue 23). `rolling_scaled_column` (a candidate kind): the VIX
x the median ratio realised / VIX over the last `window` matured labels (realised vol of t-h+1 .. t
over the VIX of t-h), recomputed every day from the rows in order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegismatrix.models.base import Estimator, register

_FLOOR = 1e-4  # vols are positive; a zero input would make its log undefined


def _logs(X: pd.DataFrame, columns: list[str], scale: dict[str, float]) -> np.ndarray:
    return np.log(np.maximum(X[columns].to_numpy(dtype=float)
                             * np.array([scale.get(c, 1.0) for c in columns]), _FLOOR))


@register
class VixLogRegression(Estimator):
    """Ridge regression of log forward vol on log VIX and log realised-vol terms."""

    kind = "vix_log_regression"
    task = "regression"
    scale_inputs = False  # logs of the raw levels; the coefficients are elasticities
    explainer = None

    @classmethod
    def param_names(cls) -> frozenset[str]:
        return frozenset({"columns", "alpha", "percent_columns"})

    def _scale(self) -> dict[str, float]:
        """VIX-like columns are in percent: /100 puts them on the realised-vol scale."""
        return dict.fromkeys(self.params.get("percent_columns", ["vix_level"]), 0.01)

    def fit(self, X, y, sample_weight=None, on_epoch=None):
        self.columns_ = list(self.params.get("columns")
                             or ["vix_level", "rv_cc_5", "rv_cc_21", "rv_cc_63"])
        Z, target = _logs(X, self.columns_, self._scale()), np.log(np.maximum(y, _FLOOR))
        # lazy: imported when fitting, not when a frozen model predicts
        from sklearn.linear_model import Ridge
        alpha = float(self.params.get("alpha", 1.0))
        model = Ridge(alpha=alpha).fit(Z, target, sample_weight=sample_weight)
        resid = target - model.predict(Z)
        self.coef_, self.intercept_ = model.coef_.tolist(), float(model.intercept_)
        self.resid_var_ = float(np.var(resid))
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        log_pred = _logs(X, self.columns_, self._scale()) @ np.asarray(self.coef_) + self.intercept_
        return np.exp(log_pred + 0.5 * self.resid_var_)

    def state(self):
        return ({"columns": self.columns_, "coef": self.coef_, "intercept": self.intercept_,
                 "resid_var": self.resid_var_}, {})

    @classmethod
    def from_state(cls, params, seed, n_classes, state, blobs):
        est = cls(params, seed, n_classes)
        est.columns_, est.coef_ = list(state["columns"]), list(state["coef"])
        est.intercept_, est.resid_var_ = float(state["intercept"]), float(state["resid_var"])
        return est


class _Candidate:
    """One member of the combination: a fixed column, a scaled column, HAR ridge or the log
    regression."""

    def __init__(self, spec: dict):
        self.spec = dict(spec)
        self.state: dict = {}

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> _Candidate:
        kind, scale = self.spec["kind"], float(self.spec.get("scale", 1.0))
        if kind == "scaled_column":  # the VIX x median(realised / VIX) of the rows it is fitted on
            self.state = {"ratio": float(np.median(
                y / np.maximum(X[self.spec["column"]].to_numpy(float) * scale, _FLOOR)))}
        elif kind == "ridge":
            cols = self.spec["columns"]
            # lazy: imported when fitting, not when a frozen model predicts
            from sklearn.linear_model import Ridge
            model = Ridge(alpha=float(self.spec.get("alpha", 1.0))).fit(X[cols].to_numpy(float), y)
            self.state = {"coef": model.coef_.tolist(), "intercept": float(model.intercept_)}
        elif kind == "vix_log_regression":
            self.state = VixLogRegression(self.spec.get("params")).fit(X, y).state()[0]
        elif kind not in ("column", "rolling_scaled_column"):
            raise ValueError(f"vol_combination: unknown candidate kind {kind!r} in {self.spec}")
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        kind, scale = self.spec["kind"], float(self.spec.get("scale", 1.0))
        if kind in ("column", "scaled_column"):
            return X[self.spec["column"]].to_numpy(float) * scale * self.state.get("ratio", 1.0)
        if kind == "rolling_scaled_column":
            return rolling_scaled(X, self.spec)
        if kind == "ridge":
            return (X[self.spec["columns"]].to_numpy(float) @ np.asarray(self.state["coef"])
                    + self.state["intercept"])
        return VixLogRegression.from_state(self.spec.get("params"), 0, None, self.state,
                                           {}).predict(X)


def rolling_scaled(X: pd.DataFrame, spec: dict) -> np.ndarray:
    """column x scale x the rolling median of realised(t) / (column(t-h) x scale) over `window`
    rows: only ratios whose h-day window closed by t (rows are consecutive days, history first)."""
    level = X[spec["column"]].to_numpy(float) * float(spec.get("scale", 1.0))
    realised = X[spec.get("realised", "rv_cc_21")].to_numpy(float)
    h = int(spec.get("horizon", 21))
    ratio = pd.Series(realised / np.maximum(pd.Series(level).shift(h).to_numpy(), _FLOOR))
    window = int(spec.get("window", 252))
    median = ratio.rolling(window, min_periods=min(63, window)).median()
    fallback = float(spec.get("prior_ratio", 0.75))  # India VIX over realised ~1.3 (docs DESIGN 5)
    return level * median.fillna(fallback).to_numpy()


def convex_weights(preds: np.ndarray, y: np.ndarray, shrink_to: int | None = None,
                   penalty: float = 0.0) -> np.ndarray:
    """Simplex weights (>= 0, sum 1) of the candidate columns of `preds` minimising QLIKE against y,
    plus `penalty` x the squared distance to the one-hot weights of candidate `shrink_to`."""
    k = preds.shape[1]
    anchor = np.eye(k)[shrink_to] if shrink_to is not None else np.zeros(k)

    def qlike(w: np.ndarray) -> float:
        ratio = np.maximum(y, _FLOOR) ** 2 / np.maximum(preds @ w, _FLOOR) ** 2
        pull = penalty * float(((w - anchor) ** 2).sum()) if shrink_to is not None else 0.0
        return float(np.mean(ratio - np.log(ratio) - 1.0)) + pull

    # lazy: imported when fitting, not when a frozen model predicts
    from scipy.optimize import minimize
    result = minimize(qlike, np.full(k, 1.0 / k), method="SLSQP", bounds=[(0.0, 1.0)] * k,
                      constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0}])
    w = np.clip(result.x, 0.0, None)
    return w / w.sum()


@register
class VolCombination(Estimator):
    """In-fold convex combination (forecast combination) of volatility candidates."""

    kind = "vol_combination"
    task = "regression"
    scale_inputs = False
    explainer = None

    @classmethod
    def param_names(cls) -> frozenset[str]:
        return frozenset({"candidates", "validation_fraction", "purge", "shrink_to", "penalty"})

    def fit(self, X, y, sample_weight=None, on_epoch=None):
        specs = self.params["candidates"]
        n = len(X)
        n_val = max(int(n * float(self.params.get("validation_fraction", 0.3))), 20)
        # inner training labels must not reach the validation rows
        cut = n - n_val - int(self.params.get("purge", 21))
        if cut < 50:
            raise ValueError(f"vol_combination: {n} training rows leave {cut} before the "
                             "validation block (need 50)")
        inner = [_Candidate(s).fit(X.iloc[:cut], y[:cut]) for s in specs]
        # whole frame, then the validation rows: rolling members need the rows before them
        preds = np.column_stack([c.predict(X)[n - n_val:] for c in inner])
        shrink_to = self.params.get("shrink_to")
        self.weights_ = convex_weights(preds, y[n - n_val:],
                                       None if shrink_to is None else int(shrink_to),
                                       float(self.params.get("penalty", 0.0))).tolist()
        # refit on every training row
        self.members_ = [_Candidate(s).fit(X, y).state for s in specs]
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        out = np.zeros(len(X))
        for spec, state, w in zip(self.params["candidates"], self.members_, self.weights_):
            member = _Candidate(spec)
            member.state = state
            out += w * member.predict(X)
        return out

    def state(self):
        return {"weights": self.weights_, "members": self.members_}, {}

    @classmethod
    def from_state(cls, params, seed, n_classes, state, blobs):
        est = cls(params, seed, n_classes)
        est.weights_, est.members_ = list(state["weights"]), list(state["members"])
        return est
