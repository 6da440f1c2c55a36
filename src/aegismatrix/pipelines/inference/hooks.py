"""The one place where a run's catalog datasets are swapped (registered in settings.py; docs/inference.md).

`MissingModelHooks` (frozen models that were never trained): before a run, every free input
`<engine>.<model>.model` (loaded, not produced by the run) that has no stored version is replaced by a dataset
that loads `None`; the template's `predict_frozen` then serves that model's primary baseline and says so
(`model_source: baseline`). A missing `<engine>.<model>.metrics` loads as a `no_edge` stub. Versions pinned
with `--load-versions` are never replaced: a pinned version that does not exist still fails loudly; so does a
version the served release names (`ReleaseError`): a release that cannot be served as named stops the run
instead of degrading to baselines. The resolved version of every frozen model is offered to the run as
`inference_model_versions` ({namespace: Kedro version timestamp or None}) when the pipeline asks for it, and
the end of the served models' training data as `served_training_end` ({date, namespace}, from each bundle's
meta.json): inference flags rows inside it as in-sample, and a backfill's `backfill.start` is checked against
it before the run starts (issue 26).

`ServingMemoryHooks`: a serving run reads the intermediates it saves back from memory (see the class).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import AbstractDataset, CachedDataset, DatasetError, MemoryDataset

from aegismatrix.datasets.model_bundle import ModelBundleDataset
from aegismatrix.datasets.replace import replace_dataset
from aegismatrix.ledger.serve import check_backfill_window, training_data_end
from aegismatrix.releases.hooks import release_param
from aegismatrix.releases.manifest import ReleaseError, load_release

logger = logging.getLogger(__name__)

FROZEN = re.compile(r"^(?P<ns>[^.]+\.[^.]+)\.(?P<kind>model|metrics)$")
VERSIONS_DATASET = "inference_model_versions"
TRAINING_END_DATASET = "served_training_end"


def _untrained_direction_ensemble(catalog) -> dict:
    from aegismatrix.pipelines.direction.nodes import untrained_ensemble
    from aegismatrix.pipelines.direction.pipeline import LAYOUT

    return untrained_ensemble(catalog.load("params:direction"), LAYOUT)


# Engine artifacts other than <ns>.model / .metrics: what a run reads when they were never trained (None: the
# payload states the reason, e.g. "no strategy backtest computed").
UNTRAINED = {"direction_ensemble": _untrained_direction_ensemble,
             "seller_strategy_backtest": lambda catalog: None,
             "seller_strategy_backtest_summary": lambda catalog: None}


class MissingArtifactDataset(AbstractDataset[None, Any]):
    """Stands in for a model artifact that was never trained: loads a fixed value, refuses saves."""

    def __init__(self, name: str, value: Any = None):
        self._name, self._value = name, value

    def load(self) -> Any:
        return self._value

    def save(self, data: None) -> None:
        raise NotImplementedError(f"{self._name} was never trained; train it instead of saving here")

    def _describe(self) -> dict[str, Any]:
        return {"missing": self._name}


def _missing_metrics(ns: str, params: dict) -> dict:
    """A `no_edge` metrics stub in the template's layout for a model that was never evaluated."""
    empty = {"n": 0, "model": {}, "baselines": {}, "skill": {"value": None, "ci_low": None, "ci_high": None}}
    return {"name": ns, "missing": True, "metric": params.get("metric"),
            "primary_baseline": params.get("primary_baseline"),
            "edge": False, "status": "no_edge", "folds": {}, "per_year": {}, "walk_forward": empty,
            "test": empty,
            "overall": empty, "beats_all_baselines": False}


def _version(catalog, name: str) -> str | None:
    dataset = catalog.get(name) if hasattr(catalog, "get") else catalog[name]
    try:
        return dataset.resolve_load_version()
    except Exception:  # a missing model or a dataset without versions
        return None


def _refuse_missing_released(release: dict | None, name: str) -> None:
    """A dataset the served release names must be on disk: never serve a baseline in its place."""
    released = (release or {}).get("datasets") or {}
    if name in released:
        raise ReleaseError(
            f"release {release['release_id']} names {name} version {released[name]}, which is not on disk: "
            "refusing to serve a baseline in its place; restore that version, retrain, or serve another "
            "release (--params release=<id>, data/06_models/releases)")


