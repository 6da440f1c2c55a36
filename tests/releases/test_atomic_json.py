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


def test_a_killed_writers_temp_files_are_removed_by_the_next_write_a_live_writers_are_not(tmp_path):
    """Issue 26 item 8: killed runs left `.tmp` files (and `.staging-*` bundle folders) behind for good."""
    import time

    from aegismatrix.datasets import ModelBundleDataset
    from aegismatrix.releases.manifest import STALE_TEMP_AGE_S, write_text_atomic

    old = time.time() - STALE_TEMP_AGE_S - 60
    stale, live = tmp_path / ".aegismatrix.json.k1ll3d.tmp", tmp_path / ".aegismatrix.json.w0rk1n.tmp"
    staging = tmp_path / "models" / ".staging-k1ll3d"
    staging.mkdir(parents=True)
    for path in (stale, live):
        path.write_text("{")
    for path in (stale, staging):
        os.utime(path, (old, old))
    write_text_atomic(tmp_path / "aegismatrix.json", "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, "aegismatrix.json", "models"]
    ModelBundleDataset(filepath=str(tmp_path / "models" / "m")).save({"meta": {}, "blobs": {}})
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["m"]
