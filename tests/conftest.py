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
    """`{model: {**overrides, estimator: {params: <small size for its kind>}}}` for every model of
    `engine`."""
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
    """`small_models(engine, overrides)`: per-model runtime params with the smallest estimator of each
    kind."""
    return small_model_params


# A real PostgreSQL server for the test session (Debian's `postgresql`; .ci/run installs it when missing).
PG_SKIP = "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql (.ci/run does)"


def _postgres_bin() -> Path | None:
    """The folder with initdb and pg_ctl: Debian keeps them under /usr/lib/postgresql/<major>/bin."""
    import glob

    found = [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    found += [Path(p).parent for p in (shutil.which("initdb"),) if p]
    return next((d for d in found if (d / "initdb").exists() and (d / "pg_ctl").exists()), None)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as_owner(args: list, owner) -> None:
    """initdb and postgres refuse root: run them as the unprivileged `postgres` (or `nobody`) user."""
    import subprocess

    extra = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []} if owner else {}
    subprocess.run([str(a) for a in args], check=True, capture_output=True, timeout=120, **extra)


@pytest.fixture(scope="session")
def postgres_url():
    """A SQLAlchemy URL (`postgresql+psycopg://aegis@127.0.0.1:<port>/postgres`) of a server started for the
    session in a temporary data directory on a free port, trust auth on 127.0.0.1 only; stopped and removed
    afterwards."""
    import pwd
    import tempfile

    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip(PG_SKIP)
    owner = None
    if os.geteuid() == 0:
        names = [n for n in ("postgres", "nobody") if n in {p.pw_name for p in pwd.getpwall()}]
        owner = pwd.getpwnam(names[0])
    root = Path(tempfile.mkdtemp(prefix="aegis-pg-"))  # not under pytest's root-only 0700 tmp folder
    if owner:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data, port = root / "data", _free_port()
    _run_as_owner([bin_dir / "initdb", "-D", data, "-U", "aegis", "--auth=trust", "-E", "UTF8", "--locale=C",
                   "--no-sync"], owner)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40"
    _run_as_owner([bin_dir / "pg_ctl", "-D", data, "-l", root / "server.log", "-o", options, "-w", "start"],
                  owner)
    try:
        yield f"postgresql+psycopg://aegis@127.0.0.1:{port}/postgres"
    finally:
        _run_as_owner([bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], owner)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def postgres_database(postgres_url):
    """A fresh, empty database on the session's server for one test; returns its URL."""
    import uuid

    import sqlalchemy as sa

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()
