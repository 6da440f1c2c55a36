"""Parameters are derived once and validated before anything runs (aegismatrix.parameters)."""

from __future__ import annotations

import math
import shutil
import time

import pytest
import yaml

from aegismatrix.parameters import ParameterError, load_project_parameters
from aegismatrix.parameters.derive import model_namespaces


def test_a_typo_in_an_estimator_parameter_fails_naming_the_key(project_root):
    runtime = {"seller": {"trap": {"estimator": {"params": {"max_dept": 3}}}}}
    with pytest.raises(ParameterError,
                       match=r"seller\.trap\.estimator\.params\.max_dept = 3 \[--params.*max_depth"):
        load_project_parameters(project_root, runtime_params=runtime)


def test_an_unknown_key_and_a_wrong_type_name_path_value_and_source(project_root):
    runtime = {"data_ingestion": {"sourc": "csv", "lookback_years": "five"}}
    with pytest.raises(ParameterError) as err:
        load_project_parameters(project_root, runtime_params=runtime)
    assert "data_ingestion.sourc = 'csv' [--params (command line)]: unknown key" in str(err.value)
    assert "data_ingestion.lookback_years = 'five'" in str(err.value)


def test_inconsistent_pairs_are_refused(project_root):
    with pytest.raises(ParameterError, match="csv_dir"):
        load_project_parameters(project_root, runtime_params={"data_ingestion": {"source": "csv"}})
    with pytest.raises(ParameterError, match="horizon 3 differs from label.horizon 21"):
        load_project_parameters(project_root, runtime_params={"seller": {"vol_xgb": {"horizon": 3}}})


def test_breach_bins_follow_the_target_breach_probability(project_root):
    params = load_project_parameters(project_root, runtime_params={
        "seller": {"safe_range": {"target_breach_probability": 0.2}}})
    assert (params["seller"]["breach_5d"]["label_bins"] == [0.8]
            == params["seller"]["breach_21d"]["label_bins"])
    assert load_project_parameters(project_root)["seller"]["breach_5d"]["label_bins"] == [0.9]


def test_every_direction_namespace_gets_a_block_with_derived_horizon_band_and_purge(project_root):
    params = load_project_parameters(project_root)["direction"]
    for ns in model_namespaces("direction"):
        block = params[ns.split(".", 1)[1]]
        assert block["horizon"] == block["label"].get("horizon", block["horizon"])
        if block["label"]["name"] == "direction_class":
            assert math.isclose(block["label"]["neutral_band"],
                                params["base_band"] * math.sqrt(block["horizon"]))
        if block["estimator"]["kind"] in ("bilstm_attention", "mlp_regressor"):
            assert block["estimator"]["params"]["purge"] == block["horizon"]  # never the leaky default of 1


def test_an_environment_overriding_one_key_keeps_its_siblings(project_root, tmp_path, copy_project_to):
    project = copy_project_to(tmp_path / "p")
    (project / "conf" / "fast").mkdir()
    (project / "conf" / "fast" / "parameters_seller.yml").write_text(
        yaml.safe_dump({"seller": {"vol_xgb": {"tuning": {"n_trials": 0}}}}))
    params = load_project_parameters(project, env="fast")
    assert params["seller"]["vol_xgb"]["tuning"]["n_trials"] == 0
    assert params["seller"]["vol_xgb"]["label"]["name"] == "forward_realised_vol"
    assert "trap" in params["seller"] and "safe_range" in params["seller"]


def test_a_bad_key_in_an_environment_file_names_that_file(tmp_path, copy_project_to):
    project = copy_project_to(tmp_path / "p")
    (project / "conf" / "fast").mkdir()
    (project / "conf" / "fast" / "parameters_seller.yml").write_text(
        yaml.safe_dump({"seller": {"safe_range": {"target_breach_probabilty": 0.2}}}))
    with pytest.raises(ParameterError,
                       match=r"target_breach_probabilty = 0.2 \[conf/fast/parameters_seller.yml\]"):
        load_project_parameters(project, env="fast")


@pytest.mark.e2e
def test_a_typo_on_the_command_line_fails_before_any_node_writes(tmp_path, copy_project_to):
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    project = copy_project_to(tmp_path / "p")
    bootstrap_project(project)
    start = time.perf_counter()
    with pytest.raises(ParameterError, match="max_dept"), KedroSession.create(
            project_path=project,
            runtime_params={"seller": {"trap": {"estimator": {"params": {"max_dept": 3}}}}}) as s:
        s.run(pipeline_names=["seller"])
    assert time.perf_counter() - start < 30  # fails at session start, not after training (~10 s wall here)
    assert (not any(p.is_file() for p in (project / "data").rglob("*"))
            if (project / "data").exists() else True)
    shutil.rmtree(project)


def test_a_partial_override_of_one_horizon_is_laid_over_its_family(project_root):
    runtime = {"direction": {"xgb_h1": {"tuning": {"n_trials": 0},
                                        "estimator": {"params": {"n_estimators": 20}}}}}
    params = load_project_parameters(project_root, runtime_params=runtime)["direction"]
    assert (params["xgb_h1"]["tuning"]["n_trials"] == 0
            and params["xgb_h1"]["estimator"]["params"]["n_estimators"] == 20)
    assert (params["xgb_h1"]["label"]["horizon"] == 1
            and params["xgb_h1"]["estimator"]["kind"] == "xgb_classifier")
    # siblings kept
    assert params["xgb_h5"]["tuning"]["n_trials"] == params["families"]["xgb"]["tuning"]["n_trials"]
    with pytest.raises(ParameterError, match=r"direction\.xgb_h1\.tuning\.n_trialz"):
        load_project_parameters(project_root,
                                runtime_params={"direction": {"xgb_h1": {"tuning": {"n_trialz": 0}}}})


@pytest.mark.parametrize("key, value", [("safe_range.target_breach_probability", "abc"),
                                        ("base_band", "wide")])
def test_a_non_numeric_derivation_input_fails_naming_the_key(project_root, key, value):
    """Issue 26 (8): `target_breach_probability=abc` used to fail in float() without the key."""
    engine = "seller" if key.startswith("safe_range") else "direction"
    head, *rest = key.split(".")
    runtime = {engine: {head: {rest[0]: value}} if rest else {head: value}}
    with pytest.raises(ParameterError) as err:
        load_project_parameters(project_root, runtime_params=runtime)
    assert f"{engine}.{key} = '{value}'" in str(err.value)
