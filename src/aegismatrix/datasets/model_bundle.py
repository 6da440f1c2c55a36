"""ModelBundleDataset: every model as a versioned folder
of JSON + non-executable blobs (never pickle).

A bundle is `{"meta": dict, "blobs": {filename: bytes}}`: `meta` holds the model kind, tuned
parameters, scaler, calibrator, baselines, feature fingerprint and metadata; blobs hold XGBoost UBJ
or safetensors. Saves go to a temporary folder that is renamed into place, so a failed save never
leaves half a model. Integrity: `meta.json` records the sha256 of every blob (`blob_sha256`) and of
itself (`meta_sha256`, over the canonical JSON without that key); `load` verifies both and REFUSES a
mismatch or a bundle without checksums with `BundleIntegrityError`, so inference fails and the last
good aegismatrix.json stays (docs/inference.md).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import fsspec
from kedro.io.core import (
    AbstractVersionedDataset,
    DatasetError,
    Version,
    get_filepath_str,
    get_protocol_and_path,
)

from aegismatrix.releases.manifest import remove_stale_temps

META_FILE = "meta.json"
META_CHECKSUM = "meta_sha256"


class BundleIntegrityError(DatasetError):
    """A stored model bundle differs from what training
    wrote (changed blob or metadata, or no checksums)."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _meta_digest(meta: dict) -> str:
    """sha256 of the canonical JSON of `meta` without its own checksum."""
    body = {k: v for k, v in meta.items() if k != META_CHECKSUM}
    return _sha256(json.dumps(body, sort_keys=True, default=_json_default).encode())


def verify_bundle(folder: Path, meta: dict, blobs: dict[str, bytes]) -> None:
    """Raise BundleIntegrityError naming the file when a checksum is missing or differs."""
    recorded = meta.get("blob_sha256")
    if recorded is None or META_CHECKSUM not in meta:
        raise BundleIntegrityError(f"model bundle {folder} has no sha256 checksums (saved before "
                                   "checksums were recorded, or edited by hand): refusing to serve "
                                   "it; retrain the model")
    if meta[META_CHECKSUM] != _meta_digest(meta):
        raise BundleIntegrityError(f"model bundle {folder}: {META_FILE} does not match its "
                                   "recorded sha256; refusing to serve a "
                                   "changed model; retrain or restore it")
    for name, payload in blobs.items():
        if recorded.get(name) != _sha256(payload):
            raise BundleIntegrityError(f"model bundle {folder}: blob {name} has sha256 "
                                       f"{_sha256(payload)[:16]}..., training recorded "
                                       f"{str(recorded.get(name))[:16]}...: refusing to serve a "
                                       "changed model; retrain or restore it")


class ModelBundleDataset(AbstractVersionedDataset[dict, dict]):
    """Loads/saves a model bundle folder on the local filesystem,
    versioned like any Kedro dataset."""

    def __init__(self, *, filepath: str, version: Version | None = None,
                 metadata: dict[str, Any] | None = None):
        protocol, path = get_protocol_and_path(filepath, version)
        if protocol not in ("file", ""):
            raise DatasetError("ModelBundleDataset stores bundles on the local filesystem only, "
                               f"got {filepath}")
        self._protocol = "file"
        # auto_mkdir: versioned saves need new folders
        self._fs = fsspec.filesystem("file", auto_mkdir=True)
        self.metadata = metadata
        super().__init__(filepath=PurePosixPath(path), version=version,
                         exists_function=self._fs.exists, glob_function=self._fs.glob)

    def load(self) -> dict:
        folder = Path(get_filepath_str(self._get_load_path(), self._protocol))
        meta_path = folder / META_FILE
        if not meta_path.exists():
            raise DatasetError(f"model bundle {folder} has no {META_FILE}: was the model trained?")
        meta = json.loads(meta_path.read_text())
        missing = [name for name in meta.get("blob_files", []) if not (folder / name).exists()]
        if missing:
            raise BundleIntegrityError(f"model bundle {folder} lacks the blobs {missing} "
                                       f"listed in {META_FILE}")
        blobs = {name: (folder / name).read_bytes() for name in meta.get("blob_files", [])}
        verify_bundle(folder, meta, blobs)
        return {"meta": meta, "blobs": blobs}

    def load_meta(self) -> dict:
        """The bundle's metadata alone (no blobs, no checksum verification: `load` does that before
        serving); for checks that need only dates, before a run."""
        folder = Path(get_filepath_str(self._get_load_path(), self._protocol))
        return json.loads((folder / META_FILE).read_text())

    def save(self, data: dict) -> None:
        folder = Path(get_filepath_str(self._get_save_path(), self._protocol))
        folder.parent.mkdir(parents=True, exist_ok=True)
        blobs = data.get("blobs", {})
        meta = {**data["meta"], "blob_files": sorted(blobs),
                "blob_sha256": {n: _sha256(b) for n, b in blobs.items()}}
        # the digest covers what load will read back
        meta = json.loads(json.dumps(meta, default=_json_default))
        meta[META_CHECKSUM] = _meta_digest(meta)
        remove_stale_temps(folder.parent, ".staging-*")  # what killed saves left
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder.parent))
        try:
            (staging / META_FILE).write_text(json.dumps(meta, indent=2, default=_json_default))
            for name, payload in data.get("blobs", {}).items():
                (staging / name).write_bytes(payload)
            staging.rename(folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._invalidate_cache()

    def _exists(self) -> bool:
        try:
            folder = get_filepath_str(self._get_load_path(), self._protocol)
        except DatasetError:
            return False
        return self._fs.exists(str(PurePosixPath(folder) / META_FILE))

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "version": self._version}

    def _release(self) -> None:
        super()._release()
        self._invalidate_cache()

    def _invalidate_cache(self) -> None:
        self._fs.invalidate_cache(str(self._filepath))


def _json_default(value: Any) -> Any:
    """numpy scalars and arrays in metadata become plain JSON numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
