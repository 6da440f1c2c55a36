"""Issue 26 defects 2 and 4 and item 8, on the inference pipeline's own last nodes (check, record, publish):
what is published is recorded first; a ledger that cannot be written publishes nothing; an older payload
never replaces a newer one; rows inside the served models' training data are recorded as in-sample."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from aegismatrix.datasets.ledger import SignalLedgerDataset
from aegismatrix.ledger.serve import ServedFrames
from aegismatrix.ledger.store import SignalLedger
from aegismatrix.pipelines.inference.pipeline import create_pipeline
from tests.ledger.test_lock import _hold
from tests.payload.example import example_payload

TAIL = ("check_payload", "record_served_signals", "publish_payload")
SPEC = {"frame": "buyer_signals", "signal": "buyer.breakout", "horizon_days": 1,
        "probability": "breakout_probability", "source": "model_source"}


@pytest.fixture(scope="module")
def tail():
    return create_pipeline().only_nodes(*TAIL)


def _run(tail, tmp_path, data_as_of: str, trained_to: str | None = None, lock_timeout_s: float = 5) -> dict:
    """Run the last three inference nodes on the example payload dated `data_as_of`; returns the paths."""
    payload = {**example_payload(), "data_as_of": data_as_of}
    paths = {"payload": tmp_path / "out" / "aegismatrix.json", "ledger": tmp_path / "ledger.duckdb"}
    buyer_signals = pd.DataFrame({"date": [pd.Timestamp(data_as_of)], "breakout_probability": [0.2],
                                  "model_source": ["baseline"]})
    frames = {"served_frames": ServedFrames({"buyer_signals": buyer_signals}, {})}
    free = {"aegismatrix_payload_candidate": payload, "inference_model_versions": {}, "data_provenance": {},
            "mlflow_releases": None, "params:ledger": {"signals": [SPEC]}, "params:decision_time": "close",
            "served_training_end": {"date": trained_to, "namespace": trained_to and "buyer.breakout"},
            "params:inference": {"payload_path": str(paths["payload"]), "dashboard_dir": None}, **frames}
    catalog = DataCatalog({name: MemoryDataset(value, copy_mode="assign") for name, value in free.items()})
    catalog["signal_ledger"] = SignalLedgerDataset(filepath=str(paths["ledger"]),
                                                   lock_timeout_s=lock_timeout_s)
    assert set(tail.inputs()) <= set(free), set(tail.inputs()) - set(free)
    SequentialRunner().run(tail, catalog)
    return paths


def _runs(ledger_path) -> pd.DataFrame:
    ledger = SignalLedger(f"duckdb:///{ledger_path}")
    try:
        return ledger.read_table("ledger_runs")
    finally:
        ledger.close()


def test_the_ledger_records_before_the_payload_is_published(tail):
    producer = {out: node.name for node in tail.nodes for out in node.outputs}
    publish = next(node for node in tail.nodes if node.name == "publish_payload")
    assert producer["ledger_receipt"] == "record_served_signals" and "ledger_receipt" in publish.inputs
    assert producer["signal_ledger"] == "record_served_signals"


def test_a_ledger_that_cannot_be_written_publishes_nothing(tail, tmp_path):
    """Defect 2: the payload was published, then the ledger write failed (another process held DuckDB)."""
    holder = _hold(tmp_path / "ledger.duckdb", 60)
    try:
        with pytest.raises(Exception, match="lock"):
            _run(tail, tmp_path, "2025-06-13", lock_timeout_s=0.3)
    finally:
        holder.kill()
        holder.wait()
    assert not (tmp_path / "out" / "aegismatrix.json").exists()


def test_an_older_payload_is_recorded_but_never_replaces_a_newer_one(tail, tmp_path, caplog):
    paths = _run(tail, tmp_path, "2025-06-13")
    newer = paths["payload"].read_bytes()
    with caplog.at_level("WARNING"):
        _run(tail, tmp_path, "2025-06-12")
    assert paths["payload"].read_bytes() == newer
    assert "already serves data_as_of 2025-06-13" in caplog.text and "older" in caplog.text
    runs = _runs(paths["ledger"])
    assert sorted(runs["data_as_of"].astype(str)) == ["2025-06-12", "2025-06-13"]  # both recorded
    assert [p.name for p in paths["payload"].parent.iterdir()] == ["aegismatrix.json"]


def test_inference_inside_the_training_data_is_recorded_as_in_sample_with_a_warning(tail, tmp_path, caplog):
    """Defect 4: such rows went into the ledger as kind=inference, silently, and were scored."""
    with caplog.at_level("WARNING"):
        paths = _run(tail, tmp_path, "2025-06-13", trained_to="2025-06-13")
    assert "inside the training data of buyer.breakout" in caplog.text
    assert list(_runs(paths["ledger"])["kind"]) == ["in_sample"]
    assert json.loads(paths["payload"].read_text())["data_as_of"] == "2025-06-13"  # still served
    _run(tail, tmp_path / "later", "2025-06-16", trained_to="2025-06-13")
    assert list(_runs(tmp_path / "later" / "ledger.duckdb")["kind"]) == ["inference"]
