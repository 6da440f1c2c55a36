"""Engine signal frames -> ledger rows, driven by the declarative specs in `ledger.signals`
(parameters_ledger.yml).

A spec names a frame and which of its columns are the served value, lower/upper level, probability,
label and extra numbers, and how its horizon is known: a fixed `horizon_days`, a
`horizon_days_column` (one row per horizon), or an `expiry_column` (one row per expiry,
`key_columns` telling apart rows of one expiry; `horizon_days_column` then gives the trading days to
it). Any new signal fits by adding a spec; no code changes. Look-ahead columns (`realised_*`) are
never recorded. An intraday frame names the instant of each row with `snapshot_column` (aware or UTC
timestamps): its rows become snapshots keyed by it (store.py). A spec's `market` columns (the option
market's numbers beside the model's, issue 22) go to the `market` JSON column.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from aegismatrix.ledger.guard import guard_extra

SLOTS = ("value", "lower", "upper", "probability", "label")


class LedgerSpecError(ValueError):
    """A ledger spec names a column its frame does not have."""


def _extra(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Per row a JSON object of the extra served columns (NaN -> null), keys sorted so reruns
    compare equal."""
    if not columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    part = frame[columns].astype(object).where(frame[columns].notna(), None)
    return pd.Series(
        [
            json.dumps(dict(zip(columns, _jsonable(row))), sort_keys=True)
            for row in part.itertuples(index=False)
        ],
        index=frame.index,
        dtype=object,
    )


def _market(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Per row a JSON object of the option market's columns beside the model's (issue 22); null
    where the row has none of them (no chain that date), so a later replay with a chain can fill it
    (store.py)."""
    # none: a frame made before issue 22 (checked above)
    columns = [c for c in columns if c in frame]
    out = _extra(frame, columns)
    if columns:
        out[frame[columns].isna().all(axis=1).to_numpy()] = None
    return out


def _jsonable(values) -> list:
    out = []
    for v in values:
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, pd.Timestamp):
            v = str(v.date())
        out.append(v)
    return out


def _horizon(frame: pd.DataFrame, spec: dict) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(horizon key, trading days, expiry) for every row of the frame."""
    days = (
        frame[spec["horizon_days_column"]].astype("Int64")
        if spec.get("horizon_days_column")
        else pd.Series(spec.get("horizon_days"), index=frame.index, dtype="Int64")
    )
    if spec.get("expiry_column"):
        expiry = pd.to_datetime(frame[spec["expiry_column"]]).dt.normalize()
        key = "expiry:" + expiry.dt.strftime("%Y-%m-%d")
        # e.g. expiry_kind: one expiry can be weekly and monthly
        for col in spec.get("key_columns") or []:
            key = key + ":" + frame[col].astype(str)
        return key.astype(object), days, expiry
    key = days.map(lambda d: "-" if pd.isna(d) else f"{int(d)}d").astype(object)
    return key, days, pd.Series(pd.NaT, index=frame.index)


def _utc_text(stamps: pd.Series) -> list[str]:
    """ISO UTC text of each instant (naive values are taken as UTC)."""
    values = pd.to_datetime(stamps.reset_index(drop=True))
    values = values.dt.tz_localize("UTC") if values.dt.tz is None else values.dt.tz_convert("UTC")
    return list(values.dt.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _check_columns(frame: pd.DataFrame, spec: dict) -> None:
    named = [spec[s] for s in SLOTS if spec.get(s)] + list(spec.get("extra") or [])
    market = list(spec.get("market") or [])
    # a frame made before issue 22 has none
    named += market if any(c in frame for c in market) else []
    located = ("horizon_days_column", "expiry_column", "snapshot_column")
    named += [spec[k] for k in located if spec.get(k)] + list(spec.get("key_columns") or [])
    missing = [c for c in named if c not in frame]
    if missing:
        raise LedgerSpecError(
            f"ledger spec {spec['signal']}: frame {spec['frame']} has no columns {missing} "
            f"(it has {list(frame.columns)[:12]}...)"
        )


def _model_version(
    spec: dict, days: pd.Series, versions: dict, runs: dict
) -> tuple[pd.Series, pd.Series, pd.Series]:
    template = spec.get("model")
    if not template:
        empty = pd.Series([None] * len(days), index=days.index, dtype=object)
        return empty, empty, empty
    model = pd.Series([template.format(h=d) for d in days.astype(object)], index=days.index,
                      dtype=object)
    version = model.map(lambda ns: versions.get(ns))
    return model, version, version.map(lambda v: (runs.get(v) or {}).get("run_id") if v else None)


def frame_rows(
    frame: pd.DataFrame, spec: dict, decision_time: str, versions: dict, runs: dict,
    guards: dict | None = None,
) -> pd.DataFrame:
    """Ledger rows of one spec for every row of `frame` (the caller chooses the dates)."""
    _check_columns(frame, spec)
    horizon, days, expiry = _horizon(frame, spec)
    source = spec.get("source", "model_source")
    model, version, run_id = _model_version(spec, days, versions, runs)
    out = pd.DataFrame(
        {
            "as_of_date": pd.to_datetime(frame["date"]).dt.normalize(),
            "decision_time": decision_time,
            "signal": spec["signal"],
            "horizon": horizon,
            "horizon_days": days,
            "expiry": expiry,
            "model_source": frame[source] if source in frame else frame["model_source"],
            "extra": _extra(frame, list(spec.get("extra") or [])),
            "market": _market(frame, list(spec.get("market") or [])),
            "model": model,
            "model_version": version,
            "mlflow_run_id": run_id,
        }
    )
    # issue 23: `demoted` and the live guard's numbers
    out["extra"] = guard_extra(out, frame, spec, guards)
    for slot in SLOTS:
        out[slot] = frame[spec[slot]] if spec.get(slot) else None
    if spec.get("snapshot_column"):
        out["snapshot_at"] = _utc_text(frame[spec["snapshot_column"]])
    for slot in ("value", "lower", "upper", "probability"):
        out[slot] = pd.to_numeric(out[slot], errors="raise").astype(float)
    return out.reset_index(drop=True)


def ledger_rows(
    frames: dict[str, pd.DataFrame],
    specs: list[dict],
    dates: Any,
    decision_time: str,
    versions: dict | None = None,
    runs: dict | None = None,
    guards: dict | None = None,
) -> pd.DataFrame:
    """Rows of every spec whose frame is present, restricted to `dates` ("latest" = each frame's
    last date). `guards`: {namespace: predictions frame} whose live-guard columns go into each row's
    extra."""
    parts = []
    for spec in specs:
        frame = frames.get(spec["frame"])
        if frame is None or frame.empty:
            continue
        when = pd.to_datetime(frame["date"]).dt.normalize()
        keep = (
            when == when.max()
            if isinstance(dates, str) and dates == "latest"
            else when.isin(pd.DatetimeIndex(dates).normalize())
        )
        chosen = frame[keep.to_numpy()]
        parts.append(frame_rows(chosen, spec, decision_time, versions or {}, runs or {}, guards))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
