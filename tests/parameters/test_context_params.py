"""A session's `context.params` and the pipelines registered under it share one read of the
parameter files (engines/structure.py `loader_parameters`), fresh for every new session."""

from __future__ import annotations

import pytest
import yaml
from kedro.config import OmegaConfigLoader
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from aegismatrix.parameters import load_project_parameters

BREACH = "    target_breach_probability: 0.10"


@pytest.fixture
def project(tmp_path, copy_project_to):
    from aegismatrix.engines import structure

    root = copy_project_to(tmp_path / "p")
    (root / "conf" / "fast").mkdir()
    (root / "conf" / "fast" / "parameters_seller.yml").write_text(
        yaml.safe_dump({"seller": {"vol_xgb": {"tuning": {"n_trials": 0}}}}))
    bootstrap_project(root)
    yield root
    structure._LOADER.clear()  # later tests in this process read their own project's instances


@pytest.fixture
def parameter_reads(monkeypatch) -> list:
    reads = []
    original = OmegaConfigLoader.__getitem__

    def counting(self, key):
        if key == "parameters":
            reads.append(self.conf_source)
        return original(self, key)

    monkeypatch.setattr(OmegaConfigLoader, "__getitem__", counting)
    return reads


def _params(project, **session_args) -> dict:
    with KedroSession.create(project_path=project, **session_args) as session:
        return session.load_context().params


def test_params_and_pipelines_read_the_files_once(project, parameter_reads):
    from kedro.framework.project import pipelines

    from aegismatrix.engines.structure import structure_parameters

    with KedroSession.create(project_path=project, env="fast") as session:
        params = session.load_context().params
        assert sorted(pipelines)  # registers every pipeline, from the same read
    assert len(parameter_reads) == 1
    assert params == load_project_parameters(project, env="fast")
    params["seller"]["vol_xgb"]["tuning"]["n_trials"] = 99  # the context's dict is its own
    assert structure_parameters()["seller"]["vol_xgb"]["tuning"]["n_trials"] == 0


def test_each_session_sees_its_env_params_and_an_edited_file(project):
    assert _params(project)["seller"]["breach_5d"]["label_bins"] == [0.9]
    runtime = {"seller": {"safe_range": {"target_breach_probability": 0.2}}}
    assert _params(project, runtime_params=runtime)["seller"]["breach_5d"]["label_bins"] == [0.8]
    assert _params(project, env="fast")["seller"]["vol_xgb"]["tuning"]["n_trials"] == 0
    seller = project / "conf" / "base" / "parameters_seller.yml"
    text = seller.read_text()
    assert text.count(BREACH) == 1
    seller.write_text(text.replace(BREACH, "    target_breach_probability: 0.30"))
    assert _params(project)["seller"]["breach_5d"]["label_bins"] == [0.7]


def test_the_soft_merge_matches_omegaconf_and_keeps_siblings(project):
    from aegismatrix.parameters.context import AegisConfigLoader
    from aegismatrix.parameters.derive import soft_merge

    local = {"seller": {"vol_xgb": {"tuning": {"n_trials": 3}, "features": ["vix_level"]},
                        "breach_5d": None, "trap": {"calibration": "???"}},
             "new_block": {"a": 1}}
    base = OmegaConfigLoader(str(project / "conf"), base_env="base", default_run_env="local")
    base = base["parameters"]
    assert soft_merge(base, local) == OmegaConfigLoader._soft_merge(base, local)
    assert soft_merge(base, {}) == base
    (project / "conf" / "local" / "parameters_local.yml").write_text(yaml.safe_dump(local))
    merged = AegisConfigLoader(str(project / "conf"), base_env="base", default_run_env="local",
                               merge_strategy={"parameters": "soft"})["parameters"]
    seller = merged["seller"]
    assert seller["vol_xgb"]["tuning"]["n_trials"] == 3 and seller["breach_5d"] is None
    assert seller["vol_xgb"]["label"] == base["seller"]["vol_xgb"]["label"]  # a sibling kept
    assert seller["trap"]["calibration"] == base["seller"]["trap"]["calibration"]


def test_parameters_enter_the_catalog_copied_without_inferring_the_copy_mode(project, monkeypatch):
    # Kedro infers a MemoryDataset's copy mode on every save and load, trying `import ibis` each
    # time; the project's catalog states `deepcopy` (what Kedro infers for any YAML value) instead.
    from kedro.framework.project import settings
    from kedro.io import memory_dataset

    with KedroSession.create(project_path=project, env="fast") as session:
        context = session.load_context()
        assert context.params  # derived and validated before the catalog is built, as in a run

        def inferred(data):
            raise AssertionError("copy mode inferred for a parameter")

        monkeypatch.setattr(memory_dataset, "_infer_copy_mode", inferred)
        catalog = context._get_catalog(catalog_class=settings.DATA_CATALOG_CLASS)  # as a run does
        block = catalog.load("params:seller.vol_xgb")
    block["tuning"]["n_trials"] = 99  # a node's copy is its own, as with Kedro's inferred deepcopy
    assert catalog.load("params:seller.vol_xgb")["tuning"]["n_trials"] == 0
    assert catalog.load("parameters")["seller"]["vol_xgb"]["tuning"]["n_trials"] == 0
    assert callable(catalog.describe_datasets)  # the `kedro catalog` commands' mixin is kept
