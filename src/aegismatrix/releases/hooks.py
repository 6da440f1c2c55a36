"""ReleaseHooks: every run reads exactly the versions
it saved or was pinned to, never "newest on disk".

- For the duration of a run the working directory is the project root, so `cd src && kedro run`
  reads and writes `<project>/data`, not `src/data`: Kedro already makes catalog paths absolute;
  this covers the relative paths in parameters (payload, dashboard, caches, Optuna storage,
  releases). The previous directory is restored after.
- `before_pipeline_run`: every versioned dataset the run PRODUCES loads at the run's own save
  version (one run shares one timestamp: Kedro's session id), so an overlapping run's newer files
  are never read back. Every versioned dataset it only READS is pinned to the release (latest, or
  `params:release` = a release id); one not in the release is pinned to the newest complete version
  found at start, with a warning. `--load-versions` wins.
- `after_pipeline_run`: a successful run that saved model bundles publishes a release naming every
  versioned dataset it saved (releases/manifest.py), atomically and last. A run that fails or is
  killed publishes nothing, so the previous release stays served.
- `on_pipeline_error`: a run that fails (e.g. validation) deletes the versions it had saved (e.g.
  its `raw_market_daily`), so it writes nothing a later run would read. A SIGKILLed run cannot clean
  up; its files are never in a release and never read back by other runs, and `prune` removes them
  eventually.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import CachedDataset
from kedro.io.core import AbstractVersionedDataset, Version

from aegismatrix.releases.manifest import ReleaseError, load_release, publish_release

logger = logging.getLogger(__name__)
BUNDLE_SUFFIX = ".model"


def _versioned(catalog, name: str) -> AbstractVersionedDataset | None:
    dataset = catalog.get(name) if name in catalog else None
    # serving runs cache reads
    dataset = dataset._dataset if isinstance(dataset, CachedDataset) else dataset
    return dataset if isinstance(dataset, AbstractVersionedDataset) else None


def _pin(catalog, name: str, dataset: AbstractVersionedDataset, load: str, save: str | None) -> None:
    """Fix the dataset's load/save versions in place (this run's own instance; no 'Replacing
    dataset' noise)."""
    dataset._version = Version(load, save)
    dataset._clear_version_cache()


def release_param(catalog) -> str | None:
    try:
        return catalog.load("params:release") if "params:release" in catalog else None
    except Exception:  # no parameters in a bare catalog
        return None


def _remove_run_versions(pipeline, catalog, save_version: str | None) -> list[str]:
    """Delete `<filepath>/<save_version>` of every versioned output this run saved; returns the
    dataset names."""
    removed = []
    for name in sorted(pipeline.all_outputs()):
        dataset = _versioned(catalog, name)
        folder = Path(str(dataset._filepath)) / save_version if dataset is not None and save_version else None
        if folder is not None and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(name)
    return removed


class ReleaseHooks:
    """Pins load versions per run and publishes releases (see the module docstring)."""

    def __init__(self) -> None:
        self._release: dict | None = None
        self._cwd: str | None = None

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:
        if run_params.get("project_path"):
            self._cwd = os.getcwd()
            # relative paths in parameters resolve against the project root
            os.chdir(run_params["project_path"])
        save_version = run_params.get("run_id")
        pinned = run_params.get("load_versions") or {}
        outputs = pipeline.all_outputs()
        self._release = load_release(release_param(catalog))
        released = (self._release or {}).get("datasets") or {}
        for name in sorted(pipeline.datasets()):
            dataset = _versioned(catalog, name)
            if dataset is None or name in pinned:
                continue
            if name in outputs:
                _pin(catalog, name, dataset, save_version, save_version)
            elif name in released:
                _pin(catalog, name, dataset, released[name], save_version)
            elif dataset.exists():
                newest = dataset.resolve_load_version()
                logger.warning("%s is not in release %s: reading its newest version %s", name,
                               (self._release or {}).get("release_id"), newest)
                _pin(catalog, name, dataset, newest, save_version)
        if self._release:
            logger.info("serving release %s (%d datasets)", self._release["release_id"],
                        len(released))

    @hook_impl
    def on_pipeline_error(self, error, run_params: dict[str, Any], pipeline, catalog) -> None:
        """A failed run removes the versions it saved,
        so nothing a later run might read is left behind."""
        try:
            removed = _remove_run_versions(pipeline, catalog, run_params.get("run_id"))
            if removed:
                logger.warning("run failed: removed the %d versions it had saved (%s ...)",
                               len(removed), removed[0])
        finally:
            self._restore_cwd()

    def _restore_cwd(self) -> None:
        if self._cwd is not None and os.path.isdir(self._cwd):
            os.chdir(self._cwd)
        self._cwd = None

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:
        try:
            self._publish(run_params, pipeline, catalog)
        finally:
            self._restore_cwd()

    def _publish(self, run_params: dict[str, Any], pipeline, catalog) -> None:
        """Publish a release when this run saved model bundles
        (only reached when every node succeeded)."""
        save_version = run_params.get("run_id")
        produced = {}
        for name in sorted(pipeline.all_outputs()):
            dataset = _versioned(catalog, name)
            if dataset is not None and dataset.resolve_save_version() == save_version and dataset.exists():
                produced[name] = save_version
        if any(name.endswith(BUNDLE_SUFFIX) for name in produced):
            release = publish_release(save_version, produced,
                                      list(run_params.get("pipeline_names") or ["__default__"]))
            logger.info("published release %s: %d models, %d datasets "
                        "(data/06_models/releases/latest.json)",
                           release["release_id"], len(release["models"]), len(release["datasets"]))


__all__ = ["ReleaseError", "ReleaseHooks"]
