"""Nodes shared by `inference` and `backfill`: what was served becomes a ledger append (saved by
`signal_ledger`)."""

from __future__ import annotations

import logging
import uuid

import pandas as pd

from aegismatrix.ledger.rows import ledger_rows

logger = logging.getLogger(__name__)

FRAME_SUFFIXES = ("_signals",)
EXTRA_FRAMES = ("seller_expiry_ranges",)  # per-expiry frames are ledgered too when the engine produces them


class BackfillRefused(ValueError):
    """A backfill date falls inside a served model's training data (its predictions there are in-sample)."""


def ledger_frame_names(outputs: set[str]) -> list[str]:
    """The signal frames of a pipeline that the ledger records."""
    return sorted(n for n in outputs if n.endswith(FRAME_SUFFIXES) or n in EXTRA_FRAMES)


def _mlflow_runs(index: dict | None, versions: dict) -> dict:
    """{namespace: MLflow run id} of each served model version found in the tracking index."""
    index = index or {}
    return {ns: index[v]["run_id"] for ns, v in versions.items() if v and v in index}


def _run(kind: str, as_of, provenance: dict, versions: dict, index: dict | None, decision_time: str) -> dict:
    return {
        "run_id": uuid.uuid4().hex,
        "kind": kind,
        "data_as_of": as_of,
        "decision_time": decision_time,
        "data_source": (provenance or {}).get("source"),
        "provenance": provenance,
        "model_versions": versions,
        "mlflow_run_ids": _mlflow_runs(index, versions),
    }


def record_served(
    payload: dict,
    model_versions: dict,
    data_provenance: dict,
    mlflow_releases: dict | None,
    params: dict,
    decision_time: str,
    **frames: pd.DataFrame,
) -> dict:
    """The latest row of every signal frame (what the published payload served) as one ledger append."""
    versions = model_versions or {}
    rows = ledger_rows(frames, params["signals"], "latest", decision_time, versions, mlflow_releases)
    logger.info("ledger: %d served rows for %s", len(rows), payload["data_as_of"])
    run = _run("inference", payload["data_as_of"], data_provenance, versions, mlflow_releases, decision_time)
    return {"run": {**run, "release": _release_id(payload)}, "rows": rows}


def _release_id(payload: dict) -> str | None:
    """The release the payload says it served, if it names one."""
    release = payload.get("release")
    return release.get("release_id") if isinstance(release, dict) else release


def training_data_end(models: dict[str, dict | None]) -> tuple[pd.Timestamp | None, str | None]:
    """The last market date any served model was trained on (data provenance, else its training window)."""
    ends = []
    for ns, bundle in models.items():
        if not bundle:
            continue
        meta = bundle["meta"]
        symbols = ((meta.get("data_provenance") or {}).get("symbols") or {}).values()
        dates = [s.get("last_date") for s in symbols if s.get("last_date")] or list(
            meta.get("training_window") or []
        )[-1:]
        ends += [(pd.Timestamp(d), ns) for d in dates]
    return max(ends) if ends else (None, None)


def backfill_rows(
    model_versions: dict,
    data_provenance: dict,
    mlflow_releases: dict | None,
    params: dict,
    ledger_params: dict,
    decision_time: str,
    models: dict[str, dict | None],
    frames: dict[str, pd.DataFrame],
) -> dict:
    """Every date from `backfill.start` (to `backfill.end`) after all served models' training data, as one
    append."""
    start = pd.Timestamp(params["start"]) if params.get("start") else None
    if start is None:
        raise BackfillRefused("backfill.start is required, e.g. --params backfill.start=2021-01-01")
    trained_to, ns = training_data_end(models)
    if trained_to is not None and start <= trained_to:
        raise BackfillRefused(
            f"backfill.start {start.date()} is inside the training data of {ns} (trained on data to "
            f"{trained_to.date()}): those predictions are in-sample; start after {trained_to.date()}"
        )
    end = pd.Timestamp(params["end"]) if params.get("end") else pd.Timestamp.max
    dates = sorted(
        {d for f in frames.values() if f is not None for d in pd.to_datetime(f["date"]) if start <= d <= end}
    )
    rows = ledger_rows(
        frames, ledger_params["signals"], dates, decision_time, model_versions or {}, mlflow_releases
    )
    if rows.empty:
        logger.warning(
            "backfill: no signal rows from %s (the loaded data end %s)",
            start.date(),
            max((pd.to_datetime(f["date"]).max() for f in frames.values() if f is not None), default=None),
        )
    as_of = max(dates) if dates else start
    logger.info(
        "backfill: %d rows for %d dates %s .. %s",
        len(rows),
        len(dates),
        start.date(),
        pd.Timestamp(as_of).date(),
    )
    return {
        "run": _run("backfill", as_of, data_provenance, model_versions or {}, mlflow_releases, decision_time),
        "rows": rows,
    }
