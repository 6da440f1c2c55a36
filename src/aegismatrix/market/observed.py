"""The index history a Kedro run loads is the NSE calendar
of its span (docs/calendar.md, observed sessions).

`ObservedSessionsHooks` hands the dates of `market_daily` to `calendar.observe_sessions` as soon as
the run has them (saved by data ingestion or loaded by a later pipeline) and knows that the index
came from a real source: a synthetic index is weekdays only, so its dates say nothing about the
exchange.
"""

from __future__ import annotations

from typing import Any

from kedro.framework.hooks import hook_impl

from aegismatrix.market.calendar import forget_observed_sessions, observe_sessions

INDEX_DATASET = "market_daily"
# per-symbol `source`: this run, the last
SOURCE_DATASETS = ("data_ingestion_fetch_log", "data_provenance")


def index_source(log_or_provenance: dict[str, Any] | None, index_key: str) -> str | None:
    """The source ('csv', 'yahoo', 'cache', 'synthetic',
    ...) the index symbol came from, if recorded."""
    entry = ((log_or_provenance or {}).get("symbols") or {}).get(index_key) or {}
    return entry.get("source")


class ObservedSessionsHooks:
    """Observed sessions for the calendar while a pipeline runs; forgotten when it ends."""

    def __init__(self) -> None:
        self._index_key, self._dates, self._sources = "nifty50", None, {}

    @hook_impl
    def after_context_created(self, context) -> None:
        params = context.params.get("data_ingestion") or {}
        self._index_key = str(params.get("index_key", "nifty50"))

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline, catalog) -> None:
        self._dates, self._sources = None, {}
        forget_observed_sessions()

    @hook_impl
    def after_dataset_loaded(self, dataset_name: str, data: Any) -> None:
        self._seen(dataset_name, data)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any) -> None:
        self._seen(dataset_name, data)

    @hook_impl
    def after_pipeline_run(self, run_params, run_result, pipeline, catalog) -> None:
        forget_observed_sessions()

    @hook_impl
    def on_pipeline_error(self, error, run_params, pipeline, catalog) -> None:
        forget_observed_sessions()

    def _seen(self, name: str, data: Any) -> None:
        if name == INDEX_DATASET and hasattr(data, "columns") and "date" in data.columns:
            self._dates = data["date"]
        elif name in SOURCE_DATASETS and isinstance(data, dict):
            self._sources[name] = index_source(data, self._index_key)
        else:
            return
        # this run's fetch log outranks the provenance of an earlier run
        source = next((self._sources[n] for n in SOURCE_DATASETS if self._sources.get(n)), None)
        if self._dates is not None and source not in (None, "synthetic"):
            observe_sessions(self._dates, f"{self._index_key} index history ({source})")
