"""Project hooks: process-wide settings that every run needs before the first node."""

from __future__ import annotations

import atexit
import gc
import logging
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
        """Before any `pandas.*` dataset is resolved: import them without the SQL datasets' SQLAlchemy;
        `decision_time: auto` becomes the decision time due now by the NSE session clock."""
        import_pandas_datasets()
        _resolve_auto_decision_time(catalog)

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


def _resolve_auto_decision_time(catalog) -> None:
    """Replace `params:decision_time` = auto by preopen / intraday / close from the session clock (once a run,
    so every node sees the same value)."""
    if "params:decision_time" not in catalog or catalog.load("params:decision_time") != "auto":
        return
    from aegismatrix.market.session import resolve_decision_time, session_state

    resolved = resolve_decision_time("auto")
    ingestion = catalog.load("params:data_ingestion") if "params:data_ingestion" in catalog else {}
    if resolved == "intraday" and not (ingestion.get("intraday") or {}).get("enabled", True):
        resolved = "close"  # no intraday bars in this run: the last completed session's close signals
    logging.getLogger(__name__).info("decision_time auto -> %s (NSE session %s)", resolved,
                                     session_state().state)
    catalog["params:decision_time"] = resolved
    if "parameters" in catalog:
        catalog["parameters"] = {**catalog.load("parameters"), "decision_time": resolved}


def _restore_gc() -> None:
    """A long-lived process (a notebook, the test suite) collects start-up objects again, as usual."""
    gc.unfreeze()
    gc.set_threshold(*_DEFAULT_GC_THRESHOLD)
