"""Project hooks: process-wide settings that every run needs before the first node."""

from __future__ import annotations

import os
import random

import numpy as np
from kedro.framework.hooks import hook_impl


class ProjectHooks:
    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        """Seed every RNG so that two runs give the same metrics."""
        os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "1")
        random.seed(0)
        np.random.seed(0)
