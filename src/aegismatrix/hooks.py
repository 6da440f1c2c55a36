"""Project hooks: process-wide settings that every run needs before the first node."""

from __future__ import annotations

import logging
import os
import random

import numpy as np
from kedro.framework.hooks import hook_impl


class ProjectHooks:
    @hook_impl
    def after_catalog_created(self, catalog) -> None:
        """`decision_time: auto` becomes the decision time due now by the NSE session clock."""
        _resolve_auto_decision_time(catalog)

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        """Seed every RNG so that two runs give the same metrics."""
        os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "1")
        random.seed(0)
        np.random.seed(0)


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

