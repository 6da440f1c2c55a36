"""Logs a person reads: which model and fold a training line belongs to,
progress, upstream noise off.

- `fitting(label)` marks the model/fold being fitted (`direction.bilstm_h5/fold2`); epoch lines say
  it via `fit_label()`.
- `LoggingHooks` makes Kedro's per-dataset Loading/Saving lines DEBUG records
  (`AEGIS_LOG_DATA_IO=1`: INFO again) and logs the run's progress (one line per tenth of its nodes);
  the model comparison after a training run is `comparison_log.ModelComparisonHooks`. Kedro's
  per-node Running/Completed lines are off in conf/logging.yml.
- `filter_known_upstream_warnings()` silences warnings that repeat on every run and that we cannot
  act on (called from settings.py, before Kedro builds its config loader).
"""

from __future__ import annotations

import contextvars
import logging
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from kedro.framework.hooks import hook_impl

_FITTING: contextvars.ContextVar[str] = contextvars.ContextVar("aegismatrix_fitting", default="")

# (message regex, category, why it is safe to ignore)
KNOWN_UPSTREAM_WARNINGS = [
    (r"register_new_resolver\(\) is deprecated", UserWarning,
     "Kedro's own OmegaConf resolvers (kedro 1.7 + omegaconf)"),
    (r"One or more dataset names contain '\.' characters", UserWarning,
     "namespaced template datasets are dotted by design"),
]


def filter_known_upstream_warnings() -> None:
    """Ignore the known upstream warnings listed above (each once per process, not once per run)."""
    for message, category, _why in KNOWN_UPSTREAM_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category)


@contextmanager
def fitting(label: str) -> Iterator[None]:
    """Within this block, training log lines name `label` (model namespace and fold)."""
    token = _FITTING.set(label)
    try:
        yield
    finally:
        _FITTING.reset(token)


def fit_label() -> str:
    """The model/fold being fitted, or "" outside a fit."""
    return _FITTING.get()


# "Loading data from ..." / "Saving data to ...", one per use
DATA_IO_LOGGER = "kedro.io.data_catalog"
PROGRESS_STEPS = 10  # progress lines per pipeline run


class DataIOAtDebug(logging.Filter):
    """Kedro logs each dataset load and save at INFO (~80% of a run's lines); they become DEBUG
    records: a DEBUG handler still shows them, the INFO console does not."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


def data_io_at_debug(enabled: bool = True) -> None:
    """Install (or remove) DataIOAtDebug on Kedro's catalog logger; idempotent."""
    logger = logging.getLogger(DATA_IO_LOGGER)
    for existing in [f for f in logger.filters if isinstance(f, DataIOAtDebug)]:
        logger.removeFilter(existing)
    if enabled:
        logger.addFilter(DataIOAtDebug())


class LoggingHooks:
    """Load/Save lines at DEBUG (`AEGIS_LOG_DATA_IO=1`: INFO), progress lines."""

    def __init__(self) -> None:
        self._total, self._done, self._started = 0, 0, 0.0

    @hook_impl
    def after_context_created(self, context) -> None:
        data_io_at_debug(os.environ.get("AEGIS_LOG_DATA_IO", "").lower() not in ("1", "true", "yes"))

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        self._total, self._done, self._started = len(pipeline.nodes), 0, time.monotonic()
        params = run_params or {}
        names = params.get("pipeline_names") or [params.get("pipeline_name") or "__default__"]
        logging.getLogger(__name__).info("kedro run --pipelines=%s: %d nodes", ",".join(names),
                                         self._total)

    @hook_impl
    def after_node_run(self, node) -> None:
        """One line per tenth of the run's nodes: how far, how long, the node just finished."""
        self._done += 1
        step = max(1, -(-self._total // PROGRESS_STEPS))
        if self._done % step == 0 or self._done == self._total:
            logging.getLogger(__name__).info("progress %d/%d nodes (%3.0f%%) %5.0f s  %s",
                                             self._done,
                                             self._total, 100.0 * self._done / max(self._total, 1),
                                             time.monotonic() - self._started, node.name)
