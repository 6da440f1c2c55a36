"""Issue 12 finding 9: JSON outputs (metrics, provenance, ...) are written atomically, never truncated."""

from __future__ import annotations

import os

import pytest
import yaml
from kedro.io.core import DatasetError

from aegismatrix.datasets import AtomicJSONDataset


def test_failed_save_leaves_the_old_file_whole_and_no_temp_file(tmp_path, monkeypatch):
    dataset = AtomicJSONDataset(filepath=str(tmp_path / "metrics.json"), save_args={"indent": 2})
    dataset.save({"skill": 0.1})
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(DatasetError, match="disk full"):
        dataset.save({"skill": 0.2, "folds": list(range(10_000))})
    assert dataset.load() == {"skill": 0.1}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]
    with pytest.raises(DatasetError, match="not JSON serializable"):
        dataset.save({"not json": object()})  # serialised before anything is written
    assert dataset.load() == {"skill": 0.1}


def test_every_json_catalog_entry_is_atomic(project_root):
    for path in (project_root / "conf" / "base").glob("catalog*.yml"):
        for name, entry in (yaml.safe_load(path.read_text()) or {}).items():
            if isinstance(entry, dict):
                assert entry.get("type") != "json.JSONDataset", f"{path.name}: {name} is written in place"
