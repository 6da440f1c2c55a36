"""Split-conformal intervals for any template regressor,
from its out-of-sample residuals, past rows only.

Row t's interval is the served forecast plus the (1-coverage)/2 and (1+coverage)/2 quantiles of the
residuals (label - served forecast) of OOS rows <= t-horizon-1, i.e. whose label windows had closed
at t; after the OOS period (the frozen model) every OOS residual counts. MAPIE and crepes were
considered: both calibrate on one exchangeable calibration set, while this needs an expanding,
purged, time-ordered one per row (and the residuals already exist in the template's OOS frames), so
a few lines of quantiles serve better here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def as_ns(dates) -> np.ndarray:
    """Dates at one resolution (Parquet may load microseconds),
    so merges and as-of joins line up."""
    return pd.Series(pd.to_datetime(dates)).astype("datetime64[ns]").to_numpy()


def served_oos(oos: pd.DataFrame, metrics: dict, columns: list[str]) -> np.ndarray:
    """What the template serves on OOS rows: the model's columns with edge (blended with the primary
    baseline's by a `shrink` rule's weight), else the primary baseline's."""
    from aegismatrix.modelling.selection import served_weight

    weight = served_weight(metrics)
    model = oos[list(columns)].to_numpy(dtype=float) if weight > 0 else 0.0
    if weight == 1.0:
        return model
    base = oos[[f"baseline_{metrics['primary_baseline']}__{c}" for c in columns]].to_numpy(dtype=float)
    return weight * model + (1.0 - weight) * base


def conformal_table(oos: pd.DataFrame, metrics: dict, horizon: int, coverage: float,
                    min_residuals: int) -> dict:
    """Residual quantiles per date (JSON-able),
    the coverage target and the empirical OOS coverage."""
    oos = oos.sort_values("date").reset_index(drop=True)
    served = served_oos(oos, metrics, ["prediction"])[:, 0]
    resid = oos["label"].to_numpy(dtype=float) - served
    lo_q, hi_q = (1 - coverage) / 2, (1 + coverage) / 2
    dates, lows, highs = [], [], []
    for t in range(len(oos)):
        past = resid[: max(0, t - horizon)]
        past = past[np.isfinite(past)]
        if len(past) >= min_residuals:
            dates.append(oos["date"].iloc[t].strftime("%Y-%m-%d"))
            lows.append(float(np.quantile(past, lo_q)))
            highs.append(float(np.quantile(past, hi_q)))
    every = resid[np.isfinite(resid)]
    if len(every) >= min_residuals:  # after the OOS period (frozen model): every OOS residual
        dates.append((oos["date"].iloc[-1] + pd.Timedelta(days=1)).strftime("%Y-%m-%d"))
        lows.append(float(np.quantile(every, lo_q)))
        highs.append(float(np.quantile(every, hi_q)))
    table = pd.DataFrame({"date": pd.to_datetime(dates), "q_low": lows, "q_high": highs})
    return {"coverage_target": coverage,
            "empirical_coverage": interval_coverage(oos, served, table),
            "source": "model" if metrics["edge"] else "baseline", "date": dates, "q_low": lows,
            "q_high": highs}


def interval_coverage(oos: pd.DataFrame, served: np.ndarray, table: pd.DataFrame) -> float | None:
    """Share of OOS labels inside [max(forecast + q_low,
    0), forecast + q_high] (None without a table)."""
    if table.empty:
        return None
    frame = pd.DataFrame({"date": as_ns(oos["date"]), "label": oos["label"].to_numpy(dtype=float),
                          "pred": served})
    frame = pd.merge_asof(frame.sort_values("date"), table.assign(date=as_ns(table["date"])),
                          on="date").dropna()
    if frame.empty:
        return None
    lower, upper = np.maximum(frame["pred"] + frame["q_low"], 0.0), frame["pred"] + frame["q_high"]
    return float(((frame["label"] >= lower) & (frame["label"] <= upper)).mean())
