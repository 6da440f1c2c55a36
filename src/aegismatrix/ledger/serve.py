"""Nodes shared by `inference` and `backfill`: what was served becomes a ledger append (saved by
`signal_ledger`).

Inference records BEFORE it publishes (issue 26 defect 2): `record_served` also returns a receipt
that the publish node waits for, so a payload is published only once the ledger holds it. Rows dated
inside a served model's training data are in-sample (issue 26 defect 4): an inference run records
them as `kind = in_sample` with a warning, and the scorecard never scores them; a backfill refuses
them.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date

import pandas as pd

from aegismatrix.ledger.rows import ledger_rows

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class ServedFrames:
    """What a serving run hands the ledger: the signal frames under their dataset names (the
    `frame` of each `ledger.signals` entry) and each model's predictions (the live guard's columns,
    issue 23), by namespace."""

    frames: dict[str, pd.DataFrame]
    guards: dict[str, pd.DataFrame]


def collect_served_frames(direction_signals: pd.DataFrame | None = None,
                          seller_signals: pd.DataFrame | None = None,
                          buyer_signals: pd.DataFrame | None = None,
                          seller_expiry_ranges: pd.DataFrame | None = None,
                          direction_records=(), seller_records=(),
                          buyer_records=()) -> ServedFrames:
    """The signal frames and models' predictions (`<engine>_records`: each record names its own
    namespace) of the engines in the run, one typed input for `record_served` and `backfill_rows`."""
    records = [r for engine in (direction_records, seller_records, buyer_records) for r in engine]
    frames = {"direction_signals": direction_signals, "seller_signals": seller_signals,
              "buyer_signals": buyer_signals, "seller_expiry_ranges": seller_expiry_ranges}
    return ServedFrames({name: frame for name, frame in frames.items() if frame is not None},
                        {r.namespace: r.predictions for r in records})


IN_SAMPLE = "in_sample"  # ledger kind of inference rows dated inside a served model's training data


class BackfillRefused(ValueError):
    """A backfill date falls inside a served model's training
    data (its predictions there are in-sample)."""


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
    served: ServedFrames,
    training_end: dict | None = None,
) -> tuple[dict, dict]:
    """(the ledger append of the latest row of every signal frame, i.e. what the payload serves; a
    receipt the publish node waits for). `training_end`: {date, namespace} of the served models'
    training data."""
    versions = model_versions or {}
    rows = ledger_rows(served.frames, params["signals"], "latest", decision_time, versions,
                       mlflow_releases, served.guards)
    kind, rows = _in_sample_check(rows, payload["data_as_of"], training_end or {})
    logger.info("ledger: %d served rows for %s (%s)", len(rows), payload["data_as_of"], kind)
    run = _run(kind, payload["data_as_of"], data_provenance, versions, mlflow_releases,
               decision_time)
    receipt = {"run_id": run["run_id"], "kind": kind, "rows": len(rows),
               "data_as_of": payload["data_as_of"]}
    return {"run": {**run, "release": _release_id(payload)}, "rows": rows}, receipt


def _in_sample_check(rows: pd.DataFrame, as_of, training_end: dict) -> tuple[str, pd.DataFrame]:
    """(`inference` or `in_sample`, rows): a run dated inside the training data is recorded flagged;
    rows of an out-of-sample run that are older (a stale frame) and in-sample are left out."""
    trained_to, ns = (
        pd.Timestamp(training_end["date"]) if training_end.get("date") else None,
        training_end.get("namespace"),
    )
    if trained_to is None or rows.empty:
        return "inference", rows
    if pd.Timestamp(as_of) <= trained_to:
        logger.warning(
            "ledger: inference for %s is inside the training data of %s (trained on data to %s): "
            "recorded as kind=%s, never scored; serve models trained before the dates you infer on",
            pd.Timestamp(as_of).date(),
            ns,
            trained_to.date(),
            IN_SAMPLE,
        )
        return IN_SAMPLE, rows
    inside = pd.to_datetime(rows["as_of_date"]) <= trained_to
    if inside.any():
        logger.warning(
            "ledger: %d served rows dated up to %s are inside the training data of %s: not recorded",
            int(inside.sum()),
            trained_to.date(),
            ns,
        )
    return "inference", rows[~inside.to_numpy()].reset_index(drop=True)


def _release_id(payload: dict) -> str | None:
    """The release the payload says it served, if it names one."""
    release = payload.get("release")
    return release.get("release_id") if isinstance(release, dict) else release


def training_data_end(models: dict[str, dict | None]) -> tuple[pd.Timestamp | None, str | None]:
    """The last market date any served model was trained on (data provenance,
    else its training window)."""
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


def _iso_date(params: dict, key: str) -> pd.Timestamp | None:
    """`backfill.<key>` as a date;
    BackfillRefused naming the parameter and value unless it is ISO."""
    value = params.get(key)
    if value is None or value == "":
        return None
    # YAML reads dates as dates
    text = value.isoformat()[:10] if isinstance(value, date) else str(value)
    try:
        return pd.Timestamp(date.fromisoformat(text))
    except ValueError:
        raise BackfillRefused(
            f"backfill.{key}={value!r} is not an ISO date (YYYY-MM-DD), "
            f"e.g. --params backfill.{key}=2021-01-04"
        ) from None


def check_backfill_window(
    params: dict, trained_to: pd.Timestamp | None, ns: str | None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(start, end) of a backfill: ISO dates, start required and after every served model's training
    data (checked before the run by the inference hooks and again by the backfill node)."""
    start, end = _iso_date(params, "start"), _iso_date(params, "end")
    if start is None:
        raise BackfillRefused("backfill.start is required, e.g. --params backfill.start=2021-01-04")
    if trained_to is not None and start <= trained_to:
        raise BackfillRefused(
            f"backfill.start={start.date()} is inside the training data of {ns} (trained on data "
            f"to {trained_to.date()}): those predictions "
            f"are in-sample; start after {trained_to.date()}"
        )
    if end is not None and end < start:
        raise BackfillRefused(f"backfill.end={end.date()} is before backfill.start={start.date()}")
    return start, end if end is not None else pd.Timestamp.max


def backfill_rows(
    model_versions: dict,
    data_provenance: dict,
    mlflow_releases: dict | None,
    params: dict,
    ledger_params: dict,
    decision_time: str,
    training_end: dict,
    served: ServedFrames,
) -> dict:
    """Every date from `backfill.start` (to `backfill.end`) after all served models' training data
    (`training_end`: {date, namespace}, as inference gets it), as one append."""
    trained_to = pd.Timestamp(training_end["date"]) if training_end.get("date") else None
    start, end = check_backfill_window(params, trained_to, training_end.get("namespace"))
    frames = served.frames
    dates = sorted({d for f in frames.values() if f is not None
                    for d in pd.to_datetime(f["date"]) if start <= d <= end})
    rows = ledger_rows(frames, ledger_params["signals"], dates, decision_time,
                       model_versions or {}, mlflow_releases, served.guards)
    if rows.empty:
        logger.warning(
            "backfill: no signal rows from %s (the loaded data end %s)",
            start.date(),
            max((pd.to_datetime(f["date"]).max() for f in frames.values() if f is not None),
                default=None),
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
        "run": _run("backfill", as_of, data_provenance, model_versions or {}, mlflow_releases,
                    decision_time),
        "rows": rows,
    }
