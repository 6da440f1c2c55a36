"""The live guard (issue 23): a served model doing worse
than its baseline on matured ledger rows is demoted.

For one signal, the rows whose outcome has matured carry the served model's loss and its baseline's
loss on the same row (the model keeps being scored while demoted: its forecast is recorded next to
the baseline's). The rule, with the numbers stated in conf/base/parameters_selection.yml
(`selection.guard`):
- demote at the first matured row where, over the last `window` matured rows (at least `window` of
  them), the model's mean loss exceeds (1 + `margin`) x the baseline's mean loss on the same rows;
- restore (hysteresis) only once, over the last `window` rows matured after the demotion, the
  model's mean loss is at or below (1 + `restore_margin`) x the baseline's, with `restore_margin` <
  `margin`.
So a model whose every loss is worse than the baseline's by more than `margin` from row T on is
demoted by row T + window - 1 at the latest, and a model within `margin` of its baseline on every
window is never demoted. Inference then serves the baseline and says so: `demoted` in the payload
block and the ledger row's extra.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

DEFAULTS = {"window": 63, "margin": 0.10, "restore_margin": 0.0}


def _settings(params: dict | None) -> tuple[int, float, float]:
    p = {**DEFAULTS, **(params or {})}
    window, margin, restore = int(p["window"]), float(p["margin"]), float(p["restore_margin"])
    if window < 2 or margin < 0 or restore > margin:
        raise ValueError("selection.guard: need window >= 2 and 0 <= margin, restore_margin <= "
                         f"margin; got {p}")
    return window, margin, restore


def guard_path(matured: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
    """Row by row over `matured` (columns date, model_loss, baseline_loss; time order): the rolling
    means, their ratio and whether the model is demoted after that row."""
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
        # after a demotion only rows matured since count
        full = lo >= 0 and (not demoted or lo > since)
        m = model[lo:i + 1].mean() if full else np.nan
        b = base[lo:i + 1].mean() if full else np.nan
        ratio = m / max(b, 1e-12) if full else np.nan
        if full and not demoted and ratio > 1.0 + margin:
            demoted, since = True, i
        elif full and demoted and ratio <= 1.0 + restore:
            demoted = False
        states.append((m, b, ratio, demoted, since if demoted else -1))
    out = pd.DataFrame(states,
                       columns=["model_loss_mean", "baseline_loss_mean", "ratio", "demoted",
                                "since"])
    return pd.concat([frame[["date"]], out], axis=1)


def causal_demotions(dates: pd.Series, y: np.ndarray, model_loss: np.ndarray,
                     baseline_loss: np.ndarray,
                     horizon: int, trained_to, params: dict | None = None) -> pd.DataFrame:
    """Per row t of a served window: the guard's verdict from the live rows (after `trained_to`, the
    frozen model's last training date) whose label window closed by t (i + horizon <= t), so a
    backfill over the window replays what each day would have served. `y` NaN marks rows not yet
    matured."""
    n, when = len(dates), pd.to_datetime(dates).to_numpy()
    window, margin, _ = _settings(params)
    demoted, n_seen = np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64)
    ratio, model_mean, base_mean = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    live = np.flatnonzero((when > pd.Timestamp(trained_to).to_datetime64()) & np.isfinite(y))
    if len(live):
        path = guard_path(pd.DataFrame({"date": when[live], "model_loss": model_loss[live],
                                        "baseline_loss": baseline_loss[live]}), params)
        # the newest matured live row each row t may see: i + horizon <= t
        seen = np.searchsorted(live + horizon, np.arange(n), side="right") - 1
        has = seen >= 0
        take = seen[has]
        demoted[has] = path["demoted"].to_numpy(dtype=bool)[take]
        ratio[has] = path["ratio"].to_numpy(dtype=float)[take]
        model_mean[has] = path["model_loss_mean"].to_numpy(dtype=float)[take]
        base_mean[has] = path["baseline_loss_mean"].to_numpy(dtype=float)[take]
        n_seen[has] = take + 1
    return pd.DataFrame({"demoted": demoted, "guard_ratio": ratio, "guard_model_loss": model_mean,
                         "guard_baseline_loss": base_mean, "guard_n": n_seen,
                         "guard_since": demoted_since(when, demoted), "guard_window": window,
                         "guard_margin": margin})


def demoted_since(dates, demoted) -> pd.Series:
    """Per row: the first served date of the demotion it is in (ISO text),
    None where not demoted."""
    flags = np.asarray(demoted, dtype=bool)
    out = np.full(len(flags), None, dtype=object)
    if flags.any():
        days = pd.to_datetime(pd.Series(dates)).to_numpy().astype("datetime64[D]")
        switch = np.r_[True, flags[1:] != flags[:-1]]  # a new streak at every switch
        streak = np.cumsum(switch) - 1
        first = np.minimum.reduceat(days, np.flatnonzero(switch))[streak]
        out[flags] = np.datetime_as_string(first[flags], unit="D")
    return pd.Series(out, dtype=object)


GUARD_FIELDS = {"guard_model_loss": "model_loss", "guard_baseline_loss": "baseline_loss",
                "guard_ratio": "ratio", "guard_n": "n_matured", "guard_window": "window",
                "guard_margin": "margin", "guard_since": "since"}


def guard_record(row: pd.Series | dict) -> dict:
    """The payload's and ledger's block of one served row: `demoted` and the guard's numbers (null
    when the guard has not seen a full window yet)."""
    block = {}
    for column, key in GUARD_FIELDS.items():
        value = row.get(column)
        value = None if value is None or (not isinstance(value, str) and pd.isna(value)) else value
        block[key] = value.item() if isinstance(value, np.generic) else value
    return {"demoted": bool(row.get("demoted", False)), "guard": block}


def guard_extra(rows: pd.DataFrame, frame: pd.DataFrame, spec: dict, guards: dict | None) -> pd.Series:
    """Each ledger row's extra JSON with `demoted` and the guard's numbers added, read from the
    predictions frame of the model that served it (`guard` in the spec, a template over {h} and the
    frame's columns, default `model`); unchanged where that model ran no guard (no edge, no
    `selection.guard`)."""
    template = spec.get("guard", spec.get("model"))
    if not template or not guards:
        return rows["extra"]
    extras = []
    for (_, row), days, extra in zip(frame.iterrows(), rows["horizon_days"], rows["extra"]):
        predictions = guards.get(template.format(h=days, **row.to_dict()))
        if predictions is None or "demoted" not in predictions:
            extras.append(extra)
            continue
        served = predictions[pd.to_datetime(predictions["date"]) == pd.Timestamp(row["date"])]
        if served.empty:
            raise ValueError(f"guard: {template} has no prediction for "
                             f"{pd.Timestamp(row['date']).date()} served by {spec['signal']}")
        merged = {**json.loads(extra or "{}"), **guard_record(served.iloc[-1])}
        extras.append(json.dumps(merged, sort_keys=True))
    return pd.Series(extras, index=rows.index, dtype=object)


def demoted_counts(rows: pd.DataFrame) -> dict[str, int]:
    """{signal: ledger rows served by the baseline after a live-guard demotion}. The scorecard
    scores those rows' recorded values, which are the baseline's: what was served, not the demoted
    model's forecast."""
    if rows.empty or "extra" not in rows:
        return {}
    flags = rows["extra"].map(lambda e: isinstance(e, str) and bool(json.loads(e).get("demoted", False)))
    counts = rows.loc[flags.astype(bool), "signal"].value_counts().sort_index()
    return {str(k): int(v) for k, v in counts.items()}
