"""Release manifests: merged over the previous release, published atomically last, pinned ids must exist."""

from __future__ import annotations

import json
import threading

import pytest

from aegismatrix.releases.manifest import ReleaseError, latest_release_id, load_release, publish_release


def test_release_merges_over_the_previous_one_and_moves_latest_last(tmp_path):
    assert load_release(None, tmp_path) is None
    first = publish_release("2026-01-01T00.00.00.000Z", {"seller.trap.model": "2026-01-01T00.00.00.000Z"},
                            ["seller"], tmp_path)
    second = publish_release("2026-01-02T00.00.00.000Z", {"buyer.theta.model": "2026-01-02T00.00.00.000Z"},
                             ["buyer"], tmp_path)
    assert first["parent"] is None and second["parent"] == first["release_id"]
    assert second["models"] == {"seller.trap": "2026-01-01T00.00.00.000Z",
                                "buyer.theta": "2026-01-02T00.00.00.000Z"}
    assert latest_release_id(tmp_path) == second["release_id"]
    assert (load_release(first["release_id"], tmp_path)["datasets"]
            == {"seller.trap.model": "2026-01-01T00.00.00.000Z"})
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temp files


def test_pinned_release_that_does_not_exist_or_is_incomplete_fails(tmp_path):
    with pytest.raises(ReleaseError, match="not found"):
        load_release("2020-01-01T00.00.00.000Z", tmp_path)
    (tmp_path / "2020-01-01T00.00.00.000Z.json").write_text(json.dumps({"release_id": "x", "datasets": {}}))
    with pytest.raises(ReleaseError, match="not marked complete"):
        load_release("2020-01-01T00.00.00.000Z", tmp_path)


def test_concurrent_publishers_lose_no_models(tmp_path):
    def publish(i: int) -> None:
        publish_release(f"2026-01-01T00.00.{i:02d}.000Z", {f"e.m{i}.model": f"v{i}"}, ["x"], tmp_path)

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(load_release(None, tmp_path)["models"]) == {f"e.m{i}" for i in range(8)}
