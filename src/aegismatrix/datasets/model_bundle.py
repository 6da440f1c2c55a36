"""ModelBundleDataset: every model as a versioned folder of JSON + non-executable blobs (never pickle).

A bundle is `{"meta": dict, "blobs": {filename: bytes}}`: `meta` holds the model kind, tuned parameters,
scaler, calibrator, baselines, feature fingerprint and metadata; blobs hold XGBoost UBJ or safetensors.
Saves go to a temporary folder that is renamed into place, so a failed save never leaves half a model.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import fsspec
from kedro.io.core import AbstractVersionedDataset, DatasetError, Version, get_filepath_str, get_protocol_and_path

META_FILE = "meta.json"


class ModelBundleDataset(AbstractVersionedDataset[dict, dict]):
    """Loads/saves a model bundle folder on the local filesystem, versioned like any Kedro dataset."""

    def __init__(self, *, filepath: str, version: Version | None = None, metadata: dict[str, Any] | None = None):
        protocol, path = get_protocol_and_path(filepath, version)
        if protocol not in ("file", ""):
            raise DatasetError(f"ModelBundleDataset stores bundles on the local filesystem only, got {filepath}")
        self._protocol = "file"
        self._fs = fsspec.filesystem("file", auto_mkdir=True)  # auto_mkdir: versioned saves need new folders
        self.metadata = metadata
        super().__init__(filepath=PurePosixPath(path), version=version,
                         exists_function=self._fs.exists, glob_function=self._fs.glob)

    def load(self) -> dict:
        folder = Path(get_filepath_str(self._get_load_path(), self._protocol))
        meta_path = folder / META_FILE
        if not meta_path.exists():
            raise DatasetError(f"model bundle {folder} has no {META_FILE}: was the model trained?")
        meta = json.loads(meta_path.read_text())
        blobs = {name: (folder / name).read_bytes() for name in meta.get("blob_files", [])}
        return {"meta": meta, "blobs": blobs}

    def save(self, data: dict) -> None:
        folder = Path(get_filepath_str(self._get_save_path(), self._protocol))
        folder.parent.mkdir(parents=True, exist_ok=True)
        meta = {**data["meta"], "blob_files": sorted(data.get("blobs", {}))}
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
