"""One trained project per test session for the engine end-to-end tests.

Training direction, seller and buyer on synthetic data is most of these tests' time, and each module used to
train its own engine (the inference test trained all three again). `trained_engines` trains every engine
once, with the real pipelines and small models, and is never written to afterwards; a module that runs
anything more (inference, a retrain) works in its own copy from `trained_copy`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

ENGINES = ("direction", "seller", "buyer")
TRAINED_TO = "2025-06-30"
# Few folds, no Optuna trials, short bootstraps (the smallest estimators come from `small_models`): the
# wiring and the contracts are under test here, not the skill.
FAST = {"splits": {"n_folds": 2}, "tuning": {"n_trials": 0}, "bootstrap": {"n_boot": 50}}
# direction and seller on 3 synthetic years: training windows short enough for 2 folds of these rows
SHORT_TRAIN = {"splits": {"n_folds": 2, "min_train": 200}}


def trained_runtime(small_models) -> dict:
    """The runtime parameters of the shared training run (also those of the modules' inference runs)."""
    params: dict = {"data_ingestion": {"source": "synthetic", "end": TRAINED_TO, "lookback_years": 3,
                                       "universe": "global26",  # the pooled models' panel
                                       "yfinance": {"max_retries": 0}}}
    for engine in ENGINES:
        overrides = {**FAST, **(SHORT_TRAIN if engine in ("direction", "seller") else {})}
        params[engine] = small_models(engine, overrides)
    params["direction"]["ensemble"] = {"min_train": 100, "bootstrap": {"n_boot": 50}}
    return params


def _run_pipelines(project: Path, pipelines: list[str], params: dict, **kwargs) -> None:
    """`kedro run --pipelines=...` in `project`, from inside it (relative paths land in the copy)."""
    bootstrap_project(project)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        with KedroSession.create(project_path=project, runtime_params=params) as session:
            session.run(pipeline_names=pipelines, **kwargs)


@pytest.fixture(scope="session")
def trained_engines(tmp_path_factory, copy_project_to, small_models) -> dict:
    """{"project": a project copy where direction, seller and buyer were trained once, "runtime": the
    parameters they ran with}. Read only: tests that run more take `trained_copy`."""
    project = copy_project_to(tmp_path_factory.mktemp("trained_engines") / "project")
    runtime = trained_runtime(small_models)
    _run_pipelines(project, list(ENGINES), runtime)
    return {"project": project, "runtime": runtime}


def copy_trained(trained: dict, dest: Path) -> Path:
    """A full, independent copy (no hard links: DuckDB files and manifests are rewritten in place)."""
    shutil.copytree(trained["project"], dest, symlinks=True)
    return dest


@pytest.fixture(scope="session")
def trained_copy(trained_engines, tmp_path_factory):
    """`trained_copy(name)`: a fresh copy of the trained project for one module's runs."""
    return lambda name: copy_trained(trained_engines, tmp_path_factory.mktemp(name) / "project")


@pytest.fixture(scope="session")
def run_pipelines():
    """`run_pipelines(project, ["buyer"], params, **session_run_kwargs)`, run from inside `project`."""
    return _run_pipelines
