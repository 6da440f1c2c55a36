"""End to end in a project copy: every engine trained with tiny settings (the session's training run,
tests/pipelines/conftest.py), retrain the buyer, then `inference` pinned to the first buyer.breakout model;
the payload validates and every engine has a signal per date."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from aegismatrix.payload.publish import validate_payload

# AEGIS_INFERENCE_ENGINES=seller,buyer integrates a subset (e.g. while an engine is being rebuilt).
ENGINES = tuple(os.environ.get("AEGIS_INFERENCE_ENGINES", "direction,seller,buyer").split(","))
PINNED = "buyer.breakout"


def _versions(project: Path, ns: str) -> list[str]:
    engine, model = ns.split(".")
    return sorted(p.name for p in (project / "data" / "06_models" / engine / model).iterdir()
                  if not p.name.startswith("."))


@pytest.fixture(scope="module")
def inferred(trained_engines, trained_copy, run_pipelines):
    from aegismatrix.pipelines.inference import pipeline as inference_pipeline

    patch = pytest.MonkeyPatch()
    patch.setattr(inference_pipeline, "ENGINES", ENGINES)
    project = trained_copy("project")  # every engine trained with tiny settings (tests/pipelines/conftest.py)
    tiny = trained_engines["runtime"]
    first = _versions(project, PINNED)
    run_pipelines(project, ["buyer"], tiny)  # a weekly buyer retrain: a second version of every buyer model
    later = {"data_ingestion": {**tiny["data_ingestion"], "end": "2025-09-30"},
             "inference": {"payload_path": str(project / "data" / "07_model_output" / "aegismatrix.json"),
                           "dashboard_dir": str(project / "data" / "08_reporting" / "dashboard")}}
    run_pipelines(project, ["inference"], later, load_versions={f"{PINNED}.model": first[0]})
    patch.undo()
    payload = json.loads((project / "data" / "07_model_output" / "aegismatrix.json").read_text())
    return {"project": project, "payload": payload, "first": first, "latest": _versions(project, PINNED)}


def _latest_parquet(path: Path) -> pd.DataFrame:
    """A Parquet dataset's latest version (or the file itself when it is not versioned)."""
    return pd.read_parquet(sorted(path.iterdir())[-1] / path.name if path.is_dir() else path)


def test_published_payload_validates_and_covers_every_engine(inferred):
    payload = inferred["payload"]
    validate_payload(payload)
    assert payload["data_as_of"] == "2025-09-30"
    assert payload["data"]["source"] == "synthetic"
    assert len(payload["direction"]["horizons"]) >= 1 and len(payload["seller"]["safe_ranges"]) == 2
    for engine in ENGINES:
        assert any(ns.startswith(engine + ".") for ns in payload["models"])
    sources = {h["model_source"] for h in payload["direction"]["horizons"]}
    assert sources <= ({"model", "baseline"} if "direction" in ENGINES else {"heuristic"})
    assert set(payload["seller"]["model_source"].values()) <= {"model", "baseline"}
    dashboard = inferred["project"] / "data" / "08_reporting" / "dashboard" / "aegismatrix.json"
    assert json.loads(dashboard.read_text()) == payload


def test_load_versions_pins_the_model_version(inferred):
    first, latest = inferred["first"], inferred["latest"]
    assert len(latest) == 2 and latest[0] == first[0]
    models = inferred["payload"]["models"]
    assert models[PINNED]["version"] == first[0]             # pinned: the first training run
    assert models["buyer.spike"]["version"] == latest[-1]    # unpinned: the latest retrain


def test_inference_after_training_gives_a_signal_for_every_date(inferred):
    out = inferred["project"] / "data"
    for engine in ENGINES:
        features = _latest_parquet(out / "04_feature" / f"{engine}_features.parquet")
        signals = _latest_parquet(out / "07_model_output" / f"{engine}_signals.parquet")
        assert signals["date"].max() == pd.Timestamp("2025-09-30")
        assert set(signals["date"]) == set(features["date"]), engine
        if engine == "direction":
            assert signals.groupby("date")["horizon_days"].nunique().nunique() == 1  # every horizon each day
    copies = sorted((out / "07_model_output" / "aegismatrix_payload.json").iterdir())
    assert (len(copies) == 1
            and json.loads((copies[0] / "aegismatrix_payload.json").read_text()) == inferred["payload"])