class MissingModelHooks:
    """Lets inference and reporting run when some models were never trained (see the module docstring)."""

    @hook_impl
    def before_pipeline_run(self, run_params: dict, pipeline, catalog) -> None:
        pinned = run_params.get("load_versions") or {}
        release = load_release(release_param(catalog))  # ReleaseHooks (run before) pinned its versions
        versions: dict[str, str | None] = {}
        for name in sorted(pipeline.inputs()):
            match = FROZEN.match(name)
            if not match:
                continue
            ns, kind = match["ns"], match["kind"]
            present = name in pinned or catalog.exists(name)
            if kind == "model":
                versions[ns] = pinned.get(name) or (_version(catalog, name) if present else None)
            if present:
                continue
            _refuse_missing_released(release, name)
            params = catalog.load(f"params:{ns}") if f"params:{ns}" in catalog else {}
            logger.warning("%s has no stored version (never trained?): %s", name,
                           "its baseline is served" if kind == "model" else "treated as no_edge")
            replace_dataset(catalog, name, MissingArtifactDataset(
                name, None if kind == "model" else _missing_metrics(ns, params)))
        for name in sorted(set(UNTRAINED) & pipeline.inputs()):
            if name not in pinned and not catalog.exists(name):
                _refuse_missing_released(release, name)
                logger.warning("%s has no stored version (never trained?): serving baselines without it",
                               name)
                replace_dataset(catalog, name, MissingArtifactDataset(name, UNTRAINED[name](catalog)))
        if VERSIONS_DATASET in pipeline.inputs():
            replace_dataset(catalog, VERSIONS_DATASET, MemoryDataset(versions))
        _training_end_checks(pipeline, catalog)


def _training_end_checks(pipeline, catalog) -> None:
    """Offer the served models' training end to the run; check `backfill.start` against it up front."""
    inputs = pipeline.inputs()
    backfill = "params:backfill" in inputs
    if TRAINING_END_DATASET not in inputs and not backfill:
        return
    metas = {}
    for name in sorted(inputs):
        match = FROZEN.match(name)
        dataset = catalog.get(name) if match and match["kind"] == "model" else None
        if isinstance(dataset, ModelBundleDataset):  # never-trained models load None: no training data
            try:
                metas[match["ns"]] = {"meta": dataset.load_meta()}
            except (OSError, ValueError, DatasetError):  # a missing pinned version fails at its load, loudly
                continue
    trained_to, ns = training_data_end(metas)
    if backfill:  # minutes before the backfill node would refuse it
        check_backfill_window(catalog.load("params:backfill") or {}, trained_to, ns)
    if TRAINING_END_DATASET in inputs:
        replace_dataset(catalog, TRAINING_END_DATASET, MemoryDataset(
            {"date": None if trained_to is None else str(trained_to.date()), "namespace": ns}))


def _saves_models(pipeline) -> bool:
    return any((m := FROZEN.match(name)) and m["kind"] == "model" for name in pipeline.all_outputs())


class ServingMemoryHooks:
    """Serving runs (inference, backfill: they train nothing and write the ledger) read what they save back
    from memory.

    Every dataset such a run both produces and consumes is still saved as this run's version, but read back
    from memory (a `CachedDataset`: market_daily alone is read by 45 model instances). Versions and validators
    are those of the wrapped dataset (releases.hooks unwraps it). The template's per-model input rows and
    predictions never reach the catalog in a serving run: they stay inside its `serve_frozen` node and its
    in-memory record.
    """

    @hook_impl
    def before_pipeline_run(self, run_params: dict, pipeline, catalog) -> None:
        outputs = pipeline.all_outputs()
        if "signal_ledger" not in outputs or _saves_models(pipeline):
            return
        consumed = {name for node in pipeline.nodes for name in node.inputs}
        cached = 0
        for name in sorted(outputs & consumed):
            dataset = catalog.get(name) if name in catalog else None
            if dataset is not None and not isinstance(dataset, (MemoryDataset, CachedDataset)):
                # deepcopy: what Kedro infers per call for frames and dicts, stated once
                replace_dataset(catalog, name, CachedDataset(dataset, copy_mode="deepcopy"))
                cached += 1
        logger.info("serving run: %d saved intermediates read back from memory", cached)
