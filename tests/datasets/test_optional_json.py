"""OptionalJSONDataset (scorecard, MLflow release index): None before the first save, atomic saves."""

from __future__ import annotations

import os

import pytest
from kedro.io.core import DatasetError

from aegismatrix.datasets.ledger import OptionalJSONDataset


def test_saves_are_fsynced_under_a_unique_temp_name_and_a_failure_keeps_the_old_file(tmp_path, monkeypatch):
    """Issue 26 item 8: a fixed `.name.tmp` without fsync (two writers shared it; a crash could lose data)."""
    path = tmp_path / "reports" / "scorecard.json"
    dataset = OptionalJSONDataset(str(path))
    assert dataset.load() is None and not dataset.exists()
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    (path.parent).mkdir()
    (path.parent / ".scorecard.json.tmp").mkdir()  # the fixed name taken (another writer, a leftover)
    dataset.save({"breach_rate_5d": 0.1})
    assert synced and dataset.load() == {"breach_rate_5d": 0.1}
    with pytest.raises(DatasetError, match="Out of range float"):
        dataset.save({"breach_rate_5d": float("nan")})  # never written, never a NaN token
    assert dataset.load() == {"breach_rate_5d": 0.1}
    assert sorted(p.name for p in path.parent.iterdir()) == [".scorecard.json.tmp", "scorecard.json"]
