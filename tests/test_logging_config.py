"""conf/logging.yml + LoggingHooks: Kedro's Load/Save lines are DEBUG records, per-node lines stay off the
console, a run prints progress lines (issue 26, item 9: the first command printed ~2,200 lines)."""

from __future__ import annotations

import io
import logging
import logging.config

import pytest
import yaml
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline, node
from kedro.runner import SequentialRunner

from aegismatrix.logs import LoggingHooks

NAMED = ["kedro", "kedro.io", "kedro.io.data_catalog", "kedro.pipeline.node", "kedro.runner",
         "kedro.validation", "kedro.framework.project", "aegismatrix", "aegismatrix.modelling.evaluation",
         "optuna"]


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def project_logging(project_root, monkeypatch):
    """The project's logging config applied (its console handler writing to a buffer: `.console`);
    everything put back after."""
    monkeypatch.delenv("AEGIS_LOG_DATA_IO", raising=False)
    saved = {name: (logging.getLogger(name).level, list(logging.getLogger(name).filters)) for name in NAMED}
    root_handlers, root_level = list(logging.root.handlers), logging.root.level
    logging.config.dictConfig(yaml.safe_load((project_root / "conf" / "logging.yml").read_text()))
    records = Records()
    records.console = io.StringIO()
    for handler in logging.root.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(records.console)
    logging.root.addHandler(records)
    yield records
    logging.root.handlers[:] = root_handlers
    logging.root.setLevel(root_level)
    for name, (level, filters) in saved.items():
        logging.getLogger(name).setLevel(level)
        logging.getLogger(name).filters[:] = filters


def _run(hooks: LoggingHooks) -> None:
    pipeline = Pipeline([node(lambda x: x + 1, "a", "b", name="add_one"),
                         node(lambda x: x * 2, "b", "c", name="double")])
    catalog = DataCatalog({"a": MemoryDataset(1), "b": MemoryDataset(), "c": MemoryDataset()})
    hooks.before_pipeline_run({"pipeline_names": ["tiny"]}, pipeline, catalog)
    SequentialRunner().run(pipeline, catalog)
    for item in pipeline.nodes:
        hooks.after_node_run(item)
    catalog.save("a", 5)
    assert catalog.load("a") == 5


def test_load_and_save_lines_are_debug_and_nothing_per_node_reaches_the_console(project_logging):
    hooks = LoggingHooks()
    hooks.after_context_created(context=None)
    _run(hooks)
    data_io = [r for r in project_logging.records
               if r.getMessage().startswith(("Loading data", "Saving data"))]
    assert data_io and {r.levelname for r in data_io} == {"DEBUG"}
    console = project_logging.console.getvalue()
    assert "Loading data" not in console and "Saving data" not in console
    assert "Running node" not in console and "Completed" not in console
    assert "kedro run --pipelines=tiny: 2 nodes" in console and "progress 2/2 nodes (100%)" in console


def test_aegis_log_data_io_shows_them_at_info(project_logging, monkeypatch):
    monkeypatch.setenv("AEGIS_LOG_DATA_IO", "1")
    LoggingHooks().after_context_created(context=None)
    _run(LoggingHooks())
    assert "INFO    kedro.io.data_catalog: Loading data from" in project_logging.console.getvalue()
