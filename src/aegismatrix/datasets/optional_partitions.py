"""A PartitionedDataset that loads an empty folder as `{}`:
a run without a universe is a valid state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kedro.io.core import DatasetError
from kedro_datasets.partitions import PartitionedDataset


class OptionalPartitionedDataset(PartitionedDataset):
    """Like PartitionedDataset, but no partitions means no symbols rather than an error."""

    def load(self) -> dict[str, Callable[[], Any]]:
        try:
            return super().load()
        except DatasetError as error:
            if "No partitions found" in str(error):
                return {}
            raise
