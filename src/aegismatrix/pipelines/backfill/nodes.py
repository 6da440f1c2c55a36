"""Thin node of the backfill pipeline: sort the wired inputs into models and frames, then build the
append."""

from __future__ import annotations

from aegismatrix.ledger.serve import backfill_rows
from aegismatrix.modelling.template import template_outputs


def backfill_ledger(
    model_versions: dict,
    data_provenance: dict,
    mlflow_releases: dict | None,
    params: dict,
    ledger_params: dict,
    decision_time: str,
    **inputs,
) -> dict:
    """Ledger rows for every date from `backfill.start`, refused inside any served model's training
    data.

    `inputs`: every frozen model as `<engine>__<model>__model` (template_inputs with engine=None)
    and the signal frames under their own dataset names, with each model's `__predictions` (read by
    the live guard)."""
    models = template_outputs(inputs, "model")
    frames = {k: v for k, v in inputs.items() if not k.endswith("__model")}
    return backfill_rows(
        model_versions, data_provenance, mlflow_releases, params, ledger_params, decision_time,
        models, frames
    )
