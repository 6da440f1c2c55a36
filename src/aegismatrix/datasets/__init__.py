"""Custom Kedro datasets."""

from aegismatrix.datasets.atomic_json import AtomicJSONDataset
from aegismatrix.datasets.model_bundle import ModelBundleDataset
from aegismatrix.datasets.optional_partitions import OptionalPartitionedDataset
from aegismatrix.datasets.png import PNGDataset

__all__ = ["AtomicJSONDataset", "ModelBundleDataset", "OptionalPartitionedDataset", "PNGDataset"]
