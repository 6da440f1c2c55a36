"""Project hooks: process-wide settings that every run needs before the first node."""

from __future__ import annotations

import atexit
import gc
import os
import random

import numpy as np
from kedro.framework.hooks import hook_impl

from aegismatrix.optional_imports import import_pandas_datasets

# At exit, CPython's final collections walk every object left (torch, xgboost, pandas...): 0.5-1 s of a 3-7 s
# `kedro run`. Frozen first, they are skipped; memory goes back to the OS with the process as always.
atexit.register(gc.freeze)
_DEFAULT_GC_THRESHOLD = gc.get_threshold()
GC_YOUNG_THRESHOLD = 20_000  # allocations between young collections during a run


class ProjectHooks:
    @hook_impl
    def after_catalog_created(self, catalog) -> None:
        """Before any `pandas.*` dataset is resolved: import them without the SQL datasets' SQLAlchemy."""
        import_pandas_datasets()

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        """Seed every RNG so that two runs give the same metrics; exempt start-up objects from the GC."""
        os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "1")
        random.seed(0)
        np.random.seed(0)
        # Imported modules, config and catalog live until the process ends, yet every full collection walks
        # them again (~0.1 s each in a serving run); frozen, they are skipped. Objects made later are
        # collected as usual, young ones less often: pandas code allocates in bursts (default 700).
        gc.freeze()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *_DEFAULT_GC_THRESHOLD[1:])

    @hook_impl
    def after_pipeline_run(self, run_params, run_result, pipeline, catalog) -> None:
        _restore_gc()

    @hook_impl
    def on_pipeline_error(self, error, run_params, pipeline, catalog) -> None:
        _restore_gc()


def _restore_gc() -> None:
    """A long-lived process (a notebook, the test suite) collects start-up objects again, as usual."""
    gc.unfreeze()
    gc.set_threshold(*_DEFAULT_GC_THRESHOLD)
