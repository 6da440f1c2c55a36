"""The live guard (issue 23): a served model doing worse than its baseline on matured ledger rows is demoted.

For one signal, the rows whose outcome has matured carry the served model's loss and its baseline's loss on
the same row (the model keeps being scored while demoted: its forecast is recorded next to the baseline's).
The rule, with the numbers stated in conf/base/parameters_selection.yml (`selection.guard`):
- demote at the first matured row where, over the last `window` matured rows (at least `window` of them), the
  model's mean loss exceeds (1 + `margin`) x the baseline's mean loss on the same rows;
- restore (hysteresis) only once, over the last `window` rows matured after the demotion, the model's mean
  loss is at or below (1 + `restore_margin`) x the baseline's, with `restore_margin` < `margin`.
So a model whose every loss is worse than the baseline's by more than `margin` from row T on is demoted by row
T + window - 1 at the latest, and a model within `margin` of its baseline on every window is never demoted.
Inference then serves the baseline and says so: `demoted` in the payload block and the ledger row's extra.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

DEFAULTS = {"window": 63, "margin": 0.10, "restore_margin": 0.0}


@dataclass
class GuardState:
    """What the guard says after the last matured row; the payload's and ledger's `demoted` block."""

    demoted: bool
    since: str | None
    n_matured: int
    window: int
    margin: float
    restore_margin: float
    model_loss: float | None
    baseline_loss: float | None
    ratio: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def _settings(params: dict | None) -> tuple[int, float, float]:
    p = {**DEFAULTS, **(params or {})}
    window, margin, restore = int(p["window"]), float(p["margin"]), float(p["restore_margin"])
    if window < 2 or margin < 0 or restore > margin:
        raise ValueError("selection.guard: need window >= 2 and 0 <= margin, restore_margin <= margin; "
                         f"got {p}")
    return window, margin, restore


def guard_path(matured: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
    """Row by row over `matured` (columns date, model_loss, baseline_loss; time order): the rolling means,
    their ratio and whether the model is demoted after that row."""
    window, margin, restore = _settings(params)
    frame = matured.sort_values("date").reset_index(drop=True)
    bad = frame[["model_loss", "baseline_loss"]].isna().any(axis=1)
    if bad.any():
        raise ValueError(f"guard: {int(bad.sum())} matured rows without a loss, e.g. "
                         f"{frame.loc[bad, 'date'].head(3).astype(str).tolist()}")
    model = frame["model_loss"].to_numpy(float)
    base = frame["baseline_loss"].to_numpy(float)
    demoted, since, states = False, -1, []
    for i in range(len(frame)):
        lo = i - window + 1
        full = lo >= 0 and (not demoted or lo > since)  # after a demotion only rows matured since count
        m = model[lo:i + 1].mean() if full else np.nan
        b = base[lo:i + 1].mean() if full else np.nan
        ratio = m / max(b, 1e-12) if full else np.nan
        if full and not demoted and ratio > 1.0 + margin:
            demoted, since = True, i
        elif full and demoted and ratio <= 1.0 + restore:
            demoted = False
        states.append((m, b, ratio, demoted, since if demoted else -1))
    out = pd.DataFrame(states, columns=["model_loss_mean", "baseline_loss_mean", "ratio", "demoted", "since"])
    return pd.concat([frame[["date"]], out], axis=1)


def guard_state(matured: pd.DataFrame, params: dict | None = None) -> GuardState:
    """The guard's verdict after every row of `matured` (not demoted when nothing has matured)."""
    window, margin, restore = _settings(params)
    path = guard_path(matured, params)
    if path.empty:
        return GuardState(False, None, 0, window, margin, restore, None, None, None)
    last = path.iloc[-1]

    def num(v) -> float | None:
        return None if pd.isna(v) else float(v)

    since = str(pd.Timestamp(path["date"].iloc[int(last["since"])]).date()) if last["demoted"] else None
    return GuardState(bool(last["demoted"]), since, len(path), window, margin, restore,
                      num(last["model_loss_mean"]), num(last["baseline_loss_mean"]), num(last["ratio"]))


def serve_guarded(model_values: pd.Series, baseline_values: pd.Series, state: GuardState) -> pd.Series:
    """What inference serves: the baseline's values while demoted, the model's otherwise."""
    return baseline_values.copy() if state.demoted else model_values.copy()


def causal_demotions(dates: pd.Series, y: np.ndarray, model_loss: np.ndarray, baseline_loss: np.ndarray,
                     horizon: int, trained_to, params: dict | None = None) -> pd.DataFrame:
    """Per row t of a served window: the guard's verdict from the live rows (after `trained_to`, the frozen
    model's last training date) whose label window closed by t (i + horizon <= t), so a backfill over the
    window replays what each day would have served. `y` NaN marks rows not yet matured."""
    n = len(dates)
    out = pd.DataFrame({"demoted": np.zeros(n, dtype=bool), "guard_ratio": np.nan,
                        "guard_model_loss": np.nan, "guard_baseline_loss": np.nan, "guard_n": 0})
    live = np.flatnonzero((pd.to_datetime(dates) > pd.Timestamp(trained_to)).to_numpy() & np.isfinite(y))
    if not len(live):
        return out
    path = guard_path(pd.DataFrame({"date": pd.to_datetime(dates).to_numpy()[live],
                                    "model_loss": model_loss[live], "baseline_loss": baseline_loss[live]}),
                      params)
    # the newest matured live row each row t may see: i + horizon <= t
    seen = np.searchsorted(live + horizon, np.arange(n), side="right") - 1
    has = seen >= 0
    take = path.iloc[seen[has]]
    out.loc[has, "demoted"] = take["demoted"].to_numpy(dtype=bool)
    out.loc[has, "guard_ratio"] = take["ratio"].to_numpy()
    out.loc[has, "guard_model_loss"] = take["model_loss_mean"].to_numpy()
    out.loc[has, "guard_baseline_loss"] = take["baseline_loss_mean"].to_numpy()
    out.loc[has, "guard_n"] = seen[has] + 1
    return out
