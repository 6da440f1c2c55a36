"""`python -m aegismatrix prune --keep N` keeps the newest N versions and never the served release's."""

from __future__ import annotations

import subprocess
import sys

from aegismatrix.releases.manifest import publish_release


def _version(i: int) -> str:
    return f"2026-01-{i:02d}T00.00.00.000Z"


def test_prune_keeps_newest_and_every_version_of_the_served_release(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.kedro]\npackage_name = 'x'\n")
    model = tmp_path / "data" / "06_models" / "seller" / "trap"
    metrics = tmp_path / "data" / "08_reporting" / "metrics" / "seller" / "trap.json"
    for i in range(1, 9):
        (model / _version(i)).mkdir(parents=True)
        (model / _version(i) / "meta.json").write_text("{}")
        (metrics / _version(i)).mkdir(parents=True)
    releases = tmp_path / "data" / "06_models" / "releases"
    for i in (1, 2, 3):  # the served (latest) release is old: version 3 of the model
        publish_release(_version(i), {"seller.trap.model": _version(i), "seller.trap.metrics": _version(i)},
                        ["seller"], releases)
    dry = subprocess.run([sys.executable, "-m", "aegismatrix", "prune", "--keep", "2", "--dry-run"],
                         cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "would remove" in dry.stdout and len(list(model.iterdir())) == 8
    subprocess.run([sys.executable, "-m", "aegismatrix", "prune", "--keep", "2"], cwd=model,
                   capture_output=True, text=True, check=True)
    assert sorted(p.name for p in model.iterdir()) == [_version(3), _version(7), _version(8)]
    assert sorted(p.name for p in metrics.iterdir()) == [_version(3), _version(7), _version(8)]
    assert sorted(p.stem for p in releases.glob("2*.json")) == [_version(2), _version(3)]
    assert (releases / "latest.json").exists()
