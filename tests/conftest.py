"""Shared fixtures: offline by default, real data when ../shared/data/real exists."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "1")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REAL_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The real market history; tests that need it are skipped cleanly when it is absent."""
    if not (REAL_DATA_DIR / "nifty50.csv").exists():
        pytest.skip(f"real data not found at {REAL_DATA_DIR}")
    return REAL_DATA_DIR


def copy_project(project_root: Path, dest: Path, with_notebooks: bool = False) -> Path:
    """A runnable copy of the project (conf, pyproject; the package is installed editable) in `dest`,
    so end-to-end runs never write into the repository's data/."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(project_root / "conf", dest / "conf", ignore=shutil.ignore_patterns("local"))
    (dest / "conf" / "local").mkdir()
    shutil.copy(project_root / "pyproject.toml", dest / "pyproject.toml")
    (dest / "src").mkdir()  # kedro wants the source dir to exist
    if with_notebooks:
        shutil.copytree(project_root / "notebooks", dest / "notebooks",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return dest


@pytest.fixture(scope="session")
def copy_project_to(project_root):
    """`copy_project_to(dest, with_notebooks=False)`: a runnable copy of the project in `dest`."""
    return lambda dest, with_notebooks=False: copy_project(project_root, dest, with_notebooks)


def run_with_upstream(project: Path, runtime: dict, engine_pipeline):
    """Run ingestion + features + `engine_pipeline` in a project copy; returns the pipeline that ran."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project
    from kedro.runner import SequentialRunner

    from aegismatrix.pipelines import data_ingestion, feature_engineering

    bootstrap_project(project)
    with KedroSession.create(project_path=project, runtime_params=runtime) as session:
        pipe = data_ingestion.create_pipeline() + feature_engineering.create_pipeline() + engine_pipeline
        SequentialRunner().run(pipe, session.load_context().catalog)
    return pipe


@pytest.fixture(scope="session")
def run_engine_inference():
    """`run_engine_inference(project, runtime, create_inference_pipeline())` in a trained project copy."""
    return run_with_upstream


# Smallest sizes per estimator kind for end-to-end wiring tests (kind-aware: a parameter a kind does not
# know is refused by the parameter validator, so one size key cannot be sprayed over every model).
SMALL_ESTIMATOR_PARAMS = {
    "xgb_classifier": {"n_estimators": 20}, "xgb_regressor": {"n_estimators": 20},
    "xgb_random_forest": {"n_estimators": 20}, "lgbm_classifier": {"n_estimators": 20},
    "lgbm_regressor": {"n_estimators": 20}, "catboost_classifier": {"iterations": 20},
    "catboost_regressor": {"iterations": 20}, "bilstm_attention": {"window": 20, "hidden": 8, "epochs": 2},
    "mlp_regressor": {"epochs": 3},
}


def small_model_params(engine: str, overrides: dict, project: Path = PROJECT_ROOT) -> dict:
    """`{model: {**overrides, estimator: {params: <small size for its kind>}}}` for every model of `engine`."""
    from aegismatrix.parameters import load_project_parameters
    from aegismatrix.parameters.derive import model_namespaces

    section = load_project_parameters(project)[engine]
    out = {}
    for ns in model_namespaces(engine):
        name = ns.split(".", 1)[1]
        small = SMALL_ESTIMATOR_PARAMS.get(section[name]["estimator"]["kind"])
        out[name] = {**overrides, **({"estimator": {"params": small}} if small else {})}
    return out


@pytest.fixture(scope="session")
def small_models():
    """`small_models(engine, overrides)`: per-model runtime params with the smallest estimator of each kind."""
    return small_model_params
