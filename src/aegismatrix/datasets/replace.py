"""Swap a catalog entry for another dataset object
without losing what Kedro attaches to the name."""

from __future__ import annotations

import logging

from kedro.io import AbstractDataset


def replace_dataset(catalog, name: str, dataset: AbstractDataset) -> None:
    """`catalog[name] = dataset`, keeping the name's validator (Kedro's setitem drops it) and
    without its "Replacing dataset" warning (the replacement is deliberate: serving runs, the Dask
    runner)."""
    spec = getattr(catalog, "_validator_specs", {}).get(name)
    catalog_log = logging.getLogger("kedro.io.data_catalog")
    level = catalog_log.level
    catalog_log.setLevel(logging.ERROR)
    try:
        catalog[name] = dataset
    finally:
        catalog_log.setLevel(level)
    if spec is not None:
        catalog._validator_specs[name] = spec
