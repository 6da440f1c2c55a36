"""GARCH(1,1) forecaster of forward realised volatility (fitted with `arch`, parameters stored as
JSON)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from arch import arch_model

from aegismatrix.models.base import Estimator, register
from aegismatrix.models.defaults import PARAM_NAMES

TRADING_DAYS = 252


@register
class GarchVolatilityModel(Estimator):
    """Fits GARCH(1,1) on the training rows' daily log returns; forecasts mean variance over the
    horizon.

    Inputs are the unscaled `return_column` of consecutive rows; prediction filters the variance
    recursion through those rows in order, so row t only uses returns up to t.
    """

    kind = "garch"
    task = "regression"
    scale_inputs = False

    @classmethod
    def param_names(cls) -> frozenset[str]:
        return PARAM_NAMES["garch"]

    def fit(self, X, y=None, sample_weight=None, on_epoch=None):
        returns = 100.0 * X[self.params.get("return_column", "log_return_1d")].to_numpy(dtype=float)
        result = arch_model(returns, mean="Constant", vol="GARCH", p=1, q=1,
                            dist=self.params.get("dist", "t")).fit(disp="off")
        p = result.params
        self.coef = {"mu": float(p["mu"]), "omega": float(p["omega"]),
                     "alpha": float(p["alpha[1]"]), "beta": float(p["beta[1]"])}
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        c, h = self.coef, int(self.params.get("horizon", 21))
        eps = 100.0 * X[self.params.get("return_column",
                                        "log_return_1d")].to_numpy(dtype=float) - c["mu"]
        persistence = min(c["alpha"] + c["beta"], 0.999)
        long_run = c["omega"] / (1.0 - persistence)
        sigma2 = np.empty(len(eps))
        prev = long_run
        for t, e in enumerate(eps):  # sigma2[t] = variance for day t+1, known after the close of t
            prev = c["omega"] + c["alpha"] * e * e + c["beta"] * prev
            sigma2[t] = prev
        decay = persistence ** np.arange(h)
        mean_var = long_run + (sigma2[:, None] - long_run) * decay[None, :]
        return np.sqrt(mean_var.mean(axis=1) * TRADING_DAYS) / 100.0

    def state(self):
        return {"coef": self.coef}, {}

    @classmethod
    def from_state(cls, params, seed, n_classes, state, blobs):
        est = cls(params, seed, n_classes)
        est.coef = dict(state["coef"])
        return est
