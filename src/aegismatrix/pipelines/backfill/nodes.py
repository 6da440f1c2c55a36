"""Thin node of the backfill pipeline: sort the wired inputs into models and frames, then build the append."""

from __future__ import annotations

from aegismatrix.ledger.serve import backfill_rows

MODEL_PREFIX = "model__"
FRAME_PREFIX = "frame__"


def backfill_ledger(
    model_versions: dict,
    data_provenance: dict,
    mlflow_releases: dict | None,
    params: dict,
    ledger_params: dict,
    decision_time: str,
    **inputs,
) -> dict:
    """Ledger rows for every date from `backfill.start`, refused inside any served model's training data."""
    models = {
        k[len(MODEL_PREFIX) :].replace("__", "."): v for k, v in inputs.items() if k.startswith(MODEL_PREFIX)
    }
    frames = {k[len(FRAME_PREFIX) :]: v for k, v in inputs.items() if k.startswith(FRAME_PREFIX)}
    return backfill_rows(
        model_versions, data_provenance, mlflow_releases, params, ledger_params, decision_time, models, frames
    )
