"""Release manifests: which version of every trained dataset belongs together (docs/releases.md).

A training run that succeeds publishes, LAST, `data/06_models/releases/<release_id>.json` naming the
version of every versioned dataset it saved (bundles, metrics, out-of-sample predictions, ...)
merged over the previous release (engines trained on other days carry over), then swaps
`latest.json` to point at it. Both writes are a temp file + fsync + `os.replace`, under an exclusive
`flock`, so a reader sees the old release or the new one, never half of one, and two training runs
that finish together cannot lose each other's models.
"""

from __future__ import annotations

import fcntl
import glob
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RELEASES_DIR = Path("data/06_models/releases")
LATEST = "latest.json"
VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}\.\d{3}Z$")
# a temp file or staging folder this old belongs to a writer that was killed
STALE_TEMP_AGE_S = 600.0


class ReleaseError(RuntimeError):
    """A pinned release does not exist or is incomplete."""


def write_json_atomic(path: str | Path, data: Any, indent: int | None = 2) -> Path:
    """Write JSON to a temp file in the same folder, fsync,
    then os.replace: readers never see half a file."""
    return write_text_atomic(path, json.dumps(data, indent=indent, default=str))


def remove_stale_temps(folder: Path, pattern: str, max_age_s: float = STALE_TEMP_AGE_S) -> list[Path]:
    """Remove what a killed writer left (temp files, staging folders) matching `pattern` in
    `folder`, once older than `max_age_s` (a younger one may belong to a run writing now)."""
    removed, now = [], time.time()
    for leftover in folder.glob(pattern):
        try:
            if now - leftover.lstat().st_mtime < max_age_s:
                continue
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()
        except FileNotFoundError:  # another run cleaned it first
            continue
        removed.append(leftover)
    return removed


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write text atomically (write_bytes_atomic)."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | Path, body: bytes) -> Path:
    """Write to a temp file in the same folder, fsync, then os.replace (the old file survives
    failures); temp files of killed earlier writers of the same file are removed."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target.parent, f".{glob.escape(target.name)}.*.tmp")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


@contextmanager
def release_lock(root: Path = RELEASES_DIR) -> Iterator[None]:
    """Exclusive lock on the releases folder (read-merge-publish must not interleave)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def latest_release_id(root: Path = RELEASES_DIR) -> str | None:
    """The id `latest.json` points at, or None before the first training run."""
    pointer = root / LATEST
    return json.loads(pointer.read_text())["release_id"] if pointer.exists() else None


def load_release(release_id: str | None = None, root: Path = RELEASES_DIR) -> dict | None:
    """The pinned release, or the latest one; None when there is none yet (a pinned id that is
    missing fails)."""
    release_id = release_id or latest_release_id(root)
    if release_id is None:
        return None
    path = root / f"{release_id}.json"
    if not path.exists():
        known = sorted(p.stem for p in root.glob("*.json") if VERSION.match(p.stem))
        raise ReleaseError(f"release {release_id!r} not found in {root} (known: {known[-5:]})")
    release = json.loads(path.read_text())
    if release.get("complete") is not True:
        raise ReleaseError(f"release {release_id} is not marked complete: refusing to serve it")
    return release


def publish_release(release_id: str, produced: dict[str, str], pipelines: list[str],
                    root: Path = RELEASES_DIR) -> dict:
    """Merge this run's {dataset: version} over the latest release,
    write it, then point latest.json at it."""
    with release_lock(root):
        parent = load_release(None, root)
        datasets = {**((parent or {}).get("datasets") or {}), **produced}
        release = {"release_id": release_id, "complete": True,
                   "parent": (parent or {}).get("release_id"),
                   "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "pipelines": pipelines,
                   "produced": sorted(produced), "datasets": dict(sorted(datasets.items())),
                   "models": {k.removesuffix(".model"): v for k, v in sorted(datasets.items())
                              if k.endswith(".model")}}
        write_json_atomic(root / f"{release_id}.json", release)
        # last: the swap that publishes it
        write_json_atomic(root / LATEST, {"release_id": release_id})
    return release
