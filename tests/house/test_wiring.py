"""Issue 25 items 1-2: a new model instance is one YAML block. In a project copy, one environment
file adds a direction horizon (h=4, one entry of `direction.horizons`) and a vol candidate (its
block and its name in `seller.vol_candidates`); both reach the registered pipelines, the derived
parameters and, through a serving run on never-trained models (baselines served),
aegismatrix.json."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

ENV = "wiring"
BASE_CANDIDATES = ["vol_garch", "vol_har", "vol_xgb", "vol_vix_log", "vol_combo", "vol_lstm",
                   "vol_pooled"]
# The one YAML block each: a served horizon, and a vol candidate (a block plus its name in the
# candidates).
NEW_BLOCKS = {
    "direction": {"horizons": {4: {"classifiers": ["xgb"], "magnitude": "magnitude"}}},
    "seller": {
        "vol_ewma_har": {
            "feature_set": "seller", "label": {"name": "forward_realised_vol", "horizon": 21},
            "estimator": {"kind": "ridge", "params": {"columns": ["rv_cc_5", "rv_cc_21"],
                                                      "alpha": 3.0, "floor": 0.02}},
            "baselines": [{"name": "trailing_rv_21d", "kind": "column", "column": "rv_cc_21"},
                          {"name": "vix_scaled", "kind": "scaled_column", "column": "vix_close"}],
            "primary_baseline": "vix_scaled", "metric": "qlike",
            "splits": {"n_folds": 2, "min_train": 250}, "tuning": {"n_trials": 0}},
        "vol_candidates": [*BASE_CANDIDATES, "vol_ewma_har"],
    },
}
NEW = ["direction.xgb_h4", "direction.magnitude_h4", "seller.vol_ewma_har"]


@pytest.fixture(scope="module")
def project(tmp_path_factory, copy_project_to):
    from aegismatrix.engines import structure

    root = copy_project_to(tmp_path_factory.mktemp("wiring"))
    (root / "conf" / ENV).mkdir()
    new_file = root / "conf" / ENV / "parameters_wiring.yml"
    new_file.write_text(yaml.safe_dump(NEW_BLOCKS, sort_keys=False))
    bootstrap_project(root)
    yield root
    structure._LOADER.clear()  # later tests in this process read their own project's instances


def _pipelines(project: Path) -> dict:
    from kedro.framework.project import pipelines

    with KedroSession.create(project_path=project, env=ENV) as session:
        # the context records the run's config for the registry
        params = session.load_context().params
        return {name: pipelines[name] for name in ("direction", "seller", "inference")}, params


def test_one_yaml_block_adds_the_instances_to_the_registered_pipelines(project):
    found, params = _pipelines(project)
    direction = found["direction"].all_outputs()
    assert {"direction.xgb_h4.model", "direction.magnitude_h4.model"} <= direction
    assert "direction.catboost_h4.model" not in direction  # only the families listed
    assert "seller.vol_ewma_har.model" in found["seller"].all_outputs()
    assert {f"{ns}.record" for ns in NEW} <= found["inference"].all_outputs()
    block = params["direction"]["xgb_h4"]  # generated from the xgb family with h=4
    assert block["horizon"] == 4 and block["label"]["horizon"] == 4
    assert block["label"]["neutral_band"] == pytest.approx(params["direction"]["base_band"] * 2)
    assert params["seller"]["vol_candidates"][-1] == "vol_ewma_har"


def test_the_new_instances_reach_the_payload(project):
    payload_path = project / "data" / "07_model_output" / "aegismatrix.json"
    runtime = {"data_ingestion": {"source": "synthetic", "end": "2025-06-30", "lookback_years": 3},
               "inference": {"payload_path": str(payload_path), "dashboard_dir": None}}
    started = time.perf_counter()
    with KedroSession.create(project_path=project, env=ENV, runtime_params=runtime) as session:
        session.run(pipeline_names=["inference"])
    payload = json.loads(payload_path.read_text())
    assert time.perf_counter() - started < 240
    horizons = {h["horizon_days"]: h for h in payload["direction"]["horizons"]}
    assert sorted(horizons) == [1, 2, 3, 4, 5, 10, 20]
    assert horizons[4]["served_by"] == "baseline"
    assert horizons[4]["drivers_from"] == "direction.xgb_h4"
    assert set(NEW) <= set(payload["models"])
    # never trained: its baseline serves
    assert payload["models"]["seller.vol_ewma_har"]["missing"] is True
