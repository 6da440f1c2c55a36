"""AtomicJSONDataset: kedro-datasets' JSONDataset, but a save never leaves a truncated file behind.

The JSON is serialised in memory first (a serialisation error writes nothing), then written to a
temp file in the target folder, fsynced and `os.replace`d into place: a killed run or a full disk
leaves either no file or the whole file, so a half-written metrics JSON can never block a later run
(issue 12 finding 9).
"""

from __future__ import annotations

import json
from typing import Any

from kedro.io.core import get_filepath_str
from kedro_datasets.json import JSONDataset

from aegismatrix.releases.manifest import write_text_atomic


class AtomicJSONDataset(JSONDataset):
    """Local JSON dataset with atomic saves (same options as `json.JSONDataset`)."""

    def save(self, data: Any) -> None:
        if self._protocol not in ("file", ""):
            return super().save(data)
        text = json.dumps(data, **self._save_args)
        write_text_atomic(get_filepath_str(self._get_save_path(), self._protocol), text)
        self._invalidate_cache()
