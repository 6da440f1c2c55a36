"""Custom Kedro datasets (imported on first use: PNGDataset pulls in matplotlib, ~0.7 s a run that
never plots)."""

import importlib

_MODULES = {
    "AtomicJSONDataset": "atomic_json",
    "ModelBundleDataset": "model_bundle",
    "OptionalPartitionedDataset": "optional_partitions",
    "PNGDataset": "png",
}
__all__ = list(_MODULES)


def __getattr__(name: str):
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"aegismatrix.datasets.{_MODULES[name]}"), name)
