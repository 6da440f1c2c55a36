"""Custom Kedro datasets."""

from aegismatrix.datasets.model_bundle import ModelBundleDataset

__all__ = ["ModelBundleDataset"]
